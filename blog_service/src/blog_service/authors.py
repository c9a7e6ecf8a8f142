"""Authors and the viewer's follows, from auth_service's internal batch endpoint.

At most one call per lookup, with a short timeout; answers are cached in Redis. When
auth_service cannot be reached, public reads still answer: authors come from the cache,
or as minimal profiles built from the username each row keeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

from service_kit.errors import APIError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Author:
    id: int
    username: str
    bio: str | None = None
    image: str | None = None


@dataclass
class Directory:
    """What one request knows about the people it shows."""

    authors: dict[int, Author] = field(default_factory=dict)
    ids_by_username: dict[str, int] = field(default_factory=dict)
    following: set[int] = field(default_factory=set)
    following_known: bool = False
    # auth_service did not answer during this request: absent answers mean "unknown".
    unavailable: bool = False

    def profile(self, author_id: int, fallback_username: str) -> dict[str, Any]:
        author = self.authors.get(author_id) or Author(author_id, fallback_username)
        return {
            "username": author.username,
            "bio": author.bio,
            "image": author.image,
            "following": author_id in self.following,
        }

    def id_of(self, username: str) -> int | None:
        return self.ids_by_username.get(username.lower())

    def require(self, author_id: int) -> Author:
        """The author a write must name; without auth_service we cannot, so 503."""
        author = self.authors.get(author_id)
        if author is None:
            raise APIError({"author": ["could not be resolved, try again shortly"]}, 503)
        return author

    def add(self, author: Author) -> None:
        self.authors[author.id] = author
        self.ids_by_username[author.username.lower()] = author.id


class AuthorMemo:
    """Authors this worker resolved in the last few seconds.

    A read shows at most a handful of authors, and the same ones again and again: keeping
    them in memory saves the Redis round trip that most uncached reads would otherwise
    spend on them. Profiles already come from a cache that lives a minute, so a few more
    seconds here change nothing a reader could tell.
    """

    def __init__(self, ttl_seconds: float, max_entries: int = 10_000) -> None:
        self._authors: TTLCache[int, Author] | None = (
            TTLCache(max_entries, ttl_seconds) if ttl_seconds > 0 else None
        )

    def fill(self, directory: Directory, ids: Iterable[int]) -> None:
        if self._authors is None:
            return
        for author_id in ids:
            if (author := self._authors.get(author_id)) is not None:
                directory.add(author)

    def forget(self) -> None:
        if self._authors is not None:
            self._authors.clear()

    def keep(self, authors: Iterable[Author]) -> None:
        if self._authors is None:
            return
        for author in authors:
            self._authors[author.id] = author


class AuthorDirectory:
    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        redis: Redis,
        timeout_seconds: float,
        author_ttl: int,
        following_ttl: int,
        memo_seconds: float = 0,
    ) -> None:
        self.http = http
        self.url = f"{base_url.rstrip('/')}/internal/profiles/batch"
        self.redis = redis
        self.timeout = timeout_seconds
        self.author_ttl = author_ttl
        self.following_ttl = following_ttl
        self.memo = AuthorMemo(memo_seconds)

    @staticmethod
    def author_key(author_id: int) -> str:
        return f"blog:author:{author_id}"

    @staticmethod
    def username_key(username: str) -> str:
        return f"blog:author-id:{username.lower()}"

    @staticmethod
    def following_key(viewer_id: int) -> str:
        return f"blog:following:{viewer_id}"

    async def lookup(
        self,
        ids: Iterable[int] = (),
        *,
        viewer_id: int | None = None,
        usernames: Iterable[str] = (),
        known: Directory | None = None,
    ) -> Directory:
        """Resolve authors (by id or username) and the viewer's follows.

        Cache first, then one call for whatever is still missing. ``known`` is an earlier
        answer in the same request, extended in place.
        """
        directory = known or Directory()
        ids = list(ids)  # read twice below: a generator would be empty the second time
        self.memo.fill(directory, ids)
        wanted_ids = sorted({i for i in ids if i not in directory.authors})
        wanted_names = sorted({n.lower() for n in usernames} - set(directory.ids_by_username))
        need_following = viewer_id is not None and not directory.following_known
        if not (wanted_ids or wanted_names or need_following):
            return directory
        await self._from_cache(directory, wanted_ids, wanted_names, viewer_id)
        missing_ids = [i for i in wanted_ids if i not in directory.authors]
        missing_names = [n for n in wanted_names if n not in directory.ids_by_username]
        need_following = viewer_id is not None and not directory.following_known
        if (missing_ids or missing_names or need_following) and not directory.unavailable:
            await self._fetch(directory, missing_ids, missing_names, viewer_id)
        self.memo.keep(directory.authors.values())
        return directory

    async def _from_cache(
        self, directory: Directory, ids: list[int], names: list[str], viewer_id: int | None
    ) -> None:
        keys = [self.author_key(i) for i in ids] + [self.username_key(n) for n in names]
        if viewer_id is not None and not directory.following_known:
            keys.append(self.following_key(viewer_id))
        try:
            values = await self.redis.mget(keys)
            for raw in values[: len(ids)]:
                if raw:
                    directory.add(Author(**json.loads(raw)))
            for name, raw in zip(names, values[len(ids) :], strict=False):
                if raw:
                    directory.ids_by_username[name] = int(raw)
            if viewer_id is not None and not directory.following_known and values[-1]:
                directory.following = set(json.loads(values[-1]))
                directory.following_known = True
            by_name = [i for i in directory.ids_by_username.values() if i not in directory.authors]
            if by_name:
                cached = await self.redis.mget([self.author_key(i) for i in by_name])
                for raw in cached:
                    if raw:
                        directory.add(Author(**json.loads(raw)))
        except RedisError as exc:
            log.warning("author_cache_unavailable", error=type(exc).__name__)

    async def _fetch(
        self, directory: Directory, ids: list[int], names: list[str], viewer_id: int | None
    ) -> None:
        body: dict[str, Any] = {"ids": ids, "usernames": names}
        if viewer_id is not None:
            body["viewerId"] = viewer_id
            body["includeFollowing"] = not directory.following_known
        try:
            response = await self.http.post(self.url, json=body, timeout=self.timeout)
            response.raise_for_status()
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("auth_service_unreachable", error=type(exc).__name__)
            directory.unavailable = True  # one timeout per request is enough
            return
        fresh = [
            Author(r["id"], r["username"], r.get("bio"), r.get("image"))
            for r in payload.get("profiles", [])
        ]
        for author, record in zip(fresh, payload.get("profiles", []), strict=True):
            directory.add(author)
            if record.get("following"):
                directory.following.add(author.id)
        following_ids = payload.get("followingIds")
        if following_ids is not None:
            directory.following = set(following_ids)
            directory.following_known = True
        await self._store(fresh, viewer_id, following_ids)

    async def _store(
        self, authors: list[Author], viewer_id: int | None, following: list[int] | None
    ) -> None:
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for author in authors:
                    fields = {"id": author.id, "username": author.username,
                              "bio": author.bio, "image": author.image}  # fmt: skip
                    pipe.set(self.author_key(author.id), json.dumps(fields), ex=self.author_ttl)
                    pipe.set(self.username_key(author.username), author.id, ex=self.author_ttl)
                if viewer_id is not None and following is not None:
                    pipe.set(
                        self.following_key(viewer_id), json.dumps(following), ex=self.following_ttl
                    )
                await pipe.execute()
        except RedisError as exc:
            log.warning("author_cache_unavailable", error=type(exc).__name__)
