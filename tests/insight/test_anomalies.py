"""What is unusual, and the changes planted in the demo warehouse (issue 25, part 2):
the detector on a series built by hand, then on the warehouse, where "why" finds each
planted change first and the detector flags it, while campaign days are never flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from nlq.demo.warehouse import CHANNEL_DROP, REFUND_SPIKE, TRAFFIC_DIP
from nlq.insight.anomalies import detect, shifted
from nlq.pipeline import Pipeline
from nlq.semantic.query import TimeRange
from tests.insight.conftest import AS_OF, ask


def weekly(start: dt.date, days: int, spike: dict[dt.date, float] | None = None) -> dict[dt.date, float]:
    """100 on weekdays, 150 on Saturdays, with a little noise that repeats every three days."""
    series = {}
    for n in range(days):
        day = start + dt.timedelta(days=n)
        series[day] = (150.0 if day.weekday() == 5 else 100.0) + (n % 3 - 1) * 2.0
    return {**series, **(spike or {})}


def test_the_detector_by_hand() -> None:
    start = dt.date(2026, 1, 5)  # a Monday
    window = TimeRange(start=dt.date(2026, 3, 2), end=dt.date(2026, 3, 15))
    odd, festive = dt.date(2026, 3, 10), dt.date(2026, 3, 12)
    series = weekly(start, 70, {odd: 160.0, festive: 300.0})
    days = detect(series, window, weeks=8, threshold=3.5, campaign_days={festive})
    by_day = {d.day: d for d in days}
    assert len(days) == 14
    # a Saturday at 150 is usual: the same weekday of the weeks before says so
    saturday = by_day[dt.date(2026, 3, 7)]
    assert saturday.expected == pytest.approx(150.0, abs=2.0) and not saturday.flagged
    assert by_day[odd].flagged and by_day[odd].score and by_day[odd].score > 3.5
    # a campaign day is marked, never flagged, however high
    assert by_day[festive].campaign and not by_day[festive].flagged
    assert [d.day for d in days if d.flagged] == [odd]
    assert shifted(days, 3.5, 0.2) is None  # one day is not a lasting change
    lower = {d: v * (0.5 if d >= window.start else 1.0) for d, v in weekly(start, 70).items()}
    shift = shifted(detect(lower, window, weeks=8, threshold=3.5, campaign_days=set()), 3.5, 0.2)
    assert shift is not None and shift.relative == pytest.approx(-0.5, abs=0.02)


def test_why_finds_the_planted_channel_drop_first(pipeline: Pipeline) -> None:
    result = ask(pipeline, "为什么2025年9月GMV下降了")
    assert result.message.startswith("成交额下降")
    ranking = next(b for b in result.answers if "解释力" in b.title)
    assert ranking.rows[0][:2] == ["渠道", CHANNEL_DROP.what]
    by_channel = {r[0]: r for r in result.answers[1].rows}
    assert by_channel[CHANNEL_DROP.what][3] == min(r[3] for r in result.answers[1].rows)


def test_why_finds_the_planted_refund_spike_first(pipeline: Pipeline) -> None:
    result = ask(pipeline, "2025年10月退款率为什么上升了")
    ranking = next(b for b in result.answers if "解释力" in b.title)
    assert ranking.rows[0][:2] == ["品类", REFUND_SPIKE.what]
    assert f"按品类看，{REFUND_SPIKE.what}解释了变化的" in result.message


def test_why_finds_the_planted_traffic_dip_first(pipeline: Pipeline) -> None:
    result = ask(pipeline, "2025年8月11日到8月17日访客数为什么下降了")
    ranking = next(b for b in result.answers if "解释力" in b.title)
    assert ranking.rows[0][0] == "省份" and ranking.rows[0][1].startswith(TRAFFIC_DIP.what)


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("2025年9月各渠道订单数有没有异常", CHANNEL_DROP.what),
        ("2025年10月各品类退款率有没有异常", REFUND_SPIKE.what),
        ("2025年8月各省份访客数有没有异常", TRAFFIC_DIP.what),
    ],
)
def test_the_detector_flags_each_planted_change(pipeline: Pipeline, question: str, value: str) -> None:
    result = ask(pipeline, question)
    flagged = result.answers[0]
    assert flagged.title == "异常的日子"
    groups = [row[2] for row in flagged.rows]
    # the planted value leads, and makes most of the flags
    assert groups[0] == value and groups.count(value) > len(groups) / 2


def test_a_lasting_drop_is_said_even_when_days_stay_in_their_band(pipeline: Pipeline) -> None:
    result = ask(pipeline, "2025年9月各渠道GMV有没有异常")
    lasting = next(b for b in result.answers if b.title == "整段时间的持续偏离")
    assert [row[1] for row in lasting.rows] == [CHANNEL_DROP.what]
    assert lasting.rows[0][4] < -0.5  # about the 70% of its orders cancelled
    assert "持续低于通常值" in result.message


def test_no_false_alarms_on_campaign_days(pipeline: Pipeline) -> None:
    # 2025双11 and 双12 fall in this window: their days are marked, never flagged
    result = ask(pipeline, "2025年11月到12月每天的订单数有没有异常")
    series = result.answers[-1]
    verdicts = {row[0]: row[-1] for row in series.rows}
    assert verdicts["2025-11-11"] == "活动日" and verdicts["2025-12-12"] == "活动日"
    flagged = [b for b in result.answers if b.title == "异常的日子"]
    assert not flagged or all(verdicts[row[1]] != "活动日" for row in flagged[0].rows)


def test_the_series_is_the_governed_daily_metric(pipeline: Pipeline, con: object) -> None:
    import duckdb

    assert isinstance(con, duckdb.DuckDBPyConnection)
    result = ask(pipeline, "近30天哪天的订单数不正常")
    series = result.answers[-1]
    assert series.chart.type == "anomaly"
    expected = dict(
        con.execute(
            "SELECT CAST(order_time AS DATE)::VARCHAR, COUNT(*) FROM orders WHERE pay_time IS NOT NULL "
            "AND order_time >= TIMESTAMP '2026-06-01' GROUP BY 1"
        ).fetchall()
    )
    assert {row[0]: row[1] for row in series.rows} == expected


@pytest.mark.parametrize("question", ["最近有没有什么异常订单？", "any unusual orders last week?"])
def test_unusual_rows_are_not_unusual_days(pipeline: Pipeline, question: str) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status in {"refused", "clarify"} and not result.answers


def test_a_metric_word_nlq_cannot_place_is_asked_back(pipeline: Pipeline) -> None:
    result = pipeline.ask("帮我看看近三个月退款数据里有没有异常", as_of=AS_OF)
    assert result.status == "clarify" and not result.answers
