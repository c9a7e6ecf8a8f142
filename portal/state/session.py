"""The signed-in person: access token in backend state only, refresh token in a cookie.

See docs/adr/0011-portal-sessions.md. The access token (a JWT) never reaches the browser:
it is a backend var (leading underscore). The refresh token lives in a ``Secure``,
``SameSite=Strict`` cookie so that a reload, a new tab or a restarted portal can resume
the session; every use rotates it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import unquote

import reflex as rx
from reflex.event import EventSpec

from portal.clients import ApiError, AuthClient, BlogClient, Settings, User

__all__ = ["SIGN_IN_FIRST", "SessionState", "auth_client", "blog_client", "token_expiry"]

T = TypeVar("T")
COOKIE = "portal_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
# Refresh a little before the token runs out, so a call in flight does not meet a 401.
EXPIRY_MARGIN_SECONDS = 5.0
SIGN_IN_FIRST = "Please sign in first."


def auth_client() -> AuthClient:
    settings = Settings.from_env()
    return AuthClient(settings.auth_url, timeout=settings.timeout_seconds)


def blog_client() -> BlogClient:
    settings = Settings.from_env()
    return BlogClient(settings.blog_url, timeout=settings.timeout_seconds)


def token_expiry(token: str) -> float:
    """The ``exp`` claim of a JWT, read without verifying (only to know when to refresh)."""
    try:
        payload = token.split(".")[1]
        claims: Any = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0


class SessionState(rx.State):
    """Who is signed in; every page state is a substate of this one."""

    refresh_cookie: str = rx.Cookie(
        "",
        name=COOKIE,
        path="/",
        max_age=COOKIE_MAX_AGE,
        secure=True,
        same_site="strict",
    )
    username: rx.Field[str] = rx.field("")
    email: rx.Field[str] = rx.field("")
    bio: rx.Field[str] = rx.field("")
    image: rx.Field[str] = rx.field("")
    # For the navigation only: /ops checks the role on the server on every event.
    role: rx.Field[str] = rx.field("")
    restored: rx.Field[bool] = rx.field(False)

    _access_token: str = ""
    _access_expires: float = 0.0

    @rx.var
    def signed_in(self) -> bool:
        return self.username != ""

    def path_arg(self, prefix: str) -> str:
        """The rest of the current path after `prefix` ('/article/' -> the slug), else ''."""
        path = str(self.router.url.path)
        return unquote(path[len(prefix) :].strip("/")) if path.startswith(prefix) else ""

    def query_arg(self, name: str) -> str:
        return str(self.router.url.query_parameters.get(name) or "").strip()

    def adopt(self, user: User) -> None:
        """Take a user answer (login, register, refresh, update) as the current session."""
        self.username = user.username
        self.email = user.email
        self.bio = user.bio
        self.image = user.image
        self.role = user.role
        if user.token:
            self._access_token = user.token
            self._access_expires = token_expiry(user.token)
        if user.refresh_token:
            self.refresh_cookie = user.refresh_token

    def forget(self) -> None:
        self.username = self.email = self.bio = self.image = self.role = ""
        self._access_token = ""
        self._access_expires = 0.0
        self.refresh_cookie = ""

    async def token(self) -> str | None:
        """A valid access token, refreshed silently when needed; None when signed out."""
        if self._access_token and time.time() < self._access_expires - EXPIRY_MARGIN_SECONDS:
            return self._access_token
        if not self.refresh_cookie:
            self.forget()
            return None
        try:
            user = await auth_client().refresh(self.refresh_cookie)
        except ApiError as exc:
            if exc.status in (401, 422):
                self.forget()
                return None
            raise
        self.adopt(user)
        return self._access_token

    async def call(self, action: Callable[[str], Awaitable[T]]) -> T:
        """Run `action` with an access token; on a 401 refresh once and try again."""
        token = await self.token()
        if token is None:
            raise ApiError(401, SIGN_IN_FIRST)
        try:
            return await action(token)
        except ApiError as exc:
            if exc.status != 401:
                raise
        self._access_token = ""
        token = await self.token()
        if token is None:
            raise ApiError(401, SIGN_IN_FIRST)
        return await action(token)

    async def optional_token(self) -> str | None:
        """For reads that are richer signed in (favorited, following); never fails."""
        try:
            return await self.token()
        except ApiError:
            return None

    @rx.event
    async def restore(self) -> None:
        """On every page load: resume the session from the cookie when the state has none."""
        await self.optional_token()
        self.restored = True

    @rx.event
    async def sign_out(self) -> EventSpec:
        token = self._access_token
        refresh = self.refresh_cookie
        if token and refresh:
            try:
                await auth_client().logout(token, refresh)
            except ApiError:
                # The access token may have run out: refresh once to end the session properly.
                try:
                    fresh = await auth_client().refresh(refresh)
                    await auth_client().logout(fresh.token, fresh.refresh_token)
                except ApiError:
                    pass
        self.forget()
        return rx.redirect("/")
