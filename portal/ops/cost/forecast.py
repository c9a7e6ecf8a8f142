"""Month-end cost forecast: AWS's GetCostForecast when it answers, else a linear projection.

GetCostForecast is missing from moto (the demo and tests) and answers DataUnavailableException
early in a month, so the panel then shows month to date projected linearly over the month,
labelled as such (`forecast_method="linear"`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CENT",
    "aws_month_end",
    "days_in_month",
    "forecast_request",
    "linear_projection",
    "next_month_start",
    "parse_amount",
    "to_cents",
]

CENT = Decimal("0.01")


def to_cents(amount: Decimal) -> float:
    """Cost Explorer's long decimal strings, rounded to cents only at the end (for display)."""
    return float(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def parse_amount(metric: Any) -> Decimal | None:
    """`{"Amount": "40.3543773134", "Unit": "USD"}` to a Decimal; None when absent or odd."""
    if not isinstance(metric, Mapping):
        return None
    try:
        value = Decimal(str(metric["Amount"]))
    except (KeyError, InvalidOperation):
        return None
    return value if value.is_finite() else None


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def next_month_start(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def forecast_request(today: date) -> dict[str, Any]:
    """GetCostForecast from today (its earliest allowed start) to the end of this month."""
    return {
        "TimePeriod": {"Start": today.isoformat(), "End": next_month_start(today).isoformat()},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
    }


def linear_projection(month_to_date: Decimal, as_of: date) -> Decimal:
    """Month to date spread over the days elapsed up to `as_of` (the last day with data),
    times the days of the month. Today's partial day counts as a whole day, so early in a
    day this is a little low; it is labelled as a projection, not AWS's forecast."""
    elapsed = as_of.day
    return month_to_date / elapsed * days_in_month(as_of)


def aws_month_end(response: Mapping[str, Any], spent_before_today: Decimal) -> Decimal | None:
    """The month-end total from a GetCostForecast answer, or None when it holds no amount.

    The forecast covers today to the month's end, so what was spent before today is added;
    today's partial spend is already inside the forecast.
    """
    remaining = parse_amount(response.get("Total"))
    if remaining is None:
        periods = response.get("ForecastResultsByTime") or []
        amounts = [parse_amount({"Amount": p.get("MeanValue")}) for p in periods]
        if not amounts or any(a is None for a in amounts):
            return None
        remaining = sum((a for a in amounts if a is not None), Decimal(0))
    return spent_before_today + remaining
