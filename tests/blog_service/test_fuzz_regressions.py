"""Failures schemathesis found in blog_service (tests/hardening/test_fuzz.py), smallest input each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

Writer = Callable[..., Awaitable[dict[str, Any]]]

# A JSON body that is not UTF-8 made FastAPI answer 400 "There was an error parsing the body",
# a status no operation documents (schemathesis: status_code_conformance, 2026-11-26).
NOT_UTF8 = b"\x80"


async def test_post_article_body_not_utf8_is_invalid_json_422(
    blog: httpx.AsyncClient, writer: Writer
) -> None:
    author = await writer()
    headers = {"Content-Type": "application/json", **author["headers"]}
    response = await blog.post("/api/articles", content=NOT_UTF8, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json() == {"errors": {"body": ["is not valid JSON"]}}


# A 405 named only the methods of the first route FastAPI registered for the path
# (`Allow: GET` on /api/articles, which also takes POST): schemathesis, allow_header_conformance.
@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/articles", "GET, POST"),
        ("/api/articles/some-slug", "DELETE, GET, PUT"),
        ("/api/articles/some-slug/favorite", "DELETE, POST"),
        ("/api/articles/some-slug/comments", "GET, POST"),
    ],
)
async def test_method_not_allowed_lists_every_method_of_the_path(
    blog: httpx.AsyncClient, path: str, allowed: str
) -> None:
    response = await blog.options(path)
    assert response.status_code == 405, response.text
    assert response.headers["Allow"] == allowed
    assert response.json() == {"errors": {"method": ["is not allowed"]}}


# `/api/articles/feed` is the feed, so an article whose title slugifies to "feed" could be
# written but never read by its slug (found through allow_header_conformance: the feed's path
# also answers PUT and DELETE, those of `/api/articles/{slug}`).
async def test_article_titled_feed_is_readable_at_its_slug(
    blog: httpx.AsyncClient, writer: Writer
) -> None:
    author = await writer()
    body = {"title": "Feed", "description": "d", "body": "b"}
    created = await blog.post("/api/articles", json={"article": body}, headers=author["headers"])
    assert created.status_code == 201, created.text
    slug = created.json()["article"]["slug"]
    assert slug != "feed"
    read = await blog.get(f"/api/articles/{slug}")
    assert read.status_code == 200, read.text
    assert read.json()["article"]["title"] == "Feed"


# A body the document allows (100,000 characters) can exceed the 1 MiB cap once encoded:
# 100,000 astral characters sent as JSON escapes take 1.2 MB. The 413 was undocumented
# (schemathesis: not_a_server_error and status_code_conformance, through the edge).
def test_every_operation_with_a_body_documents_413(blog_app: FastAPI) -> None:
    operations = blog_app.openapi()["paths"]
    undocumented = [
        f"{method.upper()} {path}"
        for path, methods in operations.items()
        for method, operation in methods.items()
        if "requestBody" in operation and "413" not in operation["responses"]
    ]
    assert undocumented == []


async def test_schema_valid_article_over_the_byte_cap_is_413(
    blog: httpx.AsyncClient, writer: Writer
) -> None:
    author = await writer()
    text = "\\ud83d\\ude00" * 100_000  # 100,000 characters, as JSON escapes
    content = f'{{"article": {{"title": "t", "description": "d", "body": "{text}"}}}}'
    headers = {"Content-Type": "application/json", **author["headers"]}
    response = await blog.post("/api/articles", content=content, headers=headers)
    assert response.status_code == 413, response.text
    assert response.json() == {"errors": {"body": ["is too large (maximum is 1048576 bytes)"]}}
