"""The article page. Only `bodyHtml` (sanitised by blog_service) is rendered as HTML."""

from __future__ import annotations

import reflex as rx

from portal import styles
from portal.clients.models import Comment
from portal.components.articles import author_line, tag_badges
from portal.components.layout import banner, field_error, page
from portal.state.article import ArticleState
from portal.state.session import SessionState

ROUTE = "/article/[slug]"


def _actions() -> rx.Component:
    favorite = rx.button(
        rx.cond(ArticleState.article.favorited, "♥ Unfavorite", "♡ Favorite"),
        " (",
        ArticleState.article.favorites_count,
        ")",
        on_click=ArticleState.toggle_favorite,
        variant=rx.cond(ArticleState.article.favorited, "solid", "outline"),
        size="2",
        id="favorite-button",
    )
    follow = rx.button(
        rx.cond(ArticleState.article.author.following, "Unfollow ", "Follow "),
        ArticleState.article.author.username,
        on_click=ArticleState.toggle_follow,
        variant="outline",
        size="2",
        id="follow-button",
    )
    own = rx.hstack(
        rx.link(
            rx.button("Edit article", variant="outline", size="2"),
            href="/editor/" + ArticleState.article.slug,
            id="edit-article",
        ),
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(
                rx.button("Delete article", color_scheme="red", variant="outline", size="2"),
                id="delete-article",
            ),
            rx.alert_dialog.content(
                rx.alert_dialog.title("Delete this article?"),
                rx.alert_dialog.description("It is gone for everyone, with its comments."),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button("Keep it", variant="soft")),
                    rx.alert_dialog.action(
                        rx.button(
                            "Delete",
                            color_scheme="red",
                            on_click=ArticleState.delete_article,
                            id="confirm-delete",
                        )
                    ),
                    justify="end",
                    spacing="3",
                ),
            ),
        ),
        spacing="2",
        wrap="wrap",
    )
    return rx.hstack(
        author_line(ArticleState.article),
        rx.cond(ArticleState.mine, own, rx.hstack(follow, favorite, spacing="2", wrap="wrap")),
        wrap="wrap",
        spacing="4",
        align="center",
    )


def _comment(comment: Comment) -> rx.Component:
    return rx.box(
        rx.text(comment.body, class_name="comment-body", white_space="pre-wrap"),
        rx.hstack(
            rx.link(comment.author.username, href="/profile/" + comment.author.username, size="2"),
            rx.text(comment.created, size="1", color="var(--gray-11)"),
            rx.spacer(),
            rx.cond(
                comment.author.username == SessionState.username,
                rx.button(
                    "Delete",
                    on_click=ArticleState.delete_comment(comment.id),
                    size="1",
                    variant="ghost",
                    color_scheme="red",
                    class_name="comment-delete",
                    aria_label="Delete comment",
                ),
            ),
            align="center",
            width="100%",
        ),
        class_name="comment",
        style=styles.card,
    )


def _comments() -> rx.Component:
    form = rx.vstack(
        rx.text_area(
            value=ArticleState.comment_text,
            on_change=ArticleState.set_comment_text,
            placeholder="Write a comment…",
            id="comment-input",
            aria_label="Comment",
            width="100%",
        ),
        field_error(ArticleState.comment_error, "error-comment"),
        rx.button(
            "Post comment",
            on_click=ArticleState.add_comment,
            loading=ArticleState.busy,
            id="comment-submit",
        ),
        width="100%",
        align="end",
    )
    return rx.vstack(
        rx.heading("Comments", size="4", as_="h2"),
        rx.cond(
            SessionState.signed_in,
            form,
            rx.text(
                rx.link("Sign in", href="/login", underline="always"),
                " or ",
                rx.link("sign up", href="/register", underline="always"),
                " to add comments.",
            ),
        ),
        rx.cond(
            ArticleState.comments.length() == 0,
            rx.text("No comments yet.", id="comments-empty"),
            rx.vstack(rx.foreach(ArticleState.comments, _comment), width="100%", spacing="2"),
        ),
        width="100%",
        spacing="3",
    )


def article() -> rx.Component:
    return page(
        banner(ArticleState.error),
        rx.cond(
            ArticleState.found,
            rx.vstack(
                rx.heading(ArticleState.article.title, size="8", as_="h1", id="article-title"),
                rx.cond(
                    ArticleState.article.status == "draft",
                    rx.badge("draft: only you can see it", color_scheme="amber"),
                ),
                _actions(),
                rx.separator(),
                rx.box(
                    rx.html(ArticleState.article.body_html),
                    id="article-body",
                    style=styles.article_body,
                ),
                tag_badges(ArticleState.article.tags),
                rx.separator(),
                _comments(),
                width="100%",
                spacing="4",
            ),
            rx.cond(
                ArticleState.loading,
                rx.hstack(rx.spinner(), rx.text("Loading the article…"), role="status"),
            ),
        ),
    )
