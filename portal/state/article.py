"""One article: sanitised body, author card, favorite, follow, comments."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from portal.clients import ApiError, Article, AuthClient, BlogClient, Comment
from portal.state.session import SessionState, auth_client, blog_client


class ArticleState(SessionState):
    article: rx.Field[Article] = rx.field(default_factory=Article)
    comments: rx.Field[list[Comment]] = rx.field(default_factory=list)
    comment_text: rx.Field[str] = rx.field("")
    comment_error: rx.Field[str] = rx.field("")
    found: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    busy: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def mine(self) -> bool:
        return self.found and self.username != "" and self.article.author.username == self.username

    @rx.event
    async def load(self) -> AsyncIterator[None]:
        slug = self.path_arg("/article/")
        self.loading, self.error, self.comment_text, self.comment_error = True, "", "", ""
        if self.article.slug != slug:
            self.article, self.comments, self.found = Article(), [], False
        yield
        session = await self.get_state(SessionState)
        token = await session.optional_token()
        try:
            client = blog_client()
            self.article, self.comments = await asyncio.gather(
                client.article(slug, token), client.comments(slug, token)
            )
            self.found = True
        except ApiError as exc:
            self.found, self.error = False, exc.message
        self.loading = False

    @rx.event
    def set_comment_text(self, text: str) -> None:
        self.comment_text = text

    @rx.event
    async def toggle_favorite(self) -> EventSpec | None:
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return rx.redirect("/login")
        slug, wanted = self.article.slug, not self.article.favorited

        async def act(token: str) -> Article:
            return await blog_client().favorite(token, slug, favorite=wanted)

        try:
            updated = await session.call(act)
            self.article.favorited = updated.favorited
            self.article.favorites_count = updated.favorites_count
        except ApiError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def toggle_follow(self) -> EventSpec | None:
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return rx.redirect("/login")
        name, wanted = self.article.author.username, not self.article.author.following
        client: AuthClient = auth_client()
        try:
            profile = await session.call(lambda token: client.follow(name, token, follow=wanted))
            self.article.author.following = profile.following
        except ApiError as exc:
            self.error = exc.message
        return None

    @rx.event
    async def add_comment(self) -> AsyncIterator[None]:
        text = self.comment_text.strip()
        if not text:
            self.comment_error = "Write something first."
            return
        self.busy = True
        yield
        session = await self.get_state(SessionState)
        slug = self.article.slug
        client: BlogClient = blog_client()
        try:
            comment = await session.call(lambda token: client.add_comment(token, slug, text))
            self.comments = [comment, *self.comments]
            self.comment_text, self.comment_error = "", ""
        except ApiError as exc:
            self.comment_error = exc.fields.get("body") or exc.message
        self.busy = False

    @rx.event
    async def delete_comment(self, comment_id: int) -> None:
        session = await self.get_state(SessionState)
        slug = self.article.slug
        client: BlogClient = blog_client()
        try:
            await session.call(lambda token: client.delete_comment(token, slug, comment_id))
            self.comments = [c for c in self.comments if c.id != comment_id]
        except ApiError as exc:
            self.error = exc.message

    @rx.event
    async def delete_article(self) -> EventSpec | None:
        session = await self.get_state(SessionState)
        slug = self.article.slug
        client: BlogClient = blog_client()
        try:
            await session.call(lambda token: client.delete(token, slug))
        except ApiError as exc:
            self.error = exc.message
            return None
        return rx.redirect("/")
