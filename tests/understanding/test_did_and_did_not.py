"""What people did and did not do (issue 24, group 6, blind-22): events they had (viewed,
加购) beside the orders they did not place, each in its clause's period; a value inside
"not even once" (一次母婴都没买过); a value written as the means of a dated verb (signed
up through douyin); two "per" figures side by side; a spend tier that is not the city
tier; a cohort question whose first period is a campaign's days; "no purchase"; a name
before ", i.e." or "=" and its definition; values defined in a sentence after the
question; a segment's value set against a condition; the groups with the most people who
meet a condition; a later span of months after a first-purchase month; "lifetime". Each
answer is checked against SQL written by hand, each ask-back by its status."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import AS_OF, asked_back, read, table

PAID = "pay_time IS NOT NULL"
LAST_7 = "TIMESTAMP '2026-06-24'", "TIMESTAMP '2026-07-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def _one(rows: list[dict[str, object]]) -> object:
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return next(iter(rows[0].values()))


def _did_not_buy(con: duckdb.DuckDBPyConnection, event: str, start: str, end: str) -> int:
    found = con.execute(
        f"""SELECT COUNT(*) FROM (SELECT DISTINCT user_id FROM events
            WHERE event_type = '{event}' AND event_time >= {start} AND event_time < {end}) e
            WHERE user_id NOT IN (SELECT user_id FROM orders
              WHERE {PAID} AND order_time >= {start} AND order_time < {end})"""
    ).fetchone()
    assert found is not None
    return int(found[0])


@pytest.mark.parametrize(
    "question",
    [
        "How many people viewed products in the last 7 days but didn't buy anything in that same week?",
        "近7天浏览过商品但没有下单的用户有多少",
    ],
)
def test_viewers_who_did_not_buy_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    assert _one(table(pipeline, question)) == _did_not_buy(con, "view", *LAST_7)


def test_cart_adders_without_a_paid_order_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    start, end = "TIMESTAMP '2026-06-01'", "TIMESTAMP '2026-07-01'"
    rows = table(pipeline, "近30天加购过商品，但近30天一笔支付订单都没有的用户有多少个")
    assert _one(rows) == _did_not_buy(con, "cart", start, end)


def test_viewers_who_did_not_buy_by_city_tier(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    start, end = LAST_7
    expected = dict(
        con.execute(
            f"""SELECT u.city_tier, COUNT(*) FROM users u WHERE u.user_id IN (SELECT user_id FROM events
                  WHERE event_type = 'view' AND event_time >= {start} AND event_time < {end})
                AND u.user_id NOT IN (SELECT user_id FROM orders
                  WHERE {PAID} AND order_time >= {start} AND order_time < {end}) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(
        pipeline,
        "ppl who viewed products in the last 7 days but didn't place any paid order in the last 7 days"
        " - how many, by city tier?",
    )
    assert {r["city_tier"]: next(v for k, v in r.items() if k != "city_tier") for r in rows} == expected


