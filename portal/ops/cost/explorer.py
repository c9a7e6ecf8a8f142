"""AWS cost through Cost Explorer: the last 30 days, month to date by service and by `app` tag,
the month-end forecast and what is left of the budget.

Every Cost Explorer request costs 0.01 USD, so one report makes exactly four: three
GetCostAndUsage (in the fixed order of `COST_QUERIES`, one after the other, because moto
answers them from a queue in that order) and one GetCostForecast beside them. The panel cache
keeps the answer for `PORTAL_COST_CACHE_SECONDS` (6 h).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from portal.ops.aws import aws_error, ce_client, error_code
from portal.ops.cost.forecast import (
    aws_month_end,
    forecast_request,
    linear_projection,
    next_month_start,
    parse_amount,
    to_cents,
)
from portal.ops.cost.models import CostReport, DailyCost, NamedCost
from portal.ops.panel import NotConfigured
from portal.ops.settings import OpsSettings

if TYPE_CHECKING:
    from mypy_boto3_ce import CostExplorerClient

__all__ = [
    "APP_TAG",
    "COST_QUERIES",
    "DAILY_DAYS",
    "UNTAGGED",
    "CostExplorer",
    "daily_costs",
    "grouped_costs",
    "usage_requests",
]

log = structlog.get_logger("portal.ops.cost")

# The order of the GetCostAndUsage calls in one report (the demo loads moto's queue in it).
COST_QUERIES: tuple[str, ...] = ("daily", "by_service", "by_app")
DAILY_DAYS = 30
APP_TAG = "app"  # the cost-allocation tag naming the platform app
UNTAGGED = "(untagged)"
METRIC = "UnblendedCost"
IAM_ACTIONS = "ce:GetCostAndUsage and ce:GetCostForecast"
MAX_PAGES = 50  # a peer repeating its NextPageToken must not keep the thread forever

ClientFactory = Callable[[], "CostExplorerClient"]


def _utc_today() -> date:
    return datetime.now(UTC).date()


def usage_requests(today: date) -> dict[str, dict[str, Any]]:
    """The GetCostAndUsage requests of one report, by query name (End is exclusive)."""
    month_start = today.replace(day=1)
    month = {"Start": month_start.isoformat(), "End": next_month_start(today).isoformat()}
    # Daily from 30 days ago, or from the 1st when that is earlier (the 31st of a month), so
    # month to date can be summed from the days.
    daily_start = min(today - timedelta(days=DAILY_DAYS - 1), month_start)
    daily = {"Start": daily_start.isoformat(), "End": (today + timedelta(days=1)).isoformat()}
    grouped = {"TimePeriod": month, "Granularity": "MONTHLY", "Metrics": [METRIC]}
    return {
        "daily": {"TimePeriod": daily, "Granularity": "DAILY", "Metrics": [METRIC]},
        "by_service": {**grouped, "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]},
        "by_app": {**grouped, "GroupBy": [{"Type": "TAG", "Key": APP_TAG}]},
    }


def _results(pages: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        r for page in pages for r in (page.get("ResultsByTime") or []) if isinstance(r, Mapping)
    ]


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _result_amount(result: Mapping[str, Any]) -> Decimal | None:
    """A period's total; with GroupBy the Total is empty (`{}`), so the groups are summed."""
    total = parse_amount((result.get("Total") or {}).get(METRIC))
    if total is not None:
        return total
    amounts = [
        parse_amount((g.get("Metrics") or {}).get(METRIC)) for g in result.get("Groups") or []
    ]
    present = [a for a in amounts if a is not None]
    return sum(present, Decimal(0)) if present else None


def daily_costs(pages: list[Mapping[str, Any]]) -> dict[date, tuple[Decimal, bool]]:
    """Day → (amount, estimated) for the days that have data."""
    days: dict[date, tuple[Decimal, bool]] = {}
    for result in _results(pages):
        day = _day((result.get("TimePeriod") or {}).get("Start"))
        amount = _result_amount(result)
        if day is not None and amount is not None:
            days[day] = (amount, bool(result.get("Estimated")))
    return days


def _group_index(page: Mapping[str, Any], group_type: str, key: str) -> int:
    definitions = [d for d in page.get("GroupDefinitions") or [] if isinstance(d, Mapping)]
    for exact in (True, False):
        for index, definition in enumerate(definitions):
            if definition.get("Type") == group_type and (not exact or definition.get("Key") == key):
                return index
    return 0


def _group_name(raw: str, group_type: str) -> str:
    if group_type == "TAG":
        # Tag groups are keyed `<tag key>$<value>`; `app$` is a resource without the tag.
        value = raw.split("$", 1)[1] if "$" in raw else raw
        return value or UNTAGGED
    return raw or "(unknown)"


