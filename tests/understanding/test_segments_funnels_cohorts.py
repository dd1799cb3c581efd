"""Governed segments (新老客, 购买频次, RFM), funnels, cohort retention and moving
averages (issue 24, groups 3, 6 and 7): each read from Chinese and English wording,
compiled by the semantic layer, and checked against SQL written by hand from the
analysts' definitions; the look-alikes keep their governed metric."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.charts import plan_chart
from nlq.pipeline import Pipeline
from nlq.presentation import describe_columns
from nlq.semantic.compiler import Compiler
from nlq.semantic.errors import QueryError
from nlq.semantic.loader import load_layer
from nlq.semantic.query import Filter, SemanticQuery, TimeRange
from nlq.semantic.validate import validate

AS_OF = dt.date(2026, 6, 30)
DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
PAID = "pay_time IS NOT NULL"
MAY = "order_time >= TIMESTAMP '2026-05-01' AND order_time < TIMESTAMP '2026-06-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


@pytest.fixture()
def db(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    return con


def read(pipeline: Pipeline, question: str) -> SemanticQuery:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", (question, reading.message)
    assert len(reading.steps) == 1, question
    return reading.steps[0].query


def answer(pipeline: Pipeline, question: str) -> list[dict[str, Any]]:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    block = result.answers[0]
    return [dict(zip(block.columns, row, strict=True)) for row in block.rows]


def rows(db: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in db.sql(sql).fetchall()]


def close(a: Any, b: Any) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9)


# -- segments --------------------------------------------------------------------------------
def test_new_and_returning_buyers_are_decided_by_the_first_paid_order_ever(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "上个月新客和老客各有多少人")
    assert query.metrics == ["buyers"] and query.dimensions == ["buyer_type"]
    expected = dict(
        rows(
            db,
            f"""WITH firsts AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE {PAID} GROUP BY 1),
            buyers AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND {MAY})
            SELECT CASE WHEN f.first >= TIMESTAMP '2026-05-01' THEN '新客' ELSE '老客' END, COUNT(*)
            FROM buyers b JOIN firsts f USING (user_id) GROUP BY 1""",
        )
    )
    found = {r["buyer_type"]: r["buyers"] for r in answer(pipeline, "上个月新客和老客各有多少人")}
    assert found == expected and set(found) == {"新客", "老客"}


def test_a_figure_of_a_segment_counts_the_segments_orders(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    (expected,) = rows(
        db,
        f"""WITH firsts AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE {PAID} GROUP BY 1)
        SELECT SUM(pay_amount) FROM orders o JOIN firsts f USING (user_id)
        WHERE o.{PAID} AND o.{MAY} AND f.first < TIMESTAMP '2026-05-01'""",
    )[0]
    (row,) = answer(pipeline, "上个月老客贡献了多少GMV")
    assert close(row["gmv"], expected)


def test_purchase_frequency_counts_the_orders_the_filter_keeps(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "今年美妆的购买频次分层，每层多少人")
    assert query.dimensions == ["purchase_frequency"] and query.metrics == ["buyers"]
    expected = dict(
        rows(
            db,
            """WITH n AS (SELECT o.user_id, COUNT(*) AS k FROM orders o WHERE o.pay_time IS NOT NULL
                 AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-07-01'
                 AND EXISTS (SELECT 1 FROM order_items i JOIN products p USING (product_id)
                             WHERE i.order_id = o.order_id AND p.category = '美妆') GROUP BY 1)
            SELECT CASE WHEN k = 1 THEN '1次' WHEN k = 2 THEN '2次' ELSE '3次及以上' END, COUNT(*)
            FROM n GROUP BY 1""",
        )
    )
    found = {
        r["purchase_frequency"]: r["buyers"] for r in answer(pipeline, "今年美妆的购买频次分层，每层多少人")
    }
    assert found == expected and len(found) == 3


def test_rfm_takes_the_last_365_days_when_no_period_is_asked(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "RFM分群各有多少人")
    assert query.time_range == TimeRange(start=dt.date(2025, 7, 1), end=AS_OF)
    expected = dict(
        rows(
            db,
            f"""WITH u AS (SELECT user_id, DATE_DIFF('day', MAX(CAST(order_time AS DATE)), DATE '2026-06-30') <= 90 AS r,
                   COUNT(*) >= 3 AS f, SUM(pay_amount) >= 3000 AS m FROM orders
                   WHERE {PAID} AND order_time >= TIMESTAMP '2025-07-01' AND order_time < TIMESTAMP '2026-07-01'
                   GROUP BY 1)
            SELECT CASE WHEN m THEN '重要' ELSE '一般' END ||
                   CASE WHEN r AND f THEN '价值' WHEN r THEN '发展' WHEN f THEN '保持' ELSE '挽留' END || '客户',
                   COUNT(*) FROM u GROUP BY 1""",
        )
    )
    found = {r["rfm_segment"]: r["buyers"] for r in answer(pipeline, "RFM分群各有多少人")}
    assert found == expected and len(found) == 8
    (important,) = answer(pipeline, "重要价值客户有多少")
    assert important["buyers"] == expected["重要价值客户"]


def test_a_period_segment_split_by_what_varies_within_a_buyer_is_computed_within_each_group(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    # 2 orders on the app and 1 on the web: 2次 on the app, 1次 on the web, as a filter on
    # the channel would count them
    expected = rows(
        db,
        f"""SELECT channel, CASE WHEN n = 1 THEN '1次' WHEN n = 2 THEN '2次' ELSE '3次及以上' END, COUNT(*)
            FROM (SELECT channel, user_id, COUNT(*) AS n FROM orders WHERE {PAID} AND {MAY}
                  GROUP BY 1, 2) GROUP BY 1, 2 ORDER BY 1, 2""",
    )
    for question in (
        "5月分渠道看看，买1次、2次、3次及以上的用户各有多少",
        "purchase frequency by channel in May",
    ):
        found = sorted(
            (r["channel"], r["purchase_frequency"], r["buyers"]) for r in answer(pipeline, question)
        )
        assert found == expected, question
    app = {r["purchase_frequency"]: r["buyers"] for r in answer(pipeline, "5月APP渠道的购买频次分布")}
    assert app == {bucket: n for channel, bucket, n in expected if channel == "APP"}
    reading = pipeline.ask("purchase frequency by channel in May", as_of=AS_OF)
    assert "computed within each channel" in reading.interpretation


def test_a_segment_is_not_split_by_what_a_fact_row_has_several_of(warehouse_path: Path) -> None:
    layer, _ = load_layer(DEMO)
    query = SemanticQuery(
        metrics=["buyers"],
        dimensions=["purchase_frequency", "products.category"],
        time_range=TimeRange(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)),
    )
    with pytest.raises(QueryError) as refused:
        Compiler(layer, role="analyst").compile(query)
    assert "category" in str(refused.value) or "品类" in str(refused.value)
    # by an attribute of the buyer it is fine: one group per buyer
    by_level = query.model_copy(update={"dimensions": ["purchase_frequency", "member_level"]})
    assert "member_level" in Compiler(layer, role="analyst").compile(by_level).sql()


def test_a_segment_decided_within_a_period_needs_one() -> None:
    layer, _ = load_layer(DEMO)
    query = SemanticQuery(metrics=["buyers"], dimensions=["buyer_type"])
    with pytest.raises(QueryError, match="period"):
        Compiler(layer, role="analyst").compile(query)


def test_the_layer_checks_what_a_segment_reads(tmp_path: Path) -> None:
    text = (DEMO / "models.yaml").read_text(encoding="utf-8")
    broken = text.replace('{value: 2次, when: "orders = 2"}', '{value: 2次, when: "purchases = 2"}', 1)
    assert broken != text
    for name in ("metrics.yaml", "reading.yaml", "roles.yaml", "users.yaml"):
        (tmp_path / name).write_text((DEMO / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "models.yaml").write_text(broken, encoding="utf-8")
    layer, source = load_layer(tmp_path)
    problems = [str(p) for p in validate(layer, source)]
    assert any("'purchases' is not a feature of the segment" in p for p in problems), problems


def test_look_alikes_keep_their_governed_metric(pipeline: Pipeline) -> None:
    assert read(pipeline, "上个月新用户数").metrics == ["new_users"]  # registrations, not new buyers
    assert read(pipeline, "上个月的转化率").metrics == ["conversion_rate"]
    assert read(pipeline, "上个月的复购率").metrics == ["repurchase_rate"]
    query = read(pipeline, "上个月购买3次以上的用户有多少")  # a condition on each user, not a bucket
    assert query.count_groups and query.metric_filters[0].value == 3


# -- funnels ----------------------------------------------------------------------------------
FUNNEL_SQL = """SELECT event_type, COUNT(DISTINCT user_id) FROM events
    WHERE event_time >= TIMESTAMP '2026-05-01' AND event_time < TIMESTAMP '2026-06-01' {extra}
    GROUP BY 1"""


def test_a_funnel_counts_each_step_and_converts_from_the_one_before(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "上个月的转化漏斗")
    assert query.funnel == "purchase_funnel" and not query.metrics and not query.funnel_steps
    users = dict(rows(db, FUNNEL_SQL.format(extra="")))
    found = answer(pipeline, "上个月的转化漏斗")
    assert [r["event_type"] for r in found] == ["view", "cart", "order", "pay"]
    previous = None
    for row in found:
        assert row["active_users"] == users[row["event_type"]]
        assert close(row["overall_conversion"], users[row["event_type"]] / users["view"])
        expected = 1.0 if previous is None else users[row["event_type"]] / users[previous]
        assert close(row["step_conversion"], expected)
        previous = row["event_type"]


def test_two_steps_and_a_rate_are_the_conversion_between_them(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "上个月加购到下单的转化率")
    assert query.funnel == "purchase_funnel" and query.funnel_steps == ["cart", "order"]
    users = dict(rows(db, FUNNEL_SQL.format(extra="")))
    (row,) = answer(pipeline, "上个月加购到下单的转化率")
    assert close(row["step_conversion"], users["order"] / users["cart"])


def test_where_a_funnel_loses_most_is_its_lowest_step_conversion(pipeline: Pipeline) -> None:
    query = read(pipeline, "上个月漏斗里哪一步流失最多")
    assert [(o.field, o.desc) for o in query.order_by] == [("step_conversion", False)] and query.limit == 1
    english = read(pipeline, "which channel had the lowest cart-to-order conversion last month")
    assert english.dimensions == ["channel"] and english.funnel_steps == ["cart", "order"]
    assert [(o.field, o.desc) for o in english.order_by] == [("step_conversion", False)]


def test_a_funnel_by_channel_is_one_funnel_per_channel(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    found = answer(pipeline, "上个月各渠道的漏斗")
    expected = {
        (channel, step): n
        for channel, step, n in rows(
            db,
            """SELECT channel, event_type, COUNT(DISTINCT user_id) FROM events
            WHERE event_time >= TIMESTAMP '2026-05-01' AND event_time < TIMESTAMP '2026-06-01' GROUP BY 1, 2""",
        )
    }
    assert {(r["channel"], r["event_type"]): r["active_users"] for r in found} == expected
    assert all(r["step_conversion"] == 1.0 for r in found if r["event_type"] == "view")


# -- cohorts ----------------------------------------------------------------------------------
COHORTS_SQL = f"""WITH firsts AS (SELECT user_id, DATE_TRUNC('month', MIN(order_time)) AS cohort FROM orders
        WHERE {PAID} GROUP BY 1),
    active AS (SELECT DISTINCT user_id, DATE_TRUNC('month', order_time) AS month FROM orders WHERE {PAID}),
    sizes AS (SELECT cohort, COUNT(*) AS size FROM firsts GROUP BY 1)
    SELECT CAST(f.cohort AS DATE), DATE_DIFF('month', f.cohort, a.month) AS k, s.size, COUNT(*) AS kept,
           COUNT(*) / s.size AS rate
    FROM firsts f JOIN active a USING (user_id) JOIN sizes s USING (cohort)
    WHERE f.cohort >= DATE '2025-01-01' AND f.cohort < DATE '2026-01-01' {{extra}}
    GROUP BY 1, 2, 3 ORDER BY 1, 2"""


def test_a_cohort_table_follows_each_first_purchase_month(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "2025年每个月的次月留存率")
    assert query.cohort == "buyer_retention" and query.cohort_offsets == [1] and query.cohort_until == AS_OF
    expected = rows(db, COHORTS_SQL.format(extra="AND DATE_DIFF('month', f.cohort, a.month) = 1"))
    found = answer(pipeline, "2025年每个月的次月留存率")
    assert len(found) == len(expected) == 12
    for row, (cohort, k, size, kept, rate) in zip(found, expected, strict=True):
        assert (row["first_order_month"], row["month_offset"], row["cohort_size"], row["buyers"]) == (
            cohort.isoformat(),
            k,
            size,
            kept,
        )
        assert close(row["retention_rate"], rate)


def test_the_average_retention_weighs_each_cohort_alike(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    rates = [
        r[4] for r in rows(db, COHORTS_SQL.format(extra="AND DATE_DIFF('month', f.cohort, a.month) = 1"))
    ]
    (row,) = answer(pipeline, "2025年各月cohort的平均次月留存率")
    assert close(row["retention_rate"], sum(rates) / len(rates))


def test_the_new_in_a_cohort_question_is_the_cohort_itself(pipeline: Pipeline) -> None:
    query = read(pipeline, "2025年10月首购用户的留存曲线")
    assert query.cohort and not query.filters and not query.cohort_offsets


# -- moving averages --------------------------------------------------------------------------
def test_a_moving_average_reaches_before_the_period(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "上个月每天订单量的7日均线")
    assert query.moving == 7 and query.time_grain == "day"
    expected = rows(
        db,
        f"""WITH d AS (SELECT CAST(order_time AS DATE) AS day, COUNT(*) AS n FROM orders
              WHERE {PAID} AND order_time >= TIMESTAMP '2026-04-25' AND order_time < TIMESTAMP '2026-06-01'
              GROUP BY 1)
        SELECT day, AVG(n) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) FROM d
        QUALIFY day >= DATE '2026-05-01' ORDER BY day""",
    )
    found = answer(pipeline, "上个月每天订单量的7日均线")
    assert len(found) == len(expected) == 31
    for row, (day, average) in zip(found, expected, strict=True):
        assert row["day"] == day.isoformat() and close(row["order_count_moving"], average)


def test_the_window_takes_its_unit_from_the_words(pipeline: Pipeline) -> None:
    query = read(pipeline, "今年每月订单数的3个月移动平均")
    assert (query.moving, query.time_grain) == (3, "month")
    english = read(pipeline, "14-day rolling average of GMV this month")
    assert (english.moving, english.time_grain) == (14, "day")


def test_the_single_best_month_is_the_top_bucket(pipeline: Pipeline) -> None:
    query = read(pipeline, "今年单月GMV最高是多少")
    assert query.time_grain == "month" and query.limit == 1 and query.order_by[0].desc


# -- charts -----------------------------------------------------------------------------------
def test_a_funnel_and_a_cohort_table_get_their_own_charts(pipeline: Pipeline) -> None:
    layer = pipeline.layer
    funnel = pipeline.ask("上个月的转化漏斗", as_of=AS_OF).answers[0]
    plan = plan_chart(funnel, describe_columns(funnel, layer, "zh"))
    assert (plan.kind, plan.x, plan.y) == ("funnel", "event_type", ["active_users"])
    cohorts = pipeline.ask("2025年下半年的同期群留存表", as_of=AS_OF).answers[0]
    plan = plan_chart(cohorts, describe_columns(cohorts, layer, "zh"))
    assert (plan.kind, plan.x, plan.color) == ("heatmap", "month_offset", "first_order_month")
    assert plan.y == ["retention_rate"]


def test_segment_filters_reach_the_segment_not_only_the_facts() -> None:
    layer, _ = load_layer(DEMO)
    query = SemanticQuery(
        metrics=["gmv"],
        dimensions=["purchase_frequency"],
        filters=[Filter(dimension="orders.channel", values=["抖音"])],
        time_range=TimeRange(start=dt.date(2026, 1, 1), end=dt.date(2026, 3, 31)),
    )
    sql = Compiler(layer, role="analyst").compile(query).sql()
    assert sql.count("'抖音'") == 2, sql  # in the facts, and inside the segment's own orders
    # its people are counted from the segment's rows alone: one pass over the orders
    people = query.model_copy(update={"metrics": ["buyers"]})
    sql = Compiler(layer, role="analyst").compile(people).sql()
    assert sql.count("'抖音'") == 1 and sql.count("FROM orders") == 1, sql


@pytest.mark.parametrize("role", ["east_manager", "analyst"])
@pytest.mark.parametrize("segment", ["buyer_type", "rfm_segment", "purchase_frequency"])
def test_a_segments_people_are_its_buyers_under_every_role(
    db: duckdb.DuckDBPyConnection, role: str, segment: str
) -> None:
    """Counted from the segment's own rows or from the orders joined to it, under the
    role's row policy: the same people."""
    layer, _ = load_layer(DEMO)
    compiler = Compiler(layer, role=role)
    period = TimeRange(start=dt.date(2026, 1, 1), end=dt.date(2026, 6, 30))
    alone = SemanticQuery(metrics=["buyers"], dimensions=[segment], time_range=period)
    joined = alone.model_copy(update={"metrics": ["buyers", "gmv"]})
    counted = rows(db, compiler.compile(alone).sql())
    assert counted == [r[:2] for r in rows(db, compiler.compile(joined).sql())]
    assert len(counted) >= 2


