"""Seed the stack through the services' own code: their HTTP APIs, or blog_service.store.

Authors register with auth_service (`POST /api/users`) and follow each other there
(`POST /api/profiles/{username}/follow`); comments go through `POST
/api/articles/{slug}/comments`. Articles and favorites go, by `--seed`:

- ``store`` (default): in this process through `blog_service.store`, the functions the
  routes call, in batches of one session each (`bench/store_seed.py`). About ten times
  faster than HTTP, which keeps `make bench` within minutes.
- ``api``: through `POST /api/articles` and `POST /api/articles/{slug}/favorite`, like any
  client (slower; its progress lines double as a write-throughput figure).

Content comes from a fixed random seed, so every run seeds the same shape of data. No SQL
is written here.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
from collections.abc import Awaitable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import psycopg

from bench.content import TAGS, Generator
from bench.stack import BenchError, Stack, say
from bench.store_seed import InProcessSeeder
from devstack.databases import libpq_url

SeedMode = Literal["store", "api"]


@dataclass(frozen=True)
class SeedPlan:
    """How much to seed. The defaults are the issue's numbers."""

    authors: int = 100
    articles: int = 10_000
    favorites: int = 5_000
    comments: int = 3_000
    follows_per_author: int = 10
    mode: SeedMode = "store"
    concurrency: int = 16
    seed: int = 20261126


@dataclass
class Author:
    id: int
    username: str
    email: str
    password: str  # a throwaway stack's throwaway account; kept to log in again on reuse
    token: str


