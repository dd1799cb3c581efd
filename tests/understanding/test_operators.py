"""Never silently wrong: comparisons, negations, intents, time phrases, word
accounting and 口径 conflicts, each read the way the question means it, and the
answers they produce checked against hand-written SQL on the demo warehouse."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest

from nlq.accounting import unplaced
from nlq.caliber import fitting
from nlq.comparisons import find_comparisons
from nlq.intents import find_intent
from nlq.lexicon import Entry, Lexicon
from nlq.linker import Link, Linker, opposite
from nlq.pipeline import DEMO_SEMANTIC, Pipeline, _without_empty_groups
from nlq.semantic.loader import load_layer
from nlq.semantic.query import SemanticQuery
from nlq.timeparse import find_times
from nlq.understand import _miscased_code

AS_OF = dt.date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


# -- comparisons --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "bounds"),
    [
        ("gmv超过100万的省份", [(">", 1e6)]),
        ("gmv不超过3.5万", [("<=", 35_000)]),
        ("订单数不少于两千", [(">=", 2000)]),
        ("gmv不低于一亿", [(">=", 1e8)]),
        ("销量不大于500件", [("<=", 500)]),
        ("不止100单", [(">", 100)]),
        ("至多1.2k", [("<=", 1200)]),
        ("gmv 100万及以上的城市", [(">=", 1e6)]),
        ("3.5万以下", [("<=", 35_000)]),
        ("在100万到200万之间", [(">=", 1e6), ("<=", 2e6)]),
        ("at least 10k orders", [(">=", 10_000)]),
        ("no more than 2,500", [("<=", 2500)]),
        ("revenue under 10 million", [("<", 1e7)]),
        ("over half a million", [(">", 5e5)]),
        ("between 60 and 80 buyers", [(">=", 60), ("<=", 80)]),
        ("最多0.1", [("<=", 0.1)]),
        ("破一千万", [(">", 1e7)]),
        ("库存为0的商品", [("=", 0)]),
        ("exactly 12 orders", [("=", 12)]),
        ("list price over $50", [(">", 50)]),
        ("above 45 bucks", [(">", 45)]),
    ],
)
def test_every_bounded_and_negated_form_is_one_operator(text: str, bounds: list[tuple[str, float]]) -> None:
    found = find_comparisons(text)
    assert [(c.op, c.value) for c in found] == [(op, pytest.approx(v)) for op, v in bounds]


@pytest.mark.parametrize(
    ("text", "value"), [("退款率高于11%", 0.11), ("不高于百分之五", 0.05), ("低于三成", 0.3)]
)
def test_percentages_are_fractions(text: str, value: float) -> None:
    [comparison] = find_comparisons(text)
    assert comparison.percent and comparison.value == pytest.approx(value)


@pytest.mark.parametrize(
    "text", ["销量最多的5个品类", "最多5个", "买过2次的用户", "between 2024 and 2025", "下单时间为2024年3月"]
)
def test_rankings_counts_and_years_are_not_bounds(text: str) -> None:
    assert find_comparisons(text) == []


def test_a_threshold_binds_to_the_metric_beside_it(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("上个月订单数超过2500且成交额低于800万的渠道", as_of=AS_OF)
    assert result.status == "answered"
    expected = con.execute(
        "SELECT o.channel FROM orders o JOIN order_items i USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-05-01' AND o.order_time < '2026-06-01' GROUP BY 1"
        " HAVING COUNT(DISTINCT o.order_id) > 2500 AND SUM(i.amount) < 8000000"
    ).fetchall()
    [answer] = result.answers
    channel = answer.columns.index("channel")
    assert sorted(row[channel] for row in answer.rows) == sorted(row[0] for row in expected)


def test_a_percentage_compares_a_rate_as_a_fraction(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("今年退款率高于11%的品类", as_of=AS_OF)
    expected = con.execute(
        "SELECT p.category FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)"
        " WHERE o.pay_time IS NOT NULL AND o.order_time >= '2026-01-01' AND o.order_time < '2026-07-01'"
        " GROUP BY 1 HAVING COUNT(DISTINCT o.order_id) FILTER (WHERE EXISTS (SELECT 1 FROM refunds r"
        " WHERE r.order_id = o.order_id)) / COUNT(DISTINCT o.order_id) > 0.11"
    ).fetchall()
    [answer] = result.answers
    category = answer.columns.index("category")
    assert expected, "the threshold must pick some categories for the test to mean anything"
    assert sorted(row[category] for row in answer.rows) == sorted(row[0] for row in expected)


# -- negation -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "question",
    [
        "除了天猫，其他渠道上个月的GMV",
        "上个月天猫以外的GMV",
        "last month's GMV excluding 天猫",
        "GMV last month other than Tmall",
    ],
)
def test_an_excluded_value_is_left_out(
    question: str, pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", result.message
    expected = con.execute(
        "SELECT SUM(i.amount) FROM orders o JOIN order_items i USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-05-01' AND o.order_time < '2026-06-01' AND o.channel <> '天猫'"
    ).fetchone()[0]
    assert math.isclose(result.answers[0].rows[0][0], float(expected), rel_tol=1e-9)


def test_excluded_values_stay_grouped_when_asked_per_value(pipeline: Pipeline) -> None:
    result = pipeline.ask("除了天猫和京东，其他渠道上个月的GMV分别是多少", as_of=AS_OF)
    [answer] = result.answers
    channels = {row[answer.columns.index("channel")] for row in answer.rows}
    assert channels == {"抖音", "微信小程序", "APP", "线下门店"}


@pytest.mark.parametrize(
    "question",
    [
        "上个月没回购的用户有多少",
        "拼多多上个月的GMV",
        "Pinduoduo GMV last month",
    ],
)
def test_a_negation_or_a_name_nothing_can_use_is_asked_back(question: str, pipeline: Pipeline) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "clarify"
    assert not result.answers


# -- intents ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("为什么上个月GMV下降了", "why"),
        ("what drove the rise in refunds this quarter", "why"),
        ("预测下个月的销量", "forecast"),
        ("what will our Q3 revenue be", "forecast"),
        ("最近有什么异常", "anomaly"),
        ("如果把价格降10%，销量会怎样", "what-if"),
        ("把取消的订单也算进去，上个月的订单数", "redefine"),
    ],
)
def test_intents_are_recognised(question: str, intent: str) -> None:
    found = find_intent(question.lower())
    assert found is not None and found.name == intent


@pytest.mark.parametrize(
    "question", ["上周北京下雨对销量有多大影响", "如果把价格降10%，销量会怎样", "把订单表删了"]
)
def test_an_intent_is_never_answered_by_another_query(question: str, pipeline: Pipeline) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status in {"refused", "clarify"}
    assert not result.answers


@pytest.mark.parametrize("question", ["上个月各退款原因的退款金额", "近三个月的GMV趋势"])
def test_plain_questions_carry_no_intent(question: str) -> None:
    assert find_intent(question) is None


# -- time phrases -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("上上个月", "2026-04-01", "2026-04-30"),
        ("the month before last", "2026-04-01", "2026-04-30"),
        ("上上周", "2026-06-15", "2026-06-21"),
        ("the week before last", "2026-06-15", "2026-06-21"),
        ("上上季度", "2025-10-01", "2025-12-31"),
        ("大前天", "2026-06-27", "2026-06-27"),
        ("5月底", "2026-05-21", "2026-05-31"),
        ("上个月初", "2026-05-01", "2026-05-10"),
        ("3月中旬", "2026-03-11", "2026-03-20"),
        ("去年年底", "2025-12-01", "2025-12-31"),
        ("月底", "2026-06-21", "2026-06-30"),
        ("the end of May", "2026-05-21", "2026-05-31"),
        ("early March", "2026-03-01", "2026-03-10"),
        ("年初至今", "2026-01-01", "2026-06-30"),
        ("Dec 31", "2025-12-31", "2025-12-31"),
    ],
)
def test_time_phrase(phrase: str, start: str, end: str) -> None:
    [found] = find_times(phrase, AS_OF)
    assert (str(found.range.start), str(found.range.end)) == (start, end)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("the last 3 days of 2025", "2025-12-29", "2025-12-31"),
        ("上个月最后三天", "2026-05-29", "2026-05-31"),
        ("去年年底最后一周", "2025-12-25", "2025-12-31"),
        ("the first week of March", "2026-03-01", "2026-03-07"),
        ("上个月前10天", "2026-05-01", "2026-05-10"),
    ],
)
def test_the_first_or_last_days_of_a_period(phrase: str, start: str, end: str) -> None:
    [found] = find_times(phrase, AS_OF)
    assert (str(found.range.start), str(found.range.end)) == (start, end)


def test_a_period_versus_last_year_is_year_over_year(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("GMV this quarter vs the same quarter last year", AS_OF)
    [step] = understanding.steps
    assert step.query.compare == "yoy"
    assert (str(step.query.time_range.start), str(step.query.time_range.end)) == ("2026-04-01", "2026-06-30")


def test_days_of_a_named_month() -> None:
    found = find_times("上个月月底（29号到31号）", AS_OF)
    assert [(str(t.range.start), str(t.range.end)) for t in found][-1] == ("2026-05-29", "2026-05-31")


def test_the_narrowest_of_nested_periods_is_asked(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("这个月月初（1号到7号）的成交额", as_of=AS_OF)
    expected = con.execute(
        "SELECT SUM(i.amount) FROM orders o JOIN order_items i USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-06-01' AND o.order_time < '2026-06-08'"
    ).fetchone()[0]
    assert math.isclose(result.answers[0].rows[0][0], float(expected), rel_tol=1e-9)


def test_a_future_period_has_no_data_yet(pipeline: Pipeline) -> None:
    result = pipeline.ask("下个月的GMV", as_of=AS_OF)
    assert result.status == "clarify" and "2026-07-01" in result.message


# -- accounting ---------------------------------------------------------------------------------
def test_function_words_of_both_languages_are_not_names() -> None:
    def tag(word: str) -> str:
        return "v"

    tokens = [(w, False) for w in ["how", "many", "orders", "came", "through", "but", "上个月", "的"]]
    assert unplaced(tokens, tag, lambda w: w == "orders") == []
    assert unplaced([("zorblat", False)], tag, lambda w: False) == ["zorblat"]
    assert unplaced([("拼", False), ("多多", False)], tag, lambda w: False) == ["拼多多"]


# -- 口径 conflicts -----------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["how many orders got cancelled last month?", "上个月有多少单被取消了"])
def test_a_filter_against_the_metrics_definition_is_said(question: str, pipeline: Pipeline) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "clarify"
    assert "pay_time" in result.message or "已支付" in result.message
    assert not result.answers


# -- linking precision --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b"), [("卖家", "买家"), ("差评率", "好评率"), ("最低", "最高"), ("新客", "老客")]
)
def test_words_of_opposite_meaning_are_never_typos_of_each_other(a: str, b: str) -> None:
    assert opposite(a, b) and opposite(b, a)
    assert not opposite("退款律", "退款率")


@pytest.mark.parametrize(
    "question", ["上个月卖家数", "made in shanghai sales", "first-time buyers last month"]
)
def test_no_fuzzy_link_to_a_value_of_another_meaning(question: str, pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand(question, AS_OF)
    assert not any(link.startswith("value:gender") or "city_tier" in link for link in understanding.linked)
    assert "metric:buyers" not in understanding.linked or "卖家" not in question


def test_a_short_code_from_the_data_links_only_as_written() -> None:
    code = Entry("value", "state", "TO", "data", "TO")
    link = Link(10, 12, "to", (code,), "exact")
    assert _miscased_code(link, "sales to Brazil")
    assert not _miscased_code(link, "sales in TO last month")
    # A value the layer's dictionary declares is the analyst's word, whatever its case.
    declared = Link(0, 3, "app", (Entry("value", "channel", "APP", "value", "APP"),), "exact")
    assert not _miscased_code(declared, "orders through the app")


def test_a_typo_equally_near_two_meanings_is_asked_back() -> None:
    lexicon = Lexicon(
        [
            Entry("value", "warehouse", "华东仓", "value", "华东仓"),
            Entry("value", "warehouse", "华南仓", "value", "华南仓"),
            Entry("metric", "stock", "库存", "label"),
        ]
    )
    [unsure, stock] = Linker(lexicon).link("华中仓的库存")
    assert unsure.match == "fuzzy" and unsure.alternatives == ("华南仓",)
    assert stock.alternatives == ()
    [sure, _] = Linker(lexicon).link("华东藏的库存")
    assert sure.entries[0].value == "华东仓" and sure.alternatives == ()


def test_the_layers_own_opposites_are_never_typos_of_each_other() -> None:
    lexicon = Lexicon([Entry("term", "peak", "旺季销量", "label")])
    assert [x.text for x in Linker(lexicon).link("淡季销量")] == ["淡季销量"]
    assert Linker(lexicon, opposites=[("旺", "淡")]).link("淡季销量") == []


def test_a_caliber_conflict_offers_the_metric_that_fits() -> None:
    layer, _ = load_layer(ROOT / "examples" / "northwind" / "semantic")
    assert fitting(layer, ["shipped_orders"]) == ["order_count"]
    demo, _ = load_layer(DEMO_SEMANTIC)
    assert (
        fitting(demo, ["order_count"]) == []
    )  # no count of every order: the asker is told to ask an analyst


# -- chat wording --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("question", "metric", "dimension"),
    [
        ("gmv by catgory for last mnth", "gmv", "category"),
        ("refund amt by reason this yr", "refund_amount", "reason"),
        ("麻烦帮我拉一下上个月各个品类的毛利，谢谢", "gross_profit", "category"),
    ],
)
def test_shorthand_typos_and_politeness_are_read(
    question: str, metric: str, dimension: str, pipeline: Pipeline
) -> None:
    understanding = pipeline.understander.understand(question, AS_OF)
    assert understanding.status == "answer", understanding.message
    [step] = understanding.steps
    assert step.query.metrics == [metric] and step.query.dimensions == [dimension]


def test_a_hyphenated_word_is_the_layers_word(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand(
        "the 5 on-sale products with the lowest GMV in 2025", AS_OF
    )
    [step] = understanding.steps
    assert [(f.dimension, f.values) for f in step.query.filters] == [("product_status", ["在售"])]
    assert step.query.limit == 5 and not step.query.order_by[0].desc


def test_a_campaign_and_its_year_written_apart(pipeline: Pipeline) -> None:
    [found] = find_times("double 11 2024", AS_OF, pipeline.campaigns())
    assert (str(found.range.start), str(found.range.end)) == ("2024-11-01", "2024-11-11")
    understanding = pipeline.understander.understand("paid orders during Double 11 (双11) 2024", AS_OF)
    [step] = understanding.steps  # one period, named twice
    assert str(step.query.time_range.start) == "2024-11-01"


def test_a_known_word_with_a_suffix_is_that_word(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("近30天在售商品里销量前10（不含食品类）", AS_OF)
    [step] = understanding.steps
    assert ("category", "not_in", ["食品"]) in [(f.dimension, f.op, f.values) for f in step.query.filters]


def test_every_period_named_is_answered(pipeline: Pipeline) -> None:
    result = pipeline.ask("2024年和2025年的GMV分别是多少", as_of=AS_OF)
    assert result.status == "answered"
    assert sum(len(a.rows) for a in result.answers) == 2


def test_a_snapshot_summed_over_time_is_asked_back(pipeline: Pipeline) -> None:
    result = pipeline.ask("今年每周的库存加起来一共多少", as_of=AS_OF)
    assert result.status == "clarify" and "加起来" in result.message


def test_a_table_word_with_no_metric_counts_its_rows(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("近30天5星评价占全部评价的比例", as_of=AS_OF)
    assert result.status == "answered", result.message
    expected = con.execute(
        "SELECT AVG(CASE WHEN rating = 5 THEN 1.0 ELSE 0 END) FROM reviews"
        " WHERE review_time >= '2026-06-01' AND review_time < '2026-07-01'"
    ).fetchone()[0]
    [answer] = result.answers
    share = next(i for i, c in enumerate(answer.columns) if c.endswith("_share"))
    assert any(math.isclose(row[share], float(expected), rel_tol=1e-6) for row in answer.rows)


@pytest.mark.parametrize(
    "question", ["上周北京下雨对销量有多大影响", "what was the impact of the 618 discounts on GMV"]
)
def test_questions_of_impact_are_why_questions(question: str) -> None:
    found = find_intent(question.lower())
    assert found is not None and found.name == "why"


# -- periods and shares asked in chat ----------------------------------------------------------
@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("7、8月", "2025-07-01", "2025-08-31"),
        ("the last 4 full weeks", "2026-06-01", "2026-06-28"),
        ("the last 2 complete months", "2026-04-01", "2026-05-31"),
    ],
)
def test_more_periods(phrase: str, start: str, end: str) -> None:
    [found] = find_times(phrase, AS_OF)
    assert (str(found.range.start), str(found.range.end)) == (start, end)


def test_this_month_versus_last_month_is_period_over_period(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("orders this month vs last month", dt.date(2026, 6, 30))
    [step] = understanding.steps
    assert step.query.compare == "pop"
    assert (str(step.query.time_range.start), str(step.query.time_range.end)) == ("2026-06-01", "2026-06-30")


def test_the_share_of_one_value_among_anothers_rows(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("what % of 天猫 orders last month came from 上海", as_of=AS_OF)
    assert result.status == "answered", result.message
    [answer] = result.answers
    share = next(i for i, c in enumerate(answer.columns) if c.endswith("_share"))
    expected = con.execute(
        "SELECT COUNT(*) FILTER (WHERE province = '上海') / COUNT(*) FROM orders WHERE pay_time IS NOT NULL"
        " AND channel = '天猫' AND order_time >= '2026-05-01' AND order_time < '2026-06-01'"
    ).fetchone()[0]
    assert any(math.isclose(row[share], float(expected), rel_tol=1e-6) for row in answer.rows)


def test_a_ranking_with_no_dimension_ranks_the_layers_item(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("销量最差的5个美妆", AS_OF)
    [step] = understanding.steps
    assert step.query.dimensions == [pipeline.layer.reading.ranked_item]
    assert step.query.limit == 5 and not step.query.order_by[0].desc


def test_the_empty_group_of_unmatched_rows_is_left_out() -> None:
    query = SemanticQuery(metrics=["active"], dimensions=["members.gender"])
    rows = [["男", 3], ["女", 4], [None, 0]]
    assert _without_empty_groups(query, ["gender", "active"], rows) == [["男", 3], ["女", 4]]
    # A group of unmatched rows that holds something stays: it is part of the total.
    assert _without_empty_groups(query, ["gender", "active"], [["男", 3], [None, 2]]) == [
        ["男", 3],
        [None, 2],
    ]


# -- dates chosen by a verb, conditions on each row ------------------------------------------------
def test_the_verb_beside_a_period_chooses_the_date(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("上个月支付的订单数", as_of=AS_OF)
    assert result.status == "answered" and "按支付时间统计" in result.interpretation
    expected = con.execute(
        "SELECT COUNT(DISTINCT order_id) FROM orders WHERE pay_time IS NOT NULL"
        " AND pay_time >= '2026-05-01' AND pay_time < '2026-06-01'"
    ).fetchone()
    assert result.answers[0].rows == [[expected[0]]]
    # With no verb, orders stay dated by when they were placed (the glossary's rule).
    placed = pipeline.ask("上个月的订单数", as_of=AS_OF)
    assert "按支付时间" not in placed.interpretation and placed.answers[0].rows != result.answers[0].rows


def test_a_comparison_on_a_rows_attribute_filters_the_rows(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("今年星级低于3的评价有多少", as_of=AS_OF)
    assert result.status == "answered", result.message
    expected = con.execute(
        "SELECT COUNT(*) FROM reviews WHERE rating < 3 AND review_time >= '2026-01-01' AND review_time < '2026-07-01'"
    ).fetchone()
    assert result.answers[0].rows == [[expected[0]]] and expected[0] > 0


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("customers with at least one refund", ">=", 1),
        ("categories with more than two refunds", ">", 2),
        ("brands with fewer than three products", "<", 3),
    ],
)
def test_a_count_in_a_word_after_a_bound_is_a_comparison(text: str, op: str, value: float) -> None:
    # "at least one refund" was the bottom 1 by refund amount: "least" ranked, silently
    (found,) = find_comparisons(text)
    assert (found.op, found.value) == (op, value)


@pytest.mark.parametrize("text", ["at least one more paid order", "more than two million in GMV"])
def test_words_after_a_count_in_a_word_that_make_it_another_number_are_no_bound(text: str) -> None:
    assert all(c.value not in {1, 2} for c in find_comparisons(text))


def test_at_least_is_no_ranking(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("Which categories had at least two refunds last month?", AS_OF)
    (step,) = reading.steps
    assert step.query.limit is None and not step.query.order_by
    assert [(f.op, f.value) for f in step.query.metric_filters] == [(">=", 2)]


def test_one_more_beyond_those_counted_is_asked_about(pipeline: Pipeline) -> None:
    question = (
        "Of the people who made their very first purchase in January 2026, what share had placed at "
        "least one more paid order by now?"
    )
    assert pipeline.understander.understand(question, AS_OF).status == "clarify"
