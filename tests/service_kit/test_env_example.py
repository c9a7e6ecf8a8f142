"""`.env.example` lists every setting the services read (PLATFORM.md promises it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from auth_service.config import AuthSettings
from blog_service.config import BlogSettings

ENV_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def documented_names() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        name, sep, _ = line.partition("=")
        if sep and not name.startswith("#"):
            names.add(name.strip())
    return names


def setting_names(settings: type[BaseSettings]) -> set[str]:
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if choices:  # shared settings: the first choice is the variable's own name
            names.add(str(choices[0]).upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


@pytest.mark.parametrize("settings", [AuthSettings, BlogSettings])
def test_every_setting_is_in_env_example(settings: type[BaseSettings]) -> None:
    missing = setting_names(settings) - documented_names()
    assert not missing, f"add to .env.example: {sorted(missing)}"
