"""What comes next (issue 25, part 3): a forecast of a period after the last day of data,
with its interval and its backtest, read from Chinese and English, never mixed with
actual figures; and the questions it must not answer with a forecast."""

from __future__ import annotations

import datetime as dt

import pytest

from nlq.eval.scoring import score_forecast
from nlq.insight.forecast import adds_up_over_days
from nlq.pipeline import Pipeline
from tests.insight.conftest import AS_OF, ask


def test_next_months_units_are_forecast_with_an_interval_and_a_backtest(pipeline: Pipeline) -> None:
    result = ask(pipeline, "预测下个月的销量")
    totals, daily, backtest = result.answers
    assert [c.role for c in totals.typed_columns] == ["dimension", "forecast", "band", "band", "band", "band"]
    (row,) = totals.rows
    point, low95, low80, high80, high95 = row[1:]
    assert low95 < low80 < point < high80 < high95
    days = [r[0] for r in daily.rows]
    assert days[0] == "2026-07-01" and days[-1] == "2026-07-31" and len(days) == 31
    # the period's total is the sum of its days' forecasts; each day inside its own interval
    assert sum(r[1] for r in daily.rows) == pytest.approx(point)
    assert all(low <= mean <= high for _, mean, low, high in daily.rows)
    assert daily.chart.type == "forecast" and totals.chart.type == "table"
    (held,) = backtest.rows
    assert held[0] == "2026-05-31 – 2026-06-30" and 0 < held[1] < 1 and 0 < held[2] < 1
    assert "这是预测，不是实际值" in result.message and "回测" in result.message
    # never an actual figure in a forecast's tables: no day on or before the last day of data
    assert all(r[0] > AS_OF.isoformat() for r in daily.rows)


def test_the_same_question_gives_the_same_interval(pipeline: Pipeline) -> None:
    first = ask(pipeline, "forecast GMV for next month").answers[0].rows
    pipeline.forget()
    again = ask(pipeline, "forecast GMV for next month").answers[0].rows
    assert first == again


def test_a_period_begun_is_its_actual_figures_plus_the_forecast(pipeline: Pipeline, con: object) -> None:
    import duckdb

    assert isinstance(con, duckdb.DuckDBPyConnection)
    result = ask(pipeline, "预计今年全年GMV能到多少")
    actual, totals = result.answers[0], result.answers[1]
    expected = con.execute(
        "SELECT SUM(oi.amount) FROM orders o JOIN order_items oi ON oi.order_id = o.order_id "
        "WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-01-01'"
    ).fetchone()
    assert expected is not None
    assert actual.rows[0][0] == pytest.approx(float(expected[0]))
    assert not any(c.role == "forecast" for c in actual.typed_columns)  # apart, never mixed
    assert totals.rows[0][0] == "2026-07-01 – 2026-12-31"
    assert "截至2026-06-30实际为" in result.message


def test_a_forecast_by_channel_is_one_series_per_channel(pipeline: Pipeline) -> None:
    result = ask(pipeline, "forecast GMV for Q3 by channel")
    totals = result.answers[0]
    assert {r[1] for r in totals.rows} == {"天猫", "京东", "抖音", "微信小程序", "APP", "线下门店"}
    assert all(r[0] == "2026-07-01 – 2026-09-30" for r in totals.rows)


@pytest.mark.parametrize(
    ("question", "says"),
    [
        ("下个月客单价预测", "不能按天相加"),  # a ratio is not the sum of its days
        ("预测今年上半年的GMV", "已有数据"),  # the period has data: ask for it
        ("Forecast GMV for next year's Double 11", "campaign"),  # a campaign's lift is not modelled
    ],
)
def test_what_is_not_forecast_is_said(pipeline: Pipeline, question: str, says: str) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status in {"refused", "clarify"} and not result.answers
    assert says in result.message


def test_orders_add_up_over_days_and_buyers_do_not(pipeline: Pipeline) -> None:
    layer = pipeline.layer
    assert adds_up_over_days("order_count", layer) and adds_up_over_days("gmv", layer)
    assert not adds_up_over_days("buyers", layer) and not adds_up_over_days("refund_rate", layer)


def test_a_forecast_is_scored_by_its_days() -> None:
    july = [(dt.date(2026, 7, 1) + dt.timedelta(days=n)).isoformat() for n in range(31)]
    period = ("2026-07-01", "2026-07-31")
    assert score_forecast(status="answered", forecast_days=july, as_of="2026-06-30", period=period).correct
    august = [d.replace("-07-", "-08-") for d in july]
    assert not score_forecast(
        status="answered", forecast_days=august, as_of="2026-06-30", period=period
    ).correct
    assert not score_forecast(status="answered", forecast_days=[], as_of="2026-06-30", period=period).correct
    assert not score_forecast(status="clarify", forecast_days=july, as_of="2026-06-30", period=period).correct
    # a period begun: the forecast starts the day after as_of and reaches the period's end
    year = ("2026-01-01", "2026-12-31")
    rest = [(dt.date(2026, 7, 1) + dt.timedelta(days=n)).isoformat() for n in range(184)]
    assert score_forecast(status="answered", forecast_days=rest, as_of="2026-06-30", period=year).correct
