"""What every client shares: settings, one pooled HTTP client, and errors a person can read."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["ApiError", "BaseClient", "Settings", "close_http", "shared_http"]

DEFAULT_API_URL = "http://localhost:8080"

# What a person sees for a status the API gives no field errors for.
STATUS_MESSAGES = {
    401: "Your session has ended. Please sign in again.",
    403: "You are not allowed to do that.",
    404: "That page does not exist (or is no longer there).",
    409: "Someone changed this at the same time; reload and try again.",
    412: "This was changed since you opened it; reload to see the new version.",
    413: "That is too long to save.",
    429: "You are doing that too often; please wait a moment and try again.",
}
UNAVAILABLE = "The service is not answering right now; please try again in a moment."
TIMEOUT = "The service took too long to answer; please try again."


@dataclass(frozen=True)
class Settings:
    """Where the APIs are (``PORTAL_AUTH_URL``, ``PORTAL_BLOG_URL``) and how long to wait."""

    auth_url: str = DEFAULT_API_URL
    blog_url: str = DEFAULT_API_URL
    timeout_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        api = environ.get("PORTAL_API_URL") or DEFAULT_API_URL
        return cls(
            auth_url=(environ.get("PORTAL_AUTH_URL") or api).rstrip("/"),
            blog_url=(environ.get("PORTAL_BLOG_URL") or api).rstrip("/"),
            timeout_seconds=float(environ.get("PORTAL_API_TIMEOUT_SECONDS") or 5.0),
        )


@dataclass
class ApiError(Exception):
    """A failed call: `message` for a banner, `fields` for messages next to form fields."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def _field_messages(body: Any) -> dict[str, str]:
    """RealWorld's ``{"errors": {"field": ["msg", ...]}}`` as ``{"field": "field msg; ..."}``."""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, dict):
        return {}
    out: dict[str, str] = {}
    for name, messages in errors.items():
        items = messages if isinstance(messages, list) else [messages]
        label = "" if name in ("body", "detail") else f"{name} "
        out[str(name)] = "; ".join(f"{label}{item}".strip() for item in items)
    return out


def error_from_response(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = None
    fields = _field_messages(body)
    status = response.status_code
    if status >= 500:
        message = UNAVAILABLE
    elif fields and status in (400, 409, 422):
        message = "Please correct the highlighted fields."
    else:
        message = STATUS_MESSAGES.get(status) or "; ".join(fields.values()) or UNAVAILABLE
    return ApiError(status, message, fields)


_http: httpx.AsyncClient | None = None


def shared_http() -> httpx.AsyncClient:
    """One pooled client per process, made on first use (never at import time)."""
    global _http
    if _http is None or _http.is_closed:
        _http = httpx.AsyncClient(headers={"User-Agent": "blog-platform-portal"})
    return _http


async def close_http() -> None:
    global _http
    if _http is not None:
        await _http.aclose()
        _http = None


class BaseClient:
    """JSON over HTTP with a timeout; any failure becomes an `ApiError`."""

    def __init__(
        self, base_url: str, *, timeout: float = 5.0, http: httpx.AsyncClient | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = http

    async def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Accept": "application/json", **(headers or {})}
        if token:
            all_headers["Authorization"] = f"Token {token}"
        http = self._http or shared_http()
        try:
            response = await http.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                headers=all_headers,
                timeout=self.timeout,
            )
        except httpx.TimeoutException as exc:
            raise ApiError(504, TIMEOUT) from exc
        except httpx.HTTPError as exc:
            raise ApiError(503, UNAVAILABLE) from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response

    async def json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.request(method, path, **kwargs)
        body = response.json()
        if not isinstance(body, dict):
            raise ApiError(502, UNAVAILABLE)
        return body
