"""The cost panel's answer."""

from __future__ import annotations

from datetime import date

from portal.ops.panel import Model

__all__ = ["CostReport", "DailyCost", "NamedCost"]


class DailyCost(Model):
    day: date
    amount_usd: float
    estimated: bool = False


class NamedCost(Model):
    name: str  # an AWS service, or an `app` tag value; "(untagged)" for resources without it
    amount_usd: float


class CostReport(Model):
    currency: str = "USD"
    month_start: date
    as_of: date  # the last day with data
    month_to_date_usd: float
    # True while AWS has not finalised some of month to date (its `Estimated` flag).
    estimated: bool = False
    daily: list[DailyCost]  # the last 30 days, oldest first
    by_service: list[NamedCost]  # month to date, largest first
    by_app: list[NamedCost]  # month to date by the `app` cost-allocation tag
    forecast_month_end_usd: float
    # "aws" (GetCostForecast) or "linear" (a projection of month to date, labelled as such).
    forecast_method: str
    budget_usd: float
    # Ideal burn-down: budget left at each day of the month vs what is really left.
    budget_left_usd: float
