"""A writer: sign up, draft (private), publish, edit, comment, delete the comment and the article."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.helpers import PASSWORD, Api, Watched, unique
from tests.e2e.stack import E2EStack


async def test_writer_signs_up_drafts_publishes_edits_comments_and_deletes(
    watched: Watched, second: Watched, stack: E2EStack
) -> None:
    page = watched.page
    name = unique("writer")
    await page.goto("/register")
    await page.fill("#signup-username", name)
    await page.fill("#signup-email", f"{name}@example.org")
    await page.fill("#signup-password", PASSWORD)
    await page.click("#signup-submit")
    await expect(page.locator("#nav-profile")).to_have_text(name)

    title = unique("Draft ")
    await page.click("#nav-new")
    await page.fill("#editor-title", title)
    await page.fill("#editor-description", "what it is about")
    await page.fill("#editor-body", "First **bold** words.")
    await page.fill("#editor-tags", "writing, drafts")
    await page.click("#editor-preview-toggle")
    await expect(page.locator("#editor-preview strong")).to_have_text("bold")
    await page.click("#editor-preview-toggle")
    await page.click("#editor-save-draft")
    await expect(page).to_have_url("/drafts")
    draft = page.locator(".article-preview", has_text=title)
    await expect(draft).to_contain_text("draft")
    slug = str(await draft.locator(".preview-link").get_attribute("href")).rsplit("/", 1)[1]

    # Nobody else sees the draft: not on the home page, not at its address.
    other = second.page
    await other.goto("/")
    await expect(other.locator(".article-preview").first).to_be_visible()
    await expect(other.locator(".article-preview", has_text=title)).to_have_count(0)
    await other.goto(f"/article/{slug}")
    await expect(other.locator("#page-error")).to_contain_text("does not exist")
    await expect(other.locator("#article-title")).to_have_count(0)

    await draft.locator(".preview-link").click()
    await expect(page.locator("#editor-title")).to_have_value(title)
    await expect(page.locator("#editor-tags")).to_have_value("writing, drafts")
    await page.click("#editor-publish")
    await expect(page).to_have_url(f"/article/{slug}")
    await expect(page.locator("#article-title")).to_have_text(title)
    await expect(page.locator("#article-body strong")).to_have_text("bold")

    await other.goto(f"/article/{slug}")
    await expect(other.locator("#article-title")).to_have_text(title)

    edited = title + " (edited)"
    await page.click("#edit-article")
    await expect(page.locator("#editor-title")).to_have_value(title)
    await page.fill("#editor-title", edited)
    await page.click("#editor-publish")
    await expect(page.locator("#article-title")).to_have_text(edited)

    await page.fill("#comment-input", "A first comment")
    await page.click("#comment-submit")
    comment = page.locator(".comment", has_text="A first comment")
    await expect(comment).to_have_count(1)
    await expect(page.locator("#comment-input")).to_have_value("")
    await page.reload()
    await expect(comment).to_have_count(1)
    await comment.locator(".comment-delete").click()
    await expect(comment).to_have_count(0)
    await expect(page.locator("#comments-empty")).to_be_visible()

    await page.click("#delete-article")
    await page.click("#confirm-delete")
    await expect(page).to_have_url("/")
    gone = await Api(stack).call("GET", f"{stack.blog_url}/api/articles/{slug}")
    assert gone.status_code == 404


async def test_editor_shows_the_apis_field_errors_next_to_the_fields(watched: Watched) -> None:
    page = watched.page
    name = unique("blank")
    await page.goto("/register")
    await page.fill("#signup-username", name)
    await page.fill("#signup-email", f"{name}@example.org")
    await page.fill("#signup-password", PASSWORD)
    await page.click("#signup-submit")
    await expect(page.locator("#nav-profile")).to_be_visible()
    await page.goto("/editor")
    await page.fill("#editor-title", "Only a title")
    await page.click("#editor-publish")
    await expect(page.locator("#error-description")).to_contain_text("blank")
    await expect(page.locator("#error-body")).to_contain_text("blank")
    await expect(page.locator("#editor-error")).to_contain_text("correct the highlighted fields")


async def test_sign_up_with_a_taken_name_says_so_next_to_the_field(watched: Watched) -> None:
    page = watched.page
    name = unique("taken")
    for _attempt in range(2):
        await page.context.clear_cookies()
        await page.goto("/register")
        await page.fill("#signup-username", name)
        await page.fill("#signup-email", f"{unique('e')}@example.org")
        await page.fill("#signup-password", PASSWORD)
        await page.click("#signup-submit")
        if _attempt == 0:
            await expect(page.locator("#nav-profile")).to_be_visible()
            await page.goto("/settings")
            await page.click("#sign-out")
            await expect(page.locator("#nav-signin")).to_be_visible()
    await expect(page.locator("#error-username")).to_contain_text("username")
