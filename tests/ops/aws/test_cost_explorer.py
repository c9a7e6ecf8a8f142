"""The Cost Explorer adapter against moto in server mode: month to date, the daily chart, costs
by service and by `app` tag, budget, pagination and the number of (paid) calls."""

from __future__ import annotations

import copy
import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from devstack.peers.aws import MotoPeer
from portal.ops.cost.explorer import COST_QUERIES, CostExplorer, usage_requests
from portal.ops.cost.forecast import parse_amount
from portal.ops.cost.models import NamedCost
from portal.ops.settings import OpsSettings
from tests.ops.aws.conftest import load_fixture
from tests.ops.aws.cost_data import (
    CLI_EXAMPLE,
    EKS,
    MISSING_DAY,
    MONTH_START,
    S3,
    TODAY,
    by_app_answer,
    by_service_answer,
    cents,
    daily_amounts,
    daily_answer,
    load_answers,
    month_to_date,
    report,
    this_month,
)


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
