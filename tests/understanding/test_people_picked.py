"""The figures of the people a question picks (issue 24, group 6, blind-20): what the
people a condition counts spent and their 客单价, the groups ranked by how many of
them each holds, people who bought before a period and not in it, the share of a
period's buyers who did not come back, the profile of those who lapsed, the share of
a year's registrants who bought that same year. And what nlq cannot read asked back,
never answered as another question: a grouping by a word it does not know, a term of
the layer the asker defines otherwise, a number of no unit, an amount asked of people
a listing picks. Each answer is checked against SQL written by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import AS_OF, asked_back, read, table

PAID = "pay_time IS NOT NULL"
MAY = "order_time >= TIMESTAMP '2026-05-01' AND order_time < TIMESTAMP '2026-06-01'"
THIS_YEAR = "order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01'"
LAST_YEAR = "order_time >= TIMESTAMP '2025-01-01' AND order_time < TIMESTAMP '2026-01-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def _may_buyers_with(con: duckdb.DuckDBPyConnection, orders: int) -> tuple[int, float, float]:
    """May's buyers with at least `orders` paid orders in May: how many, their GMV, their orders."""
    row = con.execute(
        f"""WITH n AS (SELECT user_id, COUNT(*) AS orders FROM orders WHERE {PAID} AND {MAY}
                       GROUP BY 1 HAVING COUNT(*) >= {orders}),
                 g AS (SELECT o.user_id, SUM(i.amount) AS gmv FROM orders o JOIN order_items i USING (order_id)
                       WHERE o.{PAID} AND o.{MAY} GROUP BY 1)
            SELECT COUNT(*), SUM(g.gmv), SUM(n.orders) FROM n JOIN g USING (user_id)"""
    ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1]), float(row[2])


def test_the_people_a_condition_counts_have_their_spend_and_quotients(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    people, gmv, orders = _may_buyers_with(con, 3)
    (row,) = table(pipeline, "上个月买过3次以上的用户有多少人，他们的客单价是多少")
    assert row["user_id_count"] == people
    assert row["avg_spend_per_buyer"] == pytest.approx(gmv / people)
    (row,) = table(pipeline, "上个月买过3次以上的用户有多少人，他们的平均订单金额是多少")
    assert row["avg_order_value"] == pytest.approx(gmv / orders)
    # how much they spent, in total: asked in English with a total, not their orders
    (row,) = table(pipeline, "how much did customers with 3+ orders last month spend in total")
    assert (row["user_id_count"], row["gmv"]) == (people, pytest.approx(gmv))


def test_groups_are_ranked_by_how_many_people_meet_the_condition(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = con.execute(
        f"""SELECT u.city, COUNT(*) AS n FROM (SELECT user_id FROM orders WHERE {PAID} AND {THIS_YEAR}
                GROUP BY 1 HAVING COUNT(*) >= 2) b JOIN users u USING (user_id)
            GROUP BY 1 ORDER BY n DESC LIMIT 10"""
    ).fetchall()
    rows = table(pipeline, "top 10 cities by number of customers with 2 or more paid orders this year")
    assert [r["user_id_count"] for r in rows] == [n for _, n in expected]
    assert {r["city"] for r in rows if r["user_id_count"] > expected[-1][1]} == {
        c for c, n in expected if n > expected[-1][1]
    }


def test_people_who_bought_before_a_period_and_not_in_it(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT u.member_level, COUNT(*) FROM users u
                WHERE u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND order_time < TIMESTAMP '2026-01-01')
                  AND u.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND {THIS_YEAR})
                GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "以前买过但近半年一单都没买的用户按会员等级拆一下")
    assert {r["member_level"]: r["users_count"] for r in rows} == expected
    (row,) = table(pipeline, "how many customers bought before but haven't ordered in the last 6 months")
    assert row["users_count"] == sum(expected.values())


