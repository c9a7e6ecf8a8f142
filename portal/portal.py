"""Builds the Reflex app: the pages, their on-load events, and the security headers."""

from __future__ import annotations

import reflex as rx

from portal.csp import ContentSecurityPolicy
from portal.health import health_app
from portal.pages.account import settings, sign_in, sign_up
from portal.pages.article import article
from portal.pages.editor import editor
from portal.pages.home import index
from portal.pages.lists import drafts, profile, search
from portal.pages.ops import ops
from portal.state.account import SettingsState
from portal.state.article import ArticleState
from portal.state.editor import EditorState
from portal.state.home import HomeState
from portal.state.lists import DraftsState, ProfileState, SearchState
from portal.state.ops import OpsState
from portal.state.session import SessionState

app = rx.App(
    # Health routes first (Reflex is mounted inside), then the CSP around everything.
    api_transformer=[health_app(), ContentSecurityPolicy],
    # No favicon file to fetch (a 404 in every console otherwise).
    head_components=[rx.el.link(rel="icon", href="data:,")],
)

# (route, page, title, the page's own on-load event); every page first restores the session.
PAGES = [
    ("/", index, "Home", HomeState.load),
    ("/article/[slug]", article, "Article", ArticleState.load),
    ("/editor", editor, "New article", EditorState.load),
    ("/editor/[slug]", editor, "Edit article", EditorState.load),
    ("/login", sign_in, "Sign in", None),
    ("/register", sign_up, "Sign up", None),
    ("/settings", settings, "Settings", SettingsState.load),
    ("/profile/[name]", profile, "Profile", ProfileState.load),
    ("/search", search, "Search", SearchState.load),
    ("/drafts", drafts, "Drafts", DraftsState.load),
    ("/ops", ops, "Operator dashboard", OpsState.load),
]
for route, component, title, load in PAGES:
    events = [SessionState.restore, load] if load is not None else [SessionState.restore]
    app.add_page(component, route=route, title=f"{title} · conduit", on_load=events)
