"""Put a demo data set into the protocol peers, where the portal's real adapters read it.

- Kubernetes API peer: the Applications (argocd) and VulnerabilityReports (blog).
- moto: the CI pipeline's Trivy reports in the demo bucket, and Cost Explorer's answers for
  the requests the portal's cost report makes today, queued many times over.
- Redis (optional): the image ledger, as if the portal had watched every deployment in the
  history (it learns only the revisions it sees; a demo has not been running for weeks).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta

import redis

from devstack.demo.dataset import DemoData
from devstack.peers.aws import MotoPeer, cost_results_for_peer
from devstack.peers.kube import KubePeer

__all__ = [
    "COST_REPEATS",
    "DAILY_DAYS",
    "LEDGER_PREFIX",
    "cost_answers",
    "load_aws",
    "load_kube",
    "prefill_ledger",
]

# The portal's cost report asks for the last 30 days (portal.ops.cost.explorer.DAILY_DAYS)
# and keeps its ledger in `portal:ops:images:<app>` (portal.ops.argocd.ledger); a test
# checks both agree with the portal.
DAILY_DAYS = 30
LEDGER_PREFIX = "portal:ops:images:"
# moto hands out one queued answer per new distinct request: enough for a long demo.
COST_REPEATS = 40


def load_kube(peer: KubePeer, data: DemoData) -> None:
    """Every Application and VulnerabilityReport (works before or after the peer starts)."""
    for obj in [*data.applications, *data.vulnerability_reports]:
        peer.add(obj)


def cost_answers(data: DemoData, today: date) -> list[dict[str, object]]:
    """The three GetCostAndUsage answers of one cost report on `today`, from the data set."""
    month_start = today.replace(day=1)
    first = min(today - timedelta(days=DAILY_DAYS - 1), month_start)
    daily: dict[date, float] = defaultdict(float)
    by_service: dict[str, float] = defaultdict(float)
    by_app: dict[str, float] = defaultdict(float)
    for row in data.costs:
        if first <= row.day <= today:
            daily[row.day] += row.amount_usd
        if month_start <= row.day <= today:
            by_service[row.service] += row.amount_usd
            by_app[row.app] += row.amount_usd
    return cost_results_for_peer(
        sorted(daily.items()),
        dict(sorted(by_service.items(), key=lambda kv: -kv[1])),
        dict(sorted(by_app.items(), key=lambda kv: -kv[1])),
        month_start=month_start,
    )


def load_aws(peer: MotoPeer, data: DemoData, today: date | None = None) -> None:
    """Upload the CI Trivy reports to the demo bucket and queue the Cost Explorer answers."""
    reports = list(data.trivy_reports.items())
    if reports:  # the first through the peer, which creates the bucket
        key, report = reports[0]
        service, sha = key.removeprefix("trivy/").removesuffix(".json").split("/")
        peer.put_trivy_report(data.bucket, service, sha, report)
    s3 = peer.client("s3")  # one client for the rest: a client per upload takes ~0.2 s each
    for key, report in reports[1:]:
        body = json.dumps(report).encode()
        s3.put_object(Bucket=data.bucket, Key=key, Body=body, ContentType="application/json")
    answers = cost_answers(data, today or data.now.date())
    peer.set_cost_results(answers * COST_REPEATS)


def prefill_ledger(redis_url: str, data: DemoData) -> int:
    """Record revision -> images for every history entry; the number of entries written."""
    written = 0
    with redis.Redis.from_url(redis_url, socket_timeout=5) as client:
        pipe = client.pipeline(transaction=False)
        for app, images in data.images_by_revision().items():
            mapping = {revision: json.dumps(found) for revision, found in images.items()}
            pipe.hset(LEDGER_PREFIX + app, mapping=mapping)
            written += len(mapping)
        pipe.execute()
    return written
