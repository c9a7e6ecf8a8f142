"""Seeding through blog_service's own code in this process: `blog_service.store`, no HTTP.

Over HTTP one blog_service worker creates about 40-60 articles a second on two cores, so
10,000 would take minutes; here the same functions the routes call (`ArticleCreate`
validation, `store.unique_slug`, `store.new_article`, `store.insert_article`,
`store.set_favorite`) run in batches, one session and one commit per batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from blog_service import store
from blog_service.config import BlogSettings
from blog_service.schemas import ArticleCreate
from service_kit.db import create_engine, session_factory

T = TypeVar("T")
Batch = Callable[[AsyncSession, list[T]], Awaitable[None]]


class InProcessSeeder:
    """blog_service's store functions on an engine made exactly as the service makes it."""

    def __init__(self, database_url: str, redis_url: str) -> None:
        settings = BlogSettings(database_url=database_url, redis_url=redis_url)
        self.engine = create_engine(settings)
        self.sessions: async_sessionmaker[AsyncSession] = session_factory(self.engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def in_batches(
        self,
        items: Sequence[T],
        work: Batch[T],
        on_item: Callable[[], None],
        size: int = 100,
        parallel: int = 1,
    ) -> None:
        """Run `work` on consecutive batches, `parallel` sessions at a time, each committed.

        One at a time by default: two sessions inserting the same slug would wait on each
        other's uncommitted row, and the service's 1 s lock_timeout would end the wait.
        """
        batches: asyncio.Queue[list[T]] = asyncio.Queue()
        for start in range(0, len(items), size):
            batches.put_nowait(list(items[start : start + size]))

        async def worker() -> None:
            while not batches.empty():
                batch = batches.get_nowait()
                async with self.sessions() as session:
                    await work(session, batch)
                    await session.commit()
                for _ in batch:
                    on_item()

        await asyncio.gather(*(worker() for _ in range(parallel)))

    async def create_articles(
        self,
        drafts: Sequence[tuple[int, str, dict[str, object]]],
        on_item: Callable[[], None],
    ) -> list[str]:
        """Create (author id, author username, article fields) as POST /api/articles does."""
        slugs: list[str] = []

        async def batch(
            session: AsyncSession, items: list[tuple[int, str, dict[str, object]]]
        ) -> None:
            for author_id, username, fields in items:
                new = ArticleCreate.model_validate(fields)
                article = store.new_article(
                    author_id=author_id,
                    author_username=username,
                    slug=await store.unique_slug(session, new.title),
                    title=new.title,
                    description=new.description,
                    body=new.body,
                    status=new.status,
                )
                await store.insert_article(session, article, new.tagList)
                slugs.append(article.slug)

        await self.in_batches(drafts, batch, on_item)
        return slugs

    async def favorite(self, pairs: Sequence[tuple[int, str]], on_item: Callable[[], None]) -> None:
        """(user id, slug) favorites as POST /api/articles/{slug}/favorite records them.

        Sorted by slug, so concurrent batches lock article rows in one order (no deadlock).
        """

        async def batch(session: AsyncSession, items: list[tuple[int, str]]) -> None:
            for user_id, slug in items:
                article = await store.article_by_slug(session, slug)
                if article is None:
                    raise LookupError(f"seeded article {slug!r} is gone")
                await store.set_favorite(session, article, user_id, on=True)

        await self.in_batches(sorted(pairs, key=lambda p: (p[1], p[0])), batch, on_item)
