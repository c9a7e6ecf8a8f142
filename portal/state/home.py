"""Home: the global feed, "your feed", a tag filter, popular tags, pages of 20."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import reflex as rx

from portal.clients import ApiError, Article
from portal.state.session import SessionState, blog_client

PAGE_SIZE = 20


class HomeState(SessionState):
    tab: rx.Field[str] = rx.field("global")
    tag: rx.Field[str] = rx.field("")
    page: rx.Field[int] = rx.field(1)
    total: rx.Field[int] = rx.field(0)
    articles: rx.Field[list[Article]] = rx.field(default_factory=list)
    tags: rx.Field[list[str]] = rx.field(default_factory=list)
    loading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    async def _fetch(self) -> None:
        session = await self.get_state(SessionState)
        offset = (self.page - 1) * PAGE_SIZE
        try:
            if self.tab == "feed":
                page = await session.call(
                    lambda token: blog_client().feed(token, limit=PAGE_SIZE, offset=offset)
                )
            else:
                token = await session.optional_token()
                tag = self.tag if self.tab == "tag" else ""
                page = await blog_client().articles(
                    token=token, tag=tag, limit=PAGE_SIZE, offset=offset
                )
            self.articles, self.total, self.error = page.articles, page.total, ""
        except ApiError as exc:
            self.articles, self.total, self.error = [], 0, exc.message

    async def _popular_tags(self) -> list[str]:
        try:
            return await blog_client().tags()
        except ApiError:
            return []

    @rx.event
    async def load(self) -> AsyncIterator[None]:
        tag = self.query_arg("tag")
        self.tab, self.tag, self.page = ("tag", tag, 1) if tag else ("global", "", 1)
        self.loading = True
        yield
        # The tags and the first page at once: the page shows when both are in.
        tags, _ = await asyncio.gather(self._popular_tags(), self._fetch())
        self.tags, self.loading = tags, False

    @rx.event
    async def show(self, tab: str) -> AsyncIterator[None]:
        self.tab, self.page, self.loading = tab, 1, True
        yield
        await self._fetch()
        self.loading = False

    @rx.event
    async def pick_tag(self, tag: str) -> AsyncIterator[None]:
        self.tab, self.tag, self.page, self.loading = "tag", tag, 1, True
        yield
        await self._fetch()
        self.loading = False

    @rx.event
    async def turn(self, step: int) -> AsyncIterator[None]:
        self.page = min(max(1, self.page + step), self.pages)
        self.loading = True
        yield
        await self._fetch()
        self.loading = False
