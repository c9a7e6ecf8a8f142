"""The Cost Explorer adapter against moto in server mode, with answers built from the AWS CLI's
real example output (tests/ops/fixtures/aws-cost) and a derived daily series; botocore's
Stubber stands in only for GetCostForecast, which moto lacks."""

from __future__ import annotations

import copy
import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from botocore.stub import Stubber

from devstack.peers.aws import MotoPeer
from portal.ops.aws import ce_client
from portal.ops.cache import PanelCache
from portal.ops.cost.explorer import COST_QUERIES, CostExplorer, usage_requests
from portal.ops.cost.forecast import parse_amount
from portal.ops.cost.models import CostReport, NamedCost
from portal.ops.loader import PanelSpec, load_panel
from portal.ops.panel import NotConfigured, PanelStatus, Unauthorised, Unreachable
from portal.ops.settings import OpsSettings
from tests.ops.aws.conftest import iam_user, load_fixture

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


def stubbed_forecast(settings: OpsSettings) -> tuple[Any, Stubber]:
    """A real Cost Explorer client built the adapter's way, with GetCostForecast stubbed."""
    client = ce_client(settings)
    return client, Stubber(client)


FORECAST_REQUEST = {
    "TimePeriod": {"Start": "2026-11-12", "End": "2026-12-01"},
    "Metric": "UNBLENDED_COST",
    "Granularity": "MONTHLY",
}


async def test_report_sums_month_to_date_from_this_months_days(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)

    result = await report(aws_settings)

    assert result.month_to_date_usd == cents(month_to_date(daily_amounts()))
    assert result.month_start == MONTH_START
    assert result.as_of == TODAY
    assert result.estimated is True
    assert result.currency == "USD"


