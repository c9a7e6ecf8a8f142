"""The cost panel: month to date against the budget, the forecast, a daily chart, the split."""

from __future__ import annotations

from typing import Any

import reflex as rx

from portal.components.ops.figures import Amount
from portal.components.ops.frame import panel, table
from portal.state.ops import CostState

# SVG fills cannot read CSS variables: Radix indigo 9, orange 9 and gray 9 (both themes).
BAR, LEFT, IDEAL = "#3e63dd", "#f76b15", "#8b8d98"


def _amount(a: Amount) -> rx.Component:
    return rx.el.tr(rx.el.td(a.name), rx.el.td(a.usd))


def _figure(label: str, value: rx.Var[str], figure_id: str) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="1", color="var(--gray-11)"),
        rx.text(value, size="4", weight="bold", id=figure_id),
        spacing="0",
    )


def cost_panel() -> rx.Component:
    c: Any = CostState.cost
    return panel(
        "cost",
        "AWS cost",
        CostState.cost_panel,
        rx.cond(
            c.month_to_date != "",
            rx.vstack(
                rx.hstack(
                    _figure("Month to date", c.month_to_date, "cost-mtd"),
                    _figure("Budget", c.budget, "cost-budget"),
                    _figure("Forecast (" + c.forecast_label + ")", c.forecast, "cost-forecast"),
                    _figure("Budget left", c.budget_left, "cost-left"),
                    spacing="5",
                    wrap="wrap",
                ),
                rx.cond(
                    c.over_budget,
                    rx.text("The forecast is over the budget.", color="var(--red-11)", size="2"),
                    rx.text("The forecast is within the budget.", size="2"),
                ),
                rx.text("Daily cost, last 30 days (to " + c.as_of + ")", size="2"),
                rx.recharts.bar_chart(
                    rx.recharts.bar(
                        data_key="usd", fill=BAR, name="USD a day", is_animation_active=False
                    ),
                    rx.recharts.x_axis(data_key="day"),
                    rx.recharts.y_axis(),
                    rx.recharts.graphing_tooltip(),
                    data=CostState.cost_daily,
                    width="100%",
                    height=200,
                ),
                rx.text("Budget burn-down this month: left vs spending evenly", size="2"),
                rx.recharts.line_chart(
                    rx.recharts.line(
                        data_key="left", stroke=LEFT, name="left", is_animation_active=False
                    ),
                    rx.recharts.line(
                        data_key="ideal",
                        stroke=IDEAL,
                        stroke_dasharray="4 4",
                        name="ideal",
                        is_animation_active=False,
                    ),
                    rx.recharts.x_axis(data_key="day"),
                    rx.recharts.y_axis(),
                    rx.recharts.legend(),
                    rx.recharts.graphing_tooltip(),
                    data=CostState.cost_daily,
                    width="100%",
                    height=200,
                ),
                rx.hstack(
                    rx.box(
                        rx.heading("By service", size="3", as_="h3"),
                        table(["Service", "Month to date"], rx.foreach(c.by_service, _amount)),
                        min_width="14rem",
                        flex="1",
                    ),
                    rx.box(
                        rx.heading("By app tag", size="3", as_="h3"),
                        table(["App", "Month to date"], rx.foreach(c.by_app, _amount)),
                        min_width="14rem",
                        flex="1",
                    ),
                    wrap="wrap",
                    width="100%",
                    spacing="4",
                ),
                width="100%",
                spacing="2",
            ),
        ),
    )
