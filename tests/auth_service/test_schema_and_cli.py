"""Migrations match the models; the operator CLI promotes users; signing keys load safely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from auth_service.cli import main as cli_main
from auth_service.config import AuthSettings
from auth_service.keys import SigningKeyError, generate_key_file, load_key_set
from auth_service.models import auth_registry
from service_kit.db import async_url


def test_migrations_match_the_models(auth_database_url: str) -> None:
    engine = create_engine(async_url(auth_database_url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, auth_registry.metadata)
    engine.dispose()
    assert differences == []


async def test_promote_makes_new_tokens_carry_the_admin_role(
    client: httpx.AsyncClient,
    register: Any,
    auth_settings: AuthSettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = await register()
    monkeypatch.setenv("DATABASE_URL", auth_settings.database_url)
    monkeypatch.setenv("REDIS_URL", auth_settings.redis_url)
    import asyncio

    assert await asyncio.to_thread(cli_main, ["promote", user["email"]]) == 0
    assert "is now admin" in capsys.readouterr().out
    login = await client.post(
        "/api/users/login", json={"user": {"email": user["email"], "password": user["password"]}}
    )
    assert login.json()["user"]["role"] == "admin"
    assert await asyncio.to_thread(cli_main, ["demote", user["email"]]) == 0
    assert await asyncio.to_thread(cli_main, ["promote", "nobody@example.org"]) == 1
    assert "no user" in capsys.readouterr().err


def test_migrate_command_is_idempotent(
    auth_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", auth_database_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert cli_main(["migrate"]) == 0
    assert "latest migration" in capsys.readouterr().out


def test_key_set_publishes_all_keys_and_signs_with_the_active_one(tmp_path: Path) -> None:
    generate_key_file(tmp_path, "old")
    generate_key_file(tmp_path, "new")
    keys = load_key_set(tmp_path, "new")
    assert keys.active.kid == "new"
    assert sorted(k["kid"] for k in keys.jwks()["keys"]) == ["new", "old"]
    assert (tmp_path / "new.pem").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("files", "active", "message"),
    [
        ([], None, r"no \*\.pem"),
        (["a", "b"], None, "several keys"),
        (["a"], "b", "has no b.pem"),
    ],
)
def test_key_set_refuses_ambiguous_or_missing_keys(
    tmp_path: Path, files: list[str], active: str | None, message: str
) -> None:
    for kid in files:
        generate_key_file(tmp_path, kid)
    with pytest.raises(SigningKeyError, match=message):
        load_key_set(tmp_path, active)


def test_key_loading_refuses_non_p256_and_garbage(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(SigningKeyError, match="not an unencrypted PEM"):
        load_key_set(tmp_path, "junk")
    (tmp_path / "junk.pem").unlink()
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (tmp_path / "big.pem").write_bytes(p384)
    with pytest.raises(SigningKeyError, match="not a P-256"):
        load_key_set(tmp_path, "big")


def test_production_refuses_to_start_without_signing_keys(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no signing key"):
        AuthSettings.model_validate(
            {"environment": "production", "database_url": "postgresql://x/y", "redis_url": "redis://x",
             "jwt_keys_dir": tmp_path}
        )  # fmt: skip
