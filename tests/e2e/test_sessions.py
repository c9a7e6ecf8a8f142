"""Sessions: the refresh token in a Secure SameSite=Strict cookie, the access token never in
the browser, silent refresh after expiry, a reload keeps the session, sign out ends it."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import expect

from tests.e2e.helpers import PASSWORD, Api, Watched, sign_in
from tests.e2e.stack import ACCESS_TOKEN_TTL_SECONDS, E2EStack

JWT = re.compile(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+")


async def test_session_survives_reload_and_expiry_and_sign_out_revokes_it(
    watched: Watched, api: Api, stack: E2EStack
) -> None:
    page = watched.page
    author = await api.register()
    article = await api.article(author["token"], title="Worth a favorite")
    user = await api.register()
    await sign_in(page, user["email"])

    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["portal_session"]
    assert session["secure"] is True
    assert session["sameSite"] == "Strict"
    assert session["value"]
    # The access token is a backend var: nowhere the page's scripts can read.
    stored = await page.evaluate(
        "() => document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"
    )
    assert JWT.search(stored) is None
    assert JWT.search(await page.content()) is None

    await page.reload()
    await expect(page.locator("#nav-profile")).to_have_text(user["username"])

    # Let the access token run out; the next action refreshes it without asking anyone.
    await asyncio.sleep(ACCESS_TOKEN_TTL_SECONDS + 1)
    await page.goto(f"/article/{article['slug']}")
    await page.click("#favorite-button")
    await expect(page.locator("#favorite-button")).to_contain_text("Unfavorite")
    await expect(page.locator("#nav-profile")).to_be_visible()
    rotated = {c["name"]: c for c in await page.context.cookies()}["portal_session"]["value"]
    assert rotated != session["value"]

    # A new tab (same cookie, new Reflex state) is signed in too.
    other_tab = await page.context.new_page()
    await other_tab.goto("/settings")
    await expect(other_tab.locator("#settings-username")).to_have_value(user["username"])
    await other_tab.close()

    await page.goto("/settings")
    await page.click("#sign-out")
    await expect(page.locator("#nav-signin")).to_be_visible()
    left = [c for c in await page.context.cookies() if c["name"] == "portal_session"]
    assert not left or left[0]["value"] == ""
    # The server ended the session: the last refresh token no longer works.
    current = rotated
    refused = await api.call(
        "POST", f"{stack.auth_url}/api/auth/refresh", json={"refreshToken": current}
    )
    assert refused.status_code == 401
    await page.reload()
    await expect(page.locator("#nav-signin")).to_be_visible()


async def test_settings_change_profile_and_password(watched: Watched, api: Api) -> None:
    page = watched.page
    user = await api.register()
    await sign_in(page, user["email"])
    await page.goto("/settings")
    await page.fill("#settings-bio", "I write about tests.")
    await page.fill("#settings-password", "another long passphrase")
    await page.click("#settings-save")
    await expect(page.locator("#settings-saved")).to_be_visible()
    await page.click("#sign-out")
    await page.goto("/login")
    await page.fill("#signin-email", user["email"])
    await page.fill("#signin-password", PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("#signin-error")).to_contain_text("Wrong email or password.")
    await sign_in(page, user["email"], "another long passphrase")
    await page.goto(f"/profile/{user['username']}")
    await expect(page.locator("#profile-name")).to_have_text(user["username"])
    await expect(page.get_by_text("I write about tests.")).to_be_visible()
