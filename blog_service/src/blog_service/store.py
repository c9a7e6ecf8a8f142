"""Queries on articles, tags and favorites. Helpers only ``flush()``; the request commits.

Reads are single statements returning plain rows (no ORM objects): a page of articles,
its total, each article's tags and the viewer's favorites come back in one round trip,
whatever the page size. Writes load the ORM ``Article`` (``article_by_slug``).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Label,
    Row,
    Select,
    bindparam,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, defer
from sqlmodel import col

from blog_service.models import Article, ArticleTag, Favorite, Tag, utcnow
from blog_service.rendering import render_markdown
from service_kit.db import planned_for_each_value

SLUG_MAX = 120

# A row of plain columns from the read queries below (attribute access by column name).
ArticleRow: TypeAlias = Row[*tuple[Any, ...]]


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:SLUG_MAX].strip("-")
    return slug or "article"


@dataclass(frozen=True)
class ArticleQuery:
    """Which articles a list shows. ``author_ids`` None means any author. A search ranks
    and counts only the newest ``search_window`` matches (ADR 0015; the setting
    ``BLOG_SEARCH_WINDOW`` gives it), or every match when it is None."""

    status: str = "published"
    tag: str | None = None
    author_ids: Sequence[int] | None = None
    favorited_by: int | None = None
    search: str | None = None
    limit: int = 20
    offset: int = 0
    search_window: int | None = None


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    found = await session.execute(select(col(Article.id)).where(col(Article.slug) == slug))
    return found.first() is not None


async def unique_slug(session: AsyncSession, title: str) -> str:
    base = slugify(title)
    # "feed" is taken by the route /api/articles/feed: that article could never be read.
    if base != "feed" and not await slug_taken(session, base):
        return base
    # Same title as an existing article: a short random suffix keeps both addressable.
    return f"{base}-{secrets.token_hex(3)}"


async def insert_article(session: AsyncSession, article: Article, tags: Sequence[str]) -> Article:
    for _ in range(3):  # a concurrent writer may take the slug between check and insert
        try:
            async with session.begin_nested():
                session.add(article)
                await session.flush()
            break
        except IntegrityError:
            article.slug = f"{slugify(article.title)}-{secrets.token_hex(3)}"
    await set_tags(session, article, tags, replacing=False)
    return article


def new_article(
    *, author_id: int, author_username: str, slug: str, title: str, description: str,
    body: str, status: str,
) -> Article:  # fmt: skip
    now = utcnow()
    return Article(
        slug=slug,
        title=title,
        description=description,
        body=body,
        body_html=render_markdown(body),
        author_id=author_id,
        author_username=author_username,
        status=status,
        created_at=now,
        updated_at=now,
        published_at=now if status == "published" else None,
    )


async def set_tags(
    session: AsyncSession, article: Article, names: Sequence[str], *, replacing: bool = True
) -> None:
    """Set the article's tags, keeping the order given (first occurrence wins).

    ``replacing=False`` for a new article, which has no tags to remove yet."""
    assert article.id is not None
    ordered = list(dict.fromkeys(names))
    if replacing:
        await session.execute(delete(ArticleTag).where(col(ArticleTag.article_id) == article.id))
    article.tag_text = " ".join(ordered)
    if not ordered:
        await session.flush()
        return
    await session.execute(
        insert(Tag).values([{"name": name} for name in ordered]).on_conflict_do_nothing()
    )
    rows = await session.execute(
        select(col(Tag.name), col(Tag.id)).where(col(Tag.name).in_(ordered))
    )
    ids = dict(rows.all())
    await session.execute(
        insert(ArticleTag).values(
            [{"article_id": article.id, "tag_id": ids[name], "position": n}
             for n, name in enumerate(ordered)]
        )
    )  # fmt: skip
    await session.flush()


def _attribute(name: str) -> InstrumentedAttribute[Any]:
    attribute: InstrumentedAttribute[Any] = getattr(Article, name)
    return attribute


# The search vector is only ever used inside SQL; loading it would double each row's size.
WITHOUT_SEARCH = defer(_attribute("search"))


async def article_by_slug(session: AsyncSession, slug: str) -> Article | None:
    result = await session.execute(
        select(Article).options(WITHOUT_SEARCH).where(col(Article.slug) == slug)
    )
    return result.scalar_one_or_none()


def _conditions(query: ArticleQuery) -> list[ColumnElement[bool]]:
    conditions = [col(Article.status) == query.status]
    if query.author_ids is not None:
        conditions.append(col(Article.author_id).in_(list(query.author_ids)))
    if query.tag is not None:
        tagged = (
            select(col(ArticleTag.article_id))
            .join(Tag, col(Tag.id) == col(ArticleTag.tag_id))
            .where(col(Tag.name) == query.tag)
        )
        conditions.append(col(Article.id).in_(tagged))
    if query.favorited_by is not None:
        favorites = select(col(Favorite.article_id)).where(
            col(Favorite.user_id) == query.favorited_by
        )
        conditions.append(col(Article.id).in_(favorites))
    if query.search is not None:
        conditions.append(
            col(Article.search).op("@@")(func.websearch_to_tsquery("english", query.search))
        )
    return conditions


SUMMARY_COLUMNS: tuple[InstrumentedAttribute[Any], ...] = tuple(
    _attribute(name)
    for name in (
        "id", "slug", "title", "description", "created_at", "updated_at", "favorites_count",
        "author_id", "author_username", "status", "published_at", "version",
    )
)  # fmt: skip
DETAIL_COLUMNS = (*SUMMARY_COLUMNS, _attribute("body"), _attribute("body_html"))


def _tag_list() -> Label[Any]:
    """The article's tag names in their stored order, as one array column (NULL: none)."""
    names = (
        select(func.array_agg(aggregate_order_by(col(Tag.name), col(ArticleTag.position))))
        .join(ArticleTag, col(ArticleTag.tag_id) == col(Tag.id))
        .where(col(ArticleTag.article_id) == col(Article.id))
        .scalar_subquery()
    )
    return names.label("tag_list")


