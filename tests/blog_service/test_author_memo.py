"""The per-worker author memo: recent authors without a Redis round trip, for a few seconds."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from redis.asyncio import Redis

from blog_service.authors import Author, AuthorDirectory, AuthorMemo, Directory

AUTHOR_ID = 4242
PROFILE = {"id": AUTHOR_ID, "username": "memo-writer", "bio": "bio", "image": None}


@pytest.fixture
async def redis(redis_server_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server_url, decode_responses=True)
    yield client
    await client.delete(AuthorDirectory.author_key(AUTHOR_ID))
    await client.aclose()


@pytest.fixture
async def directory_with(redis: Redis) -> AsyncIterator[Callable[[float], AuthorDirectory]]:
    """Directories whose auth_service is a closed port: whatever they know comes from
    the memo or from Redis, and asking auth_service marks the answer unavailable."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        closed_url = f"http://127.0.0.1:{held.getsockname()[1]}"
        async with httpx.AsyncClient() as http:
            yield lambda memo_seconds: AuthorDirectory(
                http, closed_url, redis, 0.5, 60, 30, memo_seconds
            )


async def test_a_recent_author_is_served_from_memory_when_redis_has_forgotten_it(
    redis: Redis, directory_with: Callable[[float], AuthorDirectory]
) -> None:
    directory = directory_with(60)
    await redis.set(AuthorDirectory.author_key(AUTHOR_ID), json.dumps(PROFILE))
    first = await directory.lookup([AUTHOR_ID])
    assert first.authors[AUTHOR_ID].username == "memo-writer"

    await redis.delete(AuthorDirectory.author_key(AUTHOR_ID))
    again = await directory.lookup([AUTHOR_ID])
    assert again.authors[AUTHOR_ID] == Author(AUTHOR_ID, "memo-writer", "bio", None)
    assert not again.unavailable  # auth_service was not needed


async def test_the_memo_forgets_after_its_time_and_can_be_turned_off(
    redis: Redis, directory_with: Callable[[float], AuthorDirectory]
) -> None:
    for directory, wait in ((directory_with(0.05), 0.1), (directory_with(0), 0.0)):
        await redis.set(AuthorDirectory.author_key(AUTHOR_ID), json.dumps(PROFILE))
        assert AUTHOR_ID in (await directory.lookup([AUTHOR_ID])).authors
        await redis.delete(AuthorDirectory.author_key(AUTHOR_ID))
        await asyncio.sleep(wait)
        later = await directory.lookup([AUTHOR_ID])
        assert AUTHOR_ID not in later.authors
        assert later.unavailable  # it had to ask auth_service, which is down


def test_the_memo_keeps_the_most_recent_authors_up_to_its_size() -> None:
    memo = AuthorMemo(ttl_seconds=60, max_entries=2)
    memo.keep([Author(1, "one"), Author(2, "two")])
    memo.keep([Author(1, "one"), Author(3, "three")])  # 1 used again, so 2 is the oldest
    found = Directory()
    memo.fill(found, [1, 2, 3])
    assert sorted(found.authors) == [1, 3]
    memo.forget()
    emptied = Directory()
    memo.fill(emptied, [1, 3])
    assert emptied.authors == {}


async def test_ids_may_come_as_any_iterable(
    redis: Redis, directory_with: Callable[[float], AuthorDirectory]
) -> None:
    await redis.set(AuthorDirectory.author_key(AUTHOR_ID), json.dumps(PROFILE))
    found = await directory_with(60).lookup(i for i in [AUTHOR_ID])
    assert found.authors[AUTHOR_ID].username == "memo-writer"
