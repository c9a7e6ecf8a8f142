"""Tables of blog_service (articles, tags, favorites, comments, moderation log)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Computed,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from service_kit.db import naming_metadata

blog_registry = registry(metadata=naming_metadata())

# In search, the title weighs most, then the tags, the description and the body.
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(tag_text, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(description, '')), 'C') || "
    "setweight(to_tsvector('english', coalesce(body, '')), 'D')"
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def timestamp_column(nullable: bool = False) -> Column[datetime]:
    default = None if nullable else func.now()
    return Column(DateTime(timezone=True), nullable=nullable, server_default=default)


class BlogTable(SQLModel, registry=blog_registry):
    pass


class Article(BlogTable, table=True):
    __tablename__ = "articles"
    __table_args__ = (
        Index("uq_articles_slug", "slug", unique=True),
        Index("ix_articles_status_created", "status", "created_at", "id"),
        Index("ix_articles_author_created", "author_id", "created_at", "id"),
        Index("ix_articles_search", "search", postgresql_using="gin"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    slug: str = Field(sa_column=Column(String(160), nullable=False))
    title: str = Field(sa_column=Column(String(200), nullable=False))
    description: str = Field(sa_column=Column(String(500), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    tag_text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    # A copy of the author's username, shown when auth_service cannot be reached.
    author_username: str = Field(sa_column=Column(String(40), nullable=False))
    status: str = Field(default="published", sa_column=Column(String(16), nullable=False))
    favorites_count: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    version: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    published_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    search: str | None = Field(
        default=None,
        sa_column=Column(TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True)),
    )


class Tag(BlogTable, table=True):
    __tablename__ = "tags"
    __table_args__ = (Index("uq_tags_name", "name", unique=True),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    name: str = Field(sa_column=Column(String(40), nullable=False))


class ArticleTag(BlogTable, table=True):
    __tablename__ = "article_tags"
    __table_args__ = (Index("ix_article_tags_tag_id", "tag_id"),)

    article_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
        )
    )
    tag_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))


class Favorite(BlogTable, table=True):
    __tablename__ = "favorites"
    __table_args__ = (Index("ix_favorites_user_id", "user_id", "article_id"),)

    article_id: int = Field(
        sa_column=Column(
            BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
        )
    )
    user_id: int = Field(sa_column=Column(BigInteger, primary_key=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class Comment(BlogTable, table=True):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_article_id", "article_id", "created_at"),)

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    article_id: int = Field(
        sa_column=Column(BigInteger, ForeignKey("articles.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    author_username: str = Field(sa_column=Column(String(40), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())


class ModerationEntry(BlogTable, table=True):
    """Every removal an admin makes of someone else's content, for the record."""

    __tablename__ = "moderation_log"

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    actor_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    action: str = Field(sa_column=Column(String(40), nullable=False))
    target_type: str = Field(sa_column=Column(String(20), nullable=False))
    target_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    owner_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=timestamp_column())
