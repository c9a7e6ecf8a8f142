"""blog_service's migrations build exactly the schema its models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from blog_service.cli import main as cli_main
from blog_service.models import blog_registry
from service_kit.db import async_url


def test_migrations_match_the_models(blog_database_url: str) -> None:
    engine = create_engine(async_url(blog_database_url))
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection), blog_registry.metadata
        )
    engine.dispose()
    assert differences == []


def test_migrate_command_is_idempotent(
    blog_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", blog_database_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert cli_main(["migrate"]) == 0
    assert "latest migration" in capsys.readouterr().out


def test_articles_table_is_vacuumed_often_enough_for_index_only_counts(
    blog_database_url: str,
) -> None:
    engine = create_engine(async_url(blog_database_url))
    with engine.connect() as connection:
        options = connection.exec_driver_sql(
            "SELECT reloptions FROM pg_class WHERE relname = 'articles'"
        ).scalar_one()
    engine.dispose()
    settings = dict(option.split("=", 1) for option in options)
    assert settings["fillfactor"] == "90"
    assert float(settings["autovacuum_vacuum_scale_factor"]) <= 0.01
    assert float(settings["autovacuum_analyze_scale_factor"]) <= 0.02


def test_search_vectors_stay_in_the_row(blog_database_url: str) -> None:
    """Out of line, every match and rank of a common word is a TOAST lookup (migration 0003)."""
    engine = create_engine(async_url(blog_database_url))
    with engine.connect() as connection:
        storage = connection.exec_driver_sql(
            "SELECT attstorage FROM pg_attribute"
            " WHERE attrelid = 'articles'::regclass AND attname = 'search'"
        ).scalar_one()
    engine.dispose()
    assert storage == "m"  # MAIN: compressed in the row; out of line only as a last resort
