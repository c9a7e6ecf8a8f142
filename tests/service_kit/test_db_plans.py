"""planned_for_each_value: statements inside it are never prepared on the server."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from service_kit.db import async_url, planned_for_each_value

# psycopg prepares a statement on its 5th run on a connection (prepare_threshold).
RUNS = 8
QUERY = text("SELECT count(*) FROM pg_class WHERE relpages >= :pages")


async def prepared_count(session: AsyncSession) -> int:
    found = await session.execute(
        text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :shape"),
        {"shape": "%FROM pg_class WHERE relpages >=%"},
    )
    return int(found.scalar_one())


async def test_statements_inside_are_planned_per_run_and_outside_prepared_again(
    postgres_server_url: str,
) -> None:
    engine = create_async_engine(async_url(postgres_server_url))
    try:
        async with AsyncSession(engine) as session:  # one transaction: one connection
            async with planned_for_each_value(session):
                for pages in range(RUNS):
                    await session.execute(QUERY, {"pages": pages})
            assert await prepared_count(session) == 0
            # The connection's own setting is back: the same statement gets prepared.
            for pages in range(RUNS):
                await session.execute(QUERY, {"pages": pages})
            assert await prepared_count(session) == 1
    finally:
        await engine.dispose()
