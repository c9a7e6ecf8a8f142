"""The load: one locust User class per scenario; `bench/run.py` picks one per run.

Run by `make bench` as ``locust -f bench/locustfile.py --headless ... ListUser`` with
``BENCH_DATA`` naming the JSON file the seeding wrote (authors' tokens, slugs, tags).

- ``ListUser``: `GET /api/articles?limit=20`, anonymous, back to back (closed loop).
- ``ArticleUser``: `GET /api/articles/{slug}` of a random seeded article, back to back.
- ``MixedUser``: reads, feed, writes, comments and favorites in realistic shares; each user
  sends at Poisson-distributed times, so the total is a steady rate of independent arrivals.
"""

from __future__ import annotations

import functools
import json
import os
import random
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, task

# Requests a mixed user sends per second; the runner sets users = rate / this.
MIXED_RATE_PER_USER = float(os.environ.get("BENCH_MIXED_RATE_PER_USER", "2"))


@functools.cache
def seed_data() -> dict[str, Any]:
    path = os.environ.get("BENCH_DATA")
    if not path:
        raise RuntimeError("BENCH_DATA must name the seed file written by bench/run.py")
    data: dict[str, Any] = json.loads(Path(path).read_text())
    return data


def token_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


class BenchUser(FastHttpUser):
    abstract = True
    # One connection per user, kept alive: N users are N connections.
    concurrency = 1

    def on_start(self) -> None:
        data = seed_data()
        self.rng = random.Random()  # noqa: S311 - load shape, not secrets
        self.slugs: list[str] = data["slugs"]
        self.tags: list[str] = data["tags"]
        self.authors: list[dict[str, str]] = data["authors"]
        me = self.rng.choice(self.authors)
        self.username: str = me["username"]
        self.auth = token_header(me["token"])

    def slug(self) -> str:
        return self.rng.choice(self.slugs)


class ListUser(BenchUser):
    wait_time = constant(0)

    @task
    def list_articles(self) -> None:
        self.client.get("/api/articles?limit=20", name="GET /api/articles?limit=20")


class ArticleUser(BenchUser):
    wait_time = constant(0)

    @task
    def get_article(self) -> None:
        self.client.get(f"/api/articles/{self.slug()}", name="GET /api/articles/{slug}")


class MixedUser(BenchUser):
    """Shares (task weights, out of 100): 81 reads, 19 writes (articles, comments, favorites)."""

    def wait_time(self) -> float:
        """Poisson arrivals at MIXED_RATE_PER_USER per user: an open load, not a drumbeat.

        Each start is scheduled an exponential interval after the previous *scheduled* start,
        so a slow answer does not lower the rate, and users never fall into step with each
        other (fixed intervals from a spawn in bursts make the users fire together).
        """
        now = time.monotonic()
        # A user more than a second behind (a very slow answer) starts afresh, no catch-up burst.
        interval = self.rng.expovariate(MIXED_RATE_PER_USER)
        self.next_start: float = max(self.next_start, now - 1.0) + interval
        return float(max(0.0, self.next_start - now))

    def on_start(self) -> None:
        super().on_start()
        self.next_start = time.monotonic()
        self.mine: list[str] = []  # articles this user wrote during the run
        self.favorited: list[str] = []

    @task(26)
    def list_articles(self) -> None:
        self.client.get("/api/articles?limit=20", name="GET /api/articles?limit=20")

    @task(8)
    def list_articles_signed_in(self) -> None:
        self.client.get(
            "/api/articles?limit=20", headers=self.auth, name="GET /api/articles (signed in)"
        )

    @task(6)
    def list_by_tag(self) -> None:
        tag = self.rng.choice(self.tags[:15])
        self.client.get(f"/api/articles?tag={tag}&limit=20", name="GET /api/articles?tag=")

    @task(3)
    def list_by_author(self) -> None:
        author = self.rng.choice(self.authors)["username"]
        self.client.get(f"/api/articles?author={author}&limit=20", name="GET /api/articles?author=")

    @task(18)
    def get_article(self) -> None:
        self.client.get(f"/api/articles/{self.slug()}", name="GET /api/articles/{slug}")

    @task(8)
    def comments(self) -> None:
        self.client.get(
            f"/api/articles/{self.slug()}/comments", name="GET /api/articles/{slug}/comments"
        )

    @task(8)
    def feed(self) -> None:
        self.client.get(
            "/api/articles/feed?limit=20", headers=self.auth, name="GET /api/articles/feed"
        )

    @task(4)
    def tags_list(self) -> None:
        self.client.get("/api/tags", name="GET /api/tags")

    @task(3)
    def create_article(self) -> None:
        n = self.rng.randrange(1_000_000)
        article = {
            "title": f"Load test notes {n}",
            "description": "Written during the benchmark",
            "body": f"## Notes\n\nMeasured **{n}** things, see [here](https://example.org).",
            "tagList": self.rng.sample(self.tags[:20], 2),
        }
        with self.client.post(
            "/api/articles",
            json={"article": article},
            headers=self.auth,
            name="POST /api/articles",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                self.mine.append(response.json()["article"]["slug"])
                response.success()
            else:
                response.failure(f"status {response.status_code}")

    @task(2)
    def update_article(self) -> None:
        if not self.mine:
            self.create_article()
            return
        body = {"article": {"description": f"Revised {self.rng.randrange(1000)}"}}
        self.client.put(
            f"/api/articles/{self.rng.choice(self.mine)}",
            json=body,
            headers=self.auth,
            name="PUT /api/articles/{slug}",
        )

    @task(6)
    def add_comment(self) -> None:
        self.client.post(
            f"/api/articles/{self.slug()}/comments",
            json={"comment": {"body": "Thanks, this helped with our rollout."}},
            headers=self.auth,
            name="POST /api/articles/{slug}/comments",
        )

    @task(8)
    def favorite(self) -> None:
        if self.favorited and self.rng.random() < 0.35:
            slug = self.favorited.pop(self.rng.randrange(len(self.favorited)))
            self.client.delete(
                f"/api/articles/{slug}/favorite",
                headers=self.auth,
                name="DELETE /api/articles/{slug}/favorite",
            )
            return
        slug = self.slug()
        self.client.post(
            f"/api/articles/{slug}/favorite",
            headers=self.auth,
            name="POST /api/articles/{slug}/favorite",
        )
        self.favorited.append(slug)


class SoakUser(MixedUser):
    """`make soak`: the mixed load plus search and sign-ins at a realistic share.

    Added to MixedUser's 100 weights: search 3 and login 2 (about 2 % of requests; a real
    blog signs people in far less often than it serves pages, and each login is an
    argon2id hash, the most expensive thing the platform does on purpose).
    """

    words = ("kubernetes", "python", "latency", "rollout", "postgres", "cache", "istio")

    @task(3)
    def search(self) -> None:
        self.client.get(
            f"/api/articles?q={self.rng.choice(self.words)}&limit=10",
            name="GET /api/articles?q=",
        )

    @task(2)
    def login(self) -> None:
        person = self.rng.choice(self.authors)
        self.client.post(
            f"{os.environ['BENCH_AUTH_URL']}/api/users/login",
            json={"user": {"email": person["email"], "password": person["password"]}},
            name="POST /api/users/login",
        )
