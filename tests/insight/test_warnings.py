"""该如何应对 (issue 25, part 4): stock warnings from the layer's settings, and the churn-risk
segment the demo layer governs, each checked against SQL written by hand."""

from __future__ import annotations

import math

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.insight.conftest import AS_OF, ask

COVER = """
WITH stock AS (
    SELECT p.product_name, SUM(s.stock_qty) AS q FROM inventory_snapshots s JOIN products p USING (product_id)
    WHERE s.snapshot_date = (SELECT MAX(snapshot_date) FROM inventory_snapshots WHERE snapshot_date <= DATE '2026-06-30')
    GROUP BY 1),
sold AS (
    SELECT p.product_name, SUM(oi.quantity) / 28.0 AS d FROM orders o JOIN order_items oi USING (order_id)
    JOIN products p USING (product_id)
    WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-06-03' AND o.order_time < TIMESTAMP '2026-07-01'
    GROUP BY 1)
SELECT product_name, q, d, q / d FROM stock JOIN sold USING (product_name) WHERE q / d < 60 ORDER BY 4
"""


@pytest.mark.parametrize("question", ["哪些商品快断货了", "库存不足的商品", "what is running out of stock"])
def test_stock_warnings_are_the_items_short_of_cover(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    result = ask(pipeline, question)
    flagged = result.answers[0]
    expected = con.execute(COVER).fetchall()
    assert expected, "the demo has an item short of 60 days of cover"
    assert [r[0] for r in flagged.rows] == [name for name, *_ in expected]
    for row, (_, stock, daily, cover) in zip(flagged.rows, expected, strict=True):
        assert row[1] == pytest.approx(float(stock)) and row[2] == pytest.approx(float(daily), abs=0.01)
        assert row[3] == pytest.approx(float(cover), abs=0.05)
        assert row[4] == math.ceil(90 * float(daily) - float(stock))  # up to 90 days of cover


def test_a_stock_warning_keeps_the_questions_filters(pipeline: Pipeline) -> None:
    result = ask(pipeline, "美妆有哪些商品需要补货")
    assert result.answers[0].rows == []  # no 美妆 item is short
    assert "WHERE products.category = '美妆'" in result.answers[0].sql


def test_buyers_at_risk_of_churning_by_member_level(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = ask(pipeline, "有流失风险的用户有多少人，按会员等级看")
    got = {r[0]: r[1] for r in result.answers[0].rows}
    expected = dict(
        con.execute(
            """
            WITH f AS (
                SELECT user_id, MIN(CAST(order_time AS DATE)) AS first_order, MAX(CAST(order_time AS DATE)) AS last_order,
                       COUNT(*) AS n
                FROM orders WHERE pay_time IS NOT NULL AND order_time < TIMESTAMP '2026-07-01' GROUP BY 1
                HAVING MAX(order_time) >= TIMESTAMP '2025-07-01')
            SELECT u.member_level, COUNT(*) FROM f JOIN users u USING (user_id)
            WHERE n >= 2 AND DATE_DIFF('day', last_order, DATE '2026-06-30')
                  > GREATEST(30, 2.0 * DATE_DIFF('day', first_order, last_order) / (n - 1))
            GROUP BY 1
            """
        ).fetchall()
    )
    assert got == expected and sum(got.values()) > 0


def test_a_province_managers_buyers_at_risk_are_her_provinces(pipeline: Pipeline) -> None:
    question = "有流失风险的用户有多少人"
    everyone = ask(pipeline, question).answers[0].rows[0][0]
    guangdong = pipeline.for_role("province_manager", {"province": "广东"}).ask(question, as_of=AS_OF)
    assert guangdong.status == "answered", guangdong.message
    assert 0 < guangdong.answers[0].rows[0][0] < everyone
