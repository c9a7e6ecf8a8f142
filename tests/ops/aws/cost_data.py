"""Cost Explorer answers for the tests: the AWS CLI's real example output
(tests/ops/fixtures/aws-cost) moved to the report's month, and daily series derived from it."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from devstack.peers.aws import MotoPeer
from portal.ops.cost.explorer import COST_QUERIES, CostExplorer
from portal.ops.cost.models import CostReport
from portal.ops.settings import OpsSettings
from tests.ops.aws.conftest import load_fixture

TODAY = date(2026, 11, 12)  # the 30-day window starts on 14 October: a month boundary inside
MONTH_START = date(2026, 11, 1)
MISSING_DAY = date(2026, 10, 20)  # AWS sent nothing for it
CLI_EXAMPLE = "aws-cost/aws-cli-example-get-cost-and-usage-output.json"
EKS = "Amazon Elastic Container Service for Kubernetes"
S3 = "Amazon Simple Storage Service"


def cents(amount: Decimal) -> float:
    return float(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def this_month(answer: dict[str, Any], month_start: date = MONTH_START) -> dict[str, Any]:
    """Derived: the real monthly answer moved from September 2017 to the report's month."""
    end = (month_start + timedelta(days=32)).replace(day=1)
    for result in answer["ResultsByTime"]:
        result["TimePeriod"] = {"Start": month_start.isoformat(), "End": end.isoformat()}
        result["Estimated"] = True
    return answer


def by_service_answer() -> dict[str, Any]:
    """Derived: the real answer (S3 split by an Environment tag, so two S3 groups), plus an EKS
    group and a Tax group under a cent."""
    answer = this_month(load_fixture(CLI_EXAMPLE))
    groups = answer["ResultsByTime"][0]["Groups"]
    eks, tax = copy.deepcopy(groups[0]), copy.deepcopy(groups[1])
    eks["Keys"] = [EKS, "Environment$Prod"]
    eks["Metrics"]["UnblendedCost"]["Amount"] = "73.0000000000"
    tax["Keys"] = ["Tax", "Environment$"]
    tax["Metrics"]["UnblendedCost"]["Amount"] = "0.0012000000"
    groups.extend([eks, tax])
    return answer


def by_app_answer() -> dict[str, Any]:
    """Derived: the real answer with its Environment tag renamed to the platform's `app` tag
    (`app$` is the untagged group)."""
    answer: dict[str, Any] = json.loads(
        json.dumps(this_month(load_fixture(CLI_EXAMPLE))).replace("Environment", "app")
    )
    return answer


def daily_amounts(today: date = TODAY, days: int = 35) -> dict[date, Decimal]:
    """Derived: the example's S3 month spread over days (plus a cent per day of age)."""
    real = load_fixture(CLI_EXAMPLE)["ResultsByTime"][0]["Groups"]
    month = sum((Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in real), Decimal(0))
    per_day = (month / 30).quantize(Decimal("0.0000000001"))
    amounts = {today - timedelta(days=n): per_day + Decimal(n) / 100 for n in range(days)}
    amounts.pop(MISSING_DAY, None)
    return amounts


def daily_answer(amounts: dict[date, Decimal], month_start: date = MONTH_START) -> dict[str, Any]:
    results = [
        {
            "TimePeriod": {"Start": d.isoformat(), "End": (d + timedelta(days=1)).isoformat()},
            "Total": {"UnblendedCost": {"Amount": str(amount), "Unit": "USD"}},
            "Groups": [],
            "Estimated": d >= month_start,
        }
        for d, amount in sorted(amounts.items())
    ]
    return {"GroupDefinitions": [], "ResultsByTime": results, "DimensionValueAttributes": []}


def month_to_date(amounts: dict[date, Decimal], today: date = TODAY) -> Decimal:
    return sum((a for d, a in amounts.items() if today.replace(day=1) <= d <= today), Decimal(0))


def load_answers(peer: MotoPeer, amounts: dict[date, Decimal] | None = None) -> None:
    answers = {
        "daily": daily_answer(daily_amounts() if amounts is None else amounts),
        "by_service": by_service_answer(),
        "by_app": by_app_answer(),
    }
    peer.set_cost_results([answers[name] for name in COST_QUERIES])


async def report(settings: OpsSettings, today: date = TODAY, **kwargs: Any) -> CostReport:
    return await CostExplorer(settings, today=lambda: today, **kwargs).report()
