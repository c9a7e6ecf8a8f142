"""Only the API's sanitised bodyHtml becomes HTML; pages carry a Content-Security-Policy."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.helpers import Api, Watched, sign_in

PAYLOADS = "\n\n".join(
    [
        "<script>window.__xss = 'script'</script>",
        '<img src="data:," onerror="window.__xss = \'img\'">',
        "<svg onload=\"window.__xss = 'svg'\"></svg>",
        '<a id="evil" href="javascript:window.__xss = \'link\'">click me</a>',
        "[md link](javascript:window.__xss='md')",
        "<div onmouseover=\"window.__xss = 'hover'\">hover me</div>",
    ]
)
TITLE = "<img src=x onerror=\"window.__xss='title'\"> Title"


async def test_article_with_script_and_event_handler_payloads_stays_inert(
    watched: Watched, api: Api
) -> None:
    page = watched.page
    author = await api.register()
    article = await api.article(author["token"], title=TITLE, description=TITLE, body=PAYLOADS)
    reader = await api.register()
    await sign_in(page, reader["email"])
    await page.goto(f"/article/{article['slug']}")
    await expect(page.locator("#article-title")).to_have_text(TITLE)
    body = page.locator("#article-body")
    await expect(body).to_contain_text("hover me")
    await body.get_by_text("hover me").hover()
    for link in await body.locator("a").all():
        await link.click(no_wait_after=True)
    await page.fill("#comment-input", TITLE)
    await page.click("#comment-submit")
    await expect(page.locator(".comment-body")).to_have_text(TITLE)
    await page.goto("/")
    await expect(page.locator(".article-preview", has_text="Title").first).to_be_visible()
    await page.wait_for_timeout(300)
    assert await page.evaluate("() => window.__xss") is None
    assert await body.locator("script, svg, [onerror], [onload], [onmouseover]").count() == 0


async def test_pages_send_a_content_security_policy_without_unsafe_inline_scripts(
    watched: Watched,
) -> None:
    response = await watched.page.goto("/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert directives["script-src"].startswith("'self'")
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    # The page ran: its inline scripts match their hashes (a mismatch is a console error).
    await expect(watched.page.locator("#home-title")).to_be_visible()
    # The health routes sit in front of the Reflex app, on the same port.
    health = await watched.page.request.get("/healthz")
    assert (health.status, await health.json()) == (200, {"status": "ok"})
