"""The home page: feeds, tag filter, popular tags."""

from __future__ import annotations

import reflex as rx

from portal import styles
from portal.components.articles import article_list, pager
from portal.components.layout import banner, page
from portal.state.home import HomeState
from portal.state.session import SessionState

ROUTE = "/"


def _tab(label: str, tab: str, tab_id: str) -> rx.Component:
    return rx.button(
        label,
        on_click=HomeState.show(tab),
        variant=rx.cond(HomeState.tab == tab, "solid", "soft"),
        id=tab_id,
        aria_pressed=rx.cond(HomeState.tab == tab, "true", "false"),
    )


def _tags() -> rx.Component:
    return rx.box(
        rx.heading("Popular tags", size="3", as_="h2"),
        rx.cond(
            HomeState.tags.length() == 0,
            rx.text("No tags yet.", size="2"),
            rx.hstack(
                rx.foreach(
                    HomeState.tags,
                    lambda tag: rx.button(
                        tag,
                        on_click=HomeState.pick_tag(tag),
                        size="1",
                        variant="surface",
                        radius="full",
                        class_name="tag-pill",
                    ),
                ),
                wrap="wrap",
                spacing="2",
            ),
        ),
        style=styles.card,
        id="popular-tags",
    )


def index() -> rx.Component:
    return page(
        rx.box(
            rx.heading("conduit", size="8", as_="h1", id="home-title"),
            rx.text("A place to share your knowledge."),
        ),
        rx.flex(
            rx.vstack(
                rx.hstack(
                    _tab("Global feed", "global", "tab-global"),
                    rx.cond(SessionState.signed_in, _tab("Your feed", "feed", "tab-feed")),
                    rx.cond(
                        HomeState.tab == "tag",
                        rx.button("# " + HomeState.tag, id="tab-tag", variant="solid"),
                    ),
                    wrap="wrap",
                    spacing="2",
                ),
                banner(HomeState.error),
                article_list(
                    HomeState.articles,
                    HomeState.loading,
                    rx.cond(
                        HomeState.tab == "feed",
                        "Your feed is empty: follow some authors from their articles.",
                        "No articles here yet. Sign in and write the first one!",
                    ),
                    "articles-empty",
                ),
                pager(HomeState.page, HomeState.pages, HomeState.turn(-1), HomeState.turn(1)),
                flex="3",
                min_width="0",
                width="100%",
                spacing="3",
            ),
            rx.box(_tags(), flex="1", min_width=["100%", "100%", "220px"]),
            direction=rx.breakpoints(initial="column-reverse", md="row"),
            spacing="4",
            width="100%",
        ),
    )
