"""Where the tests' PostgreSQL and Redis come from.

``TEST_DATABASE_URL`` / ``TEST_REDIS_URL`` name running servers (CI uses the machine's
own); without them the harness starts throwaway embedded servers from the ``devstack``
package and stops them at the end. Never SQLite, never fakeredis.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from psycopg import sql


def with_database(server_url: str, database: str) -> str:
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def admin_url(server_url: str) -> str:
    return with_database(server_url, "postgres")


def create_database(server_url: str, prefix: str) -> str:
    """Create an empty database with a unique name; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url(server_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return with_database(server_url, name)


def drop_database(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(admin_url(database_url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@contextmanager
def postgres_server(work_dir: Path) -> Iterator[str]:
    """A server URL: ``TEST_DATABASE_URL``, or an embedded server for this run."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    from devstack.embedded import EmbeddedPostgres

    with EmbeddedPostgres(work_dir) as server:
        yield server.url()


@contextmanager
def redis_server(work_dir: Path) -> Iterator[str]:
    """A Redis URL: ``TEST_REDIS_URL``, or an embedded server for this run."""
    configured = os.environ.get("TEST_REDIS_URL")
    if configured:
        yield configured
        return
    from devstack.embedded import EmbeddedRedis

    with EmbeddedRedis(work_dir) as server:
        yield server.url()


def write_signing_key(directory: Path, kid: str) -> Path:
    """A fresh P-256 key as ``<kid>.pem``: test keys are made at run time, never committed."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{kid}.pem"
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    return path
