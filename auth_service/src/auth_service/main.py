"""The auth_service app: ``uvicorn auth_service.main:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from auth_service.api.routes import internal, profiles, sessions, users, wellknown
from auth_service.config import AuthSettings
from auth_service.keys import load_key_set
from auth_service.passwords import PasswordHashing, common_passwords
from auth_service.profiles import ProfileCache
from auth_service.sessions import RefreshTokens
from auth_service.throttle import LoginThrottle
from auth_service.tokens import TokenIssuer
from service_kit.app import create_service_app, data_stores
from service_kit.auth import KeyRing, TokenVerifier

SERVICE = "auth-service"


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    settings = settings or AuthSettings()  # read from the environment

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        key_set = load_key_set(settings.jwt_keys_dir, settings.jwt_active_kid)
        common_passwords()  # load the list now, not on the first registration

        async def local_jwks() -> Mapping[str, Any]:
            return key_set.jwks()

        async with data_stores(app, settings):
            redis = app.state.redis
            app.state.key_set = key_set
            app.state.token_issuer = TokenIssuer(
                key_set,
                settings.jwt_issuer,
                settings.jwt_audience,
                settings.access_token_ttl_seconds,
            )
            app.state.verifier = TokenVerifier(
                KeyRing(local_jwks), settings.jwt_issuer, settings.jwt_audience
            )
            app.state.password_hashing = PasswordHashing(
                settings.argon2_memory_kib, settings.argon2_time_cost, settings.argon2_parallelism
            )
            app.state.refresh_tokens = RefreshTokens(redis, settings.refresh_token_ttl_seconds)
            app.state.login_throttle = LoginThrottle(
                redis,
                settings.login_failures_per_account,
                settings.login_failures_per_address,
                settings.login_failure_window_seconds,
            )
            app.state.profile_cache = ProfileCache(redis, settings.profile_cache_ttl_seconds)
            yield

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        lifespan=lifespan,
        title="auth_service",
        version="2.0.0",
        description="Users, profiles, follows and tokens: the RealWorld user API and more.",
    )
    for module in (users, profiles, sessions, wellknown, internal):
        app.include_router(module.router)
    return app
