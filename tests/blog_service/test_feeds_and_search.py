"""Atom feeds, full-text search, sanitised HTML through the API, and query counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest

from blog_service.main import create_app as create_blog_app

NewArticle = Callable[..., Awaitable[dict[str, Any]]]
ATOM = "{http://www.w3.org/2005/Atom}"


async def test_atom_feed_lists_published_articles_newest_first(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    await new_article(author, title="Older & wiser", tagList=["x"])
    await new_article(author, title="Newer", tagList=["y"], body="Some <b>bold</b> text")
    await new_article(author, title="Hidden draft", status="draft")
    response = await blog.get("/api/feeds/articles.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert titles == ["Newer", "Older & wiser"]
    first = feed.findall(f"{ATOM}entry")[0]
    assert first.findtext(f"{ATOM}author/{ATOM}name") == author["username"]
    assert "&lt;b&gt;" in (first.findtext(f"{ATOM}content") or "")


@pytest.mark.parametrize(("param", "expected"), [("tag", ["tagged"]), ("author", ["by alice"])])
async def test_atom_feed_filters_by_tag_and_author(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, param: str, expected: list[str]
) -> None:
    alice, bob = await writer(), await writer()
    await new_article(alice, title="by alice", tagList=[])
    await new_article(bob, title="tagged", tagList=["special"])
    value = "special" if param == "tag" else alice["username"]
    feed = ET.fromstring(
        (await blog.get("/api/feeds/articles.atom", params={param: value})).content
    )
    assert [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")] == expected
    assert (
        await blog.get("/api/feeds/articles.atom", params={"author": "nobody"})
    ).status_code == 200


async def test_search_ranks_title_matches_first(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    await new_article(author, title="Gardening basics", body="Tomatoes need sun.", tagList=[])
    await new_article(author, title="Tomatoes in pots", body="Small spaces.", tagList=[])
    await new_article(author, title="Unrelated", body="Nothing here.", tagList=["tomato"])
    body = (await blog.get("/api/articles", params={"q": "tomatoes"})).json()
    titles = [a["title"] for a in body["articles"]]
    assert body["articlesCount"] == 3
    assert titles[0] == "Tomatoes in pots"
    assert set(titles) == {"Gardening basics", "Tomatoes in pots", "Unrelated"}


@pytest.mark.parametrize(
    "text",
    ["%", "_", "'", '"', "\\", "a & b | !c", "-", "or", '"unclosed', "(((", "a" * 200, "日本語"],
)
async def test_search_treats_any_input_as_text(blog: httpx.AsyncClient, text: str) -> None:
    response = await blog.get("/api/articles", params={"q": text})
    assert response.status_code == 200
    assert response.json()["articlesCount"] == 0


async def test_search_with_nul_byte_is_refused(blog: httpx.AsyncClient) -> None:
    response = await blog.get("/api/articles", params={"q": "a\x00b"})
    assert response.status_code == 422
    assert response.json() == {"errors": {"q": ["contains a NUL character"]}}


@pytest.mark.parametrize(
    "payload",
    ["<script>alert(1)</script>", "[x](javascript:alert(1))", "<img src=x onerror=alert(1)>",
     "![x](data:image/svg+xml;base64,PHN2Zz4=)"],
)  # fmt: skip
async def test_article_html_is_sanitised_through_the_api(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, payload: str
) -> None:
    from html.parser import HTMLParser

    class Collect(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.found.append((tag, attrs))

    article = await new_article(await writer(), body=payload)
    parser = Collect()
    parser.feed(article["bodyHtml"])
    for tag, attrs in parser.found:
        assert tag not in {"script", "iframe", "svg"}
        for name, value in attrs:
            assert not name.startswith("on")
            assert not (value or "").strip().lower().startswith(("javascript:", "data:"))


async def test_list_statement_count_does_not_grow_with_page_size(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, statements: list[str]
) -> None:
    authors = [await writer() for _ in range(3)]
    for n in range(12):
        article = await new_article(authors[n % 3], title=f"post {n}", tagList=[f"t{n}", "common"])
        await blog.post(f"/api/articles/{article['slug']}/favorite", headers=authors[0]["headers"])
    counts = []
    for limit in (2, 12):
        statements.clear()
        response = await blog.get(
            "/api/articles", params={"limit": limit}, headers=authors[0]["headers"]
        )
        assert len(response.json()["articles"]) == limit
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[1] == 1  # the page, its total, tags and favorites in one statement


async def test_search_pages_walk_every_match_once_with_its_tags_and_favorite(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, statements: list[str]
) -> None:
    # Search finds, ranks and counts its matches in one pass that the page and the total
    # share: pages must still slice one order, and each row keep its own tags and favorite.
    author, reader = await writer(), await writer()
    slugs = []
    for n in range(5):  # equal rank: the newest first
        article = await new_article(author, title=f"Walnut {n}", body="b", tagList=[f"w{n}"])
        slugs.append(article["slug"])
    await new_article(author, title="Almonds", body="b", tagList=[])
    await blog.post(f"/api/articles/{slugs[1]}/favorite", headers=reader["headers"])
    seen: list[dict[str, Any]] = []
    for offset in (0, 2, 4, 6):
        statements.clear()
        response = await blog.get(
            "/api/articles",
            params={"q": "walnut", "limit": 2, "offset": offset},
            headers=reader["headers"],
        )
        assert response.status_code == 200
        assert response.json()["articlesCount"] == 5
        seen.extend(response.json()["articles"])
        if offset < 6:
            assert len(statements) == 1
    assert [a["slug"] for a in seen] == slugs[::-1]
    assert [a["tagList"] for a in seen] == [[f"w{n}"] for n in range(4, -1, -1)]
    assert [a["favorited"] for a in seen] == [n == 1 for n in range(4, -1, -1)]


async def test_search_ranks_and_counts_only_the_newest_matches_of_its_window(
    writer: Any,
    new_article: NewArticle,
    make_blog_settings: Callable[..., Any],
    serve_blog: Callable[[Any], AbstractAsyncContextManager[httpx.AsyncClient]],
) -> None:
    # ADR 0015: the best match outside the window (the oldest, "pecan" in its title and
    # body) is not ranked, and articlesCount counts the window, past the last page too.
    author = await writer()
    await new_article(author, title="Pecan pecan", body="pecan pecan pecan", tagList=[])
    newer = [
        (await new_article(author, title=f"Nuts {n}", body="a pecan", tagList=[]))["slug"]
        for n in range(3)
    ]
    await new_article(author, title="Almonds", body="no match", tagList=[])
    async with serve_blog(create_blog_app(make_blog_settings(search_window=3))) as blog:
        first = (await blog.get("/api/articles", params={"q": "pecan"})).json()
        beyond = (await blog.get("/api/articles", params={"q": "pecan", "offset": 3})).json()
    assert [a["slug"] for a in first["articles"]] == newer[::-1]
    assert first["articlesCount"] == 3
    assert beyond == {"articles": [], "articlesCount": 3}
