"""Moderation: an admin may delete anyone's article or comment, never edit it, and every
removal of someone else's content is written to the ``moderation_log`` table."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import psycopg
import pytest

from auth_service.cli import main as auth_cli

NewArticle = Callable[..., Awaitable[dict[str, Any]]]
UserId = Callable[[dict[str, Any]], int]
PASSWORD = "correct horse battery"  # what the ``writer`` fixture registers users with


@pytest.fixture
def make_admin(
    writer: Any,
    auth_http: httpx.AsyncClient,
    blog_auth_database_url: str,
    redis_server_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[[], Awaitable[dict[str, Any]]]:
    """A user promoted with the auth_service CLI, logged in again so the token says admin."""

    async def make() -> dict[str, Any]:
        user = await writer()
        monkeypatch.setenv("DATABASE_URL", blog_auth_database_url)
        monkeypatch.setenv("REDIS_URL", redis_server_url)
        assert await asyncio.to_thread(auth_cli, ["promote", user["email"]]) == 0
        login = await auth_http.post(
            "/api/users/login", json={"user": {"email": user["email"], "password": PASSWORD}}
        )
        assert login.status_code == 200, login.text
        admin: dict[str, Any] = login.json()["user"]
        assert admin["role"] == "admin"
        admin["headers"] = {"Authorization": f"Token {admin['token']}"}
        admin["stale_headers"] = user["headers"]  # the token issued before the promotion
        return admin

    return make


def moderation_rows(database_url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT actor_id, action, target_type, target_id, owner_id FROM moderation_log"
            " ORDER BY id"
        ).fetchall()
    return [tuple(row) for row in rows]


def article_id(database_url: str, slug: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM articles WHERE slug = %s", (slug,)).fetchone()
    assert row is not None, slug
    return int(row[0])


async def test_admin_deletes_someone_elses_article_and_it_is_logged(
    blog: httpx.AsyncClient,
    writer: Any,
    make_admin: Callable[[], Awaitable[dict[str, Any]]],
    new_article: NewArticle,
    user_id: UserId,
    blog_database_url: str,
) -> None:
    author = await writer()
    admin = await make_admin()
    slug = (await new_article(author))["slug"]
    target = article_id(blog_database_url, slug)
    # The role comes from the token: the admin's token from before the promotion is refused.
    before = await blog.delete(f"/api/articles/{slug}", headers=admin["stale_headers"])
    assert before.status_code == 403
    assert before.json() == {"errors": {"article": ["forbidden"]}}
    assert moderation_rows(blog_database_url) == []

    response = await blog.delete(f"/api/articles/{slug}", headers=admin["headers"])
    assert response.status_code == 204 and response.content == b""
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 404
    assert moderation_rows(blog_database_url) == [
        (user_id(admin), "delete_article", "article", target, user_id(author))
    ]


async def test_admin_deletes_someone_elses_comment_and_it_is_logged(
    blog: httpx.AsyncClient,
    writer: Any,
    make_admin: Callable[[], Awaitable[dict[str, Any]]],
    new_article: NewArticle,
    user_id: UserId,
    blog_database_url: str,
) -> None:
    author, commenter = await writer(), await writer()
    admin = await make_admin()
    slug = (await new_article(author))["slug"]
    posted = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "spam spam spam"}},
        headers=commenter["headers"],
    )
    assert posted.status_code == 201
    comment_id = posted.json()["comment"]["id"]
    before = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=admin["stale_headers"]
    )
    assert before.status_code == 403
    assert before.json() == {"errors": {"comment": ["forbidden"]}}

    response = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=admin["headers"]
    )
    assert response.status_code == 204 and response.content == b""
    assert (await blog.get(f"/api/articles/{slug}/comments")).json() == {"comments": []}
    assert moderation_rows(blog_database_url) == [
        (user_id(admin), "delete_comment", "comment", comment_id, user_id(commenter))
    ]
    # The article itself is untouched.
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 200


async def test_admin_may_not_edit_someone_elses_article(
    blog: httpx.AsyncClient,
    writer: Any,
    make_admin: Callable[[], Awaitable[dict[str, Any]]],
    new_article: NewArticle,
    blog_database_url: str,
) -> None:
    author = await writer()
    admin = await make_admin()
    slug = (await new_article(author, title="my own words"))["slug"]
    for changes in ({"title": "moderated"}, {"status": "draft"}, {"body": "redacted"}):
        response = await blog.put(
            f"/api/articles/{slug}", json={"article": changes}, headers=admin["headers"]
        )
        assert response.status_code == 403
        assert response.json() == {"errors": {"article": ["forbidden"]}}
    article = (await blog.get(f"/api/articles/{slug}")).json()["article"]
    assert article["title"] == "my own words"
    assert article["status"] == "published"
    assert article["body"] == "You have to *believe*."
    assert moderation_rows(blog_database_url) == []


async def test_admin_deleting_own_content_is_not_logged(
    blog: httpx.AsyncClient,
    make_admin: Callable[[], Awaitable[dict[str, Any]]],
    new_article: NewArticle,
    blog_database_url: str,
) -> None:
    admin = await make_admin()
    slug = (await new_article(admin))["slug"]
    posted = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "own words"}},
        headers=admin["headers"],
    )
    comment_id = posted.json()["comment"]["id"]
    deleted_comment = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=admin["headers"]
    )
    assert deleted_comment.status_code == 204
    assert (await blog.delete(f"/api/articles/{slug}", headers=admin["headers"])).status_code == 204
    assert moderation_rows(blog_database_url) == []


async def test_user_deleting_own_content_writes_no_moderation_row(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, blog_database_url: str
) -> None:
    author = await writer()
    slug = (await new_article(author))["slug"]
    posted = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "second thoughts"}},
        headers=author["headers"],
    )
    comment_id = posted.json()["comment"]["id"]
    deleted_comment = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=author["headers"]
    )
    assert deleted_comment.status_code == 204
    deleted_article = await blog.delete(f"/api/articles/{slug}", headers=author["headers"])
    assert deleted_article.status_code == 204
    assert (await blog.get(f"/api/articles/{slug}")).status_code == 404
    assert moderation_rows(blog_database_url) == []


async def test_refused_deletion_by_a_normal_user_writes_no_moderation_row(
    blog: httpx.AsyncClient, writer: Any, new_article: NewArticle, blog_database_url: str
) -> None:
    author, other = await writer(), await writer()
    slug = (await new_article(author))["slug"]
    posted = await blog.post(
        f"/api/articles/{slug}/comments",
        json={"comment": {"body": "mine"}},
        headers=author["headers"],
    )
    comment_id = posted.json()["comment"]["id"]
    refused_comment = await blog.delete(
        f"/api/articles/{slug}/comments/{comment_id}", headers=other["headers"]
    )
    assert refused_comment.status_code == 403
    refused_article = await blog.delete(f"/api/articles/{slug}", headers=other["headers"])
    assert refused_article.status_code == 403
    assert moderation_rows(blog_database_url) == []
    assert len((await blog.get(f"/api/articles/{slug}/comments")).json()["comments"]) == 1
