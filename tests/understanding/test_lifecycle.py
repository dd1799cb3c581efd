"""A lifecycle analyst's segments (issue 24, group 6, blind-25): what did not happen
"never" is at any time; each group's share of all the lapsed; the days just after a
campaign; a profile's sides named as one grouping; more than half a year without buying.
Each answer is checked against SQL written by hand, each ask-back by its status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from nlq.timeparse import find_times
from tests.understanding.readings import asked_back, read, table

PAID = "pay_time IS NOT NULL"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def test_never_is_at_any_time_not_in_the_period_before(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = con.execute(
        f"""SELECT COUNT(DISTINCT e.user_id) FROM events e
        WHERE e.event_type = 'view' AND e.event_time >= DATE '2026-06-24' AND e.event_time < DATE '2026-07-01'
        AND e.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND order_time < DATE '2026-07-01')"""
    ).fetchone()
    for question in (
        "How many users browsed products in the past 7 days but have never had a paid order with us?",
        "近7天浏览过商品、但从来没下过支付订单的用户有多少",
    ):
        (row,) = table(pipeline, question)
        assert list(row.values()) == [expected[0]]  # type: ignore[index]


def test_each_groups_share_of_all_the_lapsed(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    expected = dict(
        con.execute(
            f"""WITH lapsed AS (
              SELECT user_id FROM orders WHERE {PAID} AND order_time >= DATE '2025-01-01' AND order_time < DATE '2026-01-01'
              EXCEPT SELECT user_id FROM orders WHERE {PAID} AND order_time >= DATE '2026-01-01')
            SELECT u.city_tier, COUNT(*) / SUM(COUNT(*)) OVER () FROM lapsed JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(
        pipeline,
        "去年买过、但今年以来一单都没买的流失用户，按城市等级分布看看：每个等级多少人、占全部流失用户的比例",
    )
    shares = {r["city_tier"]: r["users_count_share"] for r in rows}
    assert shares == pytest.approx(expected)
    assert sum(shares.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("双11结束后30天内的GMV", "2025-11-12", "2025-12-11"),
        ("GMV within 30 days after Double 11 2025", "2025-11-12", "2025-12-11"),
        ("11月12日起算90天", "2025-11-12", "2026-02-09"),
        ("超过半年没买", "2026-01-01", "2026-06-30"),
        ("超过90天没下单", "2026-04-01", "2026-06-30"),  # more than 90 days: none on the 91 up to today
    ],
)
def test_days_after_a_period_and_beyond_a_number_of_days(
    pipeline: Pipeline, text: str, start: str, end: str
) -> None:
    found = find_times(text, dt.date(2026, 6, 30), pipeline.understander.campaigns)
    assert [(str(t.range.start), str(t.range.end)) for t in found] == [(start, end)]


