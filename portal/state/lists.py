"""Lists of articles other than the home page: a profile, search results, my drafts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import reflex as rx

from portal.clients import ApiError, Article, ArticlePage, AuthClient, Profile
from portal.state.session import SessionState, auth_client, blog_client

LIMIT = 20


class ProfileState(SessionState):
    profile: rx.Field[Profile] = rx.field(default_factory=Profile)
    tab: rx.Field[str] = rx.field("articles")
    articles: rx.Field[list[Article]] = rx.field(default_factory=list)
    found: rx.Field[bool] = rx.field(False)
    loading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.var
    def own(self) -> bool:
        return self.found and self.profile.username == self.username

    async def _fetch(self) -> None:
        session = await self.get_state(SessionState)
        token = await session.optional_token()
        name = self.profile.username
        try:
            if self.tab == "favorites":
                page = await blog_client().articles(token=token, favorited=name, limit=LIMIT)
            else:
                page = await blog_client().articles(token=token, author=name, limit=LIMIT)
            self.articles = page.articles
        except ApiError as exc:
            self.articles, self.error = [], exc.message

    @rx.event
    async def load(self) -> AsyncIterator[None]:
        name = self.path_arg("/profile/")
        self.loading, self.error, self.tab = True, "", "articles"
        if self.profile.username != name:
            self.profile, self.articles, self.found = Profile(username=name), [], False
        yield
        session = await self.get_state(SessionState)
        token = await session.optional_token()
        try:
            self.profile = await auth_client().profile(name, token)
            self.found = True
        except ApiError as exc:
            self.found, self.error, self.loading = False, exc.message, False
            return
        await self._fetch()
        self.loading = False

    @rx.event
    async def show(self, tab: str) -> AsyncIterator[None]:
        self.tab, self.loading = tab, True
        yield
        await self._fetch()
        self.loading = False

    @rx.event
    async def toggle_follow(self) -> Any:
        session = await self.get_state(SessionState)
        if not session.signed_in:
            return rx.redirect("/login")
        name, wanted = self.profile.username, not self.profile.following
        client: AuthClient = auth_client()
        try:
            self.profile = await session.call(
                lambda token: client.follow(name, token, follow=wanted)
            )
        except ApiError as exc:
            self.error = exc.message
        return None


class SearchState(SessionState):
    query: rx.Field[str] = rx.field("")
    searched: rx.Field[str] = rx.field("")
    articles: rx.Field[list[Article]] = rx.field(default_factory=list)
    total: rx.Field[int] = rx.field(0)
    loading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> AsyncIterator[None]:
        self.query = self.query_arg("q")
        async for _ in self._search():
            yield

    async def _search(self) -> AsyncIterator[None]:
        self.searched, self.error = self.query, ""
        if not self.query:
            self.articles, self.total = [], 0
            return
        self.loading = True
        yield
        session = await self.get_state(SessionState)
        token = await session.optional_token()
        try:
            page: ArticlePage = await blog_client().articles(token=token, q=self.query, limit=LIMIT)
            self.articles, self.total = page.articles, page.total
        except ApiError as exc:
            self.articles, self.total, self.error = [], 0, exc.message
        self.loading = False

    @rx.event
    async def submit(self, form: dict[str, Any]) -> AsyncIterator[None]:
        self.query = str(form.get("q") or "").strip()
        async for _ in self._search():
            yield


class DraftsState(SessionState):
    articles: rx.Field[list[Article]] = rx.field(default_factory=list)
    loading: rx.Field[bool] = rx.field(False)
    error: rx.Field[str] = rx.field("")

    @rx.event
    async def load(self) -> AsyncIterator[Any]:
        self.loading, self.error = True, ""
        yield
        session = await self.get_state(SessionState)
        if not session.signed_in:
            self.loading = False
            yield rx.redirect("/login")
            return
        try:
            page = await session.call(
                lambda token: blog_client().articles(token=token, status="draft", limit=100)
            )
            self.articles = page.articles
        except ApiError as exc:
            self.articles, self.error = [], exc.message
        self.loading = False
