"""The editor: new or existing article, save as draft or publish, tags, Markdown preview."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from portal.clients import ApiError, Article, BlogClient
from portal.state.session import SessionState, blog_client


def split_tags(text: str) -> list[str]:
    """'a, b  c,,a' -> ['a', 'b  c']: comma-separated, trimmed, no blanks or repeats."""
    seen: dict[str, None] = {}
    for part in text.split(","):
        tag = " ".join(part.split())
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


class EditorState(SessionState):
    editing: rx.Field[str] = rx.field("")
    title: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    body: rx.Field[str] = rx.field("")
    tags: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("draft")
    preview: rx.Field[bool] = rx.field(False)
    ready: rx.Field[bool] = rx.field(False)
    busy: rx.Field[bool] = rx.field(False)
    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    error: rx.Field[str] = rx.field("")
    _etag: str = ""

    @rx.event
    async def load(self) -> AsyncIterator[Any]:
        slug = self.path_arg("/editor/")
        self.ready, self.errors, self.error, self.preview = False, {}, "", False
        self.editing, self.title, self.description, self.body, self.tags = slug, "", "", "", ""
        self.status, self._etag = "draft", ""
        yield
        session = await self.get_state(SessionState)
        if not session.signed_in:
            yield rx.redirect("/login")
            return
        if slug:
            client: BlogClient = blog_client()
            try:
                article = await session.call(lambda token: client.article(slug, token))
            except ApiError as exc:
                self.error = exc.message
                return
            if article.author.username != session.username:
                self.error = "Only the author can edit this article."
                return
            self._take(article)
        self.ready = True

    def _take(self, article: Article) -> None:
        self.editing, self.title, self.description = (
            article.slug,
            article.title,
            article.description,
        )
        self.body, self.tags, self.status = article.body, ", ".join(article.tags), article.status
        self._etag = article.etag

    @rx.event
    def set_title(self, value: str) -> None:
        self.title = value

    @rx.event
    def set_description(self, value: str) -> None:
        self.description = value

    @rx.event
    def set_body(self, value: str) -> None:
        self.body = value

    @rx.event
    def set_tags(self, value: str) -> None:
        self.tags = value

    @rx.event
    def toggle_preview(self) -> None:
        self.preview = not self.preview

    @rx.event
    async def save(self, status: str) -> AsyncIterator[Any]:
        self.busy, self.errors, self.error = True, {}, ""
        yield
        fields: dict[str, Any] = {
            "title": self.title.strip(),
            "description": self.description.strip(),
            "body": self.body,
            "tagList": split_tags(self.tags),
            "status": status,
        }
        session = await self.get_state(SessionState)
        client: BlogClient = blog_client()
        slug, etag = self.editing, self._etag
        try:
            if slug:
                article = await session.call(
                    lambda token: client.update(token, slug, fields, etag=etag)
                )
            else:
                article = await session.call(lambda token: client.create(token, fields))
        except ApiError as exc:
            self.errors, self.error, self.busy = exc.fields, exc.message, False
            return
        self.busy = False
        if status == "published":
            yield rx.redirect("/article/" + article.slug)
        else:
            yield rx.redirect("/drafts")
