"""Properties the contract implies, checked by hypothesis through the local edge.

Each property runs 30 examples (`FUZZ_EXAMPLES` under `make fuzz`) (derandomized: the same inputs every run, so a
failure in `make test` reproduces), with no deadline (the services share the CPU). Reads are
made both anonymously (served from blog_service's per-worker read cache when it holds the
answer) and with a token (always from PostgreSQL), and must agree.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hardening.stack import Account, examples

PROPERTY_EXAMPLES = examples(default=30)
PAGINATED_ARTICLES = 13  # not a multiple of any page size tried below but 1 and 13
property_settings = settings(
    max_examples=PROPERTY_EXAMPLES, deadline=None, derandomize=True, database=None
)

# Text as a JSON client can send it: any Unicode scalar value (no lone surrogates).
any_char = st.characters(codec="utf-8")
# What a required text field accepts: not blank, no NUL (PostgreSQL text cannot hold one).
required_text = st.text(any_char, min_size=1, max_size=200).filter(
    lambda text: bool(text.strip()) and "\x00" not in text
)
# A tag as the API accepts it: 1 to 40 characters once runs of whitespace are collapsed.
tag = st.text(any_char, min_size=1, max_size=40).filter(
    lambda text: bool(text.split()) and "\x00" not in text
)
# Characters with a meaning to SQL LIKE, to tsquery syntax, to URLs or to C strings.
SEARCH_SPECIALS = "\x00%_'\"\\*:&|!()<>-+~^@#?/=;\n\t "
search_text = st.one_of(
    st.text(any_char, max_size=60),
    st.text(st.sampled_from(SEARCH_SPECIALS + string.ascii_letters), max_size=30),
)


def article_path(slug: str) -> str:
    return f"/api/articles/{quote(slug, safe='')}"


def create_article(http: httpx.Client, author: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "A title", "description": "A description", "body": "A body", **fields}
    response = http.post("/api/articles", json={"article": body}, headers=author.headers)
    assert response.status_code == 201, response.text
    article: dict[str, Any] = response.json()["article"]
    return article


def read_both_ways(http: httpx.Client, author: Account, path: str) -> dict[str, Any]:
    """GET `path` anonymously and with a token: both 200 with the same body; return it."""
    anonymous = http.get(path)
    signed_in = http.get(path, headers=author.headers)
    assert anonymous.status_code == 200, anonymous.text
    assert signed_in.status_code == 200, signed_in.text
    body: dict[str, Any] = anonymous.json()
    assert signed_in.json() == body
    return body


def same_article(read: dict[str, Any], written: dict[str, Any]) -> None:
    keys = ("slug", "title", "description", "body", "tagList", "createdAt", "status")
    assert {key: read.get(key) for key in keys} == {key: written.get(key) for key in keys}
    assert read["author"]["username"] == written["author"]["username"]


@pytest.fixture(scope="module")
def writer(register: Callable[[str], Account]) -> Account:
    return register("props")


@property_settings
@given(title=required_text)
def test_slug_round_trips(edge_http: httpx.Client, writer: Account, title: str) -> None:
    created = create_article(edge_http, writer, title=title)
    assert created["title"] == title
    read = read_both_ways(edge_http, writer, article_path(created["slug"]))["article"]
    same_article(read, created)


@property_settings
@given(tags=st.lists(tag, max_size=10))
def test_tag_list_is_stored_in_the_order_given_first_occurrence_winning(
    edge_http: httpx.Client, writer: Account, tags: list[str]
) -> None:
    # Documented: whitespace runs inside a tag collapse to one space, the order is kept,
    # and a repeated tag keeps its first place.
    expected = list(dict.fromkeys(" ".join(name.split()) for name in tags))
    created = create_article(edge_http, writer, tagList=tags)
    assert created["tagList"] == expected
    read = read_both_ways(edge_http, writer, article_path(created["slug"]))["article"]
    assert read["tagList"] == expected


@pytest.fixture(scope="module")
def paginated_author(
    edge_http: httpx.Client, register: Callable[[str], Account]
) -> tuple[Account, list[str]]:
    """An author with `PAGINATED_ARTICLES` articles; their slugs, newest first."""
    author = register("pages")
    slugs = [
        create_article(edge_http, author, title=f"Page test {n}")["slug"]
        for n in range(PAGINATED_ARTICLES)
    ]
    return author, slugs[::-1]


def page(http: httpx.Client, author: Account, limit: int, offset: int) -> tuple[list[str], int]:
    query = f"/api/articles?author={quote(author.username)}&limit={limit}&offset={offset}"
    body = read_both_ways(http, author, query)
    return [article["slug"] for article in body["articles"]], body["articlesCount"]


@property_settings
@given(limit=st.integers(1, 100), offset=st.integers(0, PAGINATED_ARTICLES + 5))
def test_any_page_is_the_matching_slice_of_the_whole_list(
    edge_http: httpx.Client,
    paginated_author: tuple[Account, list[str]],
    limit: int,
    offset: int,
) -> None:
    author, newest_first = paginated_author
    slugs, count = page(edge_http, author, limit, offset)
    assert count == PAGINATED_ARTICLES
    assert slugs == newest_first[offset : offset + limit]


@property_settings
@given(limit=st.integers(1, PAGINATED_ARTICLES + 1))
def test_walking_the_pages_never_repeats_or_skips_an_article(
    edge_http: httpx.Client, paginated_author: tuple[Account, list[str]], limit: int
) -> None:
    author, newest_first = paginated_author
    seen: list[str] = []
    offset = 0
    while True:
        slugs, _ = page(edge_http, author, limit, offset)
        if not slugs:
            break
        seen.extend(slugs)
        offset += limit
    assert len(seen) == len(set(seen)), "an article came twice"
    assert seen == newest_first


@property_settings
@given(q=search_text)
def test_search_never_errors_on_any_text(edge_http: httpx.Client, writer: Account, q: str) -> None:
    for headers in ({}, writer.headers):
        response = edge_http.get("/api/articles", params={"q": q}, headers=headers)
        assert response.status_code in {200, 422}, (q, response.status_code, response.text)
        if response.status_code == 200:
            body = response.json()
            assert isinstance(body["articles"], list)
            assert body["articlesCount"] >= len(body["articles"])
        else:
            assert "q" in response.json()["errors"], response.text
