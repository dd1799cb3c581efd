"""Conditions on each person, read whole or asked back (issue 24, group 6, blind-21): two
conditions of one period (3 orders or more and 5000 spent) both apply; conditions in
periods of their own (bought in the last 90 days, 3 orders in the past year) are asked,
never one period for both; a move between two values (从银卡升级到金卡) and groups the
asker names by rules of their own (…算“近”，否则算“远”) are asked, never answered as the
people with either value; a count of people who meet a condition compared with last
year is asked, never each person's figures compared; the glossary's paid orders said
again (按支付订单算) is no new 口径; orders had by the people named after them do not
make the orders the rows. Each answer is checked against SQL written by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import AS_OF, asked_back, read, table

PAID = "pay_time IS NOT NULL"
PAST_YEAR = "order_time >= TIMESTAMP '2025-07-01' AND order_time < TIMESTAMP '2026-07-01'"
MAY = "order_time >= TIMESTAMP '2026-05-01' AND order_time < TIMESTAMP '2026-06-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def _people_with(con: duckdb.DuckDBPyConnection, period: str, orders: str, spent: str) -> int:
    row = con.execute(
        f"""WITH n AS (SELECT user_id, COUNT(*) AS orders FROM orders WHERE {PAID} AND {period} GROUP BY 1),
                 g AS (SELECT o.user_id, SUM(i.amount) AS gmv FROM orders o JOIN order_items i USING (order_id)
                       WHERE o.{PAID} AND o.{period} GROUP BY 1)
            SELECT COUNT(*) FROM n JOIN g USING (user_id) WHERE n.orders {orders} AND g.gmv {spent}"""
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_count_and_an_amount_of_one_period_both_apply(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = _people_with(con, PAST_YEAR, ">= 3", ">= 5000")
    (row,) = table(pipeline, "近一年买了3次及以上、近一年累计花了5000以上的用户有多少个")
    assert row["user_id_count"] == expected
    # 花了超过1000元 beside 订单数超过3: the amount is what they spent, not dropped
    query = read(pipeline, "上个月订单数超过3且花了超过1000元的用户有几个")
    assert {(f.metric, f.op, f.value) for f in query.metric_filters} == {
        ("order_count", ">", 3.0),
        ("gmv", ">", 1000.0),
    }
    (row,) = table(pipeline, "上个月订单数超过3且花了超过1000元的用户有几个")
    assert row["user_id_count"] == _people_with(con, MAY, "> 3", "> 1000")


LAST_90 = "order_time >= TIMESTAMP '2026-04-02' AND order_time < TIMESTAMP '2026-07-01'"


def _bought_in(period: str) -> str:
    return f"SELECT user_id FROM orders WHERE {PAID} AND {period}"


def _met_in(period: str, orders: str, spent: str) -> str:
    """The people with `orders` paid orders and `spent` of GMV in `period`."""
    return f"""SELECT o.user_id FROM orders o JOIN order_items i USING (order_id)
               WHERE o.{PAID} AND o.{period} GROUP BY 1
               HAVING COUNT(DISTINCT o.order_id) {orders} AND SUM(i.amount) {spent}"""


@pytest.mark.parametrize(
    "question",
    [
        "近90天内买过东西、近一年买了3次及以上的用户有多少",
        "customers who ordered 3+ times in the past year and bought in the last 90 days - how many",
    ],
)
def test_conditions_in_periods_of_their_own_each_apply_in_theirs(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    expected = con.execute(
        f"SELECT COUNT(*) FROM ({_met_in(PAST_YEAR, '>= 3', '> 0')}) WHERE user_id IN ({_bought_in(LAST_90)})"
    ).fetchone()
    assert expected is not None
    (row,) = table(pipeline, question)
    assert row["users_count"] == expected[0]


def test_a_recency_a_frequency_and_an_amount_with_what_they_spent(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # an RFM of the asker's own thresholds: the last purchase within 90 days, 3 orders and
    # 5000 spent in the past year; their number and what they spent in it
    expected = con.execute(
        f"""WITH met AS ({_met_in(PAST_YEAR, ">= 3", ">= 5000")}
                         INTERSECT {_bought_in(LAST_90)})
            SELECT COUNT(DISTINCT o.user_id), SUM(i.amount) FROM orders o JOIN order_items i USING (order_id)
            WHERE o.{PAID} AND o.{PAST_YEAR} AND o.user_id IN (SELECT user_id FROM met)"""
    ).fetchone()
    assert expected is not None
    (row,) = table(
        pipeline,
        "按RFM圈一下重要价值客户：最近一次购买在近90天内、近一年买了3次及以上、近一年累计花了5000以上。"
        "这群人有多少个，近一年总共消费多少",
    )
    assert (row["users_count"], row["gmv"]) == (expected[0], pytest.approx(float(expected[1])))


def test_conditions_apart_that_no_reading_takes_are_asked(pipeline: Pipeline) -> None:
    # what they bought in one of the periods is not read with the periods yet: asked
    message = asked_back(pipeline, "近90天内买过美妆、近一年买了3次及以上的用户有多少")
    assert "近90天" in message and "近一年" in message


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("上个月从银卡升级到金卡的会员有多少人？", "升级"),
        ("how many members upgraded from silver to gold last month", "upgraded"),
        ("members who moved from silver to gold", "moved"),
        ("近90天内下过单算“近”，否则算“远”，各有多少人", "否则"),
        ("Number of buyers with 2+ paid orders in May 2026 vs May 2025, and the YoY growth", "vs"),
        ("去年5月下单2次以上的用户有多少，同比呢", "同比"),
    ],
)
def test_what_no_reading_computes_is_asked(pipeline: Pipeline, question: str, word: str) -> None:
    assert word in asked_back(pipeline, question)


def test_two_values_without_a_move_are_both_answered(pipeline: Pipeline) -> None:
    query = read(pipeline, "银卡会员和金卡会员各多少人")
    assert {v for f in query.filters for v in f.values} == {"银卡会员", "金卡会员"}


def test_paid_orders_said_again_are_no_new_definition(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "今年以来买过美妆、但没买过母婴的女性用户有多少个？（都按今年以来的支付订单算）")
    # the words of the basis filter nothing: no event type on orders
    assert all(f.dimension != "event_type" for p in query.presences for f in p.filters)
    expected = con.execute(
        f"""WITH b AS (SELECT DISTINCT o.user_id, p.category FROM orders o
                       JOIN order_items i USING (order_id) JOIN products p USING (product_id)
                       WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01')
            SELECT COUNT(*) FROM users u WHERE u.gender = '女'
              AND u.user_id IN (SELECT user_id FROM b WHERE category = '美妆')
              AND u.user_id NOT IN (SELECT user_id FROM b WHERE category = '母婴')"""
    ).fetchone()
    assert expected is not None
    (row,) = table(pipeline, "今年以来买过美妆、但没买过母婴的女性用户有多少个？（都按今年以来的支付订单算）")
    assert row["users_count"] == expected[0]
    # a basis of another kind is still a new 口径: refused
    reading = pipeline.understander.understand("上个月GMV按下单金额算", AS_OF)
    assert reading.status == "refuse"


def test_orders_the_people_had_do_not_make_the_orders_the_rows(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 去年有过支付订单、但今年以来一单都没付过款: people who had orders last year and none this
    # year, by their city tier; never a count of orders, nor the pay events filtering them
    last_year = "order_time >= TIMESTAMP '2025-01-01' AND order_time < TIMESTAMP '2026-01-01'"
    this_year = "order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01'"
    expected = dict(
        con.execute(
            f"""SELECT city_tier, COUNT(*) FROM users WHERE user_id IN ({_bought_in(last_year)})
                AND user_id NOT IN ({_bought_in(this_year)}) GROUP BY 1"""
        ).fetchall()
    )
    question = "去年有过支付订单、但今年以来一单都没付过款的流失用户有多少？按城市等级拆一下"
    query = read(pipeline, question)
    assert "orders.order_id" not in query.dimensions and not query.filters
    rows = table(pipeline, question)
    assert {r["city_tier"]: r["users_count"] for r in rows} == expected


def test_bands_with_the_high_bound_left_out(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    # under 1000, 1000 to under 5000, …: bands, never four conditions at once (no one met them)
    expected = dict(
        con.execute(
            f"""WITH s AS (SELECT o.user_id, SUM(i.amount) AS spent FROM orders o
                           JOIN order_items i USING (order_id) WHERE o.{PAID} AND o.{PAST_YEAR} GROUP BY 1)
                SELECT CASE WHEN spent < 1000 THEN 0 WHEN spent < 5000 THEN 1 WHEN spent < 20000 THEN 2
                            ELSE 3 END, COUNT(*) FROM s GROUP BY 1"""
        ).fetchall()
    )
    rows = table(
        pipeline,
        "customers by total spend over the last 12 months: under 1000, 1000 to under 5000, "
        "5000 to under 20000, and 20000+. Number of customers and GMV in each",
    )
    assert [r["user_id_count"] for r in rows] == [expected[i] for i in range(4)]


def test_conditions_no_value_meets_are_asked(pipeline: Pipeline) -> None:
    message = asked_back(pipeline, "上个月GMV低于1000且高于5000的用户有多少")
    assert "低于1000" in message and "高于5000" in message
    assert read(pipeline, "上个月GMV高于1000且低于5000的用户有多少").metric_filters


def test_a_count_of_paid_orders_is_of_orders_not_of_pay_events(pipeline: Pipeline) -> None:
    query = read(
        pipeline, "2025年的买家按支付订单数分成1单、2单、3-5单、6单及以上四档，每档各多少人，GMV多少"
    )
    assert query.bands is not None and query.bands.metric == "order_count"
    assert not query.filters  # the event type 支付 filters nothing
    # the paid orders listed are still those with a payment
    listed = read(pipeline, "本周钻石会员的付款订单里，支付金额超过2000的列一下：订单号、用户ID")
    assert any(f.dimension == "orders.pay_time" and f.op == "not_null" for f in listed.filters)


def test_a_per_head_figure_of_one_person_is_their_figure(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 累计消费超过5000元 (linked as 人均消费): each person's GMV compared, not their GMV over
    # a count of one
    query = read(
        pipeline, "今年上半年累计消费超过5000元的用户，按会员等级看各有多少人？消费按支付订单的GMV算"
    )
    assert [(f.metric, f.op, f.value) for f in query.metric_filters] == [("gmv", ">", 5000.0)]
    expected = dict(
        con.execute(
            f"""SELECT u.member_level, COUNT(*) FROM users u WHERE u.user_id IN (
                    SELECT o.user_id FROM orders o JOIN order_items i USING (order_id)
                    WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' GROUP BY 1
                    HAVING SUM(i.amount) > 5000) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(
        pipeline, "今年上半年累计消费超过5000元的用户，按会员等级看各有多少人？消费按支付订单的GMV算"
    )
    assert {r["member_level"]: r["user_id_count"] for r in rows} == expected
