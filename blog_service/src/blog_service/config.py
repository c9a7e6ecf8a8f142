"""blog_service settings, read from ``BLOG_*`` and the platform-wide variables."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from service_kit.settings import ServiceSettings


class BlogSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BLOG_", extra="ignore", populate_by_name=True)

    # auth_service, reached directly (inside the mesh), never through the public edge.
    auth_url: str = "http://127.0.0.1:8001"
    auth_timeout_seconds: float = Field(0.5, gt=0)
    author_cache_ttl_seconds: int = Field(60, gt=0)
    following_cache_ttl_seconds: int = Field(30, gt=0)
    # Authors also kept in each worker's memory for this long (authors.py); 0 turns it off.
    author_memo_seconds: float = Field(5.0, ge=0)

    # Public base URL of the site, for links in the Atom feeds.
    public_url: str = "http://localhost:8080"

    # Anonymous list and article answers kept per worker (see readcache.py); 0 turns it off.
    read_cache_seconds: float = Field(5.0, ge=0)
    read_cache_entries: int = Field(2000, ge=0)

    # A search ranks and counts only this many of the newest matches (ADR 0015): the work
    # of one search stays bounded however many articles share a common word.
    search_window: int = Field(1000, ge=1)

    # Writes per user per minute, counted in Redis.
    articles_per_minute: int = Field(10, gt=0)
    comments_per_minute: int = Field(30, gt=0)

    @property
    def jwks_url(self) -> str:
        return f"{self.auth_url.rstrip('/')}/.well-known/jwks.json"
