"""RealWorld comments: add, list oldest first, delete by their author, bad input and ids."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

NewArticle = Callable[..., Awaitable[dict[str, Any]]]


async def add_comment(
    blog: httpx.AsyncClient, slug: str, user: dict[str, Any], body: str
) -> dict[str, Any]:
    response = await blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": body}}, headers=user["headers"]
    )
    assert response.status_code == 201, response.text
    comment: dict[str, Any] = response.json()["comment"]
    return comment


async def comment_bodies(blog: httpx.AsyncClient, slug: str) -> list[str]:
    response = await blog.get(f"/api/articles/{slug}/comments")
    assert response.status_code == 200, response.text
    return [c["body"] for c in response.json()["comments"]]


async def test_add_comment_returns_201_with_the_contract_shape(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    response = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "Thank you so much!"}},
        headers=reader["headers"],
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"comment"}
    comment = body["comment"]
    assert set(comment) == {"id", "createdAt", "updatedAt", "body", "author"}
    assert isinstance(comment["id"], int) and comment["id"] >= 1
    assert comment["body"] == "Thank you so much!"
    assert comment["author"] == {"username": reader["username"], "bio": None, "image": None,
                                 "following": False}  # fmt: skip
    created = datetime.fromisoformat(comment["createdAt"])
    assert created.tzinfo is not None
    assert datetime.fromisoformat(comment["updatedAt"]) >= created


async def test_list_comments_oldest_first_with_author_profiles(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    ids = [
        (await add_comment(blog, slug, user, text))["id"]
        for user, text in ((reader, "first"), (author, "second"), (reader, "third"))
    ]
    response = await blog.get(f"/api/articles/{slug}/comments")
    assert response.status_code == 200
    comments = response.json()["comments"]
    assert [c["id"] for c in comments] == ids
    assert [c["body"] for c in comments] == ["first", "second", "third"]
    assert [c["author"]["username"] for c in comments] == [
        reader["username"], author["username"], reader["username"]
    ]  # fmt: skip


async def test_list_comments_shows_following_for_the_viewer(
    blog: httpx.AsyncClient, auth_http: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, fan = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    await add_comment(blog, slug, author, "from the author")
    follow = await auth_http.post(
        f"/api/profiles/{author['username']}/follow", headers=fan["headers"]
    )
    assert follow.status_code == 200
    seen_by_fan = await blog.get(f"/api/articles/{slug}/comments", headers=fan["headers"])
    assert seen_by_fan.json()["comments"][0]["author"]["following"] is True
    anonymous = await blog.get(f"/api/articles/{slug}/comments")
    assert anonymous.json()["comments"][0]["author"]["following"] is False


async def test_list_comments_of_article_without_comments_is_empty(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    slug = (await new_article(await writer()))["slug"]
    response = await blog.get(f"/api/articles/{slug}/comments")
    assert response.status_code == 200
    assert response.json() == {"comments": []}


async def test_comments_on_unknown_article_return_404(blog: httpx.AsyncClient, writer: Any) -> None:
    user = await writer()
    not_found = {"errors": {"article": ["not found"]}}
    listed = await blog.get("/api/articles/no-such-article/comments")
    assert listed.status_code == 404 and listed.json() == not_found
    added = await blog.post(
        "/api/articles/no-such-article/comments",
        json={"comment": {"body": "hello"}},
        headers=user["headers"],
    )
    assert added.status_code == 404 and added.json() == not_found
    deleted = await blog.delete("/api/articles/no-such-article/comments/1", headers=user["headers"])
    assert deleted.status_code == 404 and deleted.json() == not_found


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"comment": {"body": ""}}, "body", "can't be blank"),
        ({"comment": {"body": " \n\t "}}, "body", "can't be blank"),
        ({"comment": {}}, "body", "can't be blank"),
        ({"comment": {"body": "x" * 10_001}}, "body", "is too long (maximum is 10000 characters)"),
        ({"comment": {"body": "nul \x00 byte"}}, "body", "contains a NUL character"),
        ({"comment": {"body": None}}, "body", "has the wrong type"),
        ({"comment": {"body": "ok", "id": 7}}, "id", "is not allowed"),
        ({"comment": {"body": "ok"}, "extra": True}, "extra", "is not allowed"),
        ({}, "comment", "can't be blank"),
    ],
)  # fmt: skip
async def test_add_comment_invalid_returns_422_and_writes_nothing(
    blog: httpx.AsyncClient,
    writer: Any,
    new_article: NewArticle,
    payload: dict[str, Any],
    field: str,
    message: str,
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    response = await blog.post(
        f"/api/articles/{slug}/comments", json=payload, headers=author["headers"]
    )
    assert response.status_code == 422
    assert message in response.json()["errors"][field]
    assert await comment_bodies(blog, slug) == []


async def test_add_comment_of_exactly_the_maximum_length_is_accepted(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    comment = await add_comment(blog, slug, author, "x" * 10_000)
    assert len(comment["body"]) == 10_000


async def test_add_comment_anonymously_returns_401_and_writes_nothing(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    slug = (await new_article(await writer()))["slug"]
    response = await blog.post(
        f"/api/articles/{slug}/comments", json={"comment": {"body": "drive-by"}}
    )
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}
    invalid = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "drive-by"}},
        headers={"Authorization": "Token not-a-jwt"},
    )
    assert invalid.status_code == 401
    assert invalid.json() == {"errors": {"token": ["is invalid"]}}
    assert await comment_bodies(blog, slug) == []


async def test_delete_own_comment_returns_204_then_it_is_gone(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, reader = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    doomed = await add_comment(blog, slug, reader, "regrettable")
    await add_comment(blog, slug, reader, "keeper")
    response = await blog.delete(
        f"/api/articles/{slug}/comments/{doomed['id']}", headers=reader["headers"]
    )
    assert response.status_code == 204 and response.content == b""
    assert await comment_bodies(blog, slug) == ["keeper"]
    again = await blog.delete(
        f"/api/articles/{slug}/comments/{doomed['id']}", headers=reader["headers"]
    )
    assert again.status_code == 404
    assert again.json() == {"errors": {"comment": ["not found"]}}


async def test_delete_someone_elses_comment_returns_403_and_keeps_it(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author, commenter = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    comment = await add_comment(blog, slug, commenter, "mine, not yours")
    # Not even the article's author may remove another user's comment.
    response = await blog.delete(
        f"/api/articles/{slug}/comments/{comment['id']}", headers=author["headers"]
    )
    assert response.status_code == 403
    assert response.json() == {"errors": {"comment": ["forbidden"]}}
    assert await comment_bodies(blog, slug) == ["mine, not yours"]


async def test_delete_comment_anonymously_returns_401(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    comment = await add_comment(blog, slug, author, "stays")
    response = await blog.delete(f"/api/articles/{slug}/comments/{comment['id']}")
    assert response.status_code == 401
    assert response.json() == {"errors": {"token": ["is missing"]}}
    assert await comment_bodies(blog, slug) == ["stays"]


async def test_delete_unknown_comment_returns_404(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    response = await blog.delete(f"/api/articles/{slug}/comments/424242", headers=author["headers"])
    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}


@pytest.mark.parametrize(
    "comment_id", ["0", "-1", str(2**63), str(2**64), "abc", "1.5", "1e3", "%20"]
)
async def test_delete_comment_with_out_of_range_id_returns_404_or_422(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, comment_id: str
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    await add_comment(blog, slug, author, "still here")
    response = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=author["headers"]
    )
    assert response.status_code in (404, 422), response.text
    assert response.json()["errors"]
    assert await comment_bodies(blog, slug) == ["still here"]


async def test_delete_comment_with_the_largest_id_returns_404(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    response = await blog.delete(
        f"/api/articles/{slug}/comments/{2**63 - 1}", headers=author["headers"]
    )
    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}


async def test_delete_comment_through_another_article_returns_404(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    first = (await new_article(author, title="first"))["slug"]
    second = (await new_article(author, title="second"))["slug"]
    comment = await add_comment(blog, first, author, "belongs to the first")
    response = await blog.delete(
        f"/api/articles/{second}/comments/{comment['id']}", headers=author["headers"]
    )
    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}
    assert await comment_bodies(blog, first) == ["belongs to the first"]


async def test_comments_path_with_overlong_slug_returns_422(
    blog: httpx.AsyncClient, writer: Any
) -> None:
    user = await writer()
    slug = "s" * 201
    listed = await blog.get(f"/api/articles/{slug}/comments")
    assert listed.status_code == 422
    assert "slug" in listed.json()["errors"]
    deleted = await blog.delete(f"/api/articles/{slug}/comments/1", headers=user["headers"])
    assert deleted.status_code == 422


async def test_deleting_an_article_removes_its_comments(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    comment = await add_comment(blog, slug, author, "goes with the article")
    deleted = await blog.delete(f"/api/articles/{slug}", headers=author["headers"])
    assert deleted.status_code == 204
    assert (await blog.get(f"/api/articles/{slug}/comments")).status_code == 404
    # A new article under the same slug does not inherit the old comment.
    again = await new_article(author)
    assert again["slug"] == slug
    assert await comment_bodies(blog, slug) == []
    gone = await blog.delete(
        f"/api/articles/{slug}/comments/{comment['id']}", headers=author["headers"]
    )
    assert gone.status_code == 404
