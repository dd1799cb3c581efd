"""How analysts write about people (issue 24, group 6, blind-21): a people word one letter
off (custmers), per-head spend and spend per order with no metric named, "up to today"
beside the period people registered in, "had a paid order" as a verb of buying, a name
set before the definition that follows it (Lapsed users: …), and 画像是啥样的 as a way of
asking for a profile. Each answer is checked against SQL written by hand, or against the
reading it must equal."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from nlq.understand import _people_respelled
from tests.understanding.readings import AS_OF, read, table

PAID = "o.pay_time IS NOT NULL"
LAST_YEAR = "o.order_time >= TIMESTAMP '2025-01-01' AND o.order_time < TIMESTAMP '2026-01-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


@pytest.mark.parametrize(
    ("said", "meant"),
    [("custmers", "customers"), ("memebers", "members"), ("buyres", "buyers"), ("custumer", "customer")],
)
def test_a_people_word_one_letter_off_is_read_as_it(said: str, meant: str) -> None:
    text, evidence = _people_respelled(f"gender split of {said} last year")
    assert text == f"gender split of {meant} last year" and evidence == [f"“{said}”→{meant}"]


@pytest.mark.parametrize("word", ["customs", "remember", "membership", "costumes", "numbers"])
def test_other_words_are_left_as_they_are(word: str) -> None:
    assert _people_respelled(f"{word} last year") == (f"{word} last year", [])


def test_a_typo_of_customers_reads_as_customers(pipeline: Pipeline) -> None:
    assert read(pipeline, "gender split of custmers who placed 5 or more paid orders in 2025") == read(
        pipeline, "gender split of customers who placed 5 or more paid orders in 2025"
    )


def test_per_head_spend_is_what_was_spent_over_the_buyers(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT u.gender, SUM(i.amount) / COUNT(DISTINCT o.user_id) FROM orders o
                JOIN order_items i USING (order_id) JOIN users u USING (user_id)
                WHERE {PAID} AND {LAST_YEAR} GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "per-head spend of male vs female buyers last year")
    got = {r["gender"]: next(v for k, v in r.items() if k != "gender" and "per" in k) for r in rows}
    assert got == {g: pytest.approx(expected[g]) for g in ("男", "女")}
    # spend per order: what was spent over the orders, never the orders alone
    query = read(pipeline, "what did customers spend per order last month")
    assert [(r.numerator, r.denominator) for r in query.ratios] == [("gmv", "order_count")]
    # a metric the layer names for it stays that metric
    assert read(pipeline, "avg spend per customer last month").metrics == ["avg_spend_per_buyer"]


def test_up_to_today_beside_a_registration_period_is_all_of_time(pipeline: Pipeline) -> None:
    asked = "How many users who registered in 2025 have never made a paid order (up to today)? Break it down by register channel"
    query = read(pipeline, asked)
    assert query == read(
        pipeline, "How many users who registered in 2025 have never placed an order, by register channel"
    )
    assert query.without and "users.register_channel" in query.dimensions


def test_a_name_set_before_its_definition_is_read_with_it(pipeline: Pipeline) -> None:
    named = read(
        pipeline,
        "Lapsed users: bought something in H1 2025 but haven't had a single paid order since July 1, 2025. "
        "How many are there per member level?",
    )
    plain = read(
        pipeline,
        "users who bought something in H1 2025 but haven't bought anything since July 1, 2025 - how many per member level?",
    )
    assert named == plain and named.without and named.with_figure


def test_the_look_of_a_profile_is_the_profile(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("近3个月买了3次及以上的用户，画像是啥样的？", AS_OF)
    assert reading.status == "answer"
    assert [s.query.dimensions[0] for s in reading.steps] == [
        "gender",
        "age_group",
        "city_tier",
        "member_level",
    ]


def test_a_value_noun_said_once_for_two_values(pipeline: Pipeline) -> None:
    # first-time and returning buyers: 新客 and 老客, each of them
    query = read(pipeline, "Q1 2026 first-time and returning buyers: how many of each, and their AOV?")
    assert query.dimensions == ["buyer_type"]
    assert {v for f in query.filters for v in f.values} == {"新客", "老客"}
    assert query.metrics == ["buyers", "avg_order_value"]
    # a word that names no value with the noun stays as it was
    assert read(pipeline, "new and returning buyers last month").dimensions == ["buyer_type"]


def test_figures_of_each_group_named_before(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    rows = table(pipeline, "Q1 2026 first-time and returning buyers: how many of each, and their AOV?")
    expected = con.execute(
        """WITH f AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE pay_time IS NOT NULL GROUP BY 1),
                q AS (SELECT o.order_id, o.user_id, SUM(i.amount) AS amount FROM orders o
                      JOIN order_items i USING (order_id) WHERE o.pay_time IS NOT NULL
                      AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-04-01' GROUP BY 1, 2)
           SELECT f.first >= TIMESTAMP '2026-01-01', COUNT(DISTINCT q.user_id), SUM(q.amount) / COUNT(*)
           FROM q JOIN f USING (user_id) GROUP BY 1"""
    ).fetchall()
    got = sorted((r["buyers"], round(r["avg_order_value"], 2)) for r in rows)
    assert got == sorted((n, round(float(v), 2)) for _, n, v in expected)


def test_first_order_users_are_the_new_buyers_not_a_grouping(pipeline: Pipeline) -> None:
    # 首单用户 (the demo layer's word for 新客): never grouped by the month of the first order
    query = read(
        pipeline,
        "今年618期间的首单用户（活动期间第一次有支付订单，之前从没买过）按年龄段分布，各多少人、占比多少",
    )
    assert query.dimensions == ["age_group"]
    assert [(f.dimension, f.values) for f in query.filters] == [("buyer_type", ["新客"])]


def test_new_and_returning_defined_as_the_layer_defines_them(pipeline: Pipeline) -> None:
    asked = "上个月新客和老客各有多少人？GMV分别是多少？"
    defined = "（新客=上个月之前从没有过支付订单的买家，老客=上个月之前有过支付订单的买家）"
    plain = read(pipeline, asked)
    # said again in a bracket: the same reading, "上个月之前" no period of the question
    assert read(pipeline, asked + defined) == plain
    # defined otherwise (returning = bought last month), not taken as said again
    reading = pipeline.understander.understand(
        asked + "（新客=上个月之前从没有过支付订单的买家，老客=上个月有过支付订单的买家）", AS_OF
    )
    assert reading.status != "answer" or len(reading.steps) != 1 or reading.steps[0].query != plain


def test_a_part_naming_figures_only_is_of_the_rows_before(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 上个月天猫的GMV是多少？客单价多少？: 天猫's 客单价, one table beside its GMV
    query = read(pipeline, "上个月天猫的GMV是多少？客单价多少？")
    assert query.metrics == ["gmv", "avg_spend_per_buyer"]
    assert [(f.dimension, f.values) for f in query.filters] == [("channel", ["天猫"])]
    row = con.execute(
        """SELECT SUM(i.amount) / COUNT(DISTINCT o.user_id) FROM orders o JOIN order_items i USING (order_id)
           WHERE o.pay_time IS NOT NULL AND o.channel = '天猫'
           AND o.order_time >= TIMESTAMP '2026-05-01' AND o.order_time < TIMESTAMP '2026-06-01'"""
    ).fetchone()
    assert row is not None
    (got,) = table(pipeline, "上个月天猫的GMV是多少？客单价多少？")
    assert got["avg_spend_per_buyer"] == pytest.approx(float(row[0]))
    # grouped before: grouped the same (GMV by channel? and the AOV?)
    assert read(pipeline, "GMV by channel last month? and the AOV?").dimensions == ["channel"]
    # a figure said to be of everything is not of the rows before
    reading = pipeline.understander.understand("上个月天猫的GMV是多少？整体的客单价多少？", AS_OF)
    assert [s.query.filters for s in reading.steps][1] == []
