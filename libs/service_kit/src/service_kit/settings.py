"""Settings shared by every service.

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix`` (``AUTH_``,
``BLOG_``); the names the whole platform agrees on (``DATABASE_URL``, ``REDIS_URL``,
``LOG_LEVEL``, ``ENVIRONMENT``) are read without a prefix.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]

#: The audience every platform token is issued for (PLATFORM.md).
PLATFORM_AUDIENCE = "blog-platform"


def shared(name: str) -> AliasChoices:
    """An alias that reads ``name`` from the environment without the service prefix."""
    return AliasChoices(name, name.lower())


class ServiceSettings(BaseSettings):
    """Plumbing settings every service has."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    environment: Environment = Field("development", validation_alias=shared("ENVIRONMENT"))
    log_level: str = Field("INFO", validation_alias=shared("LOG_LEVEL"))
    database_url: str = Field(validation_alias=shared("DATABASE_URL"))
    redis_url: str = Field(validation_alias=shared("REDIS_URL"))

    # Frozen or unreachable dependencies must turn into a fast 503, not a hung request.
    request_timeout_seconds: float = Field(1.5, gt=0)
    db_connect_timeout_seconds: int = Field(2, ge=2)  # libpq rounds anything lower up to 2
    db_statement_timeout_ms: int = Field(1500, gt=0)
    db_pool_size: int = Field(10, gt=0)
    db_pool_timeout_seconds: float = Field(1.0, gt=0)
    redis_timeout_seconds: float = Field(0.5, gt=0)
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    # Browsers may call the API from these origins only (the portal's); the portal itself
    # calls the services from its server, so in most set-ups nothing needs CORS at all.
    cors_origins: list[str] = Field(default_factory=lambda: ["http://localhost:3000"])

    # Token verification (every service verifies; only auth_service signs).
    jwt_issuer: str = Field("http://localhost:8080", validation_alias=shared("JWT_ISSUER"))
    jwt_audience: str = Field(PLATFORM_AUDIENCE, validation_alias=shared("JWT_AUDIENCE"))
