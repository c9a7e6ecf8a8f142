"""Daily AWS cost for the demo: about 1.2 USD a day across the services the platform runs
(EKS, EC2 spot nodes, the NAT gateway, ECR, S3, CloudWatch), split by the `app` tag the way
Cost Explorer splits it (shared infrastructure stays untagged)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from devstack.demo.model import PLATFORM_SERVICES

__all__ = ["AWS_SERVICES", "CostRow", "daily_costs"]

# Cost Explorer's SERVICE dimension values, with a typical day's cost in USD and the share
# of it that carries an `app` tag (the rest is shared: control plane, NAT, buckets).
AWS_SERVICES: dict[str, tuple[float, float]] = {
    "Amazon Elastic Container Service for Kubernetes": (0.40, 0.0),
    "Amazon Elastic Compute Cloud - Compute": (0.36, 0.7),
    "EC2 - Other": (0.24, 0.0),  # the NAT gateway's hours and bytes, EBS
    "AmazonCloudWatch": (0.10, 0.8),
    "Amazon EC2 Container Registry (ECR)": (0.05, 1.0),
    "Amazon Simple Storage Service": (0.03, 0.3),
}
APP_SHARES = dict(zip(PLATFORM_SERVICES, (0.30, 0.45, 0.25), strict=True))


@dataclass(frozen=True)
class CostRow:
    """One day's unblended cost of one AWS service for one `app` tag value ("" untagged)."""

    day: date
    service: str
    app: str
    amount_usd: float


def daily_costs(rng: random.Random, days: int, today: date) -> list[CostRow]:
    """`days` days ending yesterday (Cost Explorer has no figures for today yet), oldest first."""
    rows: list[CostRow] = []
    first = today - timedelta(days=days)
    for offset in range(days):
        day = first + timedelta(days=offset)
        weekend = day.weekday() >= 5
        growth = 1.0 + 0.15 * offset / days  # the platform grew a little over the quarter
        for service, (typical, tagged) in AWS_SERVICES.items():
            load = (
                0.85
                if weekend and service != "Amazon Elastic Container Service for Kubernetes"
                else 1.0
            )
            amount = typical * growth * load * rng.uniform(0.9, 1.1)
            if tagged < 1.0:
                rows.append(CostRow(day, service, "", round(amount * (1 - tagged), 6)))
            if tagged > 0.0:
                for app, share in APP_SHARES.items():
                    rows.append(CostRow(day, service, app, round(amount * tagged * share, 6)))
    return rows
