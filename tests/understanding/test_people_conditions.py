"""Questions about people that meet a condition, as analysts write them (issue 24, group 6):
the people counted by the metric that counts them, a count in each group named after it,
one table for figures asked "each" of the groups before, a bracket that only glosses a
value; and what nlq cannot yet compute (both values, again in a later period, one value
for what happened and another for what did not, the share of those meeting a condition)
asked back, never answered as another question. Each answer is checked against SQL
written by hand from the analysts' definitions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.pipeline import Pipeline
from nlq.semantic.query import SemanticQuery

AS_OF = dt.date(2026, 6, 30)
PAID = "pay_time IS NOT NULL"
MAY = "order_time >= TIMESTAMP '2026-05-01' AND order_time < TIMESTAMP '2026-06-01'"
JUNE = "order_time >= TIMESTAMP '2026-06-01' AND order_time < TIMESTAMP '2026-07-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def read(pipeline: Pipeline, question: str) -> SemanticQuery:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", (question, reading.message)
    assert len(reading.steps) == 1, question
    return reading.steps[0].query


def table(pipeline: Pipeline, question: str) -> list[dict[str, Any]]:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    assert len(result.answers) == 1, question
    block = result.answers[0]
    return [dict(zip(block.columns, row, strict=True)) for row in block.rows]


def test_buyers_who_ordered_a_number_of_times_are_counted_in_each_group(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            f"""SELECT u.city_tier, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID} AND {MAY}
                GROUP BY 1 HAVING COUNT(*) >= 2) AS b JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    for question in (
        "Last month, how many buyers in each city tier ordered at least twice?",
        "上个月各城市等级下单至少2次的买家有多少",
        "Last month, how many customers in each city tier ordered at least 2 times?",
    ):
        found = {
            r["city_tier"]: next(v for k, v in r.items() if k != "city_tier")
            for r in table(pipeline, question)
        }
        assert found == expected, question
    # a bound on the buyers themselves stays one: cities with more than 1000 buyers
    assert read(pipeline, "哪些城市上个月买家超过1000人").metric_filters[0].metric == "buyers"


def test_people_without_a_later_purchase_are_counted_in_each_group_named(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            f"""SELECT u.city_tier, COUNT(*) FROM users u
                WHERE u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {MAY})
                  AND u.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND {JUNE})
                GROUP BY 1"""
        ).fetchall()
    )
    found = table(pipeline, "5月份买过东西、6月却没再买的用户有多少？按城市等级拆一下。")
    assert {r["city_tier"]: r["users_count"] for r in found} == expected


def test_figures_asked_of_each_group_before_are_one_table(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        kind: (buyers, pytest.approx(float(gmv)))
        for kind, buyers, gmv in con.sql(
            f"""WITH first AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1)
                SELECT CASE WHEN f.t >= TIMESTAMP '2026-05-01' THEN '新客' ELSE '老客' END,
                       COUNT(DISTINCT o.user_id), SUM(i.amount)
                FROM orders o JOIN first f USING (user_id) JOIN order_items i USING (order_id)
                WHERE o.{PAID} AND o.{MAY} GROUP BY 1"""
        ).fetchall()
    }
    found = table(pipeline, "上个月新客和老客各有多少人？成交额分别是多少？")
    assert {r["buyer_type"]: (r["buyers"], float(r["gmv"])) for r in found} == expected


def test_a_bracket_after_a_value_that_names_a_dimension_glosses_it(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "average order value of new customers (first purchase ever) vs returning customers last month",
    )
    assert query.dimensions == ["buyer_type"]
    # a bracket that says how to group is a grouping
    assert "channel" in read(pipeline, "GMV of new customers (by channel) last month").dimensions


def test_a_count_of_paid_orders_is_dated_by_the_order_time(pipeline: Pipeline) -> None:
    query = read(pipeline, "今年付款下单2次及以上的用户有多少")
    assert query.time_dimension is None
    assert query.metric_filters[0].value == 2


@pytest.mark.parametrize(
    "question",
    [
        "This year, how many users bought both 服饰 and 运动户外?",
        "服饰和运动户外两类都买过的用户有多少",
        "5月买过、6月又买了的用户有多少",
        "去年双11买过的用户，今年618又回来买的有多少人？",
        "How many users bought 手机数码 in 2025 but didn't buy anything from 美妆 that year?",
        "Last month, what share of buyers in each city tier ordered at least twice?",
        "去年付款下单5次及以上的用户有多少人？他们的成交额占全年GMV的比例是多少？",
    ],
)
def test_what_nlq_cannot_compute_about_people_is_asked_back(pipeline: Pipeline, question: str) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "clarify", (question, [s.query for s in reading.steps])


def test_the_same_value_on_both_sides_of_what_did_not_happen_applies_to_both(pipeline: Pipeline) -> None:
    query = read(pipeline, "去年买过美妆、今年没买美妆的用户有多少")
    assert query.without and query.with_figure and [f.values for f in query.filters] == [["美妆"]]


def test_people_picked_by_what_they_spent_are_split_by_an_attribute(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            f"""SELECT u.gender, COUNT(*) FROM (
                  SELECT o.user_id FROM orders o JOIN order_items i USING (order_id)
                  WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-07-01'
                  GROUP BY 1 HAVING SUM(i.amount) > 5000) AS b JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    for question in (
        "What's the gender split of users who spent over ¥5,000 in the first half of this year?",
        "今年上半年消费超过5000元的用户的性别分布",
    ):
        found = {r["gender"]: r["user_id_count"] for r in table(pipeline, question)}
        assert found == expected, question
