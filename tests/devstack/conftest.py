"""Fixtures for the devstack tests: real embedded servers that tests may share (never freeze)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.embedded import EmbeddedPostgres, EmbeddedRedis


@pytest.fixture(scope="session")
def devstack_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """A running PostgreSQL that tests use as an 'external' DATABASE_URL server."""
    with EmbeddedPostgres(tmp_path_factory.mktemp("shared-pg") / "data") as server:
        yield server


@pytest.fixture(scope="session")
def devstack_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """A running Redis that tests use as an 'external' REDIS_URL server."""
    with EmbeddedRedis(tmp_path_factory.mktemp("shared-redis")) as server:
        yield server