def _favorited(viewer_id: int | BindParameter[int] | None) -> Label[bool]:
    if viewer_id is None:
        return literal(False).label("favorited")
    mine = select(col(Favorite.article_id)).where(
        col(Favorite.article_id) == col(Article.id), col(Favorite.user_id) == viewer_id
    )
    return mine.exists().label("favorited")


def _reading(viewer: BindParameter[int] | None) -> Select[*tuple[Any, ...]]:
    return select(*DETAIL_COLUMNS, _tag_list(), _favorited(viewer)).where(
        col(Article.slug) == bindparam("slug")
    )


# Built once: a single-article read is the hottest query, and building the statement and
# its cache key cost about as much CPU as running it.
_READ_ANONYMOUS = _reading(None)
_READ_AS_VIEWER = _reading(bindparam("viewer_id"))


async def list_page(
    session: AsyncSession,
    query: ArticleQuery,
    *,
    viewer_id: int | None = None,
    with_body: bool = False,
) -> tuple[list[ArticleRow], int]:
    """One page of articles, each with its tags and whether the viewer favorited it, and
    the total: one statement, whatever the page size."""
    conditions = _conditions(query)
    columns = DETAIL_COLUMNS if with_body else SUMMARY_COLUMNS
    extras = (_tag_list(), _favorited(viewer_id))
    if query.search is None:
        statement = _newest_first(conditions, columns, extras, query)
        matching = select(col(Article.id)).where(*conditions)
        return await _page_and_total(session, statement, matching, query)
    statement = _best_match_first(conditions, columns, extras, query, query.search)
    window = select(col(Article.id)).where(*conditions).limit(query.search_window)
    # A common word is best read newest first, a rare one from the GIN index: a single
    # generic plan took 15-30 ms for a common word, its own plan 2 (ADR 0015).
    async with planned_for_each_value(session):
        return await _page_and_total(session, statement, window, query)


async def _page_and_total(
    session: AsyncSession,
    statement: Select[*tuple[Any, ...]],
    counted_ids: Select[*tuple[Any, ...]],
    query: ArticleQuery,
) -> tuple[list[ArticleRow], int]:
    rows = list((await session.execute(statement)).all())
    if rows:
        return rows, int(rows[0].total)
    if query.offset == 0:
        return rows, 0
    # Past the end: the page is empty but the total is still asked for.
    counted = await session.scalar(select(func.count()).select_from(counted_ids.subquery()))
    return rows, int(counted or 0)


def _newest_first(
    conditions: list[ColumnElement[bool]],
    columns: Sequence[Any],
    extras: Sequence[Label[Any]],
    query: ArticleQuery,
) -> Select[*tuple[Any, ...]]:
    # Not correlated with the outer query: PostgreSQL counts once, as an InitPlan.
    total = (
        select(func.count()).select_from(Article).where(*conditions).correlate(None)
    ).scalar_subquery()
    return (
        select(*columns, *extras, total.label("total"))
        .where(*conditions)
        .order_by(col(Article.created_at).desc(), col(Article.id).desc())
        .limit(query.limit)
        .offset(query.offset)
    )


