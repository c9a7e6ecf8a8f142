"""A reader, not signed in: home page, tag filter, an article, search."""

from __future__ import annotations

from playwright.async_api import expect

from tests.e2e.helpers import Api, Watched, unique


async def test_reader_browses_home_filters_by_tag_opens_article_and_searches(
    watched: Watched, api: Api
) -> None:
    page = watched.page
    writer = await api.register()
    tag = unique("tag")
    word = unique("zebra")
    tagged = await api.article(
        writer["token"], title=f"Tagged {word}", tagList=[tag], body=f"About **{word}**."
    )
    other = await api.article(writer["token"], title=unique("Untagged "))

    await page.goto("/")
    await expect(page.locator("#home-title")).to_have_text("conduit")
    previews = page.locator(".article-preview")
    await expect(previews.filter(has_text=str(other["title"]))).to_have_count(1)
    await expect(page.locator("#nav-signin")).to_be_visible()

    await page.locator(".tag-pill", has_text=tag).click()
    await expect(page.locator("#tab-tag")).to_have_text(f"# {tag}")
    await expect(previews).to_have_count(1)
    await expect(previews.first).to_contain_text(str(tagged["title"]))

    await previews.first.locator(".preview-link").click()
    await expect(page).to_have_url(f"/article/{tagged['slug']}")
    await expect(page.locator("#article-title")).to_have_text(str(tagged["title"]))
    await expect(page.locator("#article-body strong")).to_have_text(word)
    await expect(page.locator("#favorite-button")).to_be_visible()

    await page.click("#nav-search")
    await page.fill("#search-input", word)
    await page.click("#search-submit")
    await expect(page.locator("#search-summary")).to_contain_text(f"1 result(s) for “{word}”")
    await expect(previews).to_have_count(1)
    await expect(previews.first).to_contain_text(str(tagged["title"]))


async def test_search_with_no_match_says_what_to_try(watched: Watched) -> None:
    page = watched.page
    await page.goto("/search?q=" + unique("nothingmatches"))
    await expect(page.locator("#search-empty")).to_contain_text("Nothing matches")


async def test_tag_link_shows_pages_of_twenty(watched: Watched, api: Api) -> None:
    page = watched.page
    writer = await api.register()
    tag = unique("paged")
    for n in range(21):
        await api.article(writer["token"], title=f"Paged {n:02d}", tagList=[tag])
    await page.goto(f"/?tag={tag}")
    previews = page.locator(".article-preview")
    await expect(previews).to_have_count(20)
    await expect(page.locator("#page-info")).to_have_text("Page 1 of 2")
    await expect(previews.first).to_contain_text("Paged 20")
    await page.click("#page-next")
    await expect(page.locator("#page-info")).to_have_text("Page 2 of 2")
    await expect(previews).to_have_count(1)
    await expect(previews.first).to_contain_text("Paged 00")
    await expect(page.locator("#page-next")).to_be_disabled()
