"""The demo data set's plan: which apps exist, which builds they ran, and when.

Everything is drawn from one `random.Random(seed)` in a fixed order and dated relative to a
given `now`, so the same seed, size and `now` give the same data set, byte for byte.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "ACCOUNT",
    "DEMO_BUCKET",
    "PLATFORM_SERVICES",
    "REGISTRY",
    "AppPlan",
    "Build",
    "DemoSize",
    "Deployment",
    "image_for",
    "plan_apps",
]

# AWS's documentation account number: plainly not a real one.
ACCOUNT = "111122223333"
REGISTRY = f"{ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com"
DEMO_BUCKET = "blog-platform-demo-trivy-reports"
PLATFORM_SERVICES = ("auth-service", "blog-service", "portal")
# Made-up services for sizes beyond the platform's six apps (then numbered when they run out).
EXTRA_SERVICES = (
    "search-service",
    "media-service",
    "notify-service",
    "feed-worker",
    "billing-service",
    "analytics-service",
    "mailer",
    "image-resizer",
    "comments-service",
    "recommendations",
    "audit-service",
    "webhooks",
)
ENVIRONMENTS = ("dev", "prod")
PEOPLE = ("mina.kim@example.org", "joon.park@example.org", "sara.lee@example.org")


@dataclass(frozen=True)
class DemoSize:
    """How big the data set is: Applications, VulnerabilityReports, days of cost."""

    apps: int = 6
    reports: int = 12
    cost_days: int = 90

    def __post_init__(self) -> None:
        if self.apps < 1 or self.reports < 0 or self.cost_days < 1:
            raise ValueError(f"a demo needs at least one app and one day of cost: {self}")


@dataclass(frozen=True)
class Build:
    """One CI build of a service: the source commit its image is tagged with."""

    service: str
    sha: str
    built_at: datetime

    @property
    def image(self) -> str:
        return image_for(self.service, self.sha)


@dataclass(frozen=True)
class Deployment:
    """One entry of an Application's history: the gitops revision and the build it ran."""

    id: int
    revision: str  # the gitops commit Argo CD synced (not the image's source commit)
    build: Build
    started_at: datetime
    finished_at: datetime
    initiated_by: str  # a person, or "" for the automated sync policy


@dataclass(frozen=True)
class AppPlan:
    """One Argo CD Application: `<service>-<env>`, labelled `app=<service>`."""

    name: str
    service: str
    env: str
    deployments: list[Deployment] = field(default_factory=list)  # oldest first

    @property
    def current(self) -> Deployment:
        return self.deployments[-1]


def image_for(service: str, sha: str) -> str:
    return f"{REGISTRY}/blog-platform/{service}:{sha}"


def new_sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def services_for(apps: int) -> list[str]:
    """Enough services for `apps` Applications (two environments each), platform first."""
    wanted = (apps + 1) // 2
    names = [*PLATFORM_SERVICES, *EXTRA_SERVICES]
    extra = [f"{names[i % len(names)]}-{i // len(names) + 1}" for i in range(len(names), wanted)]
    return [*names, *extra][:wanted]


def plan_apps(rng: random.Random, size: DemoSize, now: datetime) -> list[AppPlan]:
    """The Applications with 3 to 10 deployments each; prod runs builds that dev ran first."""
    plans: list[AppPlan] = []
    for service in services_for(size.apps):
        builds = _builds(rng, service, now)
        for env in ENVIRONMENTS:
            if len(plans) == size.apps:
                break
            plans.append(AppPlan(f"{service}-{env}", service, env, _deployments(rng, builds, env)))
    return plans


def _builds(rng: random.Random, service: str, now: datetime) -> list[Build]:
    count = rng.randint(4, 12)
    start = now - timedelta(days=rng.randint(20, 40))
    step = (now - timedelta(hours=2) - start) / count
    return [
        Build(service, new_sha(rng), start + step * i + timedelta(minutes=rng.randint(0, 90)))
        for i in range(count)
    ]


def _deployments(rng: random.Random, builds: list[Build], env: str) -> list[Deployment]:
    # prod is promoted less often and lags dev by a build or two.
    chosen = builds if env == "dev" else builds[: -rng.randint(1, 2)][::2] or builds[:1]
    chosen = chosen[-10:]  # Argo CD keeps the last 10 (revisionHistoryLimit)
    first_id = rng.randint(3, 60)
    latest_start = builds[-1].built_at + timedelta(minutes=5)
    deployments: list[Deployment] = []
    for offset, build in enumerate(chosen):
        delay = timedelta(minutes=rng.randint(6, 40) + (720 if env == "prod" else 0))
        started = min(build.built_at + delay, latest_start)
        deployments.append(
            Deployment(
                id=first_id + offset,
                revision=new_sha(rng),
                build=build,
                started_at=started,
                finished_at=started + timedelta(seconds=rng.randint(20, 240)),
                initiated_by="" if env == "dev" else rng.choice(PEOPLE),
            )
        )
    return deployments


def iso(moment: datetime) -> str:
    """Kubernetes' timestamp format (seconds, Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pick(rng: random.Random, weighted: dict[str, int]) -> str:
    names = list(weighted)
    return rng.choices(names, weights=[weighted[n] for n in names])[0]


JSON = dict[str, Any]
