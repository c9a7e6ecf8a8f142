"""PostgreSQL lifecycle: one async engine per process, one session per request.

The engine is tuned to fail fast: a stopped or frozen database must turn into a 503 within
the request deadline instead of a request that hangs, and the pool must heal by itself
once the database is back (``pool_pre_ping`` replaces dead connections).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service_kit.settings import ServiceSettings

#: Constraint names the same in every service, so migrations are predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def naming_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """Point a plain ``postgresql://`` URL at the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]}")


def create_engine(settings: ServiceSettings) -> AsyncEngine:
    options = f"-c statement_timeout={settings.db_statement_timeout_ms} -c lock_timeout=1000"
    return create_async_engine(
        async_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "options": options,
            "application_name": settings.model_config.get("env_prefix", "").strip("_").lower()
            or "service",
        },
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for handlers that only read, on the same pool.

    In autocommit each statement is its own transaction: a read answered by one statement
    costs one round trip instead of three (``BEGIN``, the query, ``COMMIT``), and one
    statement sees one consistent snapshot anyway.
    """
    return session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))


@asynccontextmanager
async def planned_for_each_value(session: AsyncSession) -> AsyncIterator[None]:
    """Statements run inside are planned for the values they get, never once for all.

    psycopg prepares a statement on the server after 5 runs; PostgreSQL then may switch to
    one generic plan that assumes nothing about the values. For a statement whose best plan
    depends on them (a search word in 1 % or in 95 % of the articles) that plan can be ten
    times slower. Unprepared statements get a plan for their own values each time.
    """
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:  # only for a connection already invalidated: nothing to change
        yield
        return
    saved = driver.prepare_threshold
    driver.prepare_threshold = None  # client-side only: nothing to undo on the server
    try:
        yield
    finally:
        driver.prepare_threshold = saved


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


AFTER_COMMIT = "after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], Awaitable[None]]) -> None:
    """Run ``callback`` once the request's transaction has committed (never on rollback).

    For what must not happen before the data is visible to others, such as telling caches
    that it changed.
    """
    session.info.setdefault(AFTER_COMMIT, []).append(callback)


async def request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit once on success, roll back on any error."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        for callback in session.info.pop(AFTER_COMMIT, []):
            await callback()


async def request_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for a handler that never writes (nothing to commit: autocommit)."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.read_sessions
    async with factory() as session:
        yield session


# scope="function" makes the commit happen before the response is sent, so a 2xx always
# means the write is durable.
SessionDep = Annotated[AsyncSession, Depends(request_session, scope="function")]
# For read-only handlers; a write through it would commit statement by statement, so
# handlers that write must take SessionDep.
ReadSessionDep = Annotated[AsyncSession, Depends(request_read_session, scope="function")]