def test_the_share_of_a_periods_buyers_who_did_not_come_back(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    row = con.execute(
        f"""WITH had AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND {LAST_YEAR})
            SELECT COUNT(*) FILTER (WHERE user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND {THIS_YEAR})),
                   COUNT(*) FROM had"""
    ).fetchone()
    assert row is not None
    lapsed, everyone = row
    for question in (
        "去年买过、今年没买的用户有多少，占去年买家的比例是多少",
        "how many customers bought in 2025 but haven't ordered at all so far this year, "
        "and what fraction of 2025's buyers is that?",
    ):
        (found,) = table(pipeline, question)
        assert (found["users_count"], found["users_all"]) == (lapsed, everyone), question
        assert found["users_share"] == pytest.approx(lapsed / everyone)


def test_the_profile_of_people_who_have_not_bought_since_a_campaign(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT u.gender, COUNT(*) FROM users u
                WHERE u.user_id IN (SELECT user_id FROM orders WHERE {PAID}
                      AND order_time >= TIMESTAMP '2025-11-01' AND order_time < TIMESTAMP '2025-11-12')
                  AND u.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID}
                      AND order_time >= TIMESTAMP '2025-11-12' AND order_time < TIMESTAMP '2026-07-01')
                GROUP BY 1"""
        ).fetchall()
    )
    question = (
        "buyer profile for people who shopped during Double 11 last year and haven't bought anything since"
    )
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", result.message
    assert [a.columns[0] for a in result.answers] == ["gender", "age_group", "city_tier", "member_level"]
    gender = result.answers[0]
    assert {row[0]: row[1] for row in gender.rows} == expected
    for answer in result.answers:
        assert sum(row[1] for row in answer.rows) == sum(expected.values())
    # since, alone: from the day after the campaign to the last day of data
    since = read(
        pipeline, "how many people bought during Double 11 last year and haven't bought anything since"
    )
    assert since.time_range is not None and str(since.time_range.start) == "2025-11-12"


def test_a_years_registrants_who_bought_that_same_year(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT u.register_channel,
                       AVG(CASE WHEN u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {LAST_YEAR})
                           THEN 1.0 ELSE 0.0 END)
                FROM users u WHERE u.register_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
                GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "2025年注册的新用户里，注册当年就买过东西的占比是多少？分注册渠道看下")
    assert {r["register_channel"]: r["users_share"] for r in rows} == pytest.approx(expected)


def test_the_people_who_bought_are_buyers_and_where_they_come_from_is_a_grouping(
    pipeline: Pipeline,
) -> None:
    shared = read(pipeline, "今年买过东西的人里男女各占多少")
    assert (shared.metrics, shared.dimensions, shared.share) == (["buyers"], ["gender"], ["buyers"])
    origin = read(pipeline, "新客主要来自哪些渠道")
    assert origin.explain is None and origin.dimensions == ["channel"]
    # with a change named, where it came from is why it changed
    assert read(pipeline, "上个月GMV增长主要来自哪").explain == "rise"


def test_amounts_spent_are_what_a_bound_is_on(pipeline: Pipeline) -> None:
    for question in ("近一年累计花了5000以上的用户有多少个", "近一年累计消费满5000的用户有多少个"):
        query = read(pipeline, question)
        assert [(f.metric, f.op, f.value) for f in query.metric_filters] == [("gmv", ">=", 5000.0)], question
    # a number of nothing, of people counted: asked, not units sold
    asked_back(pipeline, "近一年5000以上的用户有多少个")


def test_what_cannot_be_read_is_asked(pipeline: Pipeline) -> None:
    # a grouping by a word nothing took (a typo): never answered ungrouped
    assert "标签" in asked_back(pipeline, "以前买过但近半年一单都没买的用户按会员标签拆一下")
    # the layer's 高价值用户 (gold and diamond members) beside the asker's own definition
    assert "高价值用户" in asked_back(pipeline, "近一年累计消费满1万的高价值用户，他们的用户画像")
    # what the people a presence and an absence pick spent, in no period said: asked
    asked_back(pipeline, "一季度买过、二季度没买的钻石会员有多少人，他们一共贡献了多少成交额")
    # their share and what they spent, together: asked (the share was answered, the
    # figure dropped)
    assert "成交额" in asked_back(
        pipeline, "去年双11买过东西的人，今年还有多少人在买？占比多少？他们今年一共贡献了多少成交额"
    )
    # an ordinal of orders no rule read
    assert "第二笔" in asked_back(pipeline, "近30天首单的新客里面，已经复购（下了第二笔付款订单）的有多少人")


def _spent_by(con: duckdb.DuckDBPyConnection, people: str, start: str, end: str) -> tuple[int, float]:
    """How many of `people` (a query of user ids) there are and what they spent in [start, end)."""
    row = con.execute(
        f"""SELECT COUNT(*), SUM(g.gmv) FROM ({people}) p LEFT JOIN (
                SELECT o.user_id, SUM(i.amount) AS gmv FROM orders o JOIN order_items i USING (order_id)
                WHERE o.{PAID} AND o.order_time >= TIMESTAMP '{start}' AND o.order_time < TIMESTAMP '{end}'
                GROUP BY 1) g USING (user_id)"""
    ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1])


def test_what_the_people_a_presence_and_an_absence_pick_spent(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    def bought(start: str, end: str) -> str:
        return (
            f"SELECT user_id FROM orders WHERE {PAID} "
            f"AND order_time >= TIMESTAMP '{start}' AND order_time < TIMESTAMP '{end}'"
        )

    lapsed = (
        f"SELECT user_id FROM users WHERE member_level = '钻石会员' AND user_id IN ({bought('2026-01-01', '2026-04-01')})"
        f" AND user_id NOT IN ({bought('2026-04-01', '2026-07-01')})"
    )
    people, spent = _spent_by(con, lapsed, "2026-01-01", "2026-04-01")
    for question in (
        "Diamond members who bought something in Jan-Mar but nothing in Apr-Jun: how many are there, "
        "and how much did they spend in Jan-Mar?",
        "一季度买过、二季度没买的钻石会员有多少人，他们一季度一共贡献了多少成交额",
    ):
        (row,) = table(pipeline, question)
        assert (row["users_count"], row["gmv"]) == (people, pytest.approx(spent)), question
    back = (
        f"SELECT user_id FROM users WHERE user_id IN ({bought('2025-07-01', '2026-01-01')})"
        f" AND user_id NOT IN ({bought('2026-01-01', '2026-04-01')})"
        f" AND user_id IN ({bought('2026-04-01', '2026-07-01')})"
    )
    people, spent = _spent_by(con, back, "2026-04-01", "2026-07-01")
    (row,) = table(
        pipeline,
        "去年下半年买过、今年一季度没买、二季度又回来下单的用户有多少人？这些人二季度一共贡献了多少成交额",
    )
    assert (row["users_count"], row["gmv"]) == (people, pytest.approx(spent))


def test_the_spend_per_head_of_people_who_only_ever_bought_in_one_channel(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    row = con.execute(
        f"""WITH p AS (SELECT user_id FROM orders WHERE {PAID} GROUP BY 1 HAVING bool_and(channel = '线下门店'))
            SELECT COUNT(*), SUM(g.gmv) FROM p LEFT JOIN (
                SELECT o.user_id, SUM(i.amount) AS gmv FROM orders o JOIN order_items i USING (order_id)
                WHERE o.{PAID} GROUP BY 1) g USING (user_id)"""
    ).fetchone()
    assert row is not None
    people, spent = row
    (found,) = table(pipeline, "只在线下门店买过东西的顾客有几个？他们的客单价多少")
    assert found["users_count"] == people
    assert found["avg_spend_per_buyer"] == pytest.approx(float(spent) / people)
    # 人均消费多少 names its own metric: no GMV asked beside it
    banded = read(pipeline, "今年上半年买1次、2次、3-4次、5次及以上的用户各有多少，人均消费多少")
    assert banded.metrics == ["avg_spend_per_buyer"]


def test_a_figure_per_head_of_each_band_is_never_dropped(pipeline: Pipeline) -> None:
    # 人均 beside a figure was a quotient over buyers the bands dropped, silently
    both = read(pipeline, "今年上半年买1次、2次、3-4次、5次及以上的用户各有多少，成交额和人均消费多少")
    assert both.metrics == ["gmv", "avg_spend_per_buyer"]
    # per head of a figure the layer has no quotient of: asked
    asked_back(pipeline, "今年上半年买1次、2次、3-4次、5次及以上的用户各有多少，销量和人均销量多少")


def test_people_are_ranked_by_what_they_spent_when_a_question_says_so(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = con.execute(
        f"""SELECT o.user_id, SUM(i.amount) AS gmv, COUNT(DISTINCT o.order_id) FROM orders o
            JOIN order_items i USING (order_id)
            WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2025-07-01' AND o.order_time < TIMESTAMP '2026-07-01'
            GROUP BY 1 ORDER BY gmv DESC LIMIT 10"""
    ).fetchall()
    for question in (
        # it was ranked by the order counts, the one figure named
        "top 10 customers by spend in the last 12 months with their order counts",
        "近一年花钱最多的前10位客户是谁？列一下他们各自的订单数和消费金额",
    ):
        rows = table(pipeline, question)
        found = [(r["user_id"], r["gmv"], r["order_count"]) for r in rows]
        assert found == [(u, pytest.approx(float(g)), n) for u, g, n in expected], question


def test_a_split_of_people_who_spent_over_an_amount_in_total(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT u.gender, COUNT(*) FROM (SELECT o.user_id FROM orders o JOIN order_items i USING (order_id)
                    WHERE o.{PAID} AND {LAST_YEAR.replace("order_time", "o.order_time")}
                    GROUP BY 1 HAVING SUM(i.amount) > 5000) s JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    # "in total" is each one's total spend, not a total compared; "gender split" groups
    for question in (
        "gender split of people who spent more than 5000 yuan in total in 2025",
        # a segment's value, then what the asker means by it, set apart: theirs, not the layer's
        "gender split of our big spenders last year - ppl who spent more than 5000 yuan in total in 2025",
    ):
        rows = table(pipeline, question)
        assert {r["gender"]: r["user_id_count"] for r in rows} == expected, question
    # a value named before a clause about something else keeps filtering
    assert read(pipeline, "新客：上个月GMV超过1万的渠道有哪些").filters[0].values == ["新客"]
    # a dimension listed before one that is split is split too
    query = read(pipeline, "gender x age breakdown of people who bought 美妆 in the last 30 days")
    assert query.dimensions == ["gender", "age_group"]
