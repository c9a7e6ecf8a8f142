"""Article previews, tag lists and pagination."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal import styles


def tag_badges(tags: Any) -> rx.Component:
    return rx.hstack(
        rx.foreach(tags, lambda tag: rx.badge(tag, variant="outline", class_name="tag")),
        wrap="wrap",
        spacing="1",
    )


def author_line(article: Any) -> rx.Component:
    return rx.hstack(
        rx.avatar(
            src=article.author.image,
            fallback=article.author.username[:2],
            size="2",
            radius="full",
            alt="",
            high_contrast=True,
        ),
        rx.vstack(
            rx.link(
                article.author.username,
                href="/profile/" + article.author.username,
                class_name="author-link",
                weight="medium",
            ),
            rx.text(article.created, size="1", color="var(--gray-11)"),
            spacing="0",
        ),
        align="center",
    )


def preview(article: Any) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                author_line(article),
                rx.spacer(),
                rx.cond(
                    article.status == "draft",
                    rx.badge("draft", color_scheme="amber"),
                ),
                rx.text("♥ " + article.favorites_count.to_string(), size="2"),
                width="100%",
                align="center",
            ),
            rx.link(
                rx.heading(article.title, size="4", as_="h2"),
                href=rx.cond(
                    article.status == "draft",
                    "/editor/" + article.slug,
                    "/article/" + article.slug,
                ),
                class_name="preview-link",
                underline="none",
            ),
            rx.text(article.description, color="var(--gray-11)"),
            tag_badges(article.tags),
            spacing="2",
            width="100%",
        ),
        class_name="article-preview",
        style=styles.card,
    )


def article_list(articles: Any, loading: Any, empty: str, empty_id: str) -> rx.Component:
    return rx.cond(
        loading & (articles.length() == 0),
        rx.hstack(rx.spinner(), rx.text("Loading articles…"), role="status"),
        rx.cond(
            articles.length() == 0,
            rx.text(empty, id=empty_id, class_name="empty-state"),
            rx.vstack(rx.foreach(articles, preview), spacing="3", width="100%"),
        ),
    )


def pager(page: Any, pages: Any, previous: Any, following: Any) -> rx.Component:
    return rx.cond(
        pages > 1,
        rx.hstack(
            rx.button(
                "Previous",
                on_click=previous,
                disabled=page <= 1,
                variant="soft",
                id="page-prev",
            ),
            rx.text("Page " + page.to_string() + " of " + pages.to_string(), id="page-info"),
            rx.button(
                "Next",
                on_click=following,
                disabled=page >= pages,
                variant="soft",
                id="page-next",
            ),
            align="center",
            spacing="3",
        ),
    )
