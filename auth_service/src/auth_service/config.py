"""auth_service settings, read from ``AUTH_*`` and the platform-wide variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from service_kit.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", populate_by_name=True)

    # One PEM file per signing key, named <kid>.pem; every key is published in the JWKS,
    # the active one signs. Rotation is adding a file, then switching the active kid.
    jwt_keys_dir: Path = Path("/etc/auth-service/keys")
    jwt_active_kid: str | None = None
    access_token_ttl_seconds: int = Field(15 * 60, gt=0)
    refresh_token_ttl_seconds: int = Field(30 * 24 * 3600, gt=0)

    # argon2id; OWASP's floor is m=19 MiB, t=2, p=1.
    argon2_memory_kib: int = Field(19 * 1024, ge=19 * 1024)
    argon2_time_cost: int = Field(2, ge=2)
    argon2_parallelism: int = Field(1, ge=1)

    login_failures_per_account: int = Field(10, gt=0)
    login_failures_per_address: int = Field(100, gt=0)
    login_failure_window_seconds: int = Field(15 * 60, gt=0)

    profile_cache_ttl_seconds: int = Field(600, gt=0)

    @model_validator(mode="after")
    def _keys_exist_in_production(self) -> AuthSettings:
        if self.environment == "production" and not any(self.jwt_keys_dir.glob("*.pem")):
            raise ValueError(f"no signing key (*.pem) in AUTH_JWT_KEYS_DIR={self.jwt_keys_dir}")
        return self
