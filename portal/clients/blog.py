"""blog_service: articles, drafts, search, comments, favorites and tags."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from portal.clients.base import BaseClient
from portal.clients.models import Article, ArticlePage, Comment

__all__ = ["BlogClient"]


def _slug(slug: str) -> str:
    return quote(slug, safe="")


class BlogClient(BaseClient):
    async def articles(
        self,
        *,
        token: str | None = None,
        tag: str = "",
        author: str = "",
        favorited: str = "",
        q: str = "",
        status: str = "published",
        limit: int = 20,
        offset: int = 0,
    ) -> ArticlePage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        for name, value in (("tag", tag), ("author", author), ("favorited", favorited), ("q", q)):
            if value:
                params[name] = value
        if status != "published":
            params["status"] = status
        return ArticlePage.parse(
            await self.json("GET", "/api/articles", token=token, params=params)
        )

    async def feed(self, token: str, *, limit: int = 20, offset: int = 0) -> ArticlePage:
        params: dict[str, str | int] = {"limit": limit, "offset": offset}
        return ArticlePage.parse(
            await self.json("GET", "/api/articles/feed", token=token, params=params)
        )

    async def article(self, slug: str, token: str | None = None) -> Article:
        response = await self.request("GET", f"/api/articles/{_slug(slug)}", token=token)
        return Article.parse(response.json()["article"], response.headers.get("etag", ""))

    async def create(self, token: str, fields: dict[str, Any]) -> Article:
        body = await self.json("POST", "/api/articles", token=token, json={"article": fields})
        return Article.parse(body["article"])

    async def update(
        self, token: str, slug: str, fields: dict[str, Any], *, etag: str = ""
    ) -> Article:
        headers = {"If-Match": etag} if etag else None
        path = f"/api/articles/{_slug(slug)}"
        body = await self.json("PUT", path, token=token, json={"article": fields}, headers=headers)
        return Article.parse(body["article"])

    async def delete(self, token: str, slug: str) -> None:
        await self.request("DELETE", f"/api/articles/{_slug(slug)}", token=token)

    async def favorite(self, token: str, slug: str, *, favorite: bool = True) -> Article:
        method = "POST" if favorite else "DELETE"
        body = await self.json(method, f"/api/articles/{_slug(slug)}/favorite", token=token)
        return Article.parse(body["article"])

    async def comments(self, slug: str, token: str | None = None) -> list[Comment]:
        body = await self.json("GET", f"/api/articles/{_slug(slug)}/comments", token=token)
        return [Comment.parse(item) for item in body.get("comments") or []]

    async def add_comment(self, token: str, slug: str, text: str) -> Comment:
        path = f"/api/articles/{_slug(slug)}/comments"
        body = await self.json("POST", path, token=token, json={"comment": {"body": text}})
        return Comment.parse(body["comment"])

    async def delete_comment(self, token: str, slug: str, comment_id: int) -> None:
        path = f"/api/articles/{_slug(slug)}/comments/{comment_id}"
        await self.request("DELETE", path, token=token)

    async def tags(self) -> list[str]:
        body = await self.json("GET", "/api/tags")
        return [str(tag) for tag in body.get("tags") or []]
