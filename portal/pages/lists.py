"""Profile, search and drafts: pages that list articles."""

from __future__ import annotations

import reflex as rx

from portal.components.articles import article_list
from portal.components.layout import banner, page
from portal.state.lists import DraftsState, ProfileState, SearchState
from portal.state.session import SessionState


def _tab(label: str, name: str, tab_id: str) -> rx.Component:
    return rx.button(
        label,
        on_click=ProfileState.show(name),
        variant=rx.cond(ProfileState.tab == name, "solid", "soft"),
        id=tab_id,
    )


def profile() -> rx.Component:
    header = rx.hstack(
        rx.avatar(
            src=ProfileState.profile.image,
            fallback=ProfileState.profile.username[:2],
            size="6",
            radius="full",
            alt="",
            high_contrast=True,
        ),
        rx.vstack(
            rx.heading(ProfileState.profile.username, size="7", as_="h1", id="profile-name"),
            rx.text(ProfileState.profile.bio, color="var(--gray-11)"),
            rx.cond(
                ProfileState.own,
                rx.link(rx.button("Edit settings", variant="outline", size="2"), href="/settings"),
                rx.cond(
                    SessionState.signed_in,
                    rx.button(
                        rx.cond(ProfileState.profile.following, "Unfollow", "Follow"),
                        on_click=ProfileState.toggle_follow,
                        variant="outline",
                        size="2",
                        id="profile-follow",
                    ),
                ),
            ),
            spacing="2",
        ),
        spacing="4",
        align="center",
        wrap="wrap",
    )
    return page(
        banner(ProfileState.error),
        rx.cond(
            ProfileState.found,
            rx.vstack(
                header,
                rx.hstack(
                    _tab("Articles", "articles", "tab-articles"),
                    _tab("Favorited", "favorites", "tab-favorites"),
                    spacing="2",
                ),
                article_list(
                    ProfileState.articles,
                    ProfileState.loading,
                    "Nothing here yet.",
                    "articles-empty",
                ),
                width="100%",
                spacing="4",
            ),
            rx.cond(
                ProfileState.loading,
                rx.hstack(rx.spinner(), rx.text("Loading the profile…"), role="status"),
            ),
        ),
    )


def search() -> rx.Component:
    return page(
        rx.form(
            rx.hstack(
                rx.input(
                    name="q",
                    id="search-input",
                    default_value=SearchState.query,
                    key=SearchState.searched,
                    placeholder="Search articles",
                    aria_label="Search articles",
                    type="search",
                    width="100%",
                ),
                rx.button("Search", type="submit", id="search-submit", loading=SearchState.loading),
                width="100%",
            ),
            on_submit=SearchState.submit,
            width="100%",
            role="search",
        ),
        banner(SearchState.error),
        rx.cond(
            SearchState.searched != "",
            rx.vstack(
                rx.text(
                    SearchState.total.to_string() + " result(s) for “" + SearchState.searched + "”",
                    id="search-summary",
                ),
                article_list(
                    SearchState.articles,
                    SearchState.loading,
                    "Nothing matches: try fewer or other words.",
                    "search-empty",
                ),
                width="100%",
                spacing="3",
            ),
            rx.text("Type a few words and press Search.", class_name="empty-state"),
        ),
        title="Search",
    )


def drafts() -> rx.Component:
    return page(
        rx.text(
            "Only you can see your drafts. Open one to edit or publish it.", color="var(--gray-11)"
        ),
        banner(DraftsState.error),
        rx.box(
            article_list(
                DraftsState.articles,
                DraftsState.loading,
                "No drafts. Start one with “New article”.",
                "drafts-empty",
            ),
            id="drafts-list",
            width="100%",
        ),
        title="Your drafts",
    )