def test_returning_within_days_after_a_campaign(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    (expected,) = con.execute(
        f"""WITH f AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE {PAID} GROUP BY 1),
        cohort AS (SELECT user_id FROM f WHERE first >= DATE '2025-11-01' AND first < DATE '2025-11-12'),
        back AS (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                 AND order_time >= DATE '2025-11-12' AND order_time < DATE '2026-02-10')
        SELECT COUNT(back.user_id) / COUNT(*) FROM cohort LEFT JOIN back USING (user_id)"""
    ).fetchone()  # type: ignore[misc]
    (row,) = table(pipeline, "去年双11期间首单的新客，活动结束后90天内又回来下了已支付订单的比例有多少？")
    assert row["users_share"] == pytest.approx(expected)


def test_profile_sides_named_as_one_grouping_are_crossed(pipeline: Pipeline) -> None:
    result = pipeline.ask(
        "Profile of the people whose first ever purchase was during Double 11 2025: headcount by gender and age group",
        as_of=dt.date(2026, 6, 30),
    )
    (answer,) = result.answers
    assert answer.columns[:2] == ["gender", "age_group"] and len(answer.rows) == 10
    # a breakdown of each side stays one table per side
    split = pipeline.ask(
        "Give me the gender and age breakdown of customers who've spent more than 5,000 yuan in total this year.",
        as_of=dt.date(2026, 6, 30),
    )
    assert [a.columns[0] for a in split.answers] == ["gender", "age_group"]


def test_more_than_half_a_year_without_buying(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    (expected,) = con.execute(
        f"""WITH l AS (SELECT user_id, MAX(order_time) AS last FROM orders WHERE {PAID} GROUP BY 1)
        SELECT COUNT(*) FROM l JOIN users u USING (user_id)
        WHERE u.member_level = '钻石会员' AND l.last < DATE '2026-01-01'"""
    ).fetchone()  # type: ignore[misc]
    (row,) = table(pipeline, "钻石会员里还有多少人超过半年没买东西了？")
    assert list(row.values()) == [expected]
    # more than 90 days without an order: bought up to the 91st day before today, none since
    query = read(pipeline, "超过90天没下单的用户有多少")
    assert (query.without, query.with_figure) == ("order_count", "order_count")
    assert query.time_range is not None and str(query.time_range.start) == "2026-04-01"
    assert query.with_range is not None and str(query.with_range.end) == "2026-03-31"
    # the last order's time restated in brackets is not read yet: asked, never guessed
    asked_back(pipeline, "钻石会员里还有多少人超过半年没买东西了？（最近一笔已支付订单距今超过180天）")


def test_what_fraction_of_the_earlier_buyers_is_that(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    (lapsed, whole) = con.execute(
        f"""WITH h1 AS (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                AND order_time >= DATE '2025-01-01' AND order_time < DATE '2025-07-01'),
            now AS (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                AND order_time >= DATE '2026-01-01' AND order_time < DATE '2026-07-01')
        SELECT COUNT(*) FILTER (WHERE now.user_id IS NULL), COUNT(*) FROM h1 LEFT JOIN now USING (user_id)"""
    ).fetchone()  # type: ignore[misc]
    (row,) = table(
        pipeline,
        "Of the customers who bought anything in H1 2025, how many didn't place a single paid order "
        "in H1 2026, and what fraction of the H1 2025 buyers is that?",
    )
    assert (row["users_count"], row["users_all"]) == (lapsed, whole)
    assert row["users_share"] == pytest.approx(lapsed / whole)


def test_governed_buckets_said_with_a_verb_and_their_words(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT CASE WHEN n >= 3 THEN '3次及以上' ELSE n || '次' END, COUNT(*) FROM (
              SELECT user_id, COUNT(*) AS n FROM orders WHERE {PAID} AND order_time < DATE '2026-07-01'
              GROUP BY 1) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "按累计已支付订单数把用户分成三档：买过1次、买过2次、3次及以上，每档各有多少人？")
    assert {r["purchase_frequency"]: r["buyers"] for r in rows} == expected


def test_a_dimension_named_again_by_the_end_of_its_name(pipeline: Pipeline) -> None:
    # 各渠道 after 注册渠道 is the registration channel, the same new buyers by it: one table
    question = "今年618活动期间来的新客（第一笔已支付订单就在活动期内），都是从哪些注册渠道来的？各渠道多少人"
    reading = pipeline.understander.understand(question, dt.date(2026, 6, 30))
    assert reading.status == "answer"
    (step,) = reading.steps
    assert step.query.dimensions == ["register_channel"] and not step.query.count_groups
    assert [f.values for f in step.query.filters if f.dimension == "buyer_type"] == [["新客"]]


def test_cart_adders_who_did_not_pay(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    (expected,) = con.execute(
        f"""SELECT COUNT(*) FROM (
          SELECT DISTINCT user_id FROM events WHERE event_type = 'cart'
            AND event_time >= DATE '2026-06-01' AND event_time < DATE '2026-07-01'
          EXCEPT SELECT user_id FROM orders WHERE {PAID}
            AND order_time >= DATE '2026-06-01' AND order_time < DATE '2026-07-01')"""
    ).fetchone()  # type: ignore[misc]
    (row,) = table(pipeline, "近30天加购了但没付钱的人有多少？")
    assert list(row.values()) == [expected]


def test_a_note_on_the_bands_figure_and_period(pipeline: Pipeline) -> None:
    rows = table(
        pipeline,
        "Split everyone who bought in the last 3 months into once / twice / 3+ times "
        "(paid orders within those 3 months) — how many buyers and how much GMV in each bucket?",
    )
    assert [r["order_count_band"] for r in rows] == ["1", "2", "3+"]
    assert set(rows[0]) == {"order_count_band", "user_id_count", "gmv"}


def test_the_months_in_order(pipeline: Pipeline) -> None:
    for question in ("2025年每个月的GMV，按月份顺序列一下", "monthly GMV in 2025, show the months in order"):
        rows = table(pipeline, question)
        assert [r["month"] for r in rows] == sorted(r["month"] for r in rows) and len(rows) == 12


@pytest.mark.parametrize(
    ("question", "last_day"),
    [
        # Chinese counts the day of registering as the first: 7天内 is up to 6 days after it
        ("2025年注册的用户中，注册后7天内（含注册当天）就完成首单付款的占多少？按注册渠道分别看", 6),
        # English counts the days after it
        (
            "Of the users who registered in 2025, what share placed a paid order within 7 days of signing up? by registration channel",
            7,
        ),
    ],
)
def test_bought_within_days_of_registering(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, last_day: int
) -> None:
    expected = {
        channel: (bought, everyone)
        for channel, bought, everyone in con.execute(
            f"""WITH f AS (SELECT user_id, MIN(CAST(order_time AS DATE)) AS first FROM orders WHERE {PAID}
                  AND order_time < DATE '2026-07-01' GROUP BY 1)
            SELECT u.register_channel,
                   COUNT(*) FILTER (WHERE f.first BETWEEN u.register_date AND u.register_date + {last_day}),
                   COUNT(*)
            FROM users u LEFT JOIN f USING (user_id)
            WHERE u.register_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31' GROUP BY 1"""
        ).fetchall()
    }
    rows = table(pipeline, question)
    assert {r["register_channel"]: (r["users_count"], r["users_all"]) for r in rows} == expected


def test_never_and_ever_stop_at_the_day_asked(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    # asked on 2025-12-31, the orders of 2026 are after the day asked: not "ever"
    expected = dict(
        con.execute(
            f"""WITH c AS (SELECT DISTINCT o.user_id, p.category FROM orders o
                JOIN order_items oi USING (order_id) JOIN products p USING (product_id)
                WHERE o.{PAID} AND o.order_time < DATE '2026-01-01')
            SELECT u.age_group, COUNT(*) FROM users u
            WHERE u.user_id IN (SELECT user_id FROM c WHERE category = '美妆')
              AND u.user_id NOT IN (SELECT user_id FROM c WHERE category = '母婴') GROUP BY 1"""
        ).fetchall()
    )
    result = pipeline.ask(
        "截至目前，买过美妆但从来没买过母婴的用户有多少？按年龄段分别看", as_of=dt.date(2025, 12, 31)
    )
    (answer,) = result.answers
    assert {row[0]: row[-1] for row in answer.rows} == expected


def test_the_month_before_the_one_said(pipeline: Pipeline) -> None:
    found = find_times("上个月和再前一个月", dt.date(2026, 5, 20), pipeline.understander.campaigns)
    assert [(str(t.range.start), str(t.range.end)) for t in found] == [
        ("2026-04-01", "2026-04-30"),
        ("2026-03-01", "2026-03-31"),
    ]
    found = find_times(
        "last month and the month before", dt.date(2026, 5, 20), pipeline.understander.campaigns
    )
    assert [str(t.range.start) for t in found] == ["2026-04-01", "2026-03-01"]


@pytest.mark.parametrize(
    "question",
    [
        "今年上半年买过母婴的用户里，有多少人同期也买过服饰？占母婴买家的比例是多少",
        "This year, how many 母婴 buyers also bought 服饰 (same period), and what share of the 母婴 buyers is that?",
    ],
)
def test_a_value_said_again_with_the_share_is_the_whole(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    both, baby = con.execute(
        f"""WITH c AS (SELECT DISTINCT o.user_id, p.category FROM orders o
            JOIN order_items oi USING (order_id) JOIN products p USING (product_id)
            WHERE o.{PAID} AND o.order_time >= DATE '2026-01-01' AND o.order_time < DATE '2026-07-01')
        SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM c WHERE category = '服饰')), COUNT(*)
        FROM c WHERE category = '母婴'"""
    ).fetchone()  # type: ignore[misc]
    (row,) = table(pipeline, question)
    assert (row["users_count"], row["users_all"]) == (both, baby)


def test_a_share_of_either_of_two_values_is_asked(pipeline: Pipeline) -> None:
    # each one's share of the two was answered: the share of both together is asked back
    for question in (
        "What % of H2 2025 母婴 buyers were gold or diamond members?",
        "2025下半年母婴买家里金卡会员或钻石会员占多少",
    ):
        asked_back(pipeline, question)


def test_bands_of_money_named_by_the_figure_before_them(pipeline: Pipeline) -> None:
    # by their total GMV: under 500, 500-2000 ... are yuan, though no unit is written
    rows = table(
        pipeline,
        "Bucket this year's buyers by their total GMV year to date: under 500, 500-2000, 2000-5000, 5000+ "
        "(lower bound inclusive). Number of buyers and total GMV in each bucket.",
    )
    assert [r["gmv_band"] for r in rows] == ["<500", "500-2000", "2000-5000", "5000+"]
    rows = table(
        pipeline, "近一年服饰的买家按在服饰上花的钱分档：200以下、200-500、500-1000、1000及以上，每档多少人？"
    )
    assert [r["gmv_band"] for r in rows] == ["<200", "200-500", "500-1000", "1000+"]


def test_a_governed_rate_restated_in_brackets(pipeline: Pipeline) -> None:
    # the bracket says the layer's own 口径 of the repurchase rate (2 orders or more)
    for question in (
        "去年手机数码的复购率是多少？（复购率=去年在手机数码下过2笔及以上支付订单的买家 / 去年手机数码的全部买家）",
        "What was the 2025 repurchase rate of 手机数码 buyers? (repurchase = 2+ paid orders containing 手机数码 items during 2025)",
    ):
        query = read(pipeline, question)
        assert query.metrics[0] == "repurchase_rate"
        assert [f.values for f in query.filters if f.dimension == "category"] == [["手机数码"]]


def test_a_heading_with_a_value_names_the_people_defined_after_it(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "Lapsed 母婴 customers: people who bought 母婴 before 2025-07-01 but haven't bought any 母婴 since then. "
        "How many are there per member level?",
    )
    assert [(p.absent, p.filters[0].values) for p in query.presences] == [(False, ["母婴"]), (True, ["母婴"])]
    assert (
        query.presences[0].time_range is not None and str(query.presences[0].time_range.end) == "2025-06-30"
    )


def test_a_share_within_groups_of_the_people_a_value_names(pipeline: Pipeline) -> None:
    # 各省美妆买家里女性占比: women among each province's 美妆 buyers, not 美妆 among women's categories
    query = read(pipeline, "本季度各省美妆买家里女性占比分别是多少")
    assert [f.values for f in query.focus] == [["女"]] and query.share_within == ["province"]
    assert [f.values for f in query.filters if f.dimension == "category"] == [["美妆"]]