async def test_report_lists_30_days_oldest_first_with_a_missing_day_as_zero(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    amounts = daily_amounts()

    result = await report(aws_settings)

    assert [d.day for d in result.daily] == [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    by_day = {d.day: d for d in result.daily}
    assert by_day[MISSING_DAY].amount_usd == 0.0
    assert by_day[date(2026, 10, 31)].amount_usd == cents(amounts[date(2026, 10, 31)])
    assert by_day[date(2026, 10, 31)].estimated is False
    assert by_day[TODAY].estimated is True


async def test_report_orders_services_largest_first_without_sub_cent_ones(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)

    result = await report(aws_settings)

    # S3's two real groups (Environment$ and Environment$Dev) add up: 40.3543... + 0.2682...
    assert result.by_service == [
        NamedCost(name=EKS, amount_usd=73.0),
        NamedCost(name=S3, amount_usd=40.62),
    ]


async def test_report_names_costs_without_the_app_tag_untagged(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)

    result = await report(aws_settings)

    assert result.by_app == [
        NamedCost(name="(untagged)", amount_usd=40.35),
        NamedCost(name="Dev", amount_usd=0.27),
    ]


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


@pytest.mark.parametrize("budget", [50.0, 10.0])
async def test_report_computes_budget_left(
    moto_peer: MotoPeer, aws_settings: OpsSettings, budget: float
) -> None:
    load_answers(moto_peer)
    settings = dataclasses.replace(aws_settings, budget_usd=budget)

    result = await report(settings)

    spent = month_to_date(daily_amounts())
    assert result.budget_usd == budget
    assert result.budget_left_usd == cents(Decimal(str(budget)) - spent)
    assert (result.budget_left_usd < 0) is (budget == 10.0)  # 17.xx spent: over a 10 USD budget


async def test_report_makes_exactly_four_cost_explorer_calls(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)

    await report(aws_settings)

    calls = moto_peer.operations({"GetCostAndUsage", "GetCostForecast"})
    assert sorted(calls) == ["GetCostAndUsage"] * 3 + ["GetCostForecast"]


async def test_report_follows_next_page_tokens(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    amounts = daily_amounts()
    whole = daily_answer(amounts)
    first, second = copy.deepcopy(whole), copy.deepcopy(whole)
    first["ResultsByTime"], second["ResultsByTime"] = (
        whole["ResultsByTime"][:20],
        whole["ResultsByTime"][20:],
    )
    first["NextPageToken"] = "page-2"
    # moto answers each distinct request in turn: page 2 of the daily query comes second.
    moto_peer.set_cost_results([first, second, by_service_answer(), by_app_answer()])

    result = await report(aws_settings)

    assert result.month_to_date_usd == cents(month_to_date(amounts))
    assert result.daily[-1].amount_usd == cents(amounts[TODAY])
    assert moto_peer.operations({"GetCostAndUsage"}) == ["GetCostAndUsage"] * 4


async def test_report_stops_when_a_page_token_repeats(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    looping = daily_answer(daily_amounts())
    looping["NextPageToken"] = "again"
    # Derived: a broken peer whose page 2 names itself as the next page again.
    moto_peer.set_cost_results([looping, looping, by_service_answer(), by_app_answer()])

    result = await report(aws_settings)

    assert result.month_to_date_usd == cents(month_to_date(daily_amounts()))
    assert moto_peer.operations({"GetCostAndUsage"}) == ["GetCostAndUsage"] * 4


async def test_report_sums_month_from_the_first_on_the_31st(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    today = date(2026, 10, 31)  # 30 days back is 2 October: the 1st is outside the chart
    amounts = daily_amounts(today, days=31)
    answers = {
        "daily": daily_answer(amounts, date(2026, 10, 1)),
        "by_service": this_month(load_fixture(CLI_EXAMPLE), date(2026, 10, 1)),
        "by_app": by_app_answer(),
    }
    moto_peer.set_cost_results([answers[name] for name in COST_QUERIES])

    result = await report(aws_settings, today)

    assert usage_requests(today)["daily"]["TimePeriod"] == {
        "Start": "2026-10-01",
        "End": "2026-11-01",
    }
    assert result.daily[0].day == date(2026, 10, 2)
    assert result.month_to_date_usd == cents(sum(amounts.values(), Decimal(0)))


async def test_report_on_the_first_without_data_shows_nothing_spent(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    today = date(2026, 12, 1)
    amounts = {d: a for d, a in daily_amounts().items() if d < MONTH_START + timedelta(days=5)}
    load_answers(moto_peer, amounts)  # nothing for December yet, nor for late November

    result = await report(aws_settings, today)

    assert result.month_to_date_usd == 0.0
    assert result.estimated is False
    assert result.as_of == max(amounts)
    assert result.forecast_month_end_usd == 0.0
    assert all(d.amount_usd == 0.0 for d in result.daily if d.day > max(amounts))


async def test_report_sums_groups_when_daily_total_is_empty(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    amounts = daily_amounts()
    answer = daily_answer(amounts)
    for result in answer["ResultsByTime"]:  # derived: the CLI example's empty Total with groups
        amount = result["Total"].pop("UnblendedCost")
        result["Groups"] = [{"Keys": ["x"], "Metrics": {"UnblendedCost": amount}}]
    answer["ResultsByTime"][-1]["Groups"] = []  # and one day with neither
    moto_peer.set_cost_results([answer, by_service_answer(), by_app_answer()])

    result = await report(aws_settings)

    assert result.daily[-2].amount_usd == cents(amounts[TODAY - timedelta(days=1)])
    assert result.daily[-1].amount_usd == 0.0
    assert result.as_of == TODAY - timedelta(days=1)
    assert result.currency == "USD"


async def test_report_is_not_configured_when_cost_is_disabled(moto_peer: MotoPeer) -> None:
    settings = OpsSettings.from_env(moto_peer.env())

    with pytest.raises(NotConfigured) as caught:
        await report(settings)

    assert "PORTAL_COST_ENABLED=1" in caught.value.reason
    assert moto_peer.operations() == []  # not a cent spent


@pytest.mark.usefixtures("no_aws_credentials")
async def test_report_is_unauthorised_without_credentials(moto_server: MotoPeer) -> None:
    # moto_server, not moto_peer: that one puts the peer's keys in the environment.
    settings = OpsSettings.from_env({**moto_server.env(), "PORTAL_COST_ENABLED": "1"})

    with pytest.raises(Unauthorised) as caught:
        await report(settings)

    assert caught.value.reason.startswith("no AWS credentials: ")
    assert "ce:GetCostAndUsage" in caught.value.reason


async def test_report_is_unauthorised_when_iam_denies_cost_explorer(
    moto_peer: MotoPeer, aws_settings: OpsSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in iam_user(moto_peer, ["s3:ListBucket"]).items():
        monkeypatch.setenv(name, value)
    moto_peer.require_auth()

    with pytest.raises(Unauthorised) as caught:
        await report(aws_settings)

    reason = caught.value.reason
    assert "AccessDenied" in reason
    assert "is not authorized to perform: ce:GetCostAndUsage" in reason
    assert reason.endswith("needs ce:GetCostAndUsage and ce:GetCostForecast.")


@pytest.mark.usefixtures("fake_aws_credentials")
async def test_report_is_unreachable_on_a_closed_port(closed_port_url: str) -> None:
    settings = OpsSettings(cost_enabled=True, aws_endpoint_url=closed_port_url)

    with pytest.raises(Unreachable) as caught:
        await report(settings)

    assert caught.value.reason.startswith(f"Cost Explorer at {closed_port_url}: cannot connect")


@pytest.mark.usefixtures("fake_aws_credentials")
async def test_report_times_out_below_the_panel_deadline(silent_server_url: str) -> None:
    settings = OpsSettings(
        cost_enabled=True, aws_endpoint_url=silent_server_url, timeout_seconds=0.5
    )
    spec = PanelSpec("cost", CostExplorer(settings).report, CostReport, 60)
    started = datetime.now(UTC)

    panel = await load_panel(spec, PanelCache(), timeout=3.0)

    # botocore's read timeout (0.4 s) fired, not the loader's 3 s deadline.
    assert panel.status is PanelStatus.TIMED_OUT
    assert (datetime.now(UTC) - started).total_seconds() < 2.5


async def test_report_tolerates_odd_answers(moto_peer: MotoPeer, aws_settings: OpsSettings) -> None:
    amounts = daily_amounts()
    daily = daily_answer(amounts)
    daily["ResultsByTime"][-1]["TimePeriod"]["Start"] = "today"  # derived: a day it cannot read
    daily["ResultsByTime"][-2]["Total"]["UnblendedCost"]["Amount"] = "NaN"
    services = by_service_answer()
    del services["GroupDefinitions"]  # then the first key names the group
    groups = services["ResultsByTime"][0]["Groups"]
    groups[0]["Metrics"] = {"BlendedCost": groups[0]["Metrics"]["BlendedCost"]}  # no Unblended
    del groups[1]["Metrics"]["UnblendedCost"]["Amount"]
    groups.append({"Keys": [], "Metrics": {"UnblendedCost": {"Amount": "3", "Unit": "USD"}}})
    moto_peer.set_cost_results([daily, services, by_app_answer()])

    result = await report(aws_settings)

    assert result.as_of == TODAY - timedelta(days=2)
    assert result.daily[-1].amount_usd == result.daily[-2].amount_usd == 0.0
    assert result.by_service == [
        NamedCost(name=EKS, amount_usd=73.0),
        NamedCost(name="(unknown)", amount_usd=3.0),
    ]


def test_parse_amount_refuses_what_is_not_an_amount_object() -> None:
    assert parse_amount("0.27") is None
    assert parse_amount({"Amount": "1e3", "Unit": "USD"}) == Decimal(1000)


async def test_report_asks_again_on_every_call(
    moto_peer: MotoPeer, aws_settings: OpsSettings
) -> None:
    load_answers(moto_peer)
    explorer = CostExplorer(aws_settings, today=lambda: TODAY)

    first = await explorer.report()
    second = await explorer.report()

    # Keeping answers is the panel cache's job: each report pays for its four calls.
    assert second == first
    assert len(moto_peer.operations({"GetCostAndUsage", "GetCostForecast"})) == 8
