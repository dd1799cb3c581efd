"""The questions analysts ask beyond one governed figure (issue 24): ratios on the fly,
averages over periods, running totals, the change beside a comparison, shares within a
group, listings of rows with the columns asked, and the look-alikes of each that must
keep their old reading or be asked back. Values are checked against hand-written SQL."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from nlq.cues import find_cues
from nlq.pipeline import Pipeline
from nlq.ratios import find_averaged, find_per
from nlq.semantic.query import Ratio
from tests.understanding.readings import AS_OF, asked_back, read

JUNE = "o.order_time >= TIMESTAMP '2026-06-01' AND o.order_time < TIMESTAMP '2026-07-01'"
MAY = "o.order_time >= TIMESTAMP '2026-05-01' AND o.order_time < TIMESTAMP '2026-06-01'"


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def close(a: object, b: object) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9)  # type: ignore[arg-type]


# -- ratios on the fly ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "numerator", "denominator"),
    [
        ("本月各渠道平均每单优惠多少钱", "discount_amount", "order_count"),
        ("今年各年龄段的买家人均买了几件", "units_sold", "buyers"),
        ("去年各城市等级的买家平均每人下了几单", "order_count", "buyers"),
        ("discount per paid order by member level last month", "discount_amount", "order_count"),
        ("page views per visitor by channel last week", "page_views", "visitors"),
        ("上个月GMV除以销量，按品类看", "gmv", "units_sold"),
        ("GMV / units sold by category this quarter", "gmv", "units_sold"),
    ],
)
def test_x_per_y_is_one_metric_divided_by_another(
    pipeline: Pipeline, question: str, numerator: str, denominator: str
) -> None:
    query = read(pipeline, question)
    assert query.ratios == [Ratio(numerator=numerator, denominator=denominator)]
    assert {numerator, denominator} <= set(query.metrics)


@pytest.mark.parametrize(
    ("question", "metric", "dimensions"),
    [
        ("平均每单金额", "avg_order_value", []),  # the governed AOV, named by its synonym
        ("人均消费", "avg_spend_per_buyer", []),
        ("每个品类的GMV", "gmv", ["category"]),  # each category: a grouping
        ("GMV per category last month", "gmv", ["category"]),
    ],
)
def test_per_words_that_name_a_metric_or_a_grouping_are_no_ratio(
    pipeline: Pipeline, question: str, metric: str, dimensions: list[str]
) -> None:
    query = read(pipeline, question)
    assert (query.metrics, query.dimensions, query.ratios) == ([metric], dimensions, [])


def test_a_ratio_is_the_quotient_of_the_two_totals(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    answer = pipeline.ask("本月各渠道平均每单优惠多少钱", as_of=AS_OF).answers[0]
    got = {row[0]: row[answer.columns.index("discount_amount_per_order_count")] for row in answer.rows}
    want = dict(
        con.execute(
            f"SELECT channel, SUM(discount_amount) / COUNT(*) FROM orders o WHERE pay_time IS NOT NULL AND {JUNE} GROUP BY 1"
        ).fetchall()
    )
    assert got.keys() == want.keys() and all(close(got[c], want[c]) for c in want)
    assert "非治理指标" in pipeline.ask("本月各渠道平均每单优惠多少钱", as_of=AS_OF).interpretation


def test_per_phrases_are_found_and_time_is_averaged_not_divided() -> None:
    assert [p.generic for p in find_per("平均每单优惠了多少钱")] == ["orders"]
    assert [p.generic for p in find_per("人均买了多少件")] == ["buyers"]
    assert find_per("本月平均每天的gmv") == []  # a day is averaged over
    assert getattr(find_averaged("本月平均每天的gmv"), "grain", None) == "day"
    assert getattr(find_averaged("average number of paid orders per day"), "grain", None) == "day"
    assert getattr(find_averaged("日均gmv"), "grain", None) == "day"
    assert find_averaged("average order value last month") is None


# -- averages over periods, running totals, changes --------------------------------------------------
def test_an_average_per_day_is_the_mean_of_the_daily_totals(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "本月日均GMV")
    assert (query.averaged_over, query.time_grain) == ("day", None)
    (value,) = pipeline.ask("本月日均GMV", as_of=AS_OF).answers[0].rows[0]
    (want,) = con.execute(
        "SELECT AVG(g) FROM (SELECT CAST(o.order_time AS DATE), SUM(oi.amount) g FROM orders o "
        f"JOIN order_items oi USING (order_id) WHERE o.pay_time IS NOT NULL AND {JUNE} GROUP BY 1)"
    ).fetchone()
    assert close(value, want)


def test_a_running_total_runs_along_the_months(pipeline: Pipeline) -> None:
    assert read(pipeline, "今年每月累计GMV").cumulative
    assert not read(pipeline, "今年累计GMV").cumulative  # no months: 累计 is the total
    answer = pipeline.ask("今年每个月的累计成交额", as_of=AS_OF).answers[0]
    monthly = [row[answer.columns.index("gmv")] for row in answer.rows]
    running = [row[answer.columns.index("gmv_cumulative")] for row in answer.rows]
    assert all(close(r, sum(monthly[: i + 1])) for i, r in enumerate(running))


def test_a_running_total_of_distinct_buyers_is_refused(pipeline: Pipeline) -> None:
    result = pipeline.ask("今年每月累计买家数", as_of=AS_OF)
    assert result.status in {"refused", "clarify"} and "累加" in result.message


def test_a_comparison_shows_the_change_beside_the_rate(pipeline: Pipeline) -> None:
    answer = pipeline.ask("上个月各渠道的订单数比前一个月变化了多少", as_of=AS_OF).answers[0]
    assert answer.columns[:4] == ["channel", "order_count", "order_count_previous", "order_count_change"]
    for row in answer.rows:
        assert row[3] == row[1] - row[2]


def test_days_ranked_within_their_month(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    answer = pipeline.ask("For each month of 2025, which day had the highest GMV?", as_of=AS_OF)
    expected = con.execute(
        "SELECT CAST(day AS VARCHAR), gmv FROM (SELECT CAST(o.order_time AS DATE) AS day, SUM(oi.amount) AS gmv, "
        "RANK() OVER (PARTITION BY DATE_TRUNC('month', CAST(o.order_time AS DATE)) ORDER BY SUM(oi.amount) DESC) AS r "
        "FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL "
        "AND o.order_time >= TIMESTAMP '2025-01-01' AND o.order_time < TIMESTAMP '2026-01-01' GROUP BY 1) WHERE r = 1 ORDER BY 1"
    ).fetchall()
    assert [(r[0], r[1]) for r in answer.answers[0].rows] == [
        (d, pytest.approx(float(g))) for d, g in expected
    ]
    assert len(expected) == 12 and "within each month" in answer.interpretation


def test_the_highest_figure_of_any_single_row(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    question = (
        "For each member level, what is the highest number of paid orders any single user placed this year?"
    )
    answer = pipeline.ask(question, as_of=AS_OF)
    expected = con.execute(
        "SELECT u.member_level, MAX(n) FROM (SELECT user_id, COUNT(*) AS n FROM orders o WHERE o.pay_time IS NOT NULL "
        "AND o.order_time >= TIMESTAMP '2026-01-01' AND o.order_time < TIMESTAMP '2026-07-01' GROUP BY 1) "
        "JOIN users u USING (user_id) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert sorted(tuple(r) for r in answer.answers[0].rows) == expected
    # the best week, and how much that week: one reading, the week and its figure
    best = pipeline.ask(
        "What was the best week this year by GMV, and how much did we do that week?", as_of=AS_OF
    )
    assert (
        len(best.answers) == 1
        and best.answers[0].columns == ["week", "gmv"]
        and len(best.answers[0].rows) == 1
    )
    # 至少买过3次: the verb between the bound and the number
    assert read(pipeline, "至少买过3次的用户一共有多少人？").metric_filters[0].op == ">="


@pytest.mark.parametrize(
    "question",
    [
        "近7天每天GMV最高的小时",
    ],
)
def test_windows_not_computed_yet_are_asked_back(pipeline: Pipeline, question: str) -> None:
    asked_back(pipeline, question)


@pytest.mark.parametrize(
    ("question", "counted", "grouped", "op", "value"),
    [
        ("上个月有销量的商品超过150款的品类有哪些", "products.product_id", ["category"], ">", 150),
        (
            "Which brands had more than 25 different products sold this year?",
            "products.product_id",
            ["brand"],
            ">",
            25,
        ),
        (
            "How many users bought from at least 3 different categories last month?",
            "category",
            ["users.user_id"],
            ">=",
            3,
        ),
        ("上个月卖出去的不同商品数超过140个的品类有哪些", "products.product_id", ["category"], ">", 140),
    ],
)
def test_a_number_of_other_rows_is_a_distinct_count_of_them(
    pipeline: Pipeline, question: str, counted: str, grouped: list[str], op: str, value: int
) -> None:
    query = read(pipeline, question)
    assert [(d.dimension, d.of) for d in query.distinct] == [(counted, "units_sold")]
    assert query.dimensions == grouped
    assert [(f.metric, f.op, f.value) for f in query.metric_filters] == [(query.distinct[0].name, op, value)]


def test_a_distinct_count_answers_as_the_sql_would(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    answer = pipeline.ask("上个月卖出去的不同商品数超过140个的品类有哪些", as_of=AS_OF)
    expected = con.execute(
        "SELECT p.category, COUNT(DISTINCT p.product_id) FROM order_items oi JOIN orders o USING (order_id) "
        f"JOIN products p USING (product_id) WHERE o.pay_time IS NOT NULL AND {MAY} "
        "GROUP BY 1 HAVING COUNT(DISTINCT p.product_id) > 140 ORDER BY 1"
    ).fetchall()
    assert [tuple(r) for r in answer.answers[0].rows] == expected
    assert "不同商品数" in answer.interpretation
    users = pipeline.ask(
        "How many users bought from at least 3 different categories last month?", as_of=AS_OF
    )
    expected_users = con.execute(
        "SELECT COUNT(*) FROM (SELECT o.user_id FROM order_items oi JOIN orders o USING (order_id) "
        f"JOIN products p USING (product_id) WHERE o.pay_time IS NOT NULL AND {MAY} "
        "GROUP BY 1 HAVING COUNT(DISTINCT p.category) >= 3)"
    ).fetchone()[0]
    assert users.answers[0].rows == [[expected_users]]


def test_an_average_or_highest_over_the_groups_of_a_dimension(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    per_brand = con.execute(
        "SELECT AVG(n), MAX(n) FROM (SELECT p.brand, COUNT(DISTINCT o.user_id) AS n FROM order_items oi "
        f"JOIN orders o USING (order_id) JOIN products p USING (product_id) WHERE o.pay_time IS NOT NULL AND {MAY} GROUP BY 1)"
    ).fetchone()
    on_average = pipeline.ask(
        "On average, how many distinct buyers did a brand have last month?", as_of=AS_OF
    )
    assert close(on_average.answers[0].rows[0][0], per_brand[0])
    highest = pipeline.ask("上个月各品牌购买用户数的最大值", as_of=AS_OF)
    assert close(highest.answers[0].rows[0][0], per_brand[1])
    # average order value by channel is a metric of each channel, not a mean over channels
    assert read(pipeline, "average order value for each channel last month").dimensions == ["channel"]


def test_which_day_groups_by_day(pipeline: Pipeline) -> None:
    query = read(pipeline, "上个月哪天GMV最高")
    assert (query.time_grain, query.dimensions, query.limit) == ("day", [], 1)


# -- shares and comparisons -------------------------------------------------------------------------
def test_a_share_within_a_group_divides_by_that_group(pipeline: Pipeline) -> None:
    query = read(
        pipeline,
        "For each order channel, each refund reason's share of refund amount within the channel this year",
    )
    assert (query.dimensions, query.share_within) == (["channel", "reason"], ["channel"])
    answer = pipeline.ask("今年各渠道内各退款原因的退款金额占比", as_of=AS_OF).answers[0]
    share = answer.columns.index("refund_amount_share")
    for channel in {row[0] for row in answer.rows}:
        assert close(sum(row[share] for row in answer.rows if row[0] == channel), 1.0)


def test_the_period_compared_with_is_not_the_period_asked(pipeline: Pipeline) -> None:
    query = read(pipeline, "今年每个月的买家数比上个月的环比变化率")
    assert query.time_range is not None and query.time_range.start == dt.date(2026, 1, 1)
    assert (query.time_grain, query.compare, query.metrics) == ("month", "pop", ["buyers"])


def test_jieba_fused_each_still_groups(pipeline: Pipeline) -> None:
    assert read(pipeline, "各省的GMV").dimensions == ["province"]


def test_shipped_to_a_place_is_where_the_orders_went(pipeline: Pipeline) -> None:
    query = read(pipeline, "GMV of orders shipped to 上海 last month")
    assert [(f.dimension, f.values) for f in query.filters] == [("province", ["上海"])]


def test_division_is_no_exclusion(pipeline: Pipeline) -> None:
    assert read(pipeline, "上个月GMV除以销量").filters == []


# -- listings -------------------------------------------------------------------------------------
def test_the_newest_rows_are_sorted_by_their_time(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    query = read(pipeline, "最近5笔退款的退款单号、退款时间和退款原因")
    assert (query.order_by[0].field, query.order_by[0].desc, query.limit) == ("refund_time", True, 5)
    answer = pipeline.ask("最近5笔退款的退款单号、退款时间和退款原因", as_of=AS_OF).answers[0]
    ids = [row[answer.columns.index("refund_id")] for row in answer.rows]
    want = con.execute(
        "SELECT refund_id FROM refunds WHERE refund_time < TIMESTAMP '2026-07-01' "
        "ORDER BY refund_time DESC, refund_id LIMIT 5"
    ).fetchall()
    assert ids == [w[0] for w in want]


@pytest.mark.parametrize(
    ("text", "latest"),
    [
        ("最近10笔退款", 10),
        ("the 10 most recent refunds", 10),
        ("last 5 orders of user 84", 5),
        ("最近3个月的gmv", None),
        ("近3个月", None),
        ("last 7 days gmv", None),
        ("last 3 full months", None),
    ],
)
def test_the_newest_rows_are_no_period(text: str, latest: int | None) -> None:
    found = [c.number for c in find_cues(text) if c.kind == "latest"]
    assert found == ([latest] if latest else [])


@pytest.mark.parametrize(
    ("question", "key", "value"),
    [
        ("用户84最近的3笔订单", "users.user_id", 84),
        ("last 3 orders of user 150", "users.user_id", 150),
        ("订单号为196813的明细", "orders.order_id", 196813),
    ],
)
def test_a_row_named_by_its_key_is_a_filter_on_the_key(
    pipeline: Pipeline, question: str, key: str, value: int
) -> None:
    assert (key, [value]) in [(f.dimension, f.values) for f in read(pipeline, question).filters]


def test_a_year_after_a_table_word_is_no_key(pipeline: Pipeline) -> None:
    query = read(pipeline, "orders 2025 by month")
    assert (
        query.filters == [] and query.time_range is not None and query.time_range.start == dt.date(2025, 1, 1)
    )


def test_the_rows_below_the_named_table_are_listed_when_their_columns_are_asked(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand(
        "what was in order 100? product name, quantity and unit price", AS_OF
    )
    query = reading.steps[0].query
    assert reading.steps[0].title == "order items list" and not query.metrics  # rows, not a figure
    assert {"products.product_name", "order_items.quantity", "order_items.unit_price"} <= set(
        query.dimensions
    )
    assert [(f.dimension, f.values) for f in query.filters] == [("orders.order_id", [100])]


def test_a_table_word_inside_a_column_name_does_not_pick_the_rows(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("最近10笔退款的订单号、退款时间和退款原因", AS_OF)
    assert reading.steps[0].title.startswith("退款")
    assert "refunds.refund_time" in reading.steps[0].query.dimensions


# -- conditions on each row's count -------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "metrics", "bound", "counted"),
    [
        ("去年下单超过5次的用户有几个", ["order_count"], "order_count", True),
        ("今年退款超过2次的用户有几个", ["refund_count"], "refund_count", True),
        ("how many users had more than 2 refunds this year", ["refund_count"], "refund_count", True),
        (
            "refund amount of users with more than 3 refunds last year",
            ["refund_amount", "refund_count"],
            "refund_count",
            False,
        ),
        ("买过3次以上的用户", ["order_count"], "order_count", False),
    ],
)
def test_a_condition_on_a_count_is_on_each_row_named(
    pipeline: Pipeline, question: str, metrics: list[str], bound: str, counted: bool
) -> None:
    query = read(pipeline, question)
    assert query.dimensions == ["users.user_id"]  # each user, not the users' total
    assert query.metrics == metrics and [f.metric for f in query.metric_filters] == [bound]
    assert query.count_groups is counted
    assert not query.filters  # 下单 is the verb counted, not the event type


def test_users_with_more_than_n_orders_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    (count,) = pipeline.ask("去年下单超过5次的用户有几个", as_of=AS_OF).answers[0].rows[0]
    (want,) = con.execute(
        "SELECT COUNT(*) FROM (SELECT user_id FROM orders WHERE pay_time IS NOT NULL AND order_time >= '2025-01-01'"
        " AND order_time < '2026-01-01' GROUP BY 1 HAVING COUNT(*) > 5)"
    ).fetchone()
    assert count == want


# -- rows without a figure (anti-joins) -----------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "absent", "counted"),
    [
        ("上个月一件都没卖出去的在售商品有哪些", "units_sold", False),
        ("本季度一条评价都没收到的商品有哪些", "review_count", False),
        ("上个月没有销量的商品有多少个", "units_sold", True),
        ("没买过美妆的用户有多少", "order_count", True),
        ("customers who didn't order last month", "order_count", False),
    ],
)
def test_rows_without_a_figure_are_listed_or_counted(
    pipeline: Pipeline, question: str, absent: str, counted: bool
) -> None:
    query = read(pipeline, question)
    assert (query.without, query.count_groups, query.metrics) == (absent, counted, [])


def test_users_who_never_bought_a_category_are_counted(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    (count,) = pipeline.ask("没买过美妆的用户有多少", as_of=AS_OF).answers[0].rows[0]
    (want,) = con.execute(
        "SELECT COUNT(*) FROM users WHERE user_id NOT IN (SELECT o.user_id FROM orders o JOIN order_items oi"
        " USING (order_id) JOIN products p USING (product_id) WHERE p.category = '美妆'"
        " AND o.pay_time IS NOT NULL AND o.order_time < TIMESTAMP '2026-07-01')"
    ).fetchone()
    assert count == want


def test_products_unsold_in_a_month_are_those_with_no_paid_units(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    answer = pipeline.ask("上个月一件都没卖出去的在售商品有哪些", as_of=AS_OF).answers[0]
    got = {row[answer.columns.index("product_id")] for row in answer.rows}
    want = {
        r[0]
        for r in con.execute(
            f"SELECT product_id FROM products WHERE status = '在售' AND product_id NOT IN (SELECT oi.product_id"
            f" FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL AND {MAY})"
        ).fetchall()
    }
    assert got == want and want


def test_rows_dated_by_their_own_period_lack_the_figure_at_any_time(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "去年注册但从没买过的用户有多少")
    assert (query.without, query.rows_dated, query.count_groups) == ("order_count", True, True)
    (count,) = pipeline.ask("去年注册但从没买过的用户有多少", as_of=AS_OF).answers[0].rows[0]
    (want,) = con.execute(
        "SELECT COUNT(*) FROM users WHERE register_date >= DATE '2025-01-01' AND register_date < DATE '2026-01-01'"
        " AND user_id NOT IN (SELECT user_id FROM orders WHERE pay_time IS NOT NULL)"
    ).fetchone()
    assert count == want
    assert not read(pipeline, "上个月没有销量的商品有多少个").rows_dated  # the period is the sales'


# -- two periods compared ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "start"),
    [
        ("今年二季度的订单数比一季度多了多少", dt.date(2026, 4, 1)),
        ("Compare Q1 2026 with Q4 2025 side by side: GMV, paid orders and buyers", dt.date(2026, 1, 1)),
        (
            "paid orders by channel last week vs the week before, as a count difference and a rate",
            dt.date(2026, 6, 22),
        ),
    ],
)
def test_a_period_compared_with_the_one_before_it(pipeline: Pipeline, question: str, start: dt.date) -> None:
    query = read(pipeline, question)
    assert query.compare == "pop" and query.time_range is not None and query.time_range.start == start


def test_a_part_naming_no_figure_asks_of_the_part_before(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand(
        "今年一季度和二季度的GMV分别是多少？二季度比一季度多了多少？", AS_OF
    )
    assert [(s.query.metrics, s.query.compare) for s in reading.steps] == [(["gmv"], None), (["gmv"], "pop")]


def test_a_share_of_a_value_within_each_group_and_within_its_named_container(pipeline: Pipeline) -> None:
    within = read(pipeline, "For each channel, what fraction of its GMV this year came from 美妆?")
    assert (within.dimensions, within.share_within) == (["channel", "category"], ["channel"])
    assert [(f.dimension, f.values) for f in within.focus] == [("category", ["美妆"])]
    # 手机数码品类里: the category named with its own word is the whole, 手机 the part
    part = read(pipeline, "今年手机的销量在整个手机数码品类里占多大比例？")
    assert [(f.dimension, f.values) for f in part.focus] == [("sub_category", ["手机"])]
    assert [(f.dimension, f.values) for f in part.filters] == [("category", ["手机数码"])]


@pytest.mark.parametrize(
    ("question", "keep", "ascending"),
    [
        ("Which city came fifth by number of paid orders in 2025?", ("=", 5), False),
        ("Which sub-category was second from the bottom in GMV during this year's 618?", ("=", 2), True),
    ],
)
def test_the_nth_written_as_a_place(
    pipeline: Pipeline, question: str, keep: tuple[str, int], ascending: bool
) -> None:
    query = read(pipeline, question)
    assert (query.rank_keep, query.rank_ascending) == (keep, ascending)
    assert read(pipeline, "去年四川省的买家数在所有省份里能排到第几位？").focus[0].values == ["四川"]


# -- groups counted ------------------------------------------------------------------------------
def _counted(pipeline: Pipeline, question: str) -> object:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    [answer] = result.answers
    assert len(answer.rows) == 1 and answer.columns[0].endswith("_count"), (answer.columns, answer.rows)
    return answer.rows[0][0]  # the number of them (their total figure may stand beside it)


@pytest.mark.parametrize(
    "question",
    [
        # both listed every brand (and each product of it), silently
        "今年有多少个品牌有销量",
        "今年有多少个品牌卖出过商品",
        "how many brands sold products this year",
    ],
)
def test_how_many_groups_before_the_groups(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    expected = con.execute(
        """SELECT COUNT(DISTINCT p.brand) FROM order_items i JOIN orders o ON o.order_id = i.order_id
           JOIN products p ON p.product_id = i.product_id
           WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-01-01'"""
    ).fetchone()
    assert expected is not None and _counted(pipeline, question) == expected[0]


def test_how_many_of_the_rows_named_before_did_something(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    # the 607 products were listed
    question = "Among products that sold at least one unit last month, how many sold fewer than 10 units?"
    expected = con.execute(
        f"""SELECT COUNT(*) FROM (SELECT i.product_id, SUM(i.quantity) AS n FROM order_items i
            JOIN orders o ON o.order_id = i.order_id WHERE o.pay_time IS NOT NULL AND {MAY}
            GROUP BY 1 HAVING SUM(i.quantity) >= 1 AND SUM(i.quantity) < 10)"""
    ).fetchone()
    assert expected is not None and _counted(pipeline, question) == expected[0]


def test_got_no_review_is_what_did_not_happen(pipeline: Pipeline) -> None:
    # it was the orders and the reviews of last month, side by side
    query = read(pipeline, "how many orders last month got no review")
    assert query.without == "review_count" and query.count_groups
