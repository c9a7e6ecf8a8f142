"""Reflex configuration for the portal (the app lives in `portal/portal.py`)."""

import reflex as rx
from reflex.constants import StateManagerMode
from reflex.plugins.sitemap import SitemapPlugin

config = rx.Config(
    app_name="portal",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # No sitemap: it needs the public deploy URL at build time and lists nothing useful.
    disable_plugins=[SitemapPlugin],
    # One process holds the sessions' state in memory (see docs/adr/0011-portal-sessions.md).
    state_manager_mode=StateManagerMode.MEMORY,
    # HTML must stay uncompressed for the CSP middleware to hash its inline scripts.
    frontend_compression_formats=[],
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium")
        )
    ],
)