def grouped_costs(pages: list[Mapping[str, Any]], group_type: str, key: str) -> list[NamedCost]:
    """Costs summed by the group `group_type`/`key`, largest first; cents-less groups dropped."""
    sums: dict[str, Decimal] = {}
    for page in pages:
        index = _group_index(page, group_type, key)
        for result in _results([page]):
            for group in result.get("Groups") or []:
                keys = group.get("Keys") or []
                raw = str(keys[index]) if index < len(keys) else ""
                amount = parse_amount((group.get("Metrics") or {}).get(METRIC))
                if amount is not None:
                    name = _group_name(raw, group_type)
                    sums[name] = sums.get(name, Decimal(0)) + amount
    costs = [NamedCost(name=n, amount_usd=to_cents(a)) for n, a in sums.items()]
    return sorted((c for c in costs if c.amount_usd), key=lambda c: (-c.amount_usd, c.name))


def _currency(pages: list[Mapping[str, Any]]) -> str:
    for result in _results(pages):
        unit = ((result.get("Total") or {}).get(METRIC) or {}).get("Unit")
        if unit:
            return str(unit)
    return "USD"


class CostExplorer:
    """The cost panel's source. `forecast_client` builds the client for GetCostForecast only
    (tests stub it with botocore's Stubber, as moto lacks it); by default it is the same."""

    def __init__(
        self,
        settings: OpsSettings,
        today: Callable[[], date] = _utc_today,
        forecast_client: ClientFactory | None = None,
    ) -> None:
        self._settings = settings
        self._today = today
        self._forecast_client = forecast_client or self._client
        self._ce: CostExplorerClient | None = None

    def _client(self) -> CostExplorerClient:
        if self._ce is None:
            self._ce = ce_client(self._settings)
        return self._ce

    async def report(self) -> CostReport:
        if not self._settings.cost_enabled:
            raise NotConfigured(
                "AWS cost (Cost Explorer)", "PORTAL_COST_ENABLED=1 (and AWS credentials)"
            )
        today = self._today()
        try:
            usage, forecast = await asyncio.gather(
                asyncio.to_thread(self._usage, today), asyncio.to_thread(self._forecast, today)
            )
        except (BotoCoreError, ClientError) as exc:
            raise aws_error(
                exc,
                what="Cost Explorer",
                needs=IAM_ACTIONS,
                endpoint=self._settings.aws_endpoint_url,
            ) from exc
        return self._build(today, usage, forecast)

    def _usage(self, today: date) -> dict[str, list[Mapping[str, Any]]]:
        client = self._client()
        requests = usage_requests(today)
        # One after the other, in COST_QUERIES order: moto hands out its answers in that order.
        return {name: self._pages(client, requests[name]) for name in COST_QUERIES}

    @staticmethod
    def _pages(client: CostExplorerClient, request: dict[str, Any]) -> list[Mapping[str, Any]]:
        pages: list[Mapping[str, Any]] = []
        token, seen = "", set()
        for _ in range(MAX_PAGES):
            kwargs: dict[str, Any] = {**request, **({"NextPageToken": token} if token else {})}
            page = client.get_cost_and_usage(**kwargs)
            pages.append(page)
            seen.add(token)
            token = str(page.get("NextPageToken") or "")
            if not token or token in seen:
                break
        return pages

    def _forecast(self, today: date) -> Mapping[str, Any] | None:
        try:
            return self._forecast_client().get_cost_forecast(**forecast_request(today))
        except ClientError as exc:
            # Moto lacks it; AWS says DataUnavailableException early in a month: project instead.
            log.info("cost_forecast_unavailable", code=error_code(exc), error=str(exc)[:200])
        except BotoCoreError as exc:
            log.info("cost_forecast_unavailable", error=str(exc)[:200])
        return None

    def _build(
        self,
        today: date,
        usage: dict[str, list[Mapping[str, Any]]],
        forecast: Mapping[str, Any] | None,
    ) -> CostReport:
        month_start = today.replace(day=1)
        days = {d: v for d, v in daily_costs(usage["daily"]).items() if d <= today}
        month = {d: v for d, v in days.items() if d >= month_start}
        month_to_date = sum((a for a, _ in month.values()), Decimal(0))
        as_of = max(days, default=today)
        window = [today - timedelta(days=n) for n in range(DAILY_DAYS - 1, -1, -1)]
        daily = [
            DailyCost(day=d, amount_usd=to_cents(days[d][0]), estimated=days[d][1])
            if d in days
            else DailyCost(day=d, amount_usd=0.0)
            for d in window
        ]
        before_today = sum((a for d, (a, _) in month.items() if d < today), Decimal(0))
        month_end = aws_month_end(forecast, before_today) if forecast is not None else None
        method = "aws"
        if month_end is None:
            method = "linear"
            month_end = linear_projection(month_to_date, max(as_of, month_start))
        budget = Decimal(str(self._settings.budget_usd))
        return CostReport(
            currency=_currency(usage["daily"]),
            month_start=month_start,
            as_of=as_of,
            month_to_date_usd=to_cents(month_to_date),
            estimated=any(estimated for _, estimated in month.values()),
            daily=daily,
            by_service=grouped_costs(usage["by_service"], "DIMENSION", "SERVICE"),
            by_app=grouped_costs(usage["by_app"], "TAG", APP_TAG),
            forecast_month_end_usd=to_cents(month_end),
            forecast_method=method,
            budget_usd=float(budget),
            budget_left_usd=to_cents(budget - month_to_date),
        )
