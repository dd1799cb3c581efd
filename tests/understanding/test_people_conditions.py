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

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import AS_OF, asked_back, read, table

PAID = "pay_time IS NOT NULL"
MAY = "order_time >= TIMESTAMP '2026-05-01' AND order_time < TIMESTAMP '2026-06-01'"
JUNE = "order_time >= TIMESTAMP '2026-06-01' AND order_time < TIMESTAMP '2026-07-01'"


def _bought_in_may_not_june(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Users who bought in May and not in June, by city tier, written by hand."""
    return dict(
        con.sql(
            f"""SELECT u.city_tier, COUNT(*) FROM users u
                WHERE u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {MAY})
                  AND u.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND {JUNE})
                GROUP BY 1"""
        ).fetchall()
    )


def _new_and_returning(con: duckdb.DuckDBPyConnection, start: str, end: str) -> dict[str, int]:
    """The buyers of [start, end) whose first paid order ever is in it (新客) or before (老客)."""
    return dict(
        con.sql(
            f"""WITH first AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1)
                SELECT CASE WHEN f.t >= TIMESTAMP '{start}' THEN '新客' ELSE '老客' END, COUNT(DISTINCT o.user_id)
                FROM orders o JOIN first f USING (user_id)
                WHERE o.{PAID} AND o.order_time >= TIMESTAMP '{start}' AND o.order_time < TIMESTAMP '{end}'
                GROUP BY 1"""
        ).fetchall()
    )


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


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
    expected = _bought_in_may_not_june(con)
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
        "Which users bought both 服饰 and 运动户外 this year, and how much did they spend?",
        "5月买过、6月又买了的用户的成交额是多少",
    ],
)
def test_what_nlq_cannot_compute_about_people_is_asked_back(pipeline: Pipeline, question: str) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "clarify", (question, [s.query for s in reading.steps])


def test_the_same_value_on_both_sides_of_what_did_not_happen_applies_to_both(pipeline: Pipeline) -> None:
    # a condition in each clause's period, each with its value
    query = read(pipeline, "去年买过美妆、今年没买美妆的用户有多少")
    assert [(p.absent, [f.values for f in p.filters]) for p in query.presences] == [
        (False, [["美妆"]]),
        (True, [["美妆"]]),
    ]


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


def _per_user(con: duckdb.DuckDBPyConnection, start: str, end: str) -> str:
    return f"""SELECT o.user_id, COUNT(DISTINCT o.order_id) AS n, SUM(i.amount) AS spent
               FROM orders o JOIN order_items i USING (order_id)
               WHERE o.{PAID} AND o.order_time >= TIMESTAMP '{start}' AND o.order_time < TIMESTAMP '{end}'
               GROUP BY 1"""


def test_bands_of_orders_the_question_defines_count_people_with_their_average_spend(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        band: (people, pytest.approx(float(spend)))
        for band, people, spend in con.sql(
            f"""SELECT CASE WHEN n = 1 THEN '1' WHEN n <= 3 THEN '2-3' WHEN n <= 5 THEN '4-5' ELSE '6+' END,
                       COUNT(*), SUM(spent) / COUNT(*)
                FROM ({_per_user(con, "2025-01-01", "2026-01-01")}) GROUP BY 1"""
        ).fetchall()
    }
    found = table(
        pipeline,
        "For 2025, bucket our buyers by how many paid orders they placed: 1, 2-3, 4-5, 6 or more. "
        "How many users are in each bucket and what's the average spend per user?",
    )
    assert [r["order_count_band"] for r in found] == ["1", "2-3", "4-5", "6+"]  # in the bands' order
    assert {r["order_count_band"]: (r["user_id_count"], r["avg_spend_per_buyer"]) for r in found} == expected


def test_bands_of_spending_put_a_shared_bound_in_the_later_band(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        band: (people, pytest.approx(float(gmv)))
        for band, people, gmv in con.sql(
            f"""SELECT CASE WHEN spent < 500 THEN '<500' WHEN spent < 2000 THEN '500-2000' ELSE '2000+' END,
                       COUNT(*), SUM(spent)
                FROM ({_per_user(con, "2026-01-01", "2026-04-01")}) GROUP BY 1"""
        ).fetchall()
    }
    for question in (
        "一季度消费500元以下、500-2000元、2000元以上的用户各有多少，成交额各多少",
        # 不满500 is under 500 (it was the band of exactly 500); （含） says the bound is in
        "一季度每个买家的消费按金额分三档：不满500元、500元（含）到2000元、2000元及以上，每档多少人，成交额各多少",
    ):
        found = table(pipeline, question)
        assert {r["gmv_band"]: (r["user_id_count"], r["gmv"]) for r in found} == expected, question


def test_the_layers_own_buckets_stay_its_segment(pipeline: Pipeline) -> None:
    assert read(pipeline, "近三个月买1次、2次、3次及以上的用户各有多少").dimensions == ["purchase_frequency"]
    banded = read(pipeline, "近三个月买1次、2次、3-4次、5次及以上的用户各有多少")
    assert banded.bands is not None and [b.label for b in banded.bands.bands] == ["1", "2", "3-4", "5+"]


def test_a_band_written_with_its_own_words_is_still_one_of_them(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "For 2025 buyers, how many had exactly 1 paid order that year, exactly 2, 3 to 4, and 5 or more?",
    )
    assert query.bands is not None and [b.label for b in query.bands.bands] == ["1", "2", "3-4", "5+"]


def test_the_rows_a_table_word_names_are_ranked_within_the_groups(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        (level, user)
        for level, user in con.sql(
            f"""SELECT member_level, user_id FROM (
                  SELECT u.member_level, o.user_id,
                         ROW_NUMBER() OVER (PARTITION BY u.member_level ORDER BY SUM(i.amount) DESC) AS r
                  FROM orders o JOIN order_items i USING (order_id) JOIN users u USING (user_id)
                  WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' GROUP BY 1, 2) WHERE r <= 3"""
        ).fetchall()
    }
    for question in (
        "top 3 customers by GMV within each member level this year",
        "今年各会员等级里成交额前三的用户",
    ):
        found = {(r["member_level"], r["user_id"]) for r in table(pipeline, question)}
        assert found == expected, question
    # a table word whose rows a grouping already names is not ranked twice
    assert read(pipeline, "各品类销量前3的商品").dimensions == ["category", "product_name"]
    # 给用户ID就行 says what to show of the rows the question ranks
    assert read(pipeline, "各会员等级里，今年成交额排第三的用户是谁？给用户ID就行").rank_within == [
        "member_level"
    ]


