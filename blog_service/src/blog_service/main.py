"""The blog_service app: ``uvicorn blog_service.main:create_app --factory``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from blog_service.api.routes import articles, comments, feeds, tags
from blog_service.authors import AuthorDirectory
from blog_service.config import BlogSettings
from blog_service.ratelimit import WriteLimiter
from blog_service.readcache import ReadCache
from service_kit.app import create_service_app, data_stores
from service_kit.auth import KeyRing, TokenVerifier, remote_jwks

SERVICE = "blog-service"


def create_app(settings: BlogSettings | None = None) -> FastAPI:
    settings = settings or BlogSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=20)
        async with httpx.AsyncClient(limits=limits) as http, data_stores(app, settings):
            keys = KeyRing(remote_jwks(http, settings.jwks_url))
            app.state.verifier = TokenVerifier(keys, settings.jwt_issuer, settings.jwt_audience)
            app.state.authors = AuthorDirectory(
                http,
                settings.auth_url,
                app.state.redis,
                settings.auth_timeout_seconds,
                settings.author_cache_ttl_seconds,
                settings.following_cache_ttl_seconds,
                settings.author_memo_seconds,
            )
            app.state.read_cache = ReadCache(
                app.state.redis, settings.read_cache_seconds, settings.read_cache_entries
            )
            app.state.write_limiter = WriteLimiter(
                app.state.redis,
                {
                    "articles": settings.articles_per_minute,
                    "comments": settings.comments_per_minute,
                },
            )
            yield

    app = create_service_app(
        service=SERVICE,
        settings=settings,
        lifespan=lifespan,
        title="blog_service",
        version="2.0.0",
        description="Articles, comments, tags, favorites and feeds: the RealWorld blog API.",
    )
    for module in (articles, comments, tags, feeds):
        app.include_router(module.router)
    return app