def _best_match_first(
    conditions: list[ColumnElement[bool]],
    columns: Sequence[Any],
    extras: Sequence[Label[Any]],
    query: ArticleQuery,
    text: str,
) -> Select[*tuple[Any, ...]]:
    """Ranked search among the newest ``search_window`` matches, newest first among equal
    ranks. The window bounds the work: a common word matches most articles, and ranking
    and counting all 10,000 took 18 ms against 3 for the newest 1,000 (ADR 0015). The
    matches are found once, for both the page and the total."""
    ranked = func.ts_rank(col(Article.search), func.websearch_to_tsquery("english", text))
    matches = (
        select(
            col(Article.id).label("id"),
            col(Article.created_at).label("created_at"),
            ranked.label("rank"),
        )
        .where(*conditions)
        .order_by(col(Article.created_at).desc(), col(Article.id).desc())
        .limit(query.search_window)
        .cte("matches")
        .prefix_with("MATERIALIZED")
    )
    order = (matches.c.rank.desc(), matches.c.created_at.desc(), matches.c.id.desc())
    page = select(matches).order_by(*order).limit(query.limit).offset(query.offset)
    page_rows = page.subquery("page")
    total = select(func.count()).select_from(matches).scalar_subquery()
    return (
        select(*columns, *extras, total.label("total"))
        .select_from(page_rows)
        .join(Article, col(Article.id) == page_rows.c.id)
        .order_by(page_rows.c.rank.desc(), page_rows.c.created_at.desc(), page_rows.c.id.desc())
    )


async def article_for_reading(
    session: AsyncSession, slug: str, viewer_id: int | None
) -> ArticleRow | None:
    """The article with its tags and the viewer's favorite, in one statement."""
    if viewer_id is None:
        result = await session.execute(_READ_ANONYMOUS, {"slug": slug})
    else:
        result = await session.execute(_READ_AS_VIEWER, {"slug": slug, "viewer_id": viewer_id})
    return result.first()


async def tags_of(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = defaultdict(list)
    if not article_ids:
        return tags
    rows = await session.execute(
        select(col(ArticleTag.article_id), col(Tag.name))
        .join(Tag, col(Tag.id) == col(ArticleTag.tag_id))
        .where(col(ArticleTag.article_id).in_(list(article_ids)))
        .order_by(col(ArticleTag.article_id), col(ArticleTag.position))
    )
    for article_id, name in rows.all():
        tags[article_id].append(name)
    return tags


async def favorited_among(
    session: AsyncSession, user_id: int | None, article_ids: Sequence[int]
) -> set[int]:
    if user_id is None or not article_ids:
        return set()
    rows = await session.execute(
        select(col(Favorite.article_id)).where(
            col(Favorite.user_id) == user_id, col(Favorite.article_id).in_(list(article_ids))
        )
    )
    return set(rows.scalars())


async def set_favorite(session: AsyncSession, article: Article, user_id: int, on: bool) -> None:
    """Favorite or unfavorite; the counter moves only when the row really changes."""
    assert article.id is not None
    if on:
        change = await session.execute(
            insert(Favorite)
            .values(article_id=article.id, user_id=user_id)
            .on_conflict_do_nothing()
            .returning(col(Favorite.article_id))
        )
        delta = 1 if change.first() else 0
    else:
        change = await session.execute(
            delete(Favorite)
            .where(col(Favorite.article_id) == article.id, col(Favorite.user_id) == user_id)
            .returning(col(Favorite.article_id))
        )
        delta = -1 if change.first() else 0
    if delta:
        counted = await session.execute(
            update(Article)
            .where(col(Article.id) == article.id)
            .values(favorites_count=col(Article.favorites_count) + delta)
            .returning(col(Article.favorites_count))
        )
        article.favorites_count = counted.scalar_one()


async def popular_tags(session: AsyncSession, limit: int = 50) -> list[str]:
    rows = await session.execute(
        select(col(Tag.name))
        .join(ArticleTag, col(ArticleTag.tag_id) == col(Tag.id))
        .join(Article, col(Article.id) == col(ArticleTag.article_id))
        .where(col(Article.status) == "published")
        .group_by(col(Tag.name))
        .order_by(func.count().desc(), col(Tag.name))
        .limit(limit)
    )
    return list(rows.scalars())
