"""Pytest plugin (entry point ``service_kit``): real PostgreSQL and Redis for every service's tests.

Fixtures:
- ``postgres_server_url`` / ``redis_server_url`` (session): the servers for the whole run.
- ``disposable_postgres`` / ``disposable_redis``: a private embedded server that a test may
  stop, start or freeze (chaos tests), whatever the environment says.
- ``signing_keys_dir`` (session): a directory holding one freshly generated ES256 key.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from service_kit.testing.servers import postgres_server, redis_server, write_signing_key

if TYPE_CHECKING:
    from devstack.embedded import EmbeddedPostgres, EmbeddedRedis


@pytest.fixture(scope="session")
def postgres_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="session")
def signing_keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    write_signing_key(directory, "test-key-1")
    return directory


@pytest.fixture
def disposable_postgres(tmp_path: Path) -> Iterator[EmbeddedPostgres]:
    from devstack.embedded import EmbeddedPostgres

    # A generous start timeout: initdb on a loaded 2-core machine can take half a minute.
    with EmbeddedPostgres(tmp_path / "postgres", start_timeout=90.0) as server:
        yield server


@pytest.fixture
def disposable_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    from devstack.embedded import EmbeddedRedis

    with EmbeddedRedis(tmp_path / "redis") as server:
        yield server
