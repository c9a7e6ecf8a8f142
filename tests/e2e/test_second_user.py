"""Someone else's article: no edit or delete buttons, and the server refuses a forced edit."""

from __future__ import annotations

import asyncio

from playwright.async_api import expect

from tests.e2e.helpers import Api, Watched, sign_in
from tests.e2e.stack import FOLLOWING_CACHE_TTL_SECONDS, E2EStack


async def test_second_user_cannot_edit_first_users_article(
    watched: Watched, api: Api, stack: E2EStack
) -> None:
    page = watched.page
    author = await api.register()
    article = await api.article(author["token"], title="Not yours to edit")
    reader = await api.register()
    await sign_in(page, reader["email"])

    await page.goto(f"/article/{article['slug']}")
    await expect(page.locator("#article-title")).to_have_text("Not yours to edit")
    await expect(page.locator("#favorite-button")).to_be_visible()
    await expect(page.locator("#follow-button")).to_contain_text(author["username"])
    await expect(page.locator("#edit-article")).to_have_count(0)
    await expect(page.locator("#delete-article")).to_have_count(0)

    # Typing the editor's address does not open the article for editing...
    await page.goto(f"/editor/{article['slug']}")
    await expect(page.locator("#editor-error")).to_contain_text("Only the author")
    await expect(page.locator("#editor-title")).to_have_count(0)
    # ...and the API refuses the edit outright.
    forced = await api.call(
        "PUT",
        f"{stack.blog_url}/api/articles/{article['slug']}",
        json={"article": {"title": "Taken over"}},
        headers={"Authorization": f"Token {reader['token']}"},
    )
    assert forced.status_code == 403
    await page.goto(f"/article/{article['slug']}")
    await expect(page.locator("#article-title")).to_have_text("Not yours to edit")

    await page.click("#favorite-button")
    await expect(page.locator("#favorite-button")).to_contain_text("Unfavorite")
    await page.click("#follow-button")
    await expect(page.locator("#follow-button")).to_contain_text("Unfollow")
    # The reader's profile lists what they favorited; the author's offers to unfollow.
    await page.goto(f"/profile/{reader['username']}")
    await page.click("#tab-favorites")
    await expect(page.locator(".article-preview", has_text="Not yours to edit")).to_have_count(1)
    await page.goto(f"/profile/{author['username']}")
    await expect(page.locator(".article-preview", has_text="Not yours to edit")).to_have_count(1)
    await expect(page.locator("#profile-follow")).to_have_text("Unfollow")
    # blog_service's memory of whom the reader follows runs out (1 s here, 30 s by default).
    await asyncio.sleep(FOLLOWING_CACHE_TTL_SECONDS + 0.5)
    await page.click("#nav-home")
    await page.click("#tab-feed")
    await expect(page.locator(".article-preview", has_text="Not yours to edit")).to_have_count(1)