def test_a_value_inside_not_even_once_is_what_was_not_bought(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    found = con.execute(
        f"""SELECT COUNT(*) FROM (SELECT o.user_id,
              MAX(CASE WHEN p.category = '美妆' THEN 1 ELSE 0 END) AS beauty,
              MAX(CASE WHEN p.category = '母婴' THEN 1 ELSE 0 END) AS baby
            FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
            WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2025-01-01' AND o.order_time < TIMESTAMP '2026-01-01'
            GROUP BY 1) x WHERE beauty = 1 AND baby = 0"""
    ).fetchone()
    assert found is not None
    assert _one(table(pipeline, "去年买过美妆、但去年一次母婴都没买过的用户有多少个")) == found[0]
    # the same period said on each side of "but": each side's own
    english = read(pipeline, "users who bought 美妆 last year but never bought 母婴 last year: how many")
    assert [p.time_range for p in english.presences] == [p.time_range for p in english.presences[:1]] * 2


def test_a_value_written_as_the_means_of_a_dated_verb_is_of_its_table(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    found = con.execute(
        f"""SELECT COUNT(*) FROM (SELECT o.user_id FROM orders o JOIN users u USING (user_id)
            WHERE u.register_channel = '抖音' AND u.register_date >= DATE '2025-01-01'
              AND u.register_date < DATE '2026-01-01' AND o.{PAID}
            GROUP BY 1 HAVING COUNT(DISTINCT o.order_id) >= 3)"""
    ).fetchone()
    assert found is not None
    for question in (
        "customers who signed up through douyin in 2025 and have made 3+ purchases in total - how many are there",
        "2025年通过抖音注册的用户中，累计下过3单及以上的有多少人",
    ):
        assert _one(table(pipeline, question)) == found[0], question


def test_a_way_to_pay_before_the_verb_is_no_means(pipeline: Pipeline) -> None:
    # 上个月微信支付: a way of paying the layer does not hold, not the WeChat channel's payments
    assert pipeline.ask("上个月微信支付的成交额是多少", as_of=AS_OF).status != "answered"


def test_spend_per_buyer_and_orders_per_buyer_side_by_side(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = {
        g: (spend, per)
        for g, spend, per in con.execute(
            f"""SELECT u.gender, SUM(i.amount) / COUNT(DISTINCT o.user_id),
                  COUNT(DISTINCT o.order_id) / COUNT(DISTINCT o.user_id)
                FROM orders o JOIN order_items i USING (order_id) JOIN users u USING (user_id)
                WHERE o.{PAID} AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-07-01'
                GROUP BY 1"""
        ).fetchall()
    }
    rows = table(pipeline, "this year, men vs women: spend per buyer and avg number of orders per buyer")
    for row in rows:
        spend, per = expected[row["gender"]]
        assert row["avg_spend_per_buyer"] == pytest.approx(spend)
        assert row["order_count_per_buyers"] == pytest.approx(per)
        assert not any(k.startswith("avg_spend_per_buyer_per") for k in row)


def test_spend_tiers_are_the_bands_not_the_city_tier(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "Spend tiers for last quarter: bucket buyers by what they spent in the quarter (under 500, 500-2000,"
        " 2000-5000, 5000 and up) and show the number of buyers and GMV in each tier",
    )
    assert query.bands is not None and len(query.bands.bands) == 4
    assert not query.dimensions


def test_anyone_who_spent_defines_the_name_before_it(pipeline: Pipeline) -> None:
    def steps(question: str) -> list[object]:
        reading = pipeline.understander.understand(question, AS_OF)
        assert reading.status == "answer", (question, reading.message)
        return [s.query for s in reading.steps]

    said = steps(
        "Give me the user profile of our big spenders, i.e. anyone who spent 5,000 or more over the last 12 months"
    )
    assert said == steps("user profile of customers who spent 5,000 or more over the last 12 months")


def test_a_campaigns_first_buyers_coming_back_is_no_month_cohort(pipeline: Pipeline) -> None:
    assert "回来复购" in asked_back(
        pipeline, "2025年双11期间完成首单的新客，今年上半年回来复购的比例有多少？"
    )


def test_no_purchase_in_a_period_is_nothing_bought_in_it(pipeline: Pipeline) -> None:
    # "no purchase" was dropped (the members who registered in the period were counted)
    said = read(pipeline, "how many diamond members have no purchase in the last 90 days?")
    assert said == read(pipeline, "how many diamond members haven't bought anything in the last 90 days?")


def test_a_name_before_i_e_is_read_with_its_definition(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    found = con.execute(
        f"""SELECT COUNT(*) FROM users u WHERE u.member_level = '钻石会员'
            AND u.user_id IN (SELECT user_id FROM orders WHERE {PAID} AND order_time < TIMESTAMP '2026-04-02')
            AND u.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID}
              AND order_time >= TIMESTAMP '2026-04-02' AND order_time < TIMESTAMP '2026-07-01')"""
    ).fetchone()
    assert found is not None
    rows = table(
        pipeline,
        "how many diamond members who've bought from us before have gone quiet, i.e. no purchase at all"
        " in the last 90 days?",
    )
    assert _one(rows) == found[0]


def test_a_name_set_with_an_equals_sign_before_its_definition(pipeline: Pipeline) -> None:
    said = read(
        pipeline,
        "Churned customers = bought something in H1 2025 but haven't placed a single paid order since"
        " July 1 2025. How many are there by city tier?",
    )
    assert said == read(
        pipeline,
        "Churned customers: bought something in H1 2025 but haven't placed a single paid order since"
        " July 1 2025. How many are there by city tier?",
    )


def test_values_defined_in_a_sentence_after_the_question(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = dict(
        con.execute(
            f"""SELECT CASE WHEN p.user_id IS NULL THEN '新客' ELSE '老客' END, COUNT(*) FROM
                (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                   AND order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-07-01') b
                LEFT JOIN (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                   AND order_time < TIMESTAMP '2026-01-01') p USING (user_id) GROUP BY 1"""
        ).fetchall()
    )
    rows = table(pipeline, "今年上半年的买家里，新客和老客各有多少人？新客=上半年之前从没有过支付订单的")
    assert {r["buyer_type"]: r["buyers"] for r in rows} == expected


def test_one_segment_value_set_against_a_condition_is_asked(pipeline: Pipeline) -> None:
    # it read as the people who are both (未复购 and 2+ orders), listed one by one
    assert asked_back(pipeline, "last 30 days: AOV of one-time buyers vs repeat buyers (2+ paid orders)?")


def test_provinces_with_the_most_people_who_meet_a_condition(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    expected = con.execute(
        f"""SELECT u.province, COUNT(*) AS n FROM users u JOIN (SELECT o.user_id FROM orders o
              JOIN order_items i USING (order_id) WHERE o.{PAID} AND o.order_time < TIMESTAMP '2026-07-01'
              GROUP BY 1 HAVING SUM(i.amount) > 20000) s USING (user_id)
            GROUP BY 1 ORDER BY n DESC LIMIT 10"""
    ).fetchall()
    for question in (
        "累计消费超过2万的用户，按省份看，人数最多的前10个省是哪些",
        "累计消费超过2万的用户，按用户档案里的省份看，人数最多的前10个省是哪些",
    ):
        rows = table(pipeline, question)
        assert [(r["province"], r["user_id_count"]) for r in rows] == expected, question


def test_a_first_purchase_month_and_a_later_span_is_one_share(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    found = con.execute(
        f"""WITH f AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE {PAID} GROUP BY 1),
            c AS (SELECT user_id FROM f WHERE t >= TIMESTAMP '2026-01-01' AND t < TIMESTAMP '2026-02-01'),
            r AS (SELECT DISTINCT user_id FROM orders WHERE {PAID}
                  AND order_time >= TIMESTAMP '2026-02-01' AND order_time < TIMESTAMP '2026-04-01')
            SELECT COUNT(r.user_id) / COUNT(*) FROM c LEFT JOIN r USING (user_id)"""
    ).fetchone()
    assert found is not None
    rows = table(pipeline, "2026年1月首购的用户，2-3月又买过的占比多少")
    assert len(rows) == 1 and rows[0]["users_share"] == pytest.approx(found[0])


def test_a_figure_divided_on_the_fly_and_a_governed_one_in_one_table(pipeline: Pipeline) -> None:
    rows = table(
        pipeline,
        "近一年，一线城市和三线及以下城市的买家（按用户档案里的城市等级），人均下了几单？客单价多少？",
    )
    assert {r["city_tier"] for r in rows} == {"一线", "三线及以下"}
    assert all({"avg_spend_per_buyer", "order_count_per_buyers"} <= set(r) for r in rows)


def test_lifetime_is_all_the_data(pipeline: Pipeline) -> None:
    query = read(
        pipeline, "Top 20 customers by lifetime GMV — show user id, member level, number of paid orders"
    )
    assert query.time_range is not None and query.time_range.start is None and query.limit == 20


def test_a_longer_word_said_with_the_same_sound_is_that_word(pipeline: Pipeline) -> None:
    # 会员登记 (registration) sounds as 会员等级 (member level): two characters apart
    said = read(pipeline, "沉默用户按会员登记拆一下，就是以前买过但近半年一单都没买的那些")
    assert "users.member_level" in said.dimensions


def test_a_total_asked_of_rows_listed_one_by_one_is_asked(pipeline: Pipeline) -> None:
    # the top 100 customers were listed, their total nowhere
    assert "加起来" in asked_back(pipeline, "去年消费金额最高的前100个用户，他们的GMV加起来是多少")


def test_bought_one_value_then_another_but_not_the_first(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    def bought(channel: str, start: str, end: str) -> str:
        return f"""SELECT user_id FROM orders WHERE {PAID} AND channel = '{channel}'
                   AND order_time >= TIMESTAMP '{start}' AND order_time < TIMESTAMP '{end}'"""

    found = con.execute(
        f"""SELECT COUNT(*) FROM users WHERE user_id IN ({bought("京东", "2025-01-01", "2026-01-01")})
            AND user_id IN ({bought("天猫", "2026-01-01", "2026-07-01")})
            AND user_id NOT IN ({bought("京东", "2026-01-01", "2026-07-01")})"""
    ).fetchone()
    assert found is not None
    rows = table(
        pipeline,
        "channel switchers: users who bought on JD (京东) last year, and this year bought on Tmall (天猫)"
        " but not on JD at all. how many?",
    )
    assert _one(rows) == found[0]


def test_break_down_by_is_a_grouping_not_a_fall(pipeline: Pipeline) -> None:
    said = read(
        pipeline,
        "ppl who bought last quarter but havent bought anything this quarter - break down by city tier",
    )
    assert said.explain is None and "users.city_tier" in said.dimensions and said.without == "order_count"


def test_a_governed_ratio_beside_another_metric_is_not_divided(pipeline: Pipeline) -> None:
    said = read(pipeline, "AOV and spend per buyer by age band, last 30 days")
    assert said.metrics == ["avg_order_value", "avg_spend_per_buyer"] and not said.ratios
    assert said.dimensions == ["age_group"]


def test_only_that_no_reading_took_is_asked(pipeline: Pipeline) -> None:
    # it answered douyin's share of all buyers, "only" dropped
    assert asked_back(
        pipeline,
        "Of everyone who purchased on Douyin in 2025, what fraction bought only on douyin that year"
        " (no other channel at all)?",
    )


def test_a_table_word_right_before_its_own_column(pipeline: Pipeline) -> None:
    said = read(pipeline, "今年618大促期间，按用户注册渠道看下买家数和客单价")
    assert said.dimensions == ["register_channel"] and said.metrics == ["buyers", "avg_spend_per_buyer"]


def test_total_spend_is_a_column_of_each_row_listed(pipeline: Pipeline) -> None:
    said = read(
        pipeline,
        "Top 20 customers by lifetime GMV — show user id, member level, number of paid orders and total spend",
    )
    assert said.limit == 20 and "gmv" in said.metrics


def test_people_who_placed_paid_orders_are_counted_not_the_orders(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    found = con.execute(
        f"""SELECT COUNT(*) FROM users WHERE register_date >= DATE '2026-01-01' AND register_date < DATE '2026-02-01'
            AND user_id IN (SELECT user_id FROM orders WHERE {PAID} AND order_time < TIMESTAMP '2026-07-01')"""
    ).fetchone()
    assert found is not None
    assert _one(table(pipeline, "2026年1月注册的用户，到现在为止有多少人下过支付订单？")) == found[0]


def _spent_then_lapsed(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(
        con.execute(
            f"""SELECT u.member_level, COUNT(*) FROM (SELECT o.user_id FROM orders o
                JOIN order_items i ON i.order_id = o.order_id WHERE o.{PAID}
                AND o.order_time >= TIMESTAMP '2025-01-01' AND o.order_time < TIMESTAMP '2026-01-01'
                GROUP BY o.user_id HAVING SUM(i.amount) > 5000) s JOIN users u ON u.user_id = s.user_id
                WHERE s.user_id NOT IN (SELECT user_id FROM orders WHERE {PAID}
                  AND order_time >= TIMESTAMP '2026-05-02') GROUP BY 1"""
        ).fetchall()
    )


@pytest.mark.parametrize(
    "question",
    [
        # "over 5,000 yuan" was asked back: 5,000 broke the clause at its comma
        "Customers who spent over 5,000 yuan in 2025 but haven't had a paid order in the last 60 days"
        " - how many are there in each member tier?",
        "2025年累计消费超过5000元、但近60天一单都没下的客户有多少，按会员等级",
    ],
)
def test_a_figure_in_one_period_and_no_order_in_another(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    rows = table(pipeline, question)
    assert {r["member_level"]: r["users_count"] for r in rows} == _spent_then_lapsed(con)


def test_a_name_said_before_and_defined_in_brackets(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    question = (
        "how many win-back customers do we have this quarter so far? (win-back = bought in 2025, "
        "no paid order at all last quarter, then at least one paid order this quarter)"
    )
    expected = con.execute(
        f"""SELECT COUNT(*) FROM users WHERE user_id IN (SELECT user_id FROM orders WHERE {PAID}
            AND order_time >= TIMESTAMP '2025-01-01' AND order_time < TIMESTAMP '2026-01-01')
            AND user_id NOT IN (SELECT user_id FROM orders WHERE {PAID}
              AND order_time >= TIMESTAMP '2026-01-01' AND order_time < TIMESTAMP '2026-04-01')
            AND user_id IN (SELECT user_id FROM orders WHERE {PAID}
              AND order_time >= TIMESTAMP '2026-04-01' AND order_time < TIMESTAMP '2026-07-01')"""
    ).fetchone()
    assert expected is not None and _one(table(pipeline, question)) == expected[0] > 0
