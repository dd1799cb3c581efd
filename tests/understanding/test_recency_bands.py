"""Bands of the days since each one's last paid order (30天内、31-90天、91-180天、180天以上),
counted to today or to the day named, checked against SQL written by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline

BY_HAND = """
WITH last_paid AS (
  SELECT user_id, DATE_DIFF('day', MAX(CAST(order_time AS DATE)), DATE '{day}') AS days
  FROM orders WHERE pay_time IS NOT NULL AND order_time < DATE '{day}' + INTERVAL 1 DAY {period}
  GROUP BY user_id)
SELECT CASE WHEN days <= 30 THEN 'a' WHEN days <= 90 THEN 'b' WHEN days <= 180 THEN 'c' ELSE 'd' END AS band,
       COUNT(*) FROM last_paid GROUP BY 1 ORDER BY 1
"""


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def by_hand(con: duckdb.DuckDBPyConnection, day: str, period: str = "") -> list[int]:
    return [n for _, n in con.execute(BY_HAND.format(day=day, period=period)).fetchall()]


@pytest.mark.parametrize(
    ("question", "as_of"),
    [
        (
            "按最近一次购买距今多少天，把买过东西的用户分成4层：30天内、31-90天、91-180天、180天以上，每层各多少人",
            "2026-03-31",
        ),
        (
            "做个R分层：以3月31日为基准，按最后一次支付订单距今的天数分成 0-30天、31-90天、91-180天、180天以上 四档，各多少人",
            "2026-06-30",
        ),
        (
            "How many customers fall in each recency band? Days since their last paid order: 0-30, 31-90, 91-180, and over 180.",
            "2026-03-31",
        ),
    ],
)
def test_bands_of_days_since_the_last_order(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, as_of: str
) -> None:
    result = pipeline.ask(question, as_of=dt.date.fromisoformat(as_of))
    assert result.status == "answered", result.message
    (answer,) = result.answers
    assert [row[-1] for row in answer.rows] == by_hand(con, "2026-03-31")
    assert "2026-03-31" in result.interpretation


def test_labels_are_the_askers_and_a_period_keeps_its_buyers(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask(
        "近一年买过的用户按距今天数分成30天内、31-90天、91-180天、180天以上，每档人数",
        as_of=dt.date(2026, 6, 30),
    )
    (answer,) = result.answers
    assert [row[0] for row in answer.rows] == ["30天内", "31-90天", "91-180天", "180天以上"]
    expected = by_hand(con, "2026-06-30", "AND order_time >= DATE '2025-07-01'")
    assert [row[-1] for row in answer.rows] == expected


def test_a_period_that_ends_before_today_is_asked(pipeline: Pipeline) -> None:
    # the days since the last order of last year would not be the days since the last order
    result = pipeline.ask(
        "去年买过的用户按距今天数分成30天内、31-90天、91-180天、180天以上，每档人数",
        as_of=dt.date(2026, 6, 30),
    )
    assert result.status == "clarify"
