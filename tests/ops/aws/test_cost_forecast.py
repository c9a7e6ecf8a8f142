"""The month-end forecast: the linear projection when moto (like AWS early in a month) has no
GetCostForecast, and AWS's own through botocore's Stubber (for that one call only)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from botocore.stub import Stubber

from devstack.peers.aws import MotoPeer
from portal.ops.aws import ce_client
from portal.ops.cost.forecast import forecast_request
from portal.ops.settings import OpsSettings
from tests.ops.aws.cost_data import (
    TODAY,
    cents,
    daily_amounts,
    load_answers,
    month_to_date,
    report,
)


def stubbed_forecast(settings: OpsSettings) -> tuple[Any, Stubber]:
    """A real Cost Explorer client built the adapter's way, with GetCostForecast stubbed."""
    client = ce_client(settings)
    return client, Stubber(client)


FORECAST_REQUEST = {
    "TimePeriod": {"Start": "2026-11-12", "End": "2026-12-01"},
    "Metric": "UNBLENDED_COST",
    "Granularity": "MONTHLY",
}


async def test_report_projects_linearly_when_moto_lacks_forecast(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)

    result = await report(aws_settings)

    assert result.forecast_method == "linear"
    assert result.forecast_month_end_usd == cents(month_to_date(daily_amounts()) / 12 * 30)


async def test_report_uses_aws_forecast_when_it_answers(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    client, stubber = stubbed_forecast(aws_settings)
    period = FORECAST_REQUEST["TimePeriod"]
    stubber.add_response(
        "get_cost_forecast",
        {
            "Total": {"Amount": "20.5012345", "Unit": "USD"},
            "ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": "20.5012345"}],
        },
        FORECAST_REQUEST,
    )

    with stubber:
        result = await report(aws_settings, forecast_client=lambda: client)
        stubber.assert_no_pending_responses()

    # Spent before today plus AWS's forecast from today to the month's end.
    before_today = month_to_date(daily_amounts(), TODAY - timedelta(days=1))
    assert result.forecast_method == "aws"
    assert result.forecast_month_end_usd == cents(before_today + Decimal("20.5012345"))


async def test_report_falls_back_to_linear_when_forecast_data_is_unavailable(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    client, stubber = stubbed_forecast(aws_settings)
    stubber.add_client_error(
        "get_cost_forecast",
        service_error_code="DataUnavailableException",
        service_message="Insufficient amount of historical data to generate forecast.",
        http_status_code=400,
        expected_params=FORECAST_REQUEST,
    )

    with stubber:
        result = await report(aws_settings, forecast_client=lambda: client)

    assert result.forecast_method == "linear"
    assert result.forecast_month_end_usd == cents(month_to_date(daily_amounts()) / 12 * 30)


async def test_report_falls_back_to_linear_when_forecast_has_no_amount(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    client, stubber = stubbed_forecast(aws_settings)
    stubber.add_response("get_cost_forecast", {"ForecastResultsByTime": []}, FORECAST_REQUEST)

    with stubber:
        result = await report(aws_settings, forecast_client=lambda: client)

    assert result.forecast_method == "linear"


async def test_report_sums_forecast_periods_when_total_is_absent(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    client, stubber = stubbed_forecast(aws_settings)
    period = FORECAST_REQUEST["TimePeriod"]
    answer = {"ForecastResultsByTime": [{"TimePeriod": period, "MeanValue": "7.25"}] * 2}
    stubber.add_response("get_cost_forecast", answer, FORECAST_REQUEST)

    with stubber:
        result = await report(aws_settings, forecast_client=lambda: client)

    before_today = month_to_date(daily_amounts(), TODAY - timedelta(days=1))
    assert result.forecast_method == "aws"
    assert result.forecast_month_end_usd == cents(before_today + Decimal("14.50"))


def test_forecast_request_runs_to_the_end_of_december() -> None:
    assert forecast_request(date(2026, 12, 31)) == {
        "TimePeriod": {"Start": "2026-12-31", "End": "2027-01-01"},
        "Metric": "UNBLENDED_COST",
        "Granularity": "MONTHLY",
    }