def test_bands_after_a_segments_word_are_its_values_or_the_askers_own(pipeline: Pipeline) -> None:
    own = read(pipeline, "purchase frequency buckets for this quarter's buyers (1 / 2 / 3+ orders)")
    assert own.dimensions == ["purchase_frequency"] and own.bands is None
    asked = read(pipeline, "本季度购买频次（1次/2-3次/4次及以上）分布")
    assert asked.bands is not None and [b.label for b in asked.bands.bands] == ["1", "2-3", "4+"]
    assert asked.dimensions == [] and not asked.metric_filters


def test_people_who_bought_in_one_period_and_not_in_the_next_read_in_english_order(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # English says the period of what did not happen after its verb (haven't bought ...
    # this month); the people are the layer's users when no table is named
    per_tier = _bought_in_may_not_june(con)
    found = table(
        pipeline,
        "For each city tier, how many people bought something last month but didn't buy anything this month?",
    )
    assert {r["city_tier"]: r["users_count"] for r in found} == per_tier
    total = table(
        pipeline, "How many customers who bought something last month haven't bought anything this month?"
    )
    assert list(total[0].values()) == [sum(per_tier.values())]


@pytest.mark.parametrize(
    "question",
    [
        "今年第一次来的人有多少",  # which people: first, but of what?
        "上个月各城市等级的买家里，首购月份的人分别占多大比例？",  # people a dimension describes
    ],
)
def test_words_saying_which_people_are_used_or_asked_about(pipeline: Pipeline, question: str) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "clarify", (question, [s.query for s in reading.steps])


def test_a_word_of_which_people_before_a_segment_value_describes_it(pipeline: Pipeline) -> None:
    query = read(pipeline, "2025年双11期间，第一次来买的新买家和老买家，客单价分别是多少？")
    assert query.dimensions == ["buyer_type"] or [f.values for f in query.filters] == [["新客", "老客"]]
    # 不同会员等级的买家 groups by the level; it describes no people
    assert "member_level" in read(pipeline, "2025年不同会员等级的买家，平均每人下了几单？").dimensions


def test_bands_written_with_words_of_times_and_referred_to_again(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        band: (people, pytest.approx(float(gmv)))
        for band, people, gmv in con.sql(
            """WITH s AS (SELECT o.user_id, COUNT(DISTINCT o.order_id) AS n, SUM(i.amount) AS gmv
                          FROM orders o JOIN order_items i USING (order_id)
                          WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-01-01'
                          GROUP BY 1)
               SELECT CASE WHEN n = 1 THEN '1' WHEN n <= 3 THEN '2-3' ELSE '4+' END, COUNT(*), SUM(gmv)
               FROM s GROUP BY 1"""
        ).fetchall()
    }
    found = table(
        pipeline,
        "This year, how many buyers ordered just once, 2-3 times, and 4 or more times, "
        "and how much GMV came from each of those groups?",
    )
    assert {r["order_count_band"]: (r["user_id_count"], float(r["gmv"])) for r in found} == expected


BOUGHT = """SELECT DISTINCT o.user_id, p.category, o.order_time FROM orders o
            JOIN order_items i USING (order_id) JOIN products p USING (product_id)
            WHERE o.pay_time IS NOT NULL"""


def _people(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    return {str(k): v for k, v in con.sql(sql).fetchall()}


def test_people_who_bought_each_of_two_values_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    year = "order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01'"
    expected = _people(
        con,
        f"""WITH b AS ({BOUGHT}) SELECT u.city_tier, COUNT(*) FROM users u
            WHERE u.user_id IN (SELECT user_id FROM b WHERE category = '服饰' AND {year})
              AND u.user_id IN (SELECT user_id FROM b WHERE category = '运动户外' AND {year})
            GROUP BY 1""",
    )
    for question in (
        "This year, how many users bought both 服饰 and 运动户外? Show it by city tier.",
        "今年服饰和运动户外两类都买过的用户有多少？按城市等级看",
    ):
        found = {r["city_tier"]: r["users_count"] for r in table(pipeline, question)}
        assert found == expected, question


def test_people_who_bought_in_each_of_two_periods_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    double11 = "order_time >= TIMESTAMP '2025-11-01' AND order_time < TIMESTAMP '2025-11-12'"
    s618 = "order_time >= TIMESTAMP '2026-06-01' AND order_time < TIMESTAMP '2026-06-19'"
    (expected,) = con.execute(
        f"""SELECT COUNT(*) FROM users WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {double11})
            AND user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {s618})"""
    ).fetchone()
    for question in (
        "去年双11买过的用户，今年618又回来买的有多少人？",
        "How many shoppers bought during both the 2025 Double 11 sale and this year's 618?",
    ):
        assert list(table(pipeline, question)[0].values()) == [expected], question


def test_people_who_bought_one_value_but_not_another_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    last_year = "order_time >= TIMESTAMP '2025-01-01' AND order_time < TIMESTAMP '2026-01-01'"
    (that_year,) = con.execute(
        f"""WITH b AS ({BOUGHT}) SELECT COUNT(*) FROM users
            WHERE user_id IN (SELECT user_id FROM b WHERE category = '手机数码' AND {last_year})
              AND user_id NOT IN (SELECT user_id FROM b WHERE category = '美妆' AND {last_year})"""
    ).fetchone()
    question = "How many users bought 手机数码 in 2025 but didn't buy anything from 美妆 that year?"
    assert list(table(pipeline, question)[0].values()) == [that_year]
    # never: at any time up to the last day of data
    (never,) = con.execute(
        f"""WITH b AS ({BOUGHT}) SELECT COUNT(*) FROM users
            WHERE user_id IN (SELECT user_id FROM b WHERE category = '美妆' AND {last_year})
              AND user_id NOT IN (SELECT user_id FROM b WHERE category = '手机数码'
                                  AND order_time < TIMESTAMP '2026-07-01')"""
    ).fetchone()
    question = "去年买过美妆、但到现在为止从来没买过手机数码产品的用户有多少？"
    assert list(table(pipeline, question)[0].values()) == [never]


def test_a_value_named_after_the_groups_is_shared_within_each(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        tier: pytest.approx(share)
        for tier, share in con.sql(
            f"""WITH f AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1),
                     b AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND {MAY})
                SELECT u.city_tier, AVG(CASE WHEN f.t >= TIMESTAMP '2026-05-01' THEN 1.0 ELSE 0 END)
                FROM b JOIN f USING (user_id) JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    }
    for question in (
        "What share of last month's buyers in each city tier were new customers?",
        "上个月各城市等级的买家里新客占比多少",
    ):
        found = {r["city_tier"]: r["buyers_share"] for r in table(pipeline, question)}
        assert found == expected, question
    # named before the groups, the value is shared across them (how its buyers spread)
    query = read(pipeline, "上个月新客在各城市等级的占比")
    assert query.share_within == [] and query.filters[0].values == ["新客"]


def test_the_people_a_spending_condition_picks_are_counted_with_their_total(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    def spent_over(bound: int, start: str, end: str) -> tuple[int, float]:
        people, gmv = con.execute(
            f"""WITH s AS (SELECT o.user_id, SUM(i.amount) AS g FROM orders o JOIN order_items i USING (order_id)
                           WHERE o.{PAID} AND o.order_time >= TIMESTAMP '{start}' AND o.order_time < TIMESTAMP '{end}'
                           GROUP BY 1)
                SELECT COUNT(*), SUM(g) FROM s WHERE g > {bound}"""
        ).fetchone()
        return people, pytest.approx(float(gmv))

    # the second part points back at the people (他们); the segment's word after the
    # comparison (高消费用户) is what the comparison defines, not the layer's RFM level
    found = table(pipeline, "近一年累计消费超过2万元的高消费用户有多少人？他们一共贡献了多少成交额？")
    assert [tuple(r.values()) for r in found] == [spent_over(20000, "2025-07-01", "2026-07-01")]
    found = table(
        pipeline,
        "How many people spent over 10,000 yuan with us last year, and how much GMV did they account for?",
    )
    assert [tuple(r.values()) for r in found] == [spent_over(10000, "2025-01-01", "2026-01-01")]
    # the count alone, when no figure of theirs is asked
    assert list(table(pipeline, "去年消费超过1万的用户有多少")[0]) == ["user_id_count"]


def test_the_share_of_people_meeting_a_condition_is_of_everyone_in_each_group(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        tier: (met, everyone, pytest.approx(share))
        for tier, met, everyone, share in con.sql(
            f"""WITH s AS (SELECT user_id, COUNT(*) AS n FROM orders WHERE {PAID} AND {MAY} GROUP BY 1)
                SELECT u.city_tier, SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), COUNT(*),
                       AVG(CASE WHEN n >= 2 THEN 1.0 ELSE 0 END)
                FROM s JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    }
    for question in (
        "Last month, what share of buyers in each city tier ordered at least twice?",
        "上个月各城市等级的买家里，下单两次及以上的比例是多少",
    ):
        found = {r.pop("city_tier"): tuple(r.values()) for r in table(pipeline, question)}
        assert found == expected, question


def test_people_counted_and_their_share_of_everyone_asked_in_a_part_of_its_own(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    met, everyone, share = con.execute(
        """WITH s AS (SELECT o.user_id, SUM(i.amount) AS g FROM orders o JOIN order_items i USING (order_id)
                      WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-01-01'
                        AND o.order_time < TIMESTAMP '2026-04-01' GROUP BY 1)
           SELECT SUM(CASE WHEN g < 200 THEN 1 ELSE 0 END), COUNT(*), AVG(CASE WHEN g < 200 THEN 1.0 ELSE 0 END) FROM s"""
    ).fetchone()
    found = table(pipeline, "上季度消费不到200块的买家有多少？占上季度全部买家的比例呢？")
    assert [tuple(r.values()) for r in found] == [(met, everyone, pytest.approx(share))]
    # the buyers are counted, what they spent is compared (a money bound bounds no count of people)
    assert list(table(pipeline, "上季度消费不到200块的买家有多少")[0].values()) == [met]


def test_a_count_before_a_dimension_counts_its_values_for_each_person(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    met, everyone = con.execute(
        """WITH s AS (SELECT user_id, COUNT(DISTINCT channel) AS n FROM orders WHERE pay_time IS NOT NULL
                      AND order_time >= TIMESTAMP '2026-01-01' GROUP BY 1)
           SELECT SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), COUNT(*) FROM s"""
    ).fetchone()
    found = table(pipeline, "今年在两个及以上渠道都下过付款订单的买家有多少人？占今年全部买家的比例是多少？")
    assert [tuple(r.values())[:2] for r in found] == [(met, everyone)]


def test_a_tables_word_after_a_value_names_its_rows_not_a_grouping(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            """SELECT u.gender, COUNT(DISTINCT o.user_id) FROM orders o JOIN order_items i USING (order_id)
               JOIN products p USING (product_id) JOIN users u USING (user_id)
               WHERE o.pay_time IS NOT NULL AND p.category = '母婴' AND o.order_time >= TIMESTAMP '2026-01-01'
               GROUP BY 1"""
        ).fetchall()
    )
    # 母婴类商品: the products of 母婴 (was grouped by product name too); 顾客: the people counted
    found = table(pipeline, "最近6个月买过母婴类商品的顾客，男女各有多少人？")
    assert {r["gender"]: r["buyers"] for r in found} == expected


def test_the_profile_of_people_a_spending_condition_picks(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand(
        "Give me a profile of the customers who spent more than 5,000 yuan in total with us in 2025.", AS_OF
    )
    assert reading.status == "answer" and len(reading.steps) == 4
    assert all(s.query.metric_filters[0].metric == "gmv" and s.query.count_groups for s in reading.steps)


def test_what_people_a_condition_picks_account_for_in_the_whole(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    met, everyone, theirs, whole = con.execute(
        """WITH s AS (SELECT o.user_id, COUNT(DISTINCT o.order_id) AS n, SUM(i.amount) AS g
                      FROM orders o JOIN order_items i USING (order_id)
                      WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2025-01-01'
                        AND o.order_time < TIMESTAMP '2026-01-01' GROUP BY 1)
           SELECT SUM(CASE WHEN n >= 5 THEN 1 ELSE 0 END), COUNT(*), SUM(CASE WHEN n >= 5 THEN g ELSE 0 END), SUM(g)
           FROM s"""
    ).fetchone()
    for question in (
        "去年付款下单5次及以上的用户，成交额占全年GMV的比例是多少？",
        "去年付款下单5次及以上的用户有多少人？他们的成交额占全年GMV的比例是多少？",
    ):
        (row,) = table(pipeline, question)
        assert row["user_id_count"] == met and row["user_id_all"] == everyone
        assert (row["gmv"], row["gmv_all"], row["gmv_share"]) == (
            pytest.approx(float(theirs)),
            pytest.approx(float(whole)),
            pytest.approx(float(theirs / whole)),
        )
    # a figure that does not add up over people has no part of a whole: said, not computed
    result = pipeline.ask("去年付款下单5次及以上的用户，客单价占全部的比例是多少？", as_of=AS_OF)
    assert result.status != "answered"


@pytest.mark.parametrize(
    "question",
    [
        "今年第一次在我们这儿买东西的人有多少",
        "How many people made their first ever purchase this year?",
        "今年首次购买的人有多少",
    ],
)
def test_first_purchase_words_name_the_segment_value_whose_words_say_first(
    pipeline: Pipeline, question: str
) -> None:
    # 新客's own words (首购用户, first-time buyers) say first: the one governed value that does
    query = read(pipeline, question)
    assert [(f.dimension, f.values) for f in query.filters] == [("buyer_type", ["新客"])], question


@pytest.mark.parametrize(
    "question",
    [
        "show the first 10 orders of user 84",
        "用户84的第一笔订单买了什么",
        "GMV in the first half of 2025 by channel",
    ],
)
def test_first_of_rows_or_of_a_period_is_no_segment(pipeline: Pipeline, question: str) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    filters = [f for step in reading.steps for f in step.query.filters]
    assert all(f.dimension != "buyer_type" for f in filters), question


def test_a_name_in_brackets_after_a_value_is_its_other_name(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand(
        "Give me the buyer profile of people who bought 苹果 (Apple) brand products last year.", AS_OF
    )
    assert reading.status == "answer" and len(reading.steps) == 4
    assert all(s.query.filters[0].values == ["苹果"] for s in reading.steps)
    # words that would narrow or negate are never taken for a name
    assert pipeline.understander.understand("华为 (not online) GMV last month", AS_OF).status == "clarify"


def test_people_registered_in_a_period_who_bought_in_it(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            """SELECT u.age_group, COUNT(DISTINCT o.user_id) FROM orders o JOIN users u USING (user_id)
               WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-04-01'
                 AND u.register_date BETWEEN DATE '2026-04-01' AND DATE '2026-06-30' GROUP BY 1"""
        ).fetchall()
    )
    found = table(pipeline, "近3个月新注册、而且这3个月里有过付款订单的用户，年龄段分布帮我看下")
    assert {r["age_group"]: r["users_count"] for r in found} == expected


def test_never_bought_before_beside_first_purchase_words_is_what_first_means(pipeline: Pipeline) -> None:
    query = read(pipeline, "以前从没买过、今年才头一回在我们这儿下单买东西的用户，年龄段分布怎么样？")
    assert [(f.dimension, f.values) for f in query.filters] == [("buyer_type", ["新客"])]
    assert query.dimensions == ["age_group"] and query.without is None
    # alone, never bought is people without orders
    assert read(pipeline, "以前从没买过的用户有多少").without == "order_count"


def _registered_who_bought(con: duckdb.DuckDBPyConnection, registered: str, bought: str) -> dict[str, tuple]:
    """Of the users registered in a period, by register channel: those with a paid order in
    another, all of them, and the share - written by hand."""
    rows = con.sql(
        f"""SELECT u.register_channel,
                   COUNT(*) FILTER (WHERE u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {bought})),
                   COUNT(*)
            FROM users u WHERE {registered} GROUP BY 1"""
    ).fetchall()
    return {channel: (met, everyone, pytest.approx(met / everyone)) for channel, met, everyone in rows}


@pytest.mark.parametrize(
    ("question", "registered", "bought"),
    [
        # said once: bought at any time up to the day asked (not within 2025)
        (
            "2025年注册的那批用户，按注册渠道看，到目前为止有过购买的人占比分别是多少？",
            "u.register_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'",
            "order_time < TIMESTAMP '2026-07-01'",
        ),
        (
            "By register channel, what share of the users who registered in 2025 have bought anything so far?",
            "u.register_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'",
            "order_time < TIMESTAMP '2026-07-01'",
        ),
        # 当月: in the month they registered, not this calendar month
        (
            "今年1月新注册的用户里，当月就付款下单的有多少人？按注册渠道看一下人数和占比。",
            "u.register_date BETWEEN DATE '2026-01-01' AND DATE '2026-01-31'",
            "order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-02-01'",
        ),
    ],
)
def test_the_share_of_people_registered_in_a_period_who_bought(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, registered: str, bought: str
) -> None:
    expected = _registered_who_bought(con, registered, bought)
    found = table(pipeline, question)
    assert {
        r["register_channel"]: (r["users_count"], r["users_all"], r["users_share"]) for r in found
    } == expected


def test_people_registered_in_a_period_are_counted_not_their_orders(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # it was the number of orders ever placed by the users registered in 2025, silently
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM users WHERE register_date BETWEEN DATE '2025-01-01' AND DATE '2025-12-31'
              AND user_id IN (SELECT user_id FROM orders WHERE {PAID})"""
    ).fetchall()
    assert table(pipeline, "2025年注册、到现在有过付款订单的用户有多少") == [{"users_count": expected}]


@pytest.mark.parametrize(
    "question",
    [
        "Last quarter, how did people making their first ever purchase compare with customers who'd "
        "already bought from us before? I need headcount, number of orders and average order value for each group.",
        "上季度第一次购买的人和之前就买过的人比，人数、订单数和客单价各是多少",
    ],
)
def test_having_bought_before_beside_first_purchase_is_the_segments_other_value(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # the returning side was dropped: it answered for the first-time buyers alone, silently
    expected = _new_and_returning(con, "2026-01-01", "2026-04-01")
    found = table(pipeline, question)
    assert {r["buyer_type"]: r["buyers"] for r in found} == expected, question


def test_bought_before_without_first_purchase_words_is_no_segment(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("之前买过美妆的用户上个月的成交额", AS_OF)
    filters = [f for step in reading.steps for f in step.query.filters]
    assert all(f.dimension != "buyer_type" for f in filters)


@pytest.mark.parametrize(
    ("question", "sides"),
    [
        (
            "What does the customer base for 苹果 products look like over the last 6 months - gender, age, "
            "city tier and membership level?",
            ["gender", "age_group", "city_tier", "member_level"],
        ),
        ("近半年买苹果的都是什么样的人？性别、年龄、城市等级", ["gender", "age_group", "city_tier"]),
        ("近半年买苹果的用户画像", ["gender", "age_group", "city_tier", "member_level"]),
    ],
)
def test_a_profile_said_in_other_words_shows_the_sides_named(
    pipeline: Pipeline, question: str, sides: list[str]
) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", reading.message
    assert [s.query.dimensions for s in reading.steps] == [[side] for side in sides]
    assert all(s.query.filters[0].values == ["苹果"] for s in reading.steps)


def test_a_share_asked_of_the_groups_named_again_is_within_each(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # it was each city tier's share of all buyers, in a second table, silently
    expected = {
        tier: (new, pytest.approx(new / everyone))
        for tier, new, everyone in con.sql(
            f"""WITH first AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1),
                     buyers AS (SELECT DISTINCT user_id FROM orders
                                WHERE {PAID} AND order_time >= TIMESTAMP '2026-01-01')
                SELECT u.city_tier, COUNT(*) FILTER (WHERE f.t >= TIMESTAMP '2026-01-01'), COUNT(*)
                FROM buyers b JOIN first f USING (user_id) JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    }
    for question in (
        "今年以来各城市等级的新买家有多少人？占该城市等级全部买家的比例是多少？",
        # the bracket says what new means; its 没付款 is no payment status, 下过单 no event
        "今年以来各城市等级的新买家（之前从没付款下过单的）有多少人？占该城市等级全部买家的比例是多少？",
    ):
        found = table(pipeline, question)
        assert {r["city_tier"]: (r["buyers"], r["buyers_share"]) for r in found} == expected, question


@pytest.mark.parametrize(
    "question",
    ["new buyers (never bought before) last month by channel", "上个月各渠道的新客（以前没买过的）有多少"],
)
def test_never_bought_before_in_brackets_after_new_buyers_is_what_new_means(
    pipeline: Pipeline, question: str
) -> None:
    query = read(pipeline, question)
    assert [(f.dimension, f.values) for f in query.filters] == [("buyer_type", ["新客"])]
    assert query.dimensions == ["channel"]


def _users_in_periods(con: duckdb.DuckDBPyConnection, bought: list[str], skipped: list[str]) -> int:
    """Users with a paid order in each period of `bought` and none in any of `skipped`."""
    where = [f"user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {p})" for p in bought]
    where += [f"user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND {p})" for p in skipped]
    [(count,)] = con.sql(f"SELECT COUNT(*) FROM users WHERE {' AND '.join(where)}").fetchall()
    return int(count)


def _year(year: int) -> str:
    return f"order_time >= TIMESTAMP '{year}-01-01' AND order_time < TIMESTAMP '{year + 1}-01-01'"


@pytest.mark.parametrize(
    "question",
    [
        "How many customers bought from us in 2024, skipped all of 2025, and then came back and bought again this year?",
        "2024年买过、2025年一单没买、今年又回来买的用户有多少",
    ],
)
def test_a_chain_of_periods_bought_in_or_not_is_a_condition_for_each(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    expected = _users_in_periods(con, [_year(2024), _year(2026)], [_year(2025)])
    assert table(pipeline, question) == [{"users_count": expected}]


def test_earlier_than_the_periods_said_is_a_period_of_the_chain(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 回流老客: they came back, and bought before, so are returning buyers by what is said
    expected = _users_in_periods(
        con,
        [JUNE, "order_time < TIMESTAMP '2026-03-01'"],
        ["order_time >= TIMESTAMP '2026-03-01' AND order_time < TIMESTAMP '2026-06-01'"],
    )
    question = "近30天买过东西的人里，有多少是3月到5月一单都没买、但更早以前买过的回流老客？"
    assert table(pipeline, question) == [{"users_count": expected}]


def test_returning_buyers_who_bought_in_an_earlier_period_and_not_since(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 老客 was asked back: a segment of this year's buyers holds none who did not buy
    expected = _users_in_periods(con, [_year(2025)], [_year(2026)])
    assert table(pipeline, "2025年买过东西、今年到现在还一直没再买的老客有多少人？") == [
        {"users_count": expected}
    ]
    # with no earlier period said, it is still asked
    asked_back(pipeline, "今年没再买的老客有多少人")


def test_each_period_has_the_figure_named_in_its_clause(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # a refund in one quarter, then a paid order in the next: it was asked back
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM users
            WHERE user_id IN (SELECT o.user_id FROM refunds r JOIN orders o USING (order_id)
                              WHERE r.refund_time >= TIMESTAMP '2026-01-01' AND r.refund_time < TIMESTAMP '2026-04-01')
              AND user_id IN (SELECT user_id FROM orders WHERE {PAID}
                              AND order_time >= TIMESTAMP '2026-04-01' AND order_time < TIMESTAMP '2026-07-01')"""
    ).fetchall()
    question = (
        "Of the users who got a refund in Q1 2026, how many came back and placed a paid order in Q2 2026?"
    )
    assert table(pipeline, question) == [{"users_count": expected}]


def test_a_segment_by_month_is_decided_in_each_month(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # each month's new buyers were new in the year: a buyer first seen in January counted
    # again in every later month she bought in, silently
    expected = {
        str(month): count
        for month, count in con.sql(
            f"""WITH first AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1)
                SELECT CAST(DATE_TRUNC('month', t) AS DATE), COUNT(*) FROM first
                WHERE t >= TIMESTAMP '2026-01-01' AND t < TIMESTAMP '2026-07-01' GROUP BY 1"""
        ).fetchall()
    }
    for question in ("今年每个月的新客有多少", "How many new buyers did we get each month this year?"):
        found = {str(r["month"]): r["buyers"] for r in table(pipeline, question)}
        assert found == expected, question


def test_a_segment_cannot_run_across_the_buckets_it_is_decided_in(pipeline: Pipeline) -> None:
    result = pipeline.ask("今年每个月新客数的累计值", as_of=AS_OF)
    assert result.status == "clarify" and "新老客" in result.message and not result.answers


@pytest.mark.parametrize(
    "question",
    [
        "How many shoppers bought from at least 3 different product categories last year?",
        "How many customers bought from at least 3 categories last year?",
        "去年买过3个及以上品类的用户有多少",
    ],
)
def test_people_counted_by_how_many_values_they_bought(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # product categories: the categories are counted, not the products (a count of products
    # per category, silently); shoppers are people as users are
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM (SELECT o.user_id FROM orders o JOIN order_items i USING (order_id)
                JOIN products p USING (product_id) WHERE {PAID} AND {_year(2025).replace("order_time", "o.order_time")}
                GROUP BY 1 HAVING COUNT(DISTINCT p.category) >= 3)"""
    ).fetchall()
    found = table(pipeline, question)
    assert [list(r.values()) for r in found] == [[expected]], question


def test_a_segment_in_the_clause_of_a_period_is_of_that_period_and_the_share_among_them(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 只买过一次 was over all history, beside a purchase this year: none could, so 0,
    # silently; and the share of them was dropped
    [(back, once)] = con.sql(
        f"""WITH once AS (SELECT user_id FROM orders WHERE {PAID} AND {_year(2025)}
                          GROUP BY 1 HAVING COUNT(*) = 1)
            SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {_year(2026)})),
                   COUNT(*) FROM once"""
    ).fetchall()
    found = table(pipeline, "去年只买过一次的客户，今年有多少人又回来买了？占这批人的比例是多少？")
    assert found == [{"users_count": back, "users_all": once, "users_share": pytest.approx(back / once)}]


@pytest.mark.parametrize(
    "question",
    [
        "上个月买过东西的客户里，新客和老客分别有多少人？新客就是第一笔付款订单正好落在上个月的人",
        "Last month, how many of our buyers were first-timers and how many had already bought from us before?",
    ],
)
def test_first_purchase_defined_or_said_in_a_word_is_the_first_value(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    expected = _new_and_returning(con, "2026-05-01", "2026-06-01")
    assert {r["buyer_type"]: r["buyers"] for r in table(pipeline, question)} == expected, question


def test_a_definition_that_is_not_first_purchase_is_asked_about(pipeline: Pipeline) -> None:
    # the asker's own new customers (registered lately) are not the layer's 新客: asked
    asked_back(pipeline, "上个月新客有多少人？新客就是最近30天注册的人")


def test_how_many_new_buyers_each_month_with_new_defined(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "How many new buyers did we pick up each month in 2025? New = their first ever paid order was that month.",
    )
    assert query.time_grain == "month" and [(f.dimension, f.values) for f in query.filters] == [
        ("buyer_type", ["新客"])
    ]
    assert query.time_range is not None and (query.time_range.start, query.time_range.end) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
    )


def test_of_those_who_bought_in_one_period_the_share_who_also_bought_in_the_next(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    [(both, first)] = con.sql(
        f"""WITH a AS (SELECT DISTINCT user_id FROM orders WHERE {PAID} AND {_year(2024)})
            SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {_year(2025)})),
                   COUNT(*) FROM a"""
    ).fetchall()
    found = table(pipeline, "Of the customers who purchased in 2024, what fraction also purchased in 2025?")
    assert found == [{"users_count": both, "users_all": first, "users_share": pytest.approx(both / first)}]


def test_words_joined_by_a_hyphen_name_what_they_name_apart(pipeline: Pipeline) -> None:
    query = read(
        pipeline, "Rank the city tiers by repeat-purchase rate over the past 12 months, highest first."
    )
    assert query.metrics == ["repurchase_rate"] and query.dimensions == ["city_tier"]
    grouped = read(
        pipeline, "去年买过东西的人按购买次数分一下组：只买过1次的、买了2次的、3次及以上的，每组多少人？"
    )
    assert grouped.dimensions == ["purchase_frequency"]


def test_a_share_within_the_rows_a_listing_ranks_is_asked_back(pipeline: Pipeline) -> None:
    # it listed the women among the top 100 spenders, for a role that may see names, silently
    asked_back(pipeline, "今年以来消费金额排前100名的客户里，女性占多大比例？")


def test_two_sides_of_the_profile_broken_down_of_people_a_condition_picks(pipeline: Pipeline) -> None:
    question = "Give me the gender and age breakdown of customers who've spent more than 5,000 yuan in total this year."
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", reading.message
    assert [s.query.dimensions[0] for s in reading.steps] == ["gender", "age_group"]
    assert all(s.query.count_groups and s.query.metric_filters[0].value == 5000 for s in reading.steps)
    # a figure broken down by two of them stays one grouping
    assert read(pipeline, "GMV by gender and age group this year").dimensions == ["gender", "age_group"]


def _bought_in_each(con: duckdb.DuckDBPyConnection, months: list[tuple[str, str]]) -> int:
    """The people with a paid order in every one of the [start, end) months, by hand."""
    [(count,)] = con.sql(
        """SELECT COUNT(*) FROM users WHERE """
        + " AND ".join(
            f"""user_id IN (SELECT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '{a}' AND order_time < TIMESTAMP '{b}')"""
            for a, b in months
        )
    ).fetchall()
    return int(count)


@pytest.mark.parametrize(
    "question",
    [
        "How many customers bought something in every single month of Q1 this year (Jan, Feb and Mar)?",
        "how many customers bought in each of January, February and March?",
        "今年一季度每个月都买过东西的用户有多少",
        "1月、2月和3月都买过东西的用户有多少",
    ],
)
def test_people_who_bought_in_every_period_listed_or_every_bucket(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # they were the buyers of each month, by month: 3 rows, an answer to another question
    expected = _bought_in_each(
        con, [("2026-01-01", "2026-02-01"), ("2026-02-01", "2026-03-01"), ("2026-03-01", "2026-04-01")]
    )
    assert [list(row.values()) for row in table(pipeline, question)] == [[expected]]


@pytest.mark.parametrize(
    ("question", "by"),
    [
        ("for each age group, what % of buyers have only ever placed a single paid order?", "age_group"),
        ("近3个月只下过一单的人占全部购买用户的比例是多少？", None),
    ],
)
def test_exactly_one_order_is_a_count_of_each_persons_orders(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, by: str | None
) -> None:
    # "a single paid order" was dropped: each group's share of all buyers, silently
    period = "" if by else "AND order_time >= TIMESTAMP '2026-04-01' AND order_time < TIMESTAMP '2026-07-01'"
    group = f"u.{by}" if by else "'all'"
    expected = con.sql(
        f"""WITH n AS (SELECT user_id, COUNT(*) AS k FROM orders WHERE {PAID} {period} GROUP BY 1)
            SELECT {group}, AVG(CASE WHEN k = 1 THEN 1.0 ELSE 0 END) FROM n JOIN users u USING (user_id)
            GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    rows = table(pipeline, question)
    shares = sorted((row.get(by, "all"), row["user_id_share"]) for row in rows)
    assert shares == [(g, pytest.approx(s)) for g, s in expected]


@pytest.mark.parametrize(
    "question",
    [
        "whats the member level mix of people who made their first ever purchase in May? counts and share pls",
        "5月新客的会员等级分布，人数和占比",
    ],
)
def test_a_dimensions_mix_of_a_segments_people_is_their_share_across_its_groups(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # it was each level's share of new buyers among its own buyers (or the level dropped)
    counts = dict(
        con.sql(
            f"""WITH f AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE {PAID} GROUP BY 1)
                SELECT u.member_level, COUNT(*) FROM f JOIN users u USING (user_id)
                WHERE first >= TIMESTAMP '2026-05-01' AND first < TIMESTAMP '2026-06-01' GROUP BY 1"""
        ).fetchall()
    )
    total = sum(counts.values())
    rows = table(pipeline, question)
    assert {r["member_level"]: (r["buyers"], r["buyers_share"]) for r in rows} == {
        level: (n, pytest.approx(n / total)) for level, n in counts.items()
    }


@pytest.mark.parametrize(
    "question",
    [
        "customers who shopped during 618 last year but didn't come back for this year's 618 - how many?",
        "去年618买过的用户，今年618没再回来买的有多少",
    ],
)
def test_bought_in_a_campaign_then_did_not_come_back_for_the_next(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM users WHERE
            user_id IN (SELECT user_id FROM orders WHERE {PAID}
                        AND order_time >= TIMESTAMP '2025-06-01' AND order_time < TIMESTAMP '2025-06-19')
            AND user_id NOT IN (SELECT user_id FROM orders WHERE {PAID}
                        AND order_time >= TIMESTAMP '2026-06-01' AND order_time < TIMESTAMP '2026-06-19')"""
    ).fetchall()
    assert [list(row.values()) for row in table(pipeline, question)] == [[expected]]


@pytest.mark.parametrize(
    ("question", "dimension", "value", "by"),
    [
        (
            "How many customers have only ever bought 手机数码 products and never anything from another category? Split by gender please.",
            "p.category",
            "手机数码",
            "gender",
        ),
        ("只在线下门店买过东西的顾客有几个？", "o.channel", "线下门店", None),
    ],
)
def test_people_who_only_ever_bought_one_value(
    pipeline: Pipeline,
    con: duckdb.DuckDBPyConnection,
    question: str,
    dimension: str,
    value: str,
    by: str | None,
) -> None:
    # 只在线下门店买过 was the units sold in 线下门店, "只" dropped, silently
    group = f"u.{by}" if by else "'all'"
    lines = "orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)"
    expected = dict(
        con.sql(
            f"""SELECT {group}, COUNT(*) FROM users u WHERE
                user_id IN (SELECT o.user_id FROM {lines} WHERE o.{PAID} AND {dimension} = '{value}')
                AND user_id NOT IN (SELECT o.user_id FROM {lines} WHERE o.{PAID} AND {dimension} <> '{value}')
                GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, question)
    found = {(row[by] if by else "all"): row["users_count"] for row in rows}
    assert found == expected


@pytest.mark.parametrize(
    "question",
    [
        "今年上半年新客和老客各有多少人？新客指第一笔付款订单就落在这半年里的人，老客是这半年买过、但之前就已经买过的人",
        "How many new vs returning buyers this year? New means their very first paid order is in the period; returning means they'd already bought in an earlier month.",
    ],
)
def test_definitions_of_both_values_that_say_what_the_layer_says(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    # the definition of the other value (老客是…之前就已经买过的人) was asked about
    expected = _new_and_returning(con, "2026-01-01", "2026-07-01")
    assert {r["buyer_type"]: r["buyers"] for r in table(pipeline, question)} == expected


def test_a_definition_of_the_other_value_that_says_something_else_is_asked(pipeline: Pipeline) -> None:
    asked_back(pipeline, "今年上半年新客和老客各有多少人？老客是最近30天注册的人")


def test_ones_is_the_plural_noun_said_before_it(pipeline: Pipeline) -> None:
    query = read(pipeline, "Double 11 2025: spend per buyer for new customers versus returning ones")
    assert query.dimensions == ["buyer_type"] and query.filters[0].values == ["新客", "老客"]


def test_a_name_defined_in_brackets_after_its_period_is_the_condition_on_each_person(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # "repeat" was asked as a typo of "recent"; then each tier's orders were filtered, not people
    expected = dict(
        con.sql(
            f"""SELECT u.city_tier, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01'
                GROUP BY 1 HAVING COUNT(*) >= 2) b JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "city tier breakdown of repeat buyers this year (2+ paid orders since jan 1)")
    assert {r["city_tier"]: r["user_id_count"] for r in rows} == expected


@pytest.mark.parametrize(
    ("question", "registered"),
    [
        ("钻石会员里面，有多少人一笔付款订单都没有过？", False),
        ("今年新注册的用户里，到现在一单都还没买过的有多少？", True),
    ],
)
def test_people_without_an_order_to_this_day(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, registered: bool
) -> None:
    # 一笔付款订单都没有过 listed orders; 今年新注册的用户 were every user registered by then
    who = (
        "register_date BETWEEN DATE '2026-01-01' AND DATE '2026-06-30'"
        if registered
        else "member_level = '钻石会员'"
    )
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM users u WHERE {who} AND NOT EXISTS
            (SELECT 1 FROM orders o WHERE o.user_id = u.user_id AND o.{PAID})"""
    ).fetchall()
    assert [list(r.values()) for r in table(pipeline, question)] == [[expected]]


def test_among_them_said_between_two_parts_is_asked_not_read_apart(pipeline: Pipeline) -> None:
    # 其中 was a break between parts: the second counted every user without an order
    asked_back(pipeline, "今年新注册的用户一共多少人？其中到现在一单都还没买过的有多少？")


def test_the_average_order_value_of_each_band_of_orders(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.sql(
            f"""WITH o AS (SELECT o.user_id, o.order_id, SUM(i.amount) AS amount FROM orders o
                    JOIN order_items i USING (order_id) WHERE o.{PAID}
                    AND o.order_time >= TIMESTAMP '2025-07-01' AND o.order_time < TIMESTAMP '2026-07-01' GROUP BY 1, 2),
                u AS (SELECT user_id, COUNT(*) AS n, SUM(amount) AS gmv FROM o GROUP BY 1)
                SELECT CASE WHEN n = 1 THEN '1' WHEN n = 2 THEN '2' ELSE '3+' END, SUM(gmv) / SUM(n) FROM u GROUP BY 1"""
        ).fetchall()
    )
    rows = table(
        pipeline,
        "Over the past year, bucket buyers by how many orders they placed (1, 2, 3 or more) and give me the average order value for each bucket",
    )
    assert {r["order_count_band"]: r["avg_order_value"] for r in rows} == {
        k: pytest.approx(v) for k, v in expected.items()
    }


@pytest.mark.parametrize(
    "question",
    [
        "Who were our top 10 spenders over the last 6 months? Show user id, city tier, member level and how much they spent.",
        "近6个月消费最多的10个客户",
    ],
)
def test_the_top_people_by_what_they_spent_are_ranked_by_sales(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    expected = [
        (user, pytest.approx(gmv))
        for user, gmv in con.sql(
            f"""SELECT o.user_id, SUM(i.amount)::DOUBLE FROM orders o JOIN order_items i USING (order_id)
                WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-07-01'
                GROUP BY 1 ORDER BY 2 DESC LIMIT 10"""
        ).fetchall()
    ]
    assert [(r["user_id"], r["gmv"]) for r in table(pipeline, question)] == expected


def test_how_many_of_them_in_a_second_part_is_asked_not_counted_apart(pipeline: Pipeline) -> None:
    # "how many of them placed a paid order" counted every paid order of the month, silently
    asked_back(
        pipeline,
        "How many new users registered last month, and how many of them placed a paid order last month?",
    )
    # 其中 after a total of units is the same period's top products: read apart
    reading = pipeline.understander.understand("今年以来一共卖了多少件？其中销量前5的商品是哪些", AS_OF)
    assert reading.status == "answer" and len(reading.steps) == 2


def test_people_with_a_sale_in_every_month_of_a_year(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 每个月都有成交 was the units sold by month, silently
    months = [(f"2025-{m:02d}-01", f"2025-{m + 1:02d}-01" if m < 12 else "2026-01-01") for m in range(1, 13)]
    expected = _bought_in_each(con, months)
    assert table(pipeline, "2025年12个月每个月都有成交的用户有几个") == [{"users_count": expected}]


def test_bought_in_a_period_and_nothing_since_then(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # "since then" was read as 2024 itself: no one bought in 2024 and did not in 2024
    [(expected,)] = con.sql(
        f"""SELECT COUNT(*) FROM users WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID} AND {_year(2024)})
            AND user_id NOT IN (SELECT user_id FROM orders WHERE {PAID} AND order_time >= TIMESTAMP '2025-01-01')"""
    ).fetchall()
    question = "How many people who bought from us in 2024 haven't bought anything since then?"
    assert [list(r.values()) for r in table(pipeline, question)] == [[expected]]


def test_a_value_of_the_layer_defined_in_brackets_by_a_count_is_the_count(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # one-time buyers were the layer's churn segment over the last year, by age, silently
    expected = dict(
        con.sql(
            f"""SELECT u.age_group, COUNT(*) FROM (SELECT user_id FROM orders WHERE {PAID}
                GROUP BY 1 HAVING COUNT(*) = 1) o JOIN users u USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "one-time buyers (exactly one paid order ever) - break them down by age group pls")
    assert {r["age_group"]: r["user_id_count"] for r in rows} == expected


def test_a_dimension_naming_its_value_is_the_whole_the_share_is_of(pipeline: Pipeline) -> None:
    # 城市等级是一线的买家里，钻石会员占多大比例 was 一线's share among all buyers
    query = read(pipeline, "近6个月城市等级是一线的买家里，钻石会员占多大比例")
    assert [(f.dimension, f.values) for f in query.filters] == [("city_tier", ["一线"])]
    assert [(f.dimension, f.values) for f in query.focus] == [("member_level", ["钻石会员"])]


@pytest.mark.parametrize(
    "question",
    [
        "For people who made their first-ever purchase last month, which channel was that first purchase on? count per channel",
        "last quarter, what share of female buyers of 美妆 were aged 18-34?",
    ],
)
def test_what_no_reading_computes_yet_is_asked(pipeline: Pipeline, question: str) -> None:
    # the channels of all their May orders; every age group (18-34 dropped): answers to
    # other questions, silently (the figures of the top 10 spenders are read now:
    # tests/understanding/test_people_picked.py)
    asked_back(pipeline, question)


@pytest.mark.parametrize(
    ("question", "dimension", "had", "lacked", "by"),
    [
        ("在天猫买过但从来没在京东买过的用户，男女各多少人", "o.channel", "天猫", "京东", "gender"),
        (
            "how many customers have bought 苹果 products but never anything from 华为?",
            "p.brand",
            "苹果",
            "华为",
            None,
        ),
    ],
)
def test_bought_one_value_and_never_another_said_without_a_second_verb(
    pipeline: Pipeline,
    con: duckdb.DuckDBPyConnection,
    question: str,
    dimension: str,
    had: str,
    lacked: str,
    by: str | None,
) -> None:
    lines = "orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)"
    group = f"u.{by}" if by else "'all'"
    expected = dict(
        con.sql(
            f"""SELECT {group}, COUNT(*) FROM users u WHERE
                user_id IN (SELECT o.user_id FROM {lines} WHERE o.{PAID} AND {dimension} = '{had}')
                AND user_id NOT IN (SELECT o.user_id FROM {lines} WHERE o.{PAID} AND {dimension} = '{lacked}')
                GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, question)
    assert {(r[by] if by else "all"): r["users_count"] for r in rows} == expected


def test_still_buying_this_year_of_a_campaigns_buyers(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    [(both, first)] = con.sql(
        f"""WITH a AS (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '2025-11-01' AND order_time < TIMESTAMP '2025-11-12')
            SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '2026-01-01')), COUNT(*) FROM a"""
    ).fetchall()
    found = table(pipeline, "去年双11买过东西的人，今年还有多少人在买？占比多少")
    assert found == [{"users_count": both, "users_all": first, "users_share": pytest.approx(both / first)}]


def test_first_purchase_in_a_period_names_its_first_time_buyers(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 2025年1月首购的用户 grouped every buyer of January by their first purchase month
    [(back, cohort)] = con.sql(
        f"""WITH f AS (SELECT user_id FROM orders WHERE {PAID} GROUP BY 1
                HAVING MIN(order_time) >= TIMESTAMP '2025-01-01' AND MIN(order_time) < TIMESTAMP '2025-02-01')
            SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '2025-02-01' AND order_time < TIMESTAMP '2026-01-01')), COUNT(*) FROM f"""
    ).fetchall()
    found = table(pipeline, "2025年1月首购的用户里，2025年2月到12月又回来买过的有多少人，占比多少")
    assert found == [{"users_count": back, "users_all": cohort, "users_share": pytest.approx(back / cohort)}]


def test_their_own_registration_month_over_a_longer_period_is_asked(pipeline: Pipeline) -> None:
    # 注册当月 over all of 2025 was any purchase in 2025, silently; within one month it is read
    asked_back(pipeline, "2025年注册的用户里，注册当月就付款下单的人占比多少")
    assert read(pipeline, "今年1月新注册的用户里当月就付款下单的人数和占比").presences


def test_a_value_share_among_the_people_a_condition_picks_is_asked(pipeline: Pipeline) -> None:
    # it was the share of women with two orders among all women buyers (503/3410), where
    # the question asks the women among those with two orders (503/990), silently
    asked_back(pipeline, "上个月买过两次以上的用户里，女性占多少")
    assert read(
        pipeline, "what share of buyers in each city tier ordered at least twice last month"
    ).share_of_counted


def test_a_segment_right_after_one_of_two_periods_is_decided_in_it(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # 去年双11新客 was a filter of no period beside the two presences
    [(back, cohort)] = con.sql(
        f"""WITH n AS (SELECT user_id FROM orders WHERE {PAID} GROUP BY 1
                HAVING MIN(order_time) >= TIMESTAMP '2025-11-01' AND MIN(order_time) < TIMESTAMP '2025-11-12')
            SELECT COUNT(*) FILTER (WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID}
                AND order_time >= TIMESTAMP '2026-01-01')), COUNT(*) FROM n"""
    ).fetchall()
    found = table(pipeline, "去年双11新客里今年又买过的比例")
    assert found == [{"users_count": back, "users_all": cohort, "users_share": pytest.approx(back / cohort)}]


def test_a_share_asked_in_english_is_of_the_last_value_named(pipeline: Pipeline) -> None:
    # what % of new customers came from 抖音 was the share of new among 抖音's buyers
    query = read(pipeline, "what % of new customers last month came from 抖音?")
    assert [(f.dimension, f.values) for f in query.focus] == [("channel", ["抖音"])]
    assert [(f.dimension, f.values) for f in query.filters] == [("buyer_type", ["新客"])]
