"""Shares of people and of the top rows (issue 24, group 6, blind-24): the share of the
top N (or top N%) customers in all GMV; each band's share of all the people banded; the
groups the people a condition picks fall into, with each group's share of them; a rate of
people asked of registrants (their share who bought, not the layer's conversion rate);
the people who did an event type, alone or each of several; a pinned share of a figure
that does not add up (buyers of 美妆 among each age group's buyers); the people's own
column when the question names their table before it; what did not happen said in
English (haven't had a single paid order) and with a counter (一单都没下). Each answer is
checked against SQL written by hand, each ask-back by its status."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import asked_back, read, table

PAID = "pay_time IS NOT NULL"
YEAR_2025 = "order_time >= TIMESTAMP '2025-01-01' AND order_time < TIMESTAMP '2026-01-01'"
MAY = "TIMESTAMP '2026-05-01'", "TIMESTAMP '2026-06-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def _value(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    found = con.execute(sql).fetchone()
    assert found is not None
    return float(found[0])


def _close(a: object, b: float) -> bool:
    return math.isclose(float(a), b, rel_tol=1e-9)  # type: ignore[arg-type]


SPEND_2025 = f"""SELECT o.user_id, SUM(i.amount) AS gmv FROM orders o
    JOIN order_items i ON i.order_id = o.order_id WHERE o.{PAID} AND o.{YEAR_2025}
    GROUP BY o.user_id"""


@pytest.mark.parametrize(
    "question",
    [
        "去年消费金额最高的前100个用户，他们的GMV加起来占去年全站GMV的多少？",
        "What share of 2025 GMV came from our top 100 customers of 2025?",
    ],
)
def test_the_top_customers_share_of_gmv(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    (row,) = table(pipeline, question)
    top = _value(con, f"SELECT SUM(gmv) FROM (SELECT gmv FROM ({SPEND_2025}) ORDER BY gmv DESC LIMIT 100)")
    whole = _value(con, f"SELECT SUM(gmv) FROM ({SPEND_2025})")
    assert _close(row["gmv_top"], top) and _close(row["gmv_all"], whole)
    assert _close(row["gmv_share"], top / whole) and 0 < row["gmv_share"] < 0.2


def test_the_top_fifth_of_customers_share_is_the_80_20_rule(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    question = "Is the 80/20 rule true for us? The top 20% of customers by spend in 2025, what share of GMV?"
    (row,) = table(pipeline, question)
    expected = _value(
        con,
        f"""SELECT SUM(gmv) FILTER (WHERE rn <= CEIL(n * 0.2)) / SUM(gmv) FROM (
            SELECT gmv, ROW_NUMBER() OVER (ORDER BY gmv DESC, user_id) AS rn, COUNT(*) OVER () AS n
            FROM ({SPEND_2025}))""",
    )
    assert _close(row["gmv_share"], expected) and 0.2 < expected < 1


def test_the_top_fifth_listed_is_asked_not_the_top_twenty(pipeline: Pipeline) -> None:
    # the top 20% of customers was the top 20 rows, silently
    asked_back(pipeline, "list the top 20% of customers by GMV in 2025")
    # a value's share among the top rows is not their share of the whole
    asked_back(pipeline, "今年以来消费金额排前100名的客户里，女性占多大比例？")


def test_each_band_and_its_share_of_all_the_people_banded(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    question = (
        "Last quarter, how many buyers placed exactly 1, exactly 2, and 3 or more paid orders? "
        "Give the number of buyers in each bucket and its share of all buyers."
    )
    rows = table(pipeline, question)
    counts = con.execute(
        f"""SELECT CASE WHEN n = 1 THEN '1' WHEN n = 2 THEN '2' ELSE '3+' END, COUNT(*)
            FROM (SELECT user_id, COUNT(*) AS n FROM orders WHERE {PAID}
              AND order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-04-01'
              GROUP BY user_id) GROUP BY 1"""
    ).fetchall()
    everyone = sum(n for _, n in counts)
    assert {r["order_count_band"]: r["user_id_count"] for r in rows} == dict(counts)
    assert all(_close(r["user_id_count_share"], r["user_id_count"] / everyone) for r in rows)


def test_the_groups_the_people_picked_fall_into_with_their_share(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    question = "近90天累计消费超过2000元的高消费用户都是什么年龄段的？给下各年龄段人数和占比"
    rows = table(pipeline, question)
    expected = dict(
        con.execute(
            f"""SELECT u.age_group, COUNT(*) FROM (SELECT o.user_id FROM orders o
                JOIN order_items i ON i.order_id = o.order_id WHERE o.{PAID}
                AND o.order_time >= TIMESTAMP '2026-04-02' AND o.order_time < TIMESTAMP '2026-07-01'
                GROUP BY o.user_id HAVING SUM(i.amount) > 2000) s JOIN users u ON u.user_id = s.user_id
                GROUP BY 1"""
        ).fetchall()
    )
    everyone = sum(expected.values())
    assert {r["age_group"]: r["user_id_count"] for r in rows} == expected
    assert all(_close(r["user_id_count_share"], r["user_id_count"] / everyone) for r in rows)
    # each group's share of such people stays its own reading
    assert read(
        pipeline, "what share of buyers in each city tier ordered at least twice last month"
    ).share_of_counted


@pytest.mark.parametrize("rate", ["转化率多少", "转化比例多少"])
def test_a_rate_of_registrants_is_their_share_who_bought(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, rate: str
) -> None:
    # it was the layer's conversion rate (payers over visitors in January), silently
    query = read(pipeline, f"2026年1月注册的新用户，到现在为止有多少人下过支付订单？{rate}？")
    assert query.share_of_counted and not query.metrics
    (row,) = table(pipeline, f"2026年1月注册的新用户，到现在为止有多少人下过支付订单，{rate}")
    registered = "register_date BETWEEN DATE '2026-01-01' AND DATE '2026-01-31'"
    bought = _value(
        con,
        f"""SELECT COUNT(*) FROM users WHERE {registered}
            AND user_id IN (SELECT user_id FROM orders WHERE {PAID})""",
    )
    everyone = _value(con, f"SELECT COUNT(*) FROM users WHERE {registered}")
    assert _close(row["users_share"], bought / everyone)


def _event_users(con: duckdb.DuckDBPyConnection, *events: str) -> int:
    having = " AND ".join(f"COUNT(*) FILTER (WHERE event_type = '{e}') > 0" for e in events)
    start, end = MAY
    return int(
        _value(
            con,
            f"""SELECT COUNT(*) FROM (SELECT user_id FROM events WHERE event_time >= {start}
                AND event_time < {end} GROUP BY user_id HAVING {having})""",
        )
    )


@pytest.mark.parametrize(
    "question", ["上个月浏览过商品的用户有多少", "how many users viewed products last month"]
)
def test_the_people_who_did_an_event_type_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # the English question counted last month's new registrations, silently
    (row,) = table(pipeline, question)
    assert list(row.values()) == [_event_users(con, "view")]


def test_the_people_who_did_each_of_two_event_types(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    (both,) = table(pipeline, "上个月既浏览过又加购过的用户有多少")
    assert list(both.values()) == [_event_users(con, "view", "cart")]
    # each step's people apart is not those who did all of them
    query = read(pipeline, "去年双11活动期间，浏览、加购、下单、支付分别有多少人")
    assert len(query.presences) != 4


def test_a_pinned_share_within_groups_is_of_each_group_own_people(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # it was 美妆 buyers over the sum of every category's buyers in the age group
    rows = table(pipeline, "今年各年龄段的买家里，有多大比例买过美妆？")
    expected = dict(
        con.execute(
            f"""SELECT u.age_group, AVG(b.beauty) FROM (SELECT o.user_id,
                MAX(CASE WHEN p.category = '美妆' THEN 1.0 ELSE 0 END) AS beauty FROM orders o
                JOIN order_items i ON i.order_id = o.order_id JOIN products p ON p.product_id = i.product_id
                WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' GROUP BY o.user_id) b
                JOIN users u ON u.user_id = b.user_id GROUP BY 1"""
        ).fetchall()
    )
    assert {r["age_group"] for r in rows} == set(expected)
    assert all(_close(r["buyers_share"], float(expected[r["age_group"]])) for r in rows)


def test_a_segment_value_share_of_its_own_period_buyers_is_not_one(pipeline: Pipeline) -> None:
    query = read(pipeline, "上个月新客占买家的比例")
    assert query.focus and not query.filters
    (row,) = table(pipeline, "上个月新客占买家的比例")
    assert 0 < row["buyers_share"] < 1 and _close(row["buyers_all"] * row["buyers_share"], row["buyers"])


def test_the_people_own_column_when_their_table_is_said_before_it(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # it was the province the orders were shipped to
    rows = table(pipeline, "2026年上半年，钻石会员买家数最多的5个省份是哪些（按用户所在省份）")
    expected = con.execute(
        f"""SELECT u.province, COUNT(DISTINCT o.user_id) AS n FROM orders o JOIN users u
            ON u.user_id = o.user_id WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01'
            AND u.member_level = '钻石会员' GROUP BY 1 ORDER BY n DESC, 1 LIMIT 5"""
    ).fetchall()
    assert [(r["province"], r["buyers"]) for r in rows] == [tuple(e) for e in expected]


@pytest.mark.parametrize(
    "question",
    [
        "buyers last month by home province",
        "buyers last month by province (where the customer lives)",
        "buyers last month by the customer's province",
    ],
)
def test_the_people_own_column_said_in_english(pipeline: Pipeline, question: str) -> None:
    # the province orders were shipped to, or "home" read as a value of another column
    assert read(pipeline, question).dimensions == ["users.province"]


def _lapsed(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(
        con.execute(
            f"""SELECT member_level, COUNT(*) FROM users WHERE user_id IN (SELECT user_id FROM
                orders WHERE {PAID} AND {YEAR_2025}) AND user_id NOT IN (SELECT user_id FROM orders
                WHERE {PAID} AND order_time >= TIMESTAMP '2026-01-01') GROUP BY 1"""
        ).fetchall()
    )


def test_what_did_not_happen_said_with_a_counter_or_in_english(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 一单都没下 counted the users who did not register this year, silently
    rows = table(pipeline, "去年买过、今年一单都没下的客户有多少，按会员等级")
    assert {r["member_level"]: r["users_count"] for r in rows} == _lapsed(con)
    english = "How many customers who bought last year haven't placed a single paid order this year?"
    assert list(table(pipeline, english)[0].values()) == [sum(_lapsed(con).values())]


def test_a_part_that_points_back_with_it_is_not_read_alone(pipeline: Pipeline) -> None:
    # the second part was each member level's and city tier's buyers, silently
    asked_back(
        pipeline,
        "How many customers who bought from us last year haven't placed a single paid order this year? "
        "Break it down by member tier and show what share of each tier's last-year buyers that is.",
    )


def test_two_groupings_crossed(pipeline: Pipeline) -> None:
    query = read(pipeline, "近30天的新客按性别和年龄段交叉看，各有多少人？")
    assert query.dimensions == ["gender", "age_group"]


def test_a_ranking_is_by_the_figure_said_beside_it(pipeline: Pipeline) -> None:
    # it was ranked by buyers, the figure of the condition
    query = read(pipeline, "2025年买家数不少于500的省份里，复购率最高的5个")
    assert [o.field for o in query.order_by] == ["repurchase_rate"] and query.limit == 5
    assert [(f.metric, f.op, f.value) for f in query.metric_filters] == [("buyers", ">=", 500)]


def test_a_top_percent_ranking_is_asked_not_the_top_n(pipeline: Pipeline) -> None:
    # the top 10 products by GMV, silently
    asked_back(pipeline, "去年消费金额排前10%的买家，贡献了去年多少比例的GMV？")
    asked_back(pipeline, "top 10% products by GMV last month")


def test_lapsed_buyers_share_of_each_group_own_earlier_buyers(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # the grouping was dropped: one share for everyone, silently
    rows = table(pipeline, "去年买过、今年一单都没下的客户有多少，按会员等级看，占各等级去年买家的比例")
    expected = con.execute(
        f"""WITH ly AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND {YEAR_2025}),
            ty AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND order_time >= TIMESTAMP '2026-01-01')
            SELECT u.member_level, COUNT(*) FILTER (WHERE ty.user_id IS NULL), COUNT(*)
            FROM ly JOIN users u ON u.user_id = ly.user_id LEFT JOIN ty ON ty.user_id = ly.user_id
            GROUP BY 1"""
    ).fetchall()
    got = {r["member_level"]: (r["users_count"], r["users_all"], r["users_share"]) for r in rows}
    assert set(got) == {level for level, _, _ in expected}
    for level, lapsed, everyone in expected:
        assert got[level][:2] == (lapsed, everyone) and _close(got[level][2], lapsed / everyone)


def test_paid_in_what_did_not_happen_is_no_event_filter(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 支付 filtered the orders to people with payment events (6.5x the hand-written query)
    question = "2025年买过东西、但今年以来一笔支付订单都没有的，按会员等级分别有多少人"
    assert not read(pipeline, question).filters
    rows = table(pipeline, question)
    assert {r["member_level"]: r["users_count"] for r in rows} == _lapsed(con)
