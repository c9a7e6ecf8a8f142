"""RealWorld articles: create, read, list with filters, update, delete, favorites, feed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

NewArticle = Callable[..., Awaitable[dict[str, Any]]]


async def test_create_article_returns_201_with_the_contract_fields(
    blog: httpx.AsyncClient, writer: Any
) -> None:
    author = await writer()
    body = {"title": "How to train your dragon", "description": "Ever wonder how?",
            "body": "You have to **believe**.", "tagList": ["dragons", "training"]}  # fmt: skip
    response = await blog.post("/api/articles", json={"article": body}, headers=author["headers"])
    assert response.status_code == 201
    article = response.json()["article"]
    assert article["slug"] == "how-to-train-your-dragon"
    assert article["tagList"] == ["dragons", "training"]
    assert article["favorited"] is False and article["favoritesCount"] == 0
    assert article["author"] == {"username": author["username"], "bio": None, "image": None,
                                 "following": False}  # fmt: skip
    assert article["bodyHtml"] == "<p>You have to <strong>believe</strong>.</p>\n"
    assert article["status"] == "published" and article["publishedAt"] is not None
    assert response.headers["ETag"]


async def test_get_article_by_slug(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    created = await new_article(await writer())
    response = await blog.get(f"/api/articles/{created['slug']}")
    assert response.status_code == 200
    assert response.json()["article"]["body"] == "You have to *believe*."
    assert response.headers["ETag"] == '"1-1"'


async def test_get_unknown_article_returns_404(blog: httpx.AsyncClient) -> None:
    response = await blog.get("/api/articles/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


async def test_duplicate_titles_get_distinct_slugs(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    first, second = await new_article(author), await new_article(author)
    assert first["slug"] != second["slug"]
    assert second["slug"].startswith("how-to-train-your-dragon-")


@pytest.mark.parametrize(
    ("article", "field", "message"),
    [
        ({"description": "d", "body": "b"}, "title", "can't be blank"),
        ({"title": "  ", "description": "d", "body": "b"}, "title", "can't be blank"),
        ({"title": "t" * 10_000, "description": "d", "body": "b"}, "title", "is too long (maximum is 200 characters)"),
        ({"title": "t", "description": "d", "body": "b", "tagList": None}, "tagList", "has the wrong type"),
        ({"title": "t", "description": "d", "body": "b", "tagList": [""]}, "tagList", "can't be blank"),
        ({"title": "t\x00", "description": "d", "body": "b"}, "title", "contains a NUL character"),
        ({"title": "t", "description": "d", "body": "b", "slug": "mine"}, "slug", "is not allowed"),
        ({"title": "t", "description": "d", "body": "b", "status": "secret"}, "status", "is invalid"),
    ],
)  # fmt: skip
async def test_create_article_invalid_returns_422_and_writes_nothing(
    blog: httpx.AsyncClient, writer: Any, article: dict[str, Any], field: str, message: str
) -> None:
    author = await writer()
    response = await blog.post(
        "/api/articles", json={"article": article}, headers=author["headers"]
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][field]
    assert (await blog.get("/api/articles")).json()["articlesCount"] == 0


async def test_create_article_requires_a_token(blog: httpx.AsyncClient) -> None:
    response = await blog.post(
        "/api/articles", json={"article": {"title": "t", "description": "d", "body": "b"}}
    )
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}


async def test_list_articles_newest_first_without_body(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    for title in ("one", "two", "three"):
        await new_article(author, title=title)
    body = (await blog.get("/api/articles")).json()
    assert body["articlesCount"] == 3
    assert [a["title"] for a in body["articles"]] == ["three", "two", "one"]
    assert all("body" not in a and "bodyHtml" not in a for a in body["articles"])


async def test_list_articles_paginates_with_total_count(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    for n in range(5):
        await new_article(author, title=f"post {n}")
    page = (await blog.get("/api/articles", params={"limit": 2, "offset": 2})).json()
    assert page["articlesCount"] == 5
    assert [a["title"] for a in page["articles"]] == ["post 2", "post 1"]
    for bad in ({"limit": 0}, {"offset": -1}, {"limit": "x"}):
        assert (await blog.get("/api/articles", params=bad)).status_code == 422


async def test_list_articles_filters_by_tag_author_and_favorited(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    alice, bob = await writer(), await writer()
    a1 = await new_article(alice, title="a1", tagList=["x"])
    await new_article(alice, title="a2", tagList=["y"])
    await new_article(bob, title="b1", tagList=["x"])
    await blog.post(f"/api/articles/{a1['slug']}/favorite", headers=bob["headers"])

    async def titles(**params: Any) -> list[str]:
        return [
            a["title"] for a in (await blog.get("/api/articles", params=params)).json()["articles"]
        ]

    assert await titles(tag="x") == ["b1", "a1"]
    assert await titles(author=alice["username"]) == ["a2", "a1"]
    assert await titles(author=alice["username"], tag="x") == ["a1"]
    assert await titles(favorited=bob["username"]) == ["a1"]
    assert await titles(author="nobody") == []
    assert await titles(favorited="nobody") == []


async def test_update_article_by_author(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    created = await new_article(author)
    changes = {"body": "# Heading", "tagList": ["new"]}
    response = await blog.put(
        f"/api/articles/{created['slug']}", json={"article": changes}, headers=author["headers"]
    )
    assert response.status_code == 200
    article = response.json()["article"]
    assert article["bodyHtml"] == "<h1>Heading</h1>\n"
    assert article["tagList"] == ["new"]
    assert article["slug"] == created["slug"]  # links keep working after edits


async def test_update_article_rejects_nulls_and_empty_changes(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    for changes, field in (
        ({"title": None}, "title"),
        ({"tagList": None}, "tagList"),
        ({}, "article"),
    ):
        response = await blog.put(
            f"/api/articles/{slug}", json={"article": changes}, headers=author["headers"]
        )
        assert response.status_code == 422
        assert field in response.json()["errors"]


async def test_update_or_delete_someone_elses_article_returns_403(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, other = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    put = await blog.put(
        f"/api/articles/{slug}", json={"article": {"title": "mine"}}, headers=other["headers"]
    )
    assert put.status_code == 403
    assert put.json() == {"errors": {"article": ["forbidden"]}}
    assert (await blog.delete(f"/api/articles/{slug}", headers=other["headers"])).status_code == 403
    assert (await blog.get(f"/api/articles/{slug}")).json()["article"]["title"] != "mine"


async def test_stale_if_match_gets_412_and_changes_nothing(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    loaded = await blog.get(f"/api/articles/{slug}")
    tag = loaded.headers["ETag"]
    first = await blog.put(f"/api/articles/{slug}", json={"article": {"title": "first"}},
                           headers={**author["headers"], "If-Match": tag})  # fmt: skip
    assert first.status_code == 200 and first.headers["ETag"] != tag
    second = await blog.put(f"/api/articles/{slug}", json={"article": {"title": "second"}},
                            headers={**author["headers"], "If-Match": tag})  # fmt: skip
    assert second.status_code == 412
    stale_delete = await blog.delete(
        f"/api/articles/{slug}", headers={**author["headers"], "If-Match": tag}
    )
    assert stale_delete.status_code == 412
    assert (await blog.get(f"/api/articles/{slug}")).json()["article"]["title"] == "first"


async def test_delete_article_returns_204(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    response = await blog.delete(f"/api/articles/{slug}", headers=author["headers"])
    assert response.status_code == 204 and response.content == b""
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 404


async def test_favorite_and_unfavorite(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, fan = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    for _ in range(2):  # idempotent
        liked = await blog.post(f"/api/articles/{slug}/favorite", headers=fan["headers"])
        assert liked.status_code == 200
        assert liked.json()["article"]["favorited"] is True
        assert liked.json()["article"]["favoritesCount"] == 1
    listed = (await blog.get("/api/articles", headers=fan["headers"])).json()["articles"][0]
    assert listed["favorited"] is True
    unliked = await blog.delete(f"/api/articles/{slug}/favorite", headers=fan["headers"])
    assert unliked.json()["article"]["favorited"] is False
    assert unliked.json()["article"]["favoritesCount"] == 0


async def test_feed_shows_followed_authors_only(
    blog: httpx.AsyncClient, auth_http: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    reader, star, stranger = await writer(), await writer(), await writer()
    await new_article(star, title="from star")
    await new_article(stranger, title="from stranger")
    assert (await blog.get("/api/articles/feed", headers=reader["headers"])).json()[
        "articlesCount"
    ] == 0
    await auth_http.post(f"/api/profiles/{star['username']}/follow", headers=reader["headers"])
    await blog_app_forget_following(blog, reader)
    feed = (await blog.get("/api/articles/feed", headers=reader["headers"])).json()
    assert feed["articlesCount"] == 1
    assert feed["articles"][0]["title"] == "from star"
    assert feed["articles"][0]["author"]["following"] is True
    assert (await blog.get("/api/articles/feed")).status_code == 401


async def blog_app_forget_following(blog: httpx.AsyncClient, reader: dict[str, Any]) -> None:
    """The follow set is cached for seconds; a test does not wait for it to expire."""
    app = blog._transport.app  # type: ignore[attr-defined]
    import jwt

    viewer = int(jwt.decode(reader["token"], options={"verify_signature": False})["sub"])
    await app.state.redis.delete(app.state.authors.following_key(viewer))


async def test_tags_lists_tags_of_published_articles(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    await new_article(author, tagList=["popular", "rare"])
    await new_article(author, tagList=["popular"])
    await new_article(author, tagList=["secret"], status="draft")
    assert (await blog.get("/api/tags")).json() == {"tags": ["popular", "rare"]}
