"""Server URLs to per-service URLs, and idempotent database creation.

`DATABASE_URL` and `REDIS_URL` given to devstack name a *server*; each service gets its own
database (`auth`, `blog`) or Redis db number on it, so the URL path is replaced.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

# Database names we create are plain identifiers; anything else is a typo worth an error.
_DATABASE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def with_database(server_url: str, database: str) -> str:
    """`server_url` with its path replaced by `/database` (user, host, port, query kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def with_redis_db(server_url: str, db: int) -> str:
    """`server_url` with its path replaced by `/db`."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{db}"))


def display_url(url: str) -> str:
    """The URL without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


def libpq_url(url: str) -> str:
    """`url` as libpq accepts it: SQLAlchemy's `postgresql+psycopg://` becomes `postgresql://`."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def ensure_database(server_url: str, name: str) -> None:
    """Create database `name` on the server `server_url` connects to, unless it exists."""
    if not _DATABASE_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    with psycopg.connect(libpq_url(server_url), autocommit=True, connect_timeout=10) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is not None:
            return
        # Created concurrently by someone else is what we wanted anyway.
        with contextlib.suppress(errors.DuplicateDatabase):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
