"""Drafts: visible only to their author, listed with ``status=draft``, published by an update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

NewArticle = Callable[..., Awaitable[dict[str, Any]]]


async def listed_titles(
    blog: httpx.AsyncClient, headers: dict[str, str] | None = None, **params: Any
) -> list[str]:
    response = await blog.get("/api/articles", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["articlesCount"] == len(body["articles"])
    return [a["title"] for a in body["articles"]]


async def test_create_draft_has_no_published_at(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    draft = await new_article(author, title="work in progress", status="draft")
    assert draft["status"] == "draft"
    assert draft["publishedAt"] is None
    seen = await blog.get(f"/api/articles/{draft['slug']}", headers=author["headers"])
    assert seen.status_code == 200
    assert seen.json()["article"]["status"] == "draft"
    assert seen.json()["article"]["publishedAt"] is None


async def test_create_without_status_is_published(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    article = await new_article(await writer())
    assert article["status"] == "published"
    assert datetime.fromisoformat(article["publishedAt"]) == datetime.fromisoformat(
        article["createdAt"]
    )


@pytest.mark.parametrize("viewer", ["anonymous", "other user"])
async def test_draft_is_not_found_for_anyone_but_its_author(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, viewer: str
) -> None:
    author, other = await writer(), await writer()
    slug = (await new_article(author, status="draft"))["slug"]
    headers: dict[str, str] = other["headers"] if viewer == "other user" else {}
    not_found = {"errors": {"article": ["not found"]}}
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/api/articles/{slug}", None),
        ("POST", f"/api/articles/{slug}/favorite", None),
        ("DELETE", f"/api/articles/{slug}/favorite", None),
        ("GET", f"/api/articles/{slug}/comments", None),
        ("POST", f"/api/articles/{slug}/comments", {"comment": {"body": "hi"}}),
        ("PUT", f"/api/articles/{slug}", {"article": {"title": "hijacked"}}),
        ("DELETE", f"/api/articles/{slug}", None),
    ]
    for method, path, payload in calls:
        response = await blog.request(method, path, json=payload, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == not_found
    mine = await blog.get(f"/api/articles/{slug}", headers=author["headers"])
    assert mine.status_code == 200
    assert mine.json()["article"]["title"] == "How to train your dragon"
    assert mine.json()["article"]["favoritesCount"] == 0


async def test_author_may_comment_on_and_favorite_own_draft(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author, status="draft"))["slug"]
    comment = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "note to self"}},
        headers=author["headers"],
    )
    assert comment.status_code == 201
    favorite = await blog.post(f"/api/articles/{slug}/favorite", headers=author["headers"])
    assert favorite.status_code == 200
    assert favorite.json()["article"]["favorited"] is True


async def test_drafts_are_absent_from_public_lists_tags_and_feed(
    blog: httpx.AsyncClient, auth_http: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    follow = await auth_http.post(
        f"/api/profiles/{author['username']}/follow", headers=reader["headers"]
    )
    assert follow.status_code == 200
    await new_article(author, title="public", tagList=["shared"])
    await new_article(author, title="secret", tagList=["shared", "hidden"], status="draft")

    viewers: list[dict[str, str]] = [{}, reader["headers"], author["headers"]]
    for headers in viewers:
        assert await listed_titles(blog, headers) == ["public"]
        assert await listed_titles(blog, headers, tag="shared") == ["public"]
        assert await listed_titles(blog, headers, tag="hidden") == []
        assert await listed_titles(blog, headers, author=author["username"]) == ["public"]
    tags = await blog.get("/api/tags")
    assert tags.json() == {"tags": ["shared"]}
    feed = await blog.get("/api/articles/feed", headers=reader["headers"])
    assert feed.status_code == 200
    assert [a["title"] for a in feed.json()["articles"]] == ["public"]
    assert feed.json()["articlesCount"] == 1


async def test_drafts_are_absent_from_search_and_the_atom_feed(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    await new_article(author, title="Zanzibar travel notes", tagList=["travel"])
    draft = await new_article(
        author, title="Zanzibar secret plans", body="zanzibar unpublished", tagList=["travel"],
        status="draft",
    )  # fmt: skip
    viewers: list[dict[str, str]] = [{}, author["headers"]]
    for headers in viewers:
        assert await listed_titles(blog, headers, q="zanzibar") == ["Zanzibar travel notes"]
    feeds: list[dict[str, str]] = [{}, {"author": author["username"]}, {"tag": "travel"}]
    for params in feeds:
        atom = await blog.get("/api/feeds/articles.atom", params=params)
        assert atom.status_code == 200
        assert "Zanzibar travel notes" in atom.text
        assert "secret plans" not in atom.text and draft["slug"] not in atom.text


async def test_drafts_are_absent_from_the_favorited_filter(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    public = await new_article(author, title="public")
    draft = await new_article(author, title="secret", status="draft")
    for slug in (public["slug"], draft["slug"]):
        liked = await blog.post(f"/api/articles/{slug}/favorite", headers=author["headers"])
        assert liked.status_code == 200
    assert await listed_titles(blog, favorited=author["username"]) == ["public"]


async def test_author_lists_own_drafts_with_status_draft(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, other = await writer(), await writer()
    await new_article(author, title="mine, published")
    await new_article(author, title="mine, draft one", status="draft", tagList=["wip"])
    await new_article(author, title="mine, draft two", status="draft")
    await new_article(other, title="theirs, draft", status="draft", tagList=["wip"])

    response = await blog.get(
        "/api/articles", params={"status": "draft"}, headers=author["headers"]
    )
    assert response.status_code == 200
    body = response.json()
    assert [a["title"] for a in body["articles"]] == ["mine, draft two", "mine, draft one"]
    assert body["articlesCount"] == 2
    assert all(a["status"] == "draft" and a["publishedAt"] is None for a in body["articles"])
    assert all("body" not in a for a in body["articles"])

    mine = author["headers"]
    assert await listed_titles(blog, mine, status="draft", tag="wip") == ["mine, draft one"]
    assert await listed_titles(blog, mine, status="draft", author=author["username"]) == [
        "mine, draft two", "mine, draft one"
    ]  # fmt: skip
    # Naming someone else never reveals their drafts.
    assert await listed_titles(blog, mine, status="draft", author=other["username"]) == []
    assert await listed_titles(blog, other["headers"], status="draft") == ["theirs, draft"]


async def test_list_drafts_paginates_with_total_count(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    for n in range(3):
        await new_article(author, title=f"draft {n}", status="draft")
    page = await blog.get(
        "/api/articles",
        params={"status": "draft", "limit": 1, "offset": 1},
        headers=author["headers"],
    )
    assert page.status_code == 200
    assert page.json()["articlesCount"] == 3
    assert [a["title"] for a in page.json()["articles"]] == ["draft 1"]


async def test_list_drafts_without_a_token_returns_401(blog: httpx.AsyncClient) -> None:
    response = await blog.get("/api/articles", params={"status": "draft"})
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}
    bad = await blog.get(
        "/api/articles", params={"status": "draft"}, headers={"Authorization": "Token x.y.z"}
    )
    assert bad.status_code == 401
    assert bad.json() == {"errors": {"token": ["is invalid"]}}


async def test_list_with_unknown_status_returns_422(blog: httpx.AsyncClient) -> None:
    response = await blog.get("/api/articles", params={"status": "deleted"})
    assert response.status_code == 422
    assert response.json()["errors"]["status"]


async def test_publish_draft_with_update_sets_published_at_and_shows_it(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    draft = await new_article(author, title="soon", status="draft", tagList=["fresh"])
    slug = draft["slug"]
    response = await blog.put(
        f"/api/articles/{slug}",
        json={"article": {"status": "published"}},
        headers=author["headers"],
    )
    assert response.status_code == 200
    article = response.json()["article"]
    assert article["status"] == "published"
    assert article["slug"] == slug
    published_at = datetime.fromisoformat(article["publishedAt"])
    assert published_at >= datetime.fromisoformat(draft["createdAt"])

    seen = await blog.get(f"/api/articles/{slug}", headers=reader["headers"])
    assert seen.status_code == 200
    assert seen.json()["article"]["publishedAt"] == article["publishedAt"]
    assert await listed_titles(blog) == ["soon"]
    assert await listed_titles(blog, author["headers"], status="draft") == []
    assert (await blog.get("/api/tags")).json() == {"tags": ["fresh"]}
    comment = await blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "at last"}},
        headers=reader["headers"],
    )  # fmt: skip
    assert comment.status_code == 201


async def test_update_published_article_keeps_its_published_at(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    article = await new_article(author)
    for changes in ({"title": "retitled"}, {"status": "published"}):
        response = await blog.put(
            f"/api/articles/{article['slug']}", json={"article": changes}, headers=author["headers"]
        )
        assert response.status_code == 200
        assert response.json()["article"]["publishedAt"] == article["publishedAt"]


async def test_update_article_back_to_draft_hides_it_again(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author, title="second thoughts"))["slug"]
    response = await blog.put(
        f"/api/articles/{slug}", json={"article": {"status": "draft"}}, headers=author["headers"]
    )
    assert response.status_code == 200
    assert response.json()["article"]["status"] == "draft"
    assert (await blog.get(f"/api/articles/{slug}", headers=reader["headers"])).status_code == 404
    assert await listed_titles(blog) == []
    assert await listed_titles(blog, author["headers"], status="draft") == ["second thoughts"]


async def test_update_with_unknown_status_returns_422_and_keeps_the_draft(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author, status="draft"))["slug"]
    for status in ("public", None):
        response = await blog.put(
            f"/api/articles/{slug}", json={"article": {"status": status}}, headers=author["headers"]
        )
        assert response.status_code == 422
        assert response.json()["errors"]["status"]
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 404