def test_the_highest_and_lowest_of_the_monthly_figures(
    pipeline: Pipeline, db: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "去年每个渠道单月GMV的最高值和最低值")
    assert (query.averaged_over, query.across, query.time_grain) == ("month", ["max", "min"], None)
    expected = {
        channel: (high, low)
        for channel, high, low in rows(
            db,
            """SELECT channel, MAX(g), MIN(g) FROM (SELECT o.channel, DATE_TRUNC('month', o.order_time), SUM(oi.amount) AS g
            FROM orders o JOIN order_items oi USING (order_id) WHERE o.pay_time IS NOT NULL
            AND o.order_time >= TIMESTAMP '2025-01-01' AND o.order_time < TIMESTAMP '2026-01-01' GROUP BY 1, 2) GROUP BY 1""",
        )
    }
    found = answer(pipeline, "去年每个渠道单月GMV的最高值和最低值")
    assert {r["channel"]: (r["gmv_max"], r["gmv_min"]) for r in found} == {
        c: (float(h), float(lo)) for c, (h, lo) in expected.items()
    }
    # one of them alone ranks the months instead, and shows which month it was
    single = read(pipeline, "今年单月GMV最高是多少")
    assert single.time_grain == "month" and single.limit == 1 and not single.across
    # the highest and lowest *channel* are a ranking of channels, not of months
    assert not read(pipeline, "每月GMV最高和最低的渠道").across
