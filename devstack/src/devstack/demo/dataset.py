"""`generate(seed, size)`: the whole demo data set, in the shapes the real systems answer."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from devstack.demo.argocd import application
from devstack.demo.cost import CostRow, daily_costs
from devstack.demo.model import DEMO_BUCKET, JSON, AppPlan, DemoSize, plan_apps
from devstack.demo.trivy import ci_report, evolve, operator_reports
from devstack.demo.vulns import Vuln

__all__ = ["DemoData", "generate", "trivy_key"]

TRIVY_PREFIX = "trivy/"


def trivy_key(service: str, sha: str) -> str:
    """Where the pipeline puts a report: trivy/<service>/<git sha>.json (deliver.yml)."""
    return f"{TRIVY_PREFIX}{service}/{sha}.json"


@dataclass(frozen=True)
class DemoData:
    seed: int
    size: DemoSize
    now: datetime
    plans: list[AppPlan]
    applications: list[JSON]  # Argo CD Applications (namespace argocd)
    vulnerability_reports: list[JSON]  # trivy-operator reports (namespace blog)
    trivy_reports: dict[str, JSON]  # S3 key -> the CI pipeline's Trivy JSON
    costs: list[CostRow]  # daily cost per AWS service and `app` tag, oldest first
    bucket: str = DEMO_BUCKET

    def images_by_revision(self) -> dict[str, dict[str, list[str]]]:
        """Per Application, the images each history revision ran (what the image ledger learns)."""
        return {
            plan.name: {d.revision: [d.build.image] for d in plan.deployments}
            for plan in self.plans
        }


def _rng(seed: int, part: str) -> random.Random:
    # One stream per part: a bigger cost history does not change the apps, and so on.
    return random.Random(f"{seed}:{part}")  # noqa: S311 - demo data, not secrets


def generate(seed: int = 0, size: DemoSize | None = None, now: datetime | None = None) -> DemoData:
    """The demo data set for `seed` and `size`, dated relative to `now` (default: this moment)."""
    size = size or DemoSize()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    plans = plan_apps(_rng(seed, "plan"), size, now)
    rng = _rng(seed, "argocd")
    applications = [application(rng, plan, now) for plan in plans]

    rng = _rng(seed, "trivy")
    builds_by_service = {
        service: sorted(
            {d.build for p in plans if p.service == service for d in p.deployments},
            key=lambda b: b.built_at,
        )
        for service in dict.fromkeys(p.service for p in plans)
    }
    vulns_by_sha: dict[str, list[Vuln]] = {}
    trivy_reports: dict[str, JSON] = {}
    for service, builds in builds_by_service.items():
        vulns_by_sha.update(evolve(rng, builds))
        for build in builds:
            trivy_reports[trivy_key(service, build.sha)] = ci_report(
                rng, build, vulns_by_sha[build.sha]
            )
    reports = operator_reports(rng, plans, vulns_by_sha, size.reports, now)
    costs = daily_costs(_rng(seed, "cost"), size.cost_days, now.date())
    return DemoData(seed, size, now, plans, applications, reports, trivy_reports, costs)