@dataclass
class SeedData:
    """What the load generator needs: who can write, which slugs and tags exist."""

    blog_url: str
    authors: list[Author] = field(default_factory=list)
    slugs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def read(cls, path: Path) -> SeedData:
        raw = json.loads(path.read_text())
        raw["authors"] = [Author(**a) for a in raw["authors"]]
        return cls(**raw)


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def user_id_of(token: str) -> int:
    """The `sub` claim of a token we were just given (read, not verified: it is ours)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims["sub"])


class Writer:
    """Sends seeding requests with bounded concurrency; any unexpected status stops the run."""

    def __init__(self, client: httpx.AsyncClient, concurrency: int) -> None:
        self.client = client
        self.gate = asyncio.Semaphore(concurrency)
        self.retries = 0

    async def send(
        self, method: str, url: str, expect: int, token: str | None = None, body: Any = None
    ) -> dict[str, Any]:
        headers = auth_header(token) if token else {}
        async with self.gate:
            for attempt in range(3):
                response = await self.client.request(method, url, json=body, headers=headers)
                if response.status_code not in (429, 503) or attempt == 2:
                    break
                self.retries += 1
                await asyncio.sleep(0.5 * (attempt + 1))  # a momentary overload: try again
        if response.status_code != expect:
            raise BenchError(
                f"{method} {url} answered {response.status_code}, expected {expect}:"
                f" {response.text[:500]}"
            )
        if not response.content:
            return {}
        result: dict[str, Any] = response.json()
        return result


async def in_parallel(jobs: Iterable[Awaitable[Any]]) -> list[Any]:
    return list(await asyncio.gather(*jobs))


class Progress:
    """A line every `every` items, with the rate so far."""

    def __init__(self, what: str, total: int, every: int = 1000) -> None:
        self.what = what
        self.total = total
        self.every = every
        self.done = 0
        self.started = time.monotonic()

    def tick(self) -> None:
        self.done += 1
        if self.done % self.every == 0 or self.done == self.total:
            elapsed = time.monotonic() - self.started
            say(
                f"    {self.done:>6,}/{self.total:,} {self.what}"
                f" ({self.done / elapsed:,.0f}/s, {elapsed:.0f} s)"
            )


async def register(writer: Writer, auth_url: str, count: int) -> list[Author]:
    run = secrets.token_hex(3)  # keeps emails apart should a stack ever be reseeded

    async def one(n: int) -> Author:
        username = f"author{n:03d}"
        email = f"{username}.{run}@bench.example.org"
        password = secrets.token_urlsafe(24)
        user = {"username": username, "email": email, "password": password}
        reply = await writer.send("POST", f"{auth_url}/api/users", 201, body={"user": user})
        token = reply["user"]["token"]
        return Author(user_id_of(token), username, email, password, token)

    return await in_parallel(one(n) for n in range(1, count + 1))


async def log_in_again(stack: Stack, data: SeedData) -> None:
    """Fresh tokens for a reused stack (the old ones may have expired)."""
    async with httpx.AsyncClient(timeout=30.0, trust_env=False) as client:
        writer = Writer(client, 8)

        async def one(author: Author) -> None:
            body = {"user": {"email": author.email, "password": author.password}}
            reply = await writer.send("POST", f"{stack.auth.url}/api/users/login", 200, body=body)
            author.token = reply["user"]["token"]

        await in_parallel(one(a) for a in data.authors)
        await warm_key_ring(writer, stack.blog.url, data.authors[0])
    data.blog_url = stack.blog.url


async def warm_key_ring(writer: Writer, blog_url: str, author: Author) -> None:
    # One signed-in request alone first, so blog_service loads the JWKS before concurrent
    # requests: those that arrive while its first fetch is in flight are answered 401
    # (service_kit's KeyRing; reported, not the benchmark's to fix).
    await writer.send("GET", f"{blog_url}/api/articles/feed", 200, author.token)


async def follow(
    writer: Writer, auth_url: str, authors: list[Author], per_author: int, gen: Generator
) -> int:
    jobs: list[Awaitable[dict[str, Any]]] = []
    for author in authors:
        others = [a for a in authors if a is not author]
        for target in gen.rng.sample(others, min(per_author, len(others))):
            url = f"{auth_url}/api/profiles/{target.username}/follow"
            jobs.append(writer.send("POST", url, 200, token=author.token))
    await in_parallel(jobs)
    return len(jobs)


async def articles_over_http(
    writer: Writer, blog_url: str, drafts: list[tuple[Author, dict[str, Any]]]
) -> list[str]:
    progress = Progress("articles (POST /api/articles)", len(drafts))

    async def one(author: Author, article: dict[str, Any]) -> str:
        reply = await writer.send(
            "POST", f"{blog_url}/api/articles", 201, author.token, {"article": article}
        )
        progress.tick()
        slug: str = reply["article"]["slug"]
        return slug

    return await in_parallel(one(author, article) for author, article in drafts)


async def favorites_over_http(
    writer: Writer, blog_url: str, pairs: list[tuple[Author, str]]
) -> None:
    progress = Progress("favorites (POST /api/articles/{slug}/favorite)", len(pairs))

    async def one(author: Author, slug: str) -> None:
        await writer.send("POST", f"{blog_url}/api/articles/{slug}/favorite", 200, author.token)
        progress.tick()

    await in_parallel(one(author, slug) for author, slug in pairs)


async def comments_over_http(
    writer: Writer, blog_url: str, comments: list[tuple[Author, str, str]]
) -> None:
    progress = Progress("comments (POST /api/articles/{slug}/comments)", len(comments))

    async def one(author: Author, slug: str, text: str) -> None:
        body = {"comment": {"body": text}}
        url = f"{blog_url}/api/articles/{slug}/comments"
        await writer.send("POST", url, 201, author.token, body)
        progress.tick()

    await in_parallel(one(*comment) for comment in comments)


async def vacuum_analyze(database_url: str) -> None:
    """Maintenance, not data: without it the first minutes after a bulk load measure
    PostgreSQL catching up (hint bits, no visibility map, no statistics), not the service."""
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as conn:
        await conn.execute("VACUUM (ANALYZE)")


def favorite_pairs(gen: Generator, data: SeedData, count: int) -> list[tuple[Author, str]]:
    """`count` distinct (user, article) pairs, popular articles favorited most."""
    count = min(count, len(data.slugs) * len(data.authors))
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < count:
        for article in gen.popular(count - len(chosen), len(data.slugs)):
            chosen.add((gen.rng.randrange(len(data.authors)), article))
    return [(data.authors[u], data.slugs[a]) for u, a in sorted(chosen)]


async def seed(stack: Stack, plan: SeedPlan) -> SeedData:
    started = time.monotonic()
    gen = Generator(plan.seed)
    auth_url, blog_url = stack.auth.url, stack.blog.url
    data = SeedData(blog_url=blog_url, tags=list(TAGS))
    limits = httpx.Limits(max_connections=plan.concurrency)
    async with httpx.AsyncClient(timeout=30.0, limits=limits, trust_env=False) as client:
        writer = Writer(client, plan.concurrency)
        say(f"==> seeding: {plan.authors} authors through auth_service's POST /api/users")
        data.authors = await register(writer, auth_url, plan.authors)
        await warm_key_ring(writer, blog_url, data.authors[0])
        say(f"==> seeding: each author follows {plan.follows_per_author} others")
        follows = await follow(writer, auth_url, data.authors, plan.follows_per_author, gen)

        drafts = [
            (data.authors[n % len(data.authors)], gen.article()) for n in range(plan.articles)
        ]
        how = "blog_service.store, in process" if plan.mode == "store" else "HTTP"
        say(f"==> seeding: {plan.articles:,} articles and {plan.favorites:,} favorites ({how})")
        seeder = InProcessSeeder(stack.blog_env["DATABASE_URL"], stack.blog_env["REDIS_URL"])
        try:
            if plan.mode == "store":
                progress = Progress("articles (blog_service.store)", len(drafts))
                rows = [(a.id, a.username, fields) for a, fields in drafts]
                data.slugs = await seeder.create_articles(rows, progress.tick)
                pairs = favorite_pairs(gen, data, plan.favorites)
                progress = Progress("favorites (blog_service.store)", len(pairs))
                await seeder.favorite([(a.id, slug) for a, slug in pairs], progress.tick)
            else:
                data.slugs = await articles_over_http(writer, blog_url, drafts)
                pairs = favorite_pairs(gen, data, plan.favorites)
                await favorites_over_http(writer, blog_url, pairs)
        finally:
            await seeder.close()

        say(f"==> seeding: {plan.comments:,} comments through POST /api/articles/{{slug}}/comments")
        on = gen.popular(plan.comments, len(data.slugs))
        comments = [
            (data.authors[gen.rng.randrange(len(data.authors))], data.slugs[n], gen.sentence())
            for n in on
        ]
        await comments_over_http(writer, blog_url, comments)

    say("==> VACUUM ANALYZE blog (statistics and visibility map, as autovacuum would set them)")
    await vacuum_analyze(stack.blog_env["DATABASE_URL"])
    data.seconds = round(time.monotonic() - started, 1)
    data.counts = {
        "authors": len(data.authors),
        "follows": follows,
        "articles": len(data.slugs),
        "favorites": len(pairs),
        "comments": len(comments),
        "retried_requests": writer.retries,
    }
    say(f"==> seeded in {data.seconds:.0f} s: {data.counts}")
    return data
