"""What the browser tests share: unique names, signing in, quick setup through the APIs."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from playwright.async_api import Page

from devstack.peers.aws import MotoPeer, cost_results_for_peer
from devstack.peers.kube import KubePeer
from tests.e2e.stack import ROOT, E2EStack

PASSWORD = "a long passphrase for tests"
_counter = itertools.count()


@dataclass
class Watched:
    """A page and the problems the browser reported on it."""

    page: Page
    errors: list[str]


def unique(prefix: str) -> str:
    return f"{prefix}{int(time.time() * 1000) % 10**9}{next(_counter)}"


@dataclass
class Api:
    """Direct calls to the services, to set up data quickly (the browser tests the portal)."""

    stack: E2EStack

    async def call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            return await client.request(method, url, **kwargs)  # type: ignore[arg-type]

    async def register(self, name: str | None = None) -> dict[str, str]:
        name = name or unique("user")
        body = {"user": {"username": name, "email": f"{name}@example.org", "password": PASSWORD}}
        response = await self.call("POST", f"{self.stack.auth_url}/api/users", json=body)
        assert response.status_code == 201, response.text
        user: dict[str, str] = response.json()["user"]
        return user

    async def article(self, token: str, **fields: object) -> dict[str, object]:
        data: dict[str, object] = {
            "title": unique("Article "),
            "description": "a test article",
            "body": "Some *text*.",
            "tagList": [],
            **fields,
        }
        response = await self.call(
            "POST",
            f"{self.stack.blog_url}/api/articles",
            json={"article": data},
            headers={"Authorization": f"Token {token}"},
        )
        assert response.status_code == 201, response.text
        article: dict[str, object] = response.json()["article"]
        return article


async def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.fill("#signin-email", email)
    await page.fill("#signin-password", password)
    await page.click("#signin-submit")
    await page.wait_for_selector("#nav-profile")


# -- /ops: the real protocol peers, loaded with the real samples in tests/ops/fixtures -------

OPS_FIXTURES = ROOT / "tests" / "ops" / "fixtures"
TRIVY_BUCKET = "e2e-trivy-reports"
GRAFANA_URL = "http://grafana.example.test"
# Which real sample plays which platform app (the names are derived, the contents are not).
OPS_APPS = {
    "blog-service": "argocd/argo-cd-controller-testdata-diff-cache.yaml",
    "auth-service": "argocd/roadie-applications-test-app.json",
}
CI_REPORTS = {
    "blog-service": "trivy/trivy-debian-buster.json",
    "auth-service": "trivy/trivy-ubi-7-comprehensive.json",
}
OPERATOR_REPORT = "trivy/trivy-operator-vulnerabilityreport-coredns.yaml"
COST_SAMPLE = "aws-cost/aws-cli-example-get-cost-and-usage-output.json"


def ops_fixture(relative: str) -> dict[str, Any]:
    text = (OPS_FIXTURES / relative).read_text(encoding="utf-8")
    data = json.loads(text) if relative.endswith(".json") else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def sample_sha(service: str) -> str:
    """A stable 40-character git SHA per service (the S3 key of its CI report)."""
    return hashlib.sha1(service.encode(), usedforsecurity=False).hexdigest()


def sample_application(relative: str, name: str) -> dict[str, Any]:
    """Derived: the sample as a custom resource named after a platform app, in argocd."""
    app = copy.deepcopy(ops_fixture(relative))
    app["apiVersion"], app["kind"] = "argoproj.io/v1alpha1", "Application"
    app["metadata"]["name"], app["metadata"]["namespace"] = name, "argocd"
    app["metadata"].setdefault("labels", {})["app"] = name
    return app


def _cost_results(today: date) -> list[dict[str, Any]]:
    """Derived from the AWS CLI's sample month: its S3 amounts as this month's cost, spread
    evenly over the last 35 days, with its Environment tag read as the app tag."""
    groups = ops_fixture(COST_SAMPLE)["ResultsByTime"][0]["Groups"]
    amounts = {g["Keys"][1]: float(g["Metrics"]["UnblendedCost"]["Amount"]) for g in groups}
    total = sum(amounts.values())
    daily = [(today - timedelta(days=n), round(total / 30, 4)) for n in range(35)]
    by_service = {groups[0]["Keys"][0]: total}
    by_app = {"(untagged)": amounts["Environment$"], "blog-service": amounts["Environment$Dev"]}
    month_start = today.replace(day=1)
    results = cost_results_for_peer(daily, by_service, by_app, month_start=month_start)
    return results * 3  # a few reports' worth (the portal caches one for hours)


@dataclass
class OpsPeers:
    kube: KubePeer
    moto: MotoPeer
    env: dict[str, str]


@contextmanager
def ops_peers(work_dir: Path) -> Iterator[OpsPeers]:
    """A Kubernetes API peer and moto, loaded with the samples; the portal's PORTAL_ env."""
    with KubePeer() as kube, MotoPeer() as moto:
        for name, relative in OPS_APPS.items():
            kube.add(sample_application(relative, name))
        report = copy.deepcopy(ops_fixture(OPERATOR_REPORT))
        report["metadata"]["name"] = "replicaset-blog-service-coredns"
        report["metadata"]["namespace"] = "blog"
        kube.add(report)
        for service, relative in CI_REPORTS.items():
            moto.put_trivy_report(TRIVY_BUCKET, service, sample_sha(service), ops_fixture(relative))
        moto.set_cost_results(_cost_results(datetime.now(UTC).date()))
        env = {
            **moto.env(),
            "PORTAL_KUBECONFIG": str(kube.write_kubeconfig(work_dir / "kubeconfig")),
            "PORTAL_TRIVY_BUCKET": TRIVY_BUCKET,
            "PORTAL_COST_ENABLED": "1",
            "PORTAL_GRAFANA_URL": GRAFANA_URL,
            # Every load asks the sources again, so a failure set by a test shows at once.
            "PORTAL_OPS_CACHE_SECONDS": "0",
        }
        yield OpsPeers(kube, moto, env)
