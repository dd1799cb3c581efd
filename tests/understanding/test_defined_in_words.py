"""Segments, cohorts and funnels said in a user's own words rather than the layer's
(blind-14): a condition on each customer beside a grouping or a profile, a cohort named
by its first purchase and the months after it, the layouts a question asks for (months
or steps side by side, a row per step), each checked against SQL written by hand."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.pipeline import Pipeline
from nlq.semantic.query import SemanticQuery

AS_OF = dt.date(2026, 6, 30)
PAID = "pay_time IS NOT NULL"
H1 = "order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01'"
# Each user's paid orders by month, and the month of their first: the cohorts' facts.
MONTHS = f"""
WITH paid AS (SELECT user_id, CAST(date_trunc('month', order_time) AS DATE) AS m FROM orders
              WHERE {PAID} AND order_time < TIMESTAMP '2026-07-01' GROUP BY 1, 2),
first AS (SELECT user_id, MIN(m) AS cohort FROM paid GROUP BY 1)
"""


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def read(pipeline: Pipeline, question: str) -> SemanticQuery:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", (question, reading.message)
    assert len(reading.steps) == 1, question
    return reading.steps[0].query


def answer(pipeline: Pipeline, question: str, block: int = 0) -> list[dict[str, Any]]:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    found = result.answers[block]
    return [dict(zip(found.columns, row, strict=True)) for row in found.rows]


def close(a: Any, b: Any) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9)


def test_a_condition_on_each_customer_is_kept_beside_a_grouping(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            f"SELECT u.city_tier, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID} AND {H1} "
            "GROUP BY 1 HAVING COUNT(*) >= 3) AS p JOIN users u USING (user_id) GROUP BY 1"
        ).fetchall()
    )
    for question in (
        "今年上半年下过3笔以上付款订单的用户按城市等级分布",
        "how many customers placed at least 3 paid orders in the first half of this year, by city tier",
    ):
        found = {row["city_tier"]: row["user_id_count"] for row in answer(pipeline, question)}
        assert found == expected, question  # not the tiers that had 3 orders or more
    # the groups themselves, and the figure's own rows, are no customers to condition
    brands = read(pipeline, "Which brands had more than 25 different products sold this year?")
    assert brands.dimensions == ["brand"]
    provinces = read(pipeline, "In 2025, which provinces averaged more than 600 paid orders a month?")
    assert provinces.dimensions == ["province"]


def test_the_profile_of_customers_meeting_a_condition_counts_them(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    reading = pipeline.understander.understand("今年上半年付款订单在5笔及以上的用户的用户画像", AS_OF)
    assert reading.status == "answer" and len(reading.steps) == 4
    result = pipeline.ask("今年上半年付款订单在5笔及以上的用户的用户画像", as_of=AS_OF)
    block = next(b for b in result.answers if "gender" in b.columns)
    genders = {row[0]: row[-1] for row in block.rows}
    expected = dict(
        con.sql(
            f"SELECT u.gender, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID} AND {H1} "
            "GROUP BY 1 HAVING COUNT(*) >= 5) AS p JOIN users u USING (user_id) GROUP BY 1"
        ).fetchall()
    )
    assert genders == expected


def test_a_cohort_said_by_its_first_purchase_and_the_months_after(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "2025年10月首购的那批客户，只看首购后第1到第3个月，每个月有多少人回购")
    assert query.cohort and query.cohort_offsets == [1, 2, 3]
    expected = dict(
        con.sql(
            MONTHS
            + "SELECT date_diff('month', f.cohort, p.m), COUNT(*) FROM first f JOIN paid p USING (user_id) "
            "WHERE f.cohort = DATE '2025-10-01' AND date_diff('month', f.cohort, p.m) BETWEEN 1 AND 3 GROUP BY 1"
        ).fetchall()
    )
    found = answer(pipeline, "2025年10月首购的那批客户，只看首购后第1到第3个月，每个月有多少人回购")
    assert {row["month_offset"]: row["buyers"] for row in found} == expected
    assert [str(row["month"]) for row in found] == ["2025-11-01", "2025-12-01", "2026-01-01"]
    english = read(
        pipeline,
        "For customers whose first purchase was in March 2025, what share bought again in months 1 through 6?",
    )
    assert english.cohort and english.cohort_offsets == [1, 2, 3, 4, 5, 6]
    # 之后每个月 leaves the cohort's own month out; 从首购当月开始算 keeps it
    after = read(pipeline, "2026年1月首购的用户，之后每个月还有多少人买")
    assert after.cohort_offsets == [1, 2, 3, 4, 5]
    own = read(pipeline, "2026年1月首购的用户，后续每个月的留存人数是多少？从首购当月开始算")
    assert own.cohort_offsets == [] and own.time_range and own.time_range.start == dt.date(2026, 1, 1)
    # a later month named is the month looked at, or the last one followed (为止)
    april = read(pipeline, "今年1月首购的新客，到4月还在买的留存率多少")
    assert april.cohort_offsets == [3]
    until = read(
        pipeline, "今年1-3月每个月首次付款下单的用户，在之后每个月（到5月为止）分别还有多少人有付款订单"
    )
    assert until.cohort_until == dt.date(2026, 5, 31)


def test_a_cohort_size_is_its_own_month(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    expected = dict(
        (str(cohort), n)
        for cohort, n in con.sql(
            MONTHS + "SELECT cohort, COUNT(*) FROM first WHERE cohort >= DATE '2026-01-01' GROUP BY 1"
        ).fetchall()
    )
    for question in (
        "今年每个月的首购新客群各有多大",
        "How big was each monthly cohort of first-time buyers this year?",
    ):
        assert read(pipeline, question).cohort_offsets == [0], question
        found = {row["first_order_month"]: row["buyers"] for row in answer(pipeline, question)}
        assert found == expected, question


def test_months_listed_one_by_one_lay_a_cohort_side_by_side(pipeline: Pipeline) -> None:
    question = "今年1-3月各月首购客群第1、2、3个月的留存率各是多少"
    query = read(pipeline, question)
    assert query.cohort_wide and query.cohort_offsets == [1, 2, 3]
    wide = answer(pipeline, question)
    long = answer(pipeline, "今年1-3月各月首购客群的第1到第3个月留存率")
    assert len(wide) == 3 and len(long) == 9
    for row in long:
        side = next(w for w in wide if w["first_order_month"] == row["first_order_month"])
        assert close(side[f"month_{row['month_offset']}_retention_rate"], row["retention_rate"])
        assert side["cohort_size"] == row["cohort_size"]


def test_a_funnel_laid_out_as_asked(pipeline: Pipeline) -> None:
    long = answer(pipeline, "今年上半年的转化漏斗")
    assert [row["event_type"] for row in long] == ["view", "cart", "order", "pay"]
    one_row = answer(
        pipeline, "今年上半年的漏斗，不用分行，放一行里给我：浏览人数、加购人数、下单人数、支付人数"
    )
    assert len(one_row) == 1
    for row in long:
        assert one_row[0][f"{row['event_type']}_active_users"] == row["active_users"]
    pairs = read(pipeline, "上个月的漏斗：浏览到加购、加购到下单、下单到支付的转化率")
    assert pairs.funnel_wide  # pairs listed one by one are figures side by side
    chain = read(pipeline, "上个月浏览→加购→下单→支付的漏斗")
    assert not chain.funnel_wide  # an arrow chain names the funnel
    per_step = read(
        pipeline, "Funnel for this quarter - one row per step, conversion against the first step only"
    )
    assert per_step.funnel and not per_step.funnel_wide


def test_a_funnel_without_its_word_and_by_named_steps(pipeline: Pipeline) -> None:
    counted = read(pipeline, "去年双11活动期间，浏览、加购、下单、支付分别有多少人")
    assert counted.funnel and counted.funnel_steps == [] and not counted.funnel_wide
    named = read(
        pipeline, "June 2026 funnel by event channel: how many distinct users viewed, added to cart and paid"
    )
    assert (
        named.funnel_steps == ["view", "cart", "pay"]
        and named.dimensions == ["channel"]
        and named.funnel_wide
    )
    metrics = read(
        pipeline,
        "Monthly funnel for the first half of this year: visitors, users who added to cart, paying users",
    )
    assert metrics.funnel_steps == ["view", "cart", "pay"] and metrics.time_grain == "month"


def test_a_monthly_funnel_is_one_funnel_per_month(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    found = answer(pipeline, "今年上半年每个月的转化漏斗")
    expected = {
        str(month): n
        for month, n in con.sql(
            "SELECT CAST(date_trunc('month', event_time) AS DATE), COUNT(DISTINCT user_id) FROM events "
            "WHERE event_type = 'view' AND event_time >= TIMESTAMP '2026-01-01' GROUP BY 1"
        ).fetchall()
    }
    views = {row["month"]: row["active_users"] for row in found if row["event_type"] == "view"}
    assert views == expected and len(found) == 24


def test_values_listed_together_are_values_not_a_comparison(pipeline: Pipeline) -> None:
    query = read(pipeline, "上个月的买家按购买次数分一下层，买1次、2次、3次及以上的各有多少人")
    assert query.dimensions == ["purchase_frequency"] and not query.metric_filters
    assert len(answer(pipeline, "上个月的买家按购买次数分一下层，买1次、2次、3次及以上的各有多少人")) == 3


def test_money_compared_with_a_spending_word_is_what_was_spent(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = con.sql(
        f"SELECT COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID} AND order_time >= TIMESTAMP '2026-01-01' "
        "AND order_time < TIMESTAMP '2026-04-01' GROUP BY 1 HAVING SUM(pay_amount) > 5000)"
    ).fetchall()[0][0]
    found = answer(pipeline, "上季度消费超过5000块的客户有几个")
    assert next(iter(found[0].values())) == expected


def test_a_listing_shows_the_columns_it_names(pipeline: Pipeline) -> None:
    result = pipeline.ask("最近3天新注册的钻石会员有哪些？列出用户ID、城市、注册日期和注册渠道", as_of=AS_OF)
    assert result.status == "answered"
    assert set(result.answers[0].columns) == {"user_id", "city", "register_date", "register_channel"}
    # none named: the rows' usual columns
    shown = pipeline.ask("最近3天新注册的钻石会员有哪些", as_of=AS_OF).answers[0].columns
    assert {"user_id", "member_level", "city"} <= set(shown)


def test_a_name_defined_in_brackets_is_its_condition(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # the layer knows 复购 otherwise (and 首购用户 is near): the brackets say what is meant
    result = pipeline.ask("今年的复购用户（今年付款订单≥2笔的人）用户画像是什么样的？", as_of=AS_OF)
    assert result.status == "answered", result.message
    block = next(b for b in result.answers if "gender" in b.columns)
    expected = dict(
        con.sql(
            f"SELECT u.gender, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID} AND {H1} "
            "GROUP BY 1 HAVING COUNT(*) >= 2) AS p JOIN users u USING (user_id) GROUP BY 1"
        ).fetchall()
    )
    assert {row[0]: row[-1] for row in block.rows} == expected


def test_paid_orders_are_dated_as_orders_and_orders_paid_by_the_payment(pipeline: Pipeline) -> None:
    # 付款订单 names the rows (paid orders, by their order time); 付款的订单 dates them
    assert read(pipeline, "今年付款订单在5笔及以上的用户有多少人").time_dimension is None
    assert read(pipeline, "今年付款的订单有多少").time_dimension == "orders.pay_time"
    # 付款了2单: the verb says what is counted, the period dates the orders as usual
    assert read(pipeline, "618期间付款了2单及以上的用户有多少").time_dimension is None


def test_buckets_restated_in_brackets_are_the_grouping(pipeline: Pipeline) -> None:
    # 3+ orders is the bucket 3次及以上 named again, not a condition on each bucket's orders
    query = read(pipeline, "purchase frequency buckets for this quarter's buyers (1 / 2 / 3+ orders)")
    assert query.dimensions == ["purchase_frequency"] and not query.metric_filters and not query.filters
    # values in brackets that are not buckets still pick those values
    picked = read(pipeline, "上个月各渠道（天猫、京东）的GMV")
    assert picked.filters and set(picked.filters[0].values) == {"天猫", "京东"}
