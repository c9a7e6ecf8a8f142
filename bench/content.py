"""Deterministic, plausible blog content: titles, Markdown bodies, Zipf-like tag choices."""

from __future__ import annotations

import random
from typing import Any

_WORDS = """
    async python postgres redis cache index query latency queue stream token session service
    mesh cluster deploy rollout canary metric trace log alert budget error retry timeout pool
    worker thread event loop schema migration table column vector search ranking feed follow
    comment favorite draft publish editor markdown render sanitise header cookie proxy edge
    gateway route policy secret key rotation audit review test fixture factory coverage lint
    format type check build image registry pipeline
"""
_TAGS = """
    python fastapi postgres redis kubernetes istio argocd terraform aws devops testing
    performance security observability databases caching architecture frontend reflex markdown
    search design career opensource tutorial rust golang javascript typescript linux networking
    cloud ai data startup productivity writing books music travel
"""
WORDS = tuple(_WORDS.split())
TAGS = tuple(_TAGS.split())  # most used first: article tags follow a Zipf-like curve
TITLE_PATTERNS = (
    "How to {v} {n} with {t}",
    "Why your {n} needs {t}",
    "{T} in practice: {n} and {m}",
    "Ten lessons about {n}",
    "A field guide to {t} {n}",
    "What we learned moving {n} to {t}",
)
VERBS = ("tune", "scale", "debug", "cache", "index", "secure", "observe", "migrate", "ship")


class Generator:
    """Deterministic, plausible content: titles, Markdown bodies and Zipf-like tag choices."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets
        self.tag_weights = [1 / (rank + 1) for rank in range(len(TAGS))]

    def words(self, count: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(count))

    def sentence(self) -> str:
        return self.words(self.rng.randint(6, 20)).capitalize() + "."

    def title(self) -> str:
        pattern = self.rng.choice(TITLE_PATTERNS)
        tech = self.rng.choice(TAGS)
        text = pattern.format(
            v=self.rng.choice(VERBS),
            n=self.rng.choice(WORDS),
            m=self.rng.choice(WORDS),
            t=tech,
            T=tech.capitalize(),
        )
        return text[0].upper() + text[1:]

    def body(self) -> str:
        parts = [f"## {self.words(4).capitalize()}"]
        for _ in range(self.rng.randint(3, 5)):
            parts.append(self.words(self.rng.randint(40, 80)).capitalize() + ".")
        parts.append("\n".join(f"- **{self.words(2)}**: {self.words(8)}" for _ in range(3)))
        parts.append(f"```python\n{self.rng.choice(WORDS)} = await fetch({self.words(1)!r})\n```")
        parts.append(f"See [the docs](https://example.org/{self.rng.choice(WORDS)}) for more.")
        return "\n\n".join(parts)

    def tags(self) -> list[str]:
        count = self.rng.randint(1, 4)
        return list(dict.fromkeys(self.rng.choices(TAGS, self.tag_weights, k=count)))

    def article(self) -> dict[str, Any]:
        return {
            "title": self.title(),
            "description": self.words(self.rng.randint(8, 16)).capitalize(),
            "body": self.body(),
            "tagList": self.tags(),
        }

    def popular(self, count: int, among: int) -> list[int]:
        """`count` indexes in range(among), a few of them much more often than the rest."""
        weights = [1 / (rank + 1) ** 0.7 for rank in range(among)]
        return self.rng.choices(range(among), weights, k=count)
