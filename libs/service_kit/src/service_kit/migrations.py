"""Alembic plumbing every service shares: migrations ship inside the service package.

A service's ``migrations/env.py`` is one call to :func:`run_environment`; its CLI calls
:func:`upgrade`. The database URL comes from the caller or ``DATABASE_URL``, never a file.
"""

from __future__ import annotations

import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool

from service_kit.db import async_url


def alembic_config(package: str, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["database_url"] = database_url
    return config


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(package, database_url), revision)


def _database_url() -> str:
    url = context.config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("set DATABASE_URL to the service's database")
    return async_url(str(url))  # psycopg 3 serves sync and async alike


def run_environment(target_metadata: MetaData) -> None:
    """The body of a service's ``env.py``: offline (SQL script) or online migrations."""
    if context.is_offline_mode():
        context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
