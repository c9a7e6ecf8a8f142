"""auth_service: users, sessions (refresh, logout) and profiles."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from portal.clients.base import BaseClient
from portal.clients.models import Profile, User

__all__ = ["AuthClient"]


class AuthClient(BaseClient):
    async def register(self, username: str, email: str, password: str) -> User:
        payload = {"user": {"username": username, "email": email, "password": password}}
        return User.parse(await self.json("POST", "/api/users", json=payload))

    async def login(self, email: str, password: str) -> User:
        payload = {"user": {"email": email, "password": password}}
        return User.parse(await self.json("POST", "/api/users/login", json=payload))

    async def refresh(self, refresh_token: str) -> User:
        payload = {"refreshToken": refresh_token}
        return User.parse(await self.json("POST", "/api/auth/refresh", json=payload))

    async def logout(self, token: str, refresh_token: str) -> None:
        payload = {"refreshToken": refresh_token}
        await self.request("POST", "/api/auth/logout", token=token, json=payload)

    async def current_user(self, token: str) -> User:
        return User.parse(await self.json("GET", "/api/user", token=token))

    async def update_user(self, token: str, changes: dict[str, Any]) -> User:
        payload = {"user": changes}
        return User.parse(await self.json("PUT", "/api/user", token=token, json=payload))

    async def profile(self, username: str, token: str | None = None) -> Profile:
        body = await self.json("GET", f"/api/profiles/{quote(username, safe='')}", token=token)
        return Profile.parse(body.get("profile") or {})

    async def follow(self, username: str, token: str, *, follow: bool = True) -> Profile:
        method = "POST" if follow else "DELETE"
        path = f"/api/profiles/{quote(username, safe='')}/follow"
        body = await self.json(method, path, token=token)
        return Profile.parse(body.get("profile") or {})
