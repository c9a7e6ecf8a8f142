"""Failures schemathesis found in blog_service (tests/hardening/test_fuzz.py), smallest input each."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

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
