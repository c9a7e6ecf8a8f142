"""Shared look: Radix theme tokens (light and dark), widths that work on a phone."""

from __future__ import annotations

from typing import Any

# The brand colour for the wordmark; the theme accent (buttons) is indigo, whose solid shade
# keeps white text above WCAG AA contrast (green's does not).
ACCENT = "green"
MAX_WIDTH = "960px"

page_box: dict[str, Any] = {
    "width": "100%",
    "max_width": MAX_WIDTH,
    "margin_x": "auto",
    "padding_x": ["0.75rem", "1rem", "1.5rem"],
    "padding_y": "1rem",
}

card: dict[str, Any] = {
    "width": "100%",
    "padding": "1rem",
    "border": "1px solid var(--gray-a6)",
    "border_radius": "var(--radius-3)",
    "background": "var(--color-panel-solid)",
}

# Article bodies are HTML from the API (already sanitised there): keep them inside the page.
article_body: dict[str, Any] = {
    "width": "100%",
    "overflow_wrap": "anywhere",
    "line_height": "1.7",
    "& img": {"max_width": "100%", "height": "auto"},
    "& pre": {"overflow_x": "auto", "padding": "0.75rem", "background": "var(--gray-a3)"},
    "& a": {"color": "var(--accent-11)"},
}

error_text: dict[str, Any] = {"color": "var(--red-11)", "font_size": "0.875rem"}
