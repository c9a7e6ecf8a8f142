"""What the browser tests share: unique names, signing in, quick setup through the APIs."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import httpx
from playwright.async_api import Page

from tests.e2e.stack import E2EStack

PASSWORD = "a long passphrase for tests"
_counter = itertools.count()


@dataclass
class Watched:
    """A page and the problems the browser reported on it."""

    page: Page
    errors: list[str]


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**9}{next(_counter)}"


@dataclass
class Api:
    """Direct calls to the services, to set up data quickly (the browser tests the portal)."""

    stack: E2EStack

    async def call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            return await client.request(method, url, **kwargs)  # type: ignore[arg-type]

    async def register(self, name: str | None = None) -> dict[str, str]:
        name = name or unique("user")
        body = {"user": {"username": name, "email": f"{name}@example.org", "password": PASSWORD}}
        response = await self.call("POST", f"{self.stack.auth_url}/api/users", json=body)
        assert response.status_code == 201, response.text
        user: dict[str, str] = response.json()["user"]
        return user

    async def article(self, token: str, **fields: object) -> dict[str, object]:
        data: dict[str, object] = {
            "title": unique("Article "),
            "description": "a test article",
            "body": "Some *text*.",
            "tagList": [],
            **fields,
        }
        response = await self.call(
            "POST",
            f"{self.stack.blog_url}/api/articles",
            json={"article": data},
            headers={"Authorization": f"Token {token}"},
        )
        assert response.status_code == 201, response.text
        article: dict[str, object] = response.json()["article"]
        return article


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#signin-email", email)
    await page.fill("#signin-password", password)
    await page.click("#signin-submit")
    await page.wait_for_selector("#nav-profile")
