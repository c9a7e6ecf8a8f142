"""What the portal shows, parsed from the APIs' JSON (dataclasses: Reflex state holds them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Article", "ArticlePage", "Comment", "Profile", "User"]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: Any) -> str:
    """An ISO timestamp as 'November 26, 2026' (the API's own string when it is not one)."""
    try:
        return datetime.fromisoformat(str(value)).strftime("%B %-d, %Y")
    except ValueError:
        return _text(value)


@dataclass
class Profile:
    username: str = ""
    bio: str = ""
    image: str = ""
    following: bool = False

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Profile:
        return cls(
            username=_text(data.get("username")),
            bio=_text(data.get("bio")),
            image=_text(data.get("image")),
            following=bool(data.get("following")),
        )


@dataclass
class User:
    username: str = ""
    email: str = ""
    bio: str = ""
    image: str = ""
    role: str = "user"
    token: str = ""
    refresh_token: str = ""

    @classmethod
    def parse(cls, body: dict[str, Any]) -> User:
        data = body.get("user") or {}
        return cls(
            username=_text(data.get("username")),
            email=_text(data.get("email")),
            bio=_text(data.get("bio")),
            image=_text(data.get("image")),
            role=_text(data.get("role")) or "user",
            token=_text(data.get("token")),
            refresh_token=_text(data.get("refreshToken")),
        )


@dataclass
class Article:
    slug: str = ""
    title: str = ""
    description: str = ""
    body: str = ""
    body_html: str = ""
    tags: list[str] = field(default_factory=list)
    created: str = ""
    status: str = "published"
    favorited: bool = False
    favorites_count: int = 0
    author: Profile = field(default_factory=Profile)
    etag: str = ""

    @classmethod
    def parse(cls, data: dict[str, Any], etag: str = "") -> Article:
        return cls(
            slug=_text(data.get("slug")),
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            body=_text(data.get("body")),
            body_html=_text(data.get("bodyHtml")),
            tags=[str(tag) for tag in data.get("tagList") or []],
            created=_date(data.get("publishedAt") or data.get("createdAt")),
            status=_text(data.get("status")) or "published",
            favorited=bool(data.get("favorited")),
            favorites_count=int(data.get("favoritesCount") or 0),
            author=Profile.parse(data.get("author") or {}),
            etag=etag,
        )


@dataclass
class ArticlePage:
    articles: list[Article]
    total: int

    @classmethod
    def parse(cls, body: dict[str, Any]) -> ArticlePage:
        items = body.get("articles") or []
        return cls([Article.parse(item) for item in items], int(body.get("articlesCount") or 0))


@dataclass
class Comment:
    id: int = 0
    body: str = ""
    created: str = ""
    author: Profile = field(default_factory=Profile)

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Comment:
        return cls(
            id=int(data.get("id") or 0),
            body=_text(data.get("body")),
            created=_date(data.get("createdAt")),
            author=Profile.parse(data.get("author") or {}),
        )
