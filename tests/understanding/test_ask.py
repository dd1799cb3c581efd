"""`nlq ask` end to end on the demo warehouse: answers equal hand-written SQL,
unsafe questions are refused without running SQL, the JSON shape of
shared/spec/interfaces.md holds, and a batch answers line by line."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.cli import main
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def close(a: Any, b: Any) -> bool:
    return math.isclose(float(a), float(b), rel_tol=1e-9)


def test_total_for_a_relative_period(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("近三个月的GMV是多少", as_of=AS_OF)
    assert result.status == "answered"
    [answer] = result.answers
    expected = con.execute(
        "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-04-01' AND o.order_time < '2026-07-01'"
    ).fetchone()[0]
    assert close(answer.rows[0][0], expected)
    assert answer.chart.type == "kpi"
    assert "2026-04-01 至 2026-06-30" in result.interpretation and "成交额" in result.interpretation


def test_english_value_synonym_and_typo(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("上个月Tmall的gvm", as_of=AS_OF)
    expected = con.execute(
        "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.channel = '天猫' AND o.order_time >= '2026-05-01' AND o.order_time < '2026-06-01'"
    ).fetchone()[0]
    assert close(result.answers[0].rows[0][0], expected)
    assert (
        "上个月（2026-05-01 至 2026-05-31）" in result.interpretation
        and "天猫（渠道）" in result.interpretation
    )


def test_ranking_with_chinese_numeral(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("销量前十的品牌", as_of=AS_OF)
    rows = result.answers[0].rows
    expected = con.execute(
        "SELECT p.brand, SUM(oi.quantity) FROM order_items oi JOIN orders o USING (order_id) JOIN products p USING (product_id)"
        " WHERE o.pay_time IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT 10"
    ).fetchall()
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]


def test_refund_rate_by_category_in_english(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("refund rate by category last quarter", as_of=AS_OF)
    assert result.interpretation.startswith("Understood as: last quarter (2026-01-01 to 2026-03-31)")
    got = {r[0]: r[1] for r in result.answers[0].rows}
    expected = dict(
        con.execute(
            "SELECT p.category, COUNT(DISTINCT o.order_id) FILTER (WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.order_id))"
            " / COUNT(DISTINCT o.order_id) FROM orders o JOIN order_items oi USING (order_id) JOIN products p USING (product_id)"
            " WHERE o.pay_time IS NOT NULL AND o.order_time >= '2026-01-01' AND o.order_time < '2026-04-01' GROUP BY 1"
        ).fetchall()
    )
    assert got.keys() == expected.keys() and all(close(got[k], expected[k]) for k in got)


def test_hot_products_and_their_buyer_profile(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("近三月热销商品及其用户画像", as_of=AS_OF)
    assert [a.columns[0] for a in result.answers] == [
        "product_name",
        "gender",
        "age_group",
        "city_tier",
        "member_level",
    ]
    top = con.execute(
        "SELECT oi.product_id FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-04-01' GROUP BY 1 ORDER BY SUM(oi.quantity) DESC, 1 LIMIT 10"
    ).fetchall()
    ids = ", ".join(str(r[0]) for r in top)
    genders = dict(
        con.execute(
            "SELECT u.gender, COUNT(DISTINCT o.user_id) FROM orders o JOIN users u USING (user_id) WHERE o.pay_time IS NOT NULL"
            f" AND o.order_time >= '2026-04-01' AND EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.order_id AND oi.product_id IN ({ids}))"
            " GROUP BY 1"
        ).fetchall()
    )
    profile = {r[0]: r[1] for r in result.answers[1].rows}
    assert profile == genders
    assert math.isclose(sum(r[2] for r in result.answers[1].rows), 1.0)


def test_monthly_trend_and_year_over_year(pipeline: Pipeline) -> None:
    trend = pipeline.ask("今年每月GMV趋势", as_of=AS_OF)
    assert trend.answers[0].chart.type == "line"
    assert [r[0] for r in trend.answers[0].rows] == [f"2026-0{m}-01" for m in range(1, 7)]
    yoy = pipeline.ask("2025年双11天猫的GMV同比增长多少", as_of=AS_OF)
    current, previous, change, growth = yoy.answers[0].rows[0]
    assert close(change, current - previous)
    assert close(growth, (current - previous) / previous)


@pytest.mark.parametrize(
    ("question", "status", "words"),
    [
        ("删除所有订单", "refused", "只读"),
        ("DROP TABLE orders", "refused", "only reads"),
        ("今天天气怎么样", "refused", "范围"),
        ("列出所有用户的手机号", "refused", "个人信息"),
        ("各渠道的情况怎么样", "clarify", "哪个指标"),
    ],
)
def test_refusals_and_clarifications_run_no_sql(
    pipeline: Pipeline, question: str, status: str, words: str
) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == status and words in result.message
    assert result.answers == []


def test_role_without_permission_is_refused_in_the_users_language(warehouse_path: Path) -> None:
    marketing = Pipeline(db=warehouse_path, role="marketing")
    result = marketing.ask("上个月各品类的毛利率", as_of=AS_OF)
    assert result.status == "refused" and "无权查看指标“毛利率”" in result.message


def test_batch_jsonl_follows_the_interface(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = tmp_path / "questions.jsonl"
    lines = [
        {"id": "a", "question": "上个月各渠道的订单数", "as_of": "2026-06-30"},
        {"id": "b", "question": "drop table users"},
        {"id": "c", "question": "本周的访客数", "as_of": "2026-06-15"},
    ]
    batch.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    assert main(["ask", "--batch", str(batch), "--format", "jsonl", "--db", str(warehouse_path)]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert [o["status"] for o in out] == ["answered", "refused", "answered"]
    first = out[0]
    assert set(first) == {"id", "question", "status", "message", "interpretation", "answers", "timings_ms"}
    assert set(first["timings_ms"]) == {"understand", "compile", "execute", "total"}
    assert (
        first["answers"][0]["columns"] == ["channel", "order_count"] and len(first["answers"][0]["rows"]) == 6
    )
    assert "2026-06-15 至 2026-06-15" in out[2]["interpretation"]


@pytest.mark.parametrize(
    ("question", "limit"),
    [
        ("GMV最高的省份", 1),
        ("GMV最高的5个省份", 5),
        ("买家数最多的前三个省", 3),
        ("热销商品", 10),
        ("which provinces had the most buyers", 10),
        ("which province had the most buyers", 1),
        ("上个月卖得最好的品牌前5名", 5),
    ],
)
def test_how_many_a_ranking_returns(pipeline: Pipeline, question: str, limit: int) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert len(result.answers[0].rows) == limit


def test_mixed_language_counter_and_value_code_read_as_metric(pipeline: Pipeline) -> None:
    assert pipeline.ask("JD渠道今年的order数", as_of=AS_OF).answers[0].columns == ["order_count"]
    assert pipeline.ask("order share by channel", as_of=AS_OF).answers[0].columns == [
        "channel",
        "order_count",
        "order_count_share",
    ]


GARBAGE = [
    "",
    "   ",
    "🙂🚀📈",
    "a" * 100_000,
    bytes(range(256)).decode("latin-1"),
    "\x00\x01\x02",
    "SELECT * FROM orders",
    "' OR 1=1 --",
    "近0天的GMV",
    "近999999个月的GMV",
    "13月的GMV",
    "2月30日的GMV",
    "前0的商品",
    "top 100000 products",
    "GMV GMV GMV 同比 环比 占比 前10 倒数3",
    "近三个月" * 200,
]


@pytest.mark.parametrize("question", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_input_never_raises(pipeline: Pipeline, question: str) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status in {"answered", "clarify", "refused"}
    assert result.message or result.answers


def test_sql_in_the_question_and_overlong_questions_are_refused(pipeline: Pipeline) -> None:
    assert pipeline.ask("SELECT * FROM orders", as_of=AS_OF).status == "refused"
    long = pipeline.ask("近三个月的GMV" * 100, as_of=AS_OF)
    assert long.status == "refused" and "太长" in long.message


def test_period_after_the_data_says_so(pipeline: Pipeline) -> None:
    result = pipeline.ask("2099年的GMV", as_of=AS_OF)
    assert result.status == "clarify" and "2099-01-01" in result.message and not result.answers
    assert pipeline.ask("下半年的GMV", as_of=dt.date(2026, 5, 20)).status == "clarify"


def test_explicit_comparisons(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    years = pipeline.ask("2024年和2025年的GMV对比", as_of=AS_OF)
    assert years.answers[0].columns == ["year", "gmv"] and [r[0] for r in years.answers[0].rows] == [
        "2024-01-01",
        "2025-01-01",
    ]
    assert years.interpretation.startswith("理解为：2024年和2025年（2024-01-01 至 2025-12-31）")
    apart = pipeline.ask("2024年3月和2026年3月的订单数对比", as_of=AS_OF)
    assert len(apart.answers) == 2
    counts = [
        con.execute(
            f"SELECT COUNT(*) FROM orders WHERE pay_time IS NOT NULL AND order_time >= '{y}-03-01' AND order_time < '{y}-04-01'"
        ).fetchone()[0]
        for y in (2024, 2026)
    ]
    assert [a.rows[0][0] for a in apart.answers] == counts
    same_period = pipeline.ask("上个月GMV和去年同期比", as_of=AS_OF)
    assert same_period.answers[0].columns == ["gmv", "gmv_previous", "gmv_change", "gmv_growth"]


def _gmv(con: duckdb.DuckDBPyConnection, start: str, end_exclusive: str) -> float:
    return float(
        con.execute(
            "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
            " AND o.order_time >= ? AND o.order_time < ?",
            [start, end_exclusive],
        ).fetchone()[0]
    )


def test_comparison_without_a_period_states_its_default(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    as_of = dt.date(2026, 6, 15)
    yoy = pipeline.ask("GMV同比", as_of=as_of)
    assert yoy.status == "answered"
    assert "默认今年以来（2026-01-01 至 2026-06-15）" in yoy.interpretation
    current, previous, _change, growth = yoy.answers[0].rows[0]
    assert close(current, _gmv(con, "2026-01-01", "2026-06-16"))
    assert close(previous, _gmv(con, "2025-01-01", "2025-06-16"))
    assert close(growth, (current - previous) / previous)

    pop = pipeline.ask("what about GMV month over month", as_of=as_of)
    assert "this month by default (2026-06-01 to 2026-06-15)" in pop.interpretation
    current, previous, _change, _ = pop.answers[0].rows[0]
    # 环比 of a partial month: the 15 days before it (time.md).
    assert close(current, _gmv(con, "2026-06-01", "2026-06-16"))
    assert close(previous, _gmv(con, "2026-05-17", "2026-06-01"))


def test_threshold_on_a_metric_filters_groups(pipeline: Pipeline) -> None:
    everything = pipeline.ask("各省份的GMV", as_of=AS_OF).answers[0].rows
    above = pipeline.ask("各省份GMV超过500万的有哪些", as_of=AS_OF)
    assert sorted(r[0] for r in above.answers[0].rows) == sorted(r[0] for r in everything if r[1] > 5_000_000)
    assert "成交额 > 5,000,000" in above.interpretation


def test_listings(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    refunds = pipeline.ask("列出上个月退款金额超过1000元的订单", as_of=AS_OF)
    answer = refunds.answers[0]
    assert answer.columns[0] == "order_id" and answer.columns[-1] == "refund_amount"
    assert all(row[-1] > 1000 for row in answer.rows) and len(answer.rows) == 100  # the row cap
    assert [r[-1] for r in answer.rows] == sorted((r[-1] for r in answer.rows), reverse=True)
    expensive = pipeline.ask("show the 20 most expensive products in 美妆", as_of=AS_OF)
    prices = con.execute(
        "SELECT list_price FROM products WHERE category = '美妆' ORDER BY 1 DESC LIMIT 20"
    ).fetchall()
    assert [r[-1] for r in expensive.answers[0].rows] == [float(p[0]) for p in prices]
    # Largest refunds rank by amount (an id is a number, not a magnitude), all refunds:
    # no order-status filter read into the word 退款.
    largest = pipeline.ask("近7天最大的5笔退款", as_of=AS_OF)
    top = con.execute(
        "SELECT refund_id, refund_amount FROM refunds WHERE refund_time >= '2026-06-24'"
        " AND refund_time < '2026-07-01' ORDER BY refund_amount DESC, refund_id LIMIT 5"
    ).fetchall()
    [block] = largest.answers
    assert [(r[0], r[-1]) for r in block.rows] == [(i, float(a)) for i, a in top]
    assert "refunded" not in largest.interpretation and "orders.status" not in block.sql
    # The same in English, with the count before the ranking word.
    english = pipeline.ask("the 5 largest refunds in the last 7 days", as_of=AS_OF)
    assert english.status == "answered", english.message
    assert [(r[0], r[-1]) for r in english.answers[0].rows] == [(i, float(a)) for i, a in top]
    members = pipeline.ask("list all diamond members", as_of=AS_OF).answers[0]
    name = members.columns.index("user_name")
    assert all(row[-1] == "钻石会员" and row[name].endswith("*") for row in members.rows)  # names masked


@pytest.mark.parametrize(
    ("question", "language"),
    [("本月美妆GMV占总GMV的比例", "zh"), ("what share of GMV came from beauty this month", "en")],
)
def test_share_of_one_value_is_taken_over_all_values(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, language: str
) -> None:
    result = pipeline.ask(question, as_of=dt.date(2026, 6, 15))
    [answer] = result.answers
    assert answer.rows[0][0] == "美妆" and len(answer.rows) == 1
    expected = con.execute(
        "SELECT SUM(oi.amount) FILTER (WHERE p.category = '美妆') / SUM(oi.amount) FROM order_items oi"
        " JOIN orders o USING (order_id) JOIN products p USING (product_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-06-01' AND o.order_time < '2026-06-16'"
    ).fetchone()[0]
    assert close(answer.rows[0][answer.columns.index("gmv_share")], expected)
    assert (
        "美妆（品类）占全部成交额的比例" if language == "zh" else "the share of 美妆 (category) in all GMV"
    ) in result.interpretation
    assert answer.title == ("美妆的成交额占比" if language == "zh" else "GMV share of 美妆")
    # One row is a figure, not a pie of one slice.
    assert answer.chart.type == "kpi" and answer.chart.y[0] == "gmv_share"


@pytest.mark.parametrize("question", ["评分分布", "星级分布", "rating distribution"])
def test_distribution_of_a_column_counts_rows_by_its_values(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str
) -> None:
    [answer] = pipeline.ask(question, as_of=AS_OF).answers
    expected = con.execute(
        "SELECT rating, COUNT(*) FROM reviews WHERE review_time < '2026-07-01' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert answer.columns == ["stars", "review_count"]
    assert [tuple(r) for r in answer.rows] == expected


def test_distribution_without_an_unfiltered_count_asks_for_the_metric(pipeline: Pipeline) -> None:
    # order_count counts paid orders only: by status it would hide the unpaid ones.
    result = pipeline.ask("订单状态分布", as_of=AS_OF)
    assert result.status == "clarify" and not result.answers


def test_pinyin_names_and_same_rows_values_resolve(pipeline: Pipeline) -> None:
    shanghai = pipeline.ask("best selling products in Shanghai last month", as_of=AS_OF)
    assert shanghai.status == "answered"
    assert [f.values for f in _filters(pipeline, "best selling products in Shanghai last month")] == [
        ["上海"]
    ]
    # 北京 is both a province and a city of the same rows: the coarser one, no question asked.
    beijing = pipeline.ask("北京用户的复购率", as_of=AS_OF)
    assert beijing.status == "answered" and "北京（省份）" in beijing.interpretation


def _filters(pipeline: Pipeline, question: str) -> list[Any]:
    understanding = pipeline.understander.understand(question, AS_OF)
    return [f for step in understanding.steps for f in step.query.filters]


def test_campaign_day_buyers_and_refund_reasons(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    day = pipeline.ask("双十一当天的订单数", as_of=AS_OF)
    assert "2025-11-11 至 2025-11-11" in day.interpretation
    expected = con.execute(
        "SELECT COUNT(*) FROM orders WHERE pay_time IS NOT NULL AND CAST(order_time AS DATE) = '2025-11-11'"
    ).fetchone()[0]
    assert day.answers[0].rows[0][0] == expected

    bought = pipeline.ask("有多少用户买过美妆", as_of=AS_OF)
    assert bought.answers[0].columns == ["buyers"]

    reasons = pipeline.ask("退款原因分布", as_of=AS_OF)
    expected_rows = con.execute(
        "SELECT reason, COUNT(*) FROM refunds WHERE refund_time < '2026-07-01' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert sorted(tuple(r) for r in reasons.answers[0].rows) == sorted(expected_rows)


EAST = "('上海', '江苏', '浙江', '安徽', '福建', '江西', '山东')"


def test_a_macro_region_filters_by_its_provinces(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    """华东地区 is the provinces of East China where the metric lives (orders), not the
    warehouse 华东仓 that shares the word; the same words name the warehouse for stock."""
    expected = con.execute(
        "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
        f" AND o.province IN {EAST} AND o.order_time >= '2026-05-01' AND o.order_time < '2026-06-01'"
    ).fetchone()[0]
    for question in ["上个月华东地区的GMV", "上个月华东的GMV", "GMV in east china last month"]:
        result = pipeline.ask(question, as_of=AS_OF)
        assert close(result.answers[0].rows[0][0], expected), question
    assert "华东（大区）" in pipeline.ask("上个月华东地区的GMV", as_of=AS_OF).interpretation

    by_region = pipeline.ask("上个月各大区的订单数", as_of=AS_OF).answers[0]
    counts = dict(
        con.execute(
            "SELECT CASE WHEN province IN "
            + EAST
            + " THEN '华东' WHEN province IN ('广东', '广西', '海南') THEN '华南'"
            " WHEN province IN ('北京', '天津', '河北', '山西', '内蒙古') THEN '华北'"
            " WHEN province IN ('河南', '湖北', '湖南') THEN '华中' WHEN province IN ('重庆', '四川', '贵州', '云南', '西藏')"
            " THEN '西南' WHEN province IN ('陕西', '甘肃', '青海', '宁夏', '新疆') THEN '西北' ELSE '东北' END, COUNT(*)"
            " FROM orders WHERE pay_time IS NOT NULL AND order_time >= '2026-05-01' AND order_time < '2026-06-01'"
            " GROUP BY 1"
        ).fetchall()
    )
    assert {r[0]: r[1] for r in by_region.rows} == counts and len(counts) == 7

    stock = pipeline.ask("华东仓的库存", as_of=AS_OF)
    assert "华东仓（仓库）" in stock.interpretation and "大区" not in stock.interpretation


def test_a_word_naming_something_unknown_is_asked_back_not_left_out(pipeline: Pipeline) -> None:
    result = pipeline.ask("上个月火星的GMV", as_of=AS_OF)
    assert result.status == "clarify" and not result.answers
    assert "“火星”" in result.message
    # Phrasing (verbs, measure words, question words) is not worth asking about.
    for question in ["今年每月GMV及同比增长", "近7天退款金额最大的5笔退款", "双11期间一共优惠了多少钱"]:
        assert pipeline.ask(question, as_of=AS_OF).status == "answered", question


def test_an_english_question_naming_a_chinese_value_is_answered_in_english(pipeline: Pipeline) -> None:
    result = pipeline.ask("what share of GMV came from 美妆 last month", as_of=AS_OF)
    assert result.interpretation.startswith("Understood as: last month (2026-05-01 to 2026-05-31)")
    assert "美妆 (category)" in result.interpretation
    # A Chinese question with an English name or acronym stays Chinese.
    assert pipeline.ask("上个月Tmall的GMV", as_of=AS_OF).interpretation.startswith("理解为：")


@pytest.mark.parametrize(
    ("question", "start", "end"),
    [
        ("上个月各品类的库存", "2026-05-01", "2026-05-31"),
        ("stock by warehouse in April", "2026-04-01", "2026-04-30"),
        ("当前库存", "2024-01-01", "2026-06-30"),
    ],
)
def test_a_stock_figure_names_the_snapshot_it_is_read_at(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, start: str, end: str
) -> None:
    row = con.execute(
        "SELECT max(snapshot_date) FROM inventory_snapshots WHERE snapshot_date BETWEEN ? AND ?", [start, end]
    ).fetchone()
    assert row is not None
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered"
    said = result.interpretation
    assert row[0].isoformat() in said and ("快照" in said or "snapshot" in said)
    # A flow metric names no snapshot.
    assert "快照" not in pipeline.ask("上个月GMV", as_of=AS_OF).interpretation


def test_each_part_of_a_compound_question_keeps_its_own_grouping(pipeline: Pipeline) -> None:
    both = pipeline.ask("上个月的GMV和订单数，以及各渠道的退款率", as_of=AS_OF)
    totals = pipeline.ask("上个月的GMV和订单数", as_of=AS_OF)
    by_channel = pipeline.ask("上个月各渠道的退款率", as_of=AS_OF)
    assert both.status == "answered" and [a.columns for a in both.answers] == [
        ["gmv", "order_count"],
        ["channel", "refund_rate"],
    ]
    assert both.answers[0].rows == totals.answers[0].rows
    assert both.answers[1].rows == by_channel.answers[0].rows  # the period carried to the part without one
    english = pipeline.ask("Give me total units sold this year, and units sold by category.", as_of=AS_OF)
    assert [len(a.rows) for a in english.answers] == [1, 7]


@pytest.mark.parametrize(
    "question",
    [
        "本月畅销商品以及买家画像",  # the second part is about the first part's buyers
        "categories where units sold exceeded 3,000 and the refund rate was under 11% last month",
        "上个月GMV以及订单数",  # two metrics of one shape: one answer
    ],
)
def test_parts_that_belong_together_are_read_together(pipeline: Pipeline, question: str) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered"
    steps = pipeline.understander.understand(question, AS_OF).steps
    assert not any(e.startswith("part:") for e in pipeline.understander.understand(question, AS_OF).evidence)
    assert len(steps) == len(result.answers)


def test_a_negation_written_onto_a_value_is_kept(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    # 不在售: the value 在售 negated, though the marker 不在 shares its first character.
    result = pipeline.ask("不在售的商品今年卖了多少件", as_of=AS_OF)
    row = con.execute(
        "SELECT sum(oi.quantity) FROM order_items oi JOIN orders o USING (order_id) JOIN products p "
        "USING (product_id) WHERE o.pay_time IS NOT NULL AND p.status <> '在售' "
        "AND o.order_time >= '2026-01-01' AND o.order_time < '2026-07-01'"
    ).fetchone()
    assert row is not None and result.answers[0].rows == [[row[0]]]
    assert "≠ 在售" in result.interpretation


def test_a_word_put_in_front_of_a_metric_is_not_a_typo_of_it(pipeline: Pipeline) -> None:
    # 净利润率 names another metric than 利润率 (the gross margin): asked back, not answered as it.
    net = pipeline.ask("上个月的净利润率是多少", as_of=AS_OF)
    assert net.status == "clarify" and not net.answers
    assert pipeline.ask("上个月的利润率是多少", as_of=AS_OF).answers[0].columns == ["gross_margin"]


def test_a_rank_is_a_column_over_every_group(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    ranked = pipeline.ask("上个月各省份GMV排名", as_of=AS_OF).answers[0]
    assert ranked.columns == ["province", "gmv", "gmv_rank"]
    assert [r[2] for r in ranked.rows] == list(range(1, len(ranked.rows) + 1))  # no ties here
    one = pipeline.ask("上个月四川的GMV在所有省份中排第几", as_of=AS_OF)
    row = next(r for r in ranked.rows if r[0] == "四川")
    # 四川's rank among all provinces, not among the rows filtered to 四川 (always 1).
    assert one.answers[0].rows == [row] and row[2] > 1
    assert one.answers[0].chart.type == "kpi" and one.answers[0].chart.y[0] == "gmv_rank"
    english = pipeline.ask("Where does 美妆 rank among categories by GMV this year?", as_of=AS_OF).answers[0]
    assert english.columns == ["category", "gmv", "gmv_rank"] and english.rows[0][0] == "美妆"
    # 排名前3 is still the top 3; 排名 with nothing to rank among ranks the products.
    top = pipeline.ask("上个月GMV排名前3的省份", as_of=AS_OF).answers[0]
    assert top.columns == ["province", "gmv"] and len(top.rows) == 3


def test_the_top_n_within_each_group_and_the_nth(pipeline: Pipeline) -> None:
    per_group = pipeline.ask("每个品类销量前3的商品", as_of=AS_OF).answers[0]
    categories = {row[0] for row in per_group.rows}
    assert len(categories) == 7 and len(per_group.rows) >= 21  # three (or a tie more) in every category
    assert all(row[3] <= 3 for row in per_group.rows)
    ranked = pipeline.ask("上个月各品类GMV排名", as_of=AS_OF).answers[0]
    second = next(row for row in ranked.rows if row[2] == 2)
    nth = pipeline.ask("上个月GMV排第二的品类", as_of=AS_OF).answers[0]
    assert nth.rows == [second]
    english = pipeline.ask("third-largest category by GMV last month", as_of=AS_OF).answers[0]
    assert [row[2] for row in english.rows] == [3]


def test_the_bottom_n_within_each_group_and_the_nth_from_the_bottom(pipeline: Pipeline) -> None:
    ranked = pipeline.ask("上个月各渠道的购买用户数排名", as_of=AS_OF).answers[0]
    by_rank = sorted(ranked.rows, key=lambda row: row[2])
    second_last = pipeline.ask("上个月哪个渠道的购买用户数是倒数第二", as_of=AS_OF)
    assert second_last.answers[0].rows[0][:2] == by_rank[-2][:2]
    assert "倒数第 2" in second_last.interpretation
    english = pipeline.ask("the second-lowest channel by buyers last month", as_of=AS_OF).answers[0]
    assert english.rows[0][:2] == by_rank[-2][:2]
    # the two lowest provinces of every channel, not the two lowest pairs
    bottom = pipeline.ask("上个月每个渠道GMV垫底的2个省份", as_of=AS_OF)
    rows = bottom.answers[0].rows
    channels = {row[0] for row in rows}
    assert len(channels) == 6 and len(rows) == 12
    pairs = pipeline.ask("上个月各渠道各省份的GMV", as_of=AS_OF).answers[0]
    for channel in channels:
        lowest = sorted(r[2] for r in pairs.rows if r[0] == channel)[:2]
        assert sorted(r[2] for r in rows if r[0] == channel) == lowest
    assert "每个渠道内按成交额取倒数 2" in bottom.interpretation


def test_a_rank_within_each_group_and_a_value_among_the_named_whole(pipeline: Pipeline) -> None:
    within = pipeline.ask("上个月在每个品类内部，把各品牌按成交额排个名次", as_of=AS_OF)
    rows = within.answers[0].rows
    assert within.answers[0].columns == ["category", "brand", "gmv", "gmv_rank"]
    for category in {row[0] for row in rows}:
        ranks = sorted(row[3] for row in rows if row[0] == category)
        assert ranks[0] == 1  # ranked within the category, not over every pair
    english = pipeline.ask("Within each channel, rank the member levels by GMV last month", as_of=AS_OF)
    assert english.answers[0].columns == ["channel", "member_level", "gmv", "gmv_rank"]
    # 华为 among the brands of 手机数码: its rank in that category, the category a filter
    among = pipeline.ask("上个月华为的销量在手机数码各品牌中排名第几", as_of=AS_OF).answers[0]
    brands = pipeline.ask("上个月手机数码各品牌的销量排名", as_of=AS_OF).answers[0]
    assert among.rows == [row for row in brands.rows if row[0] == "华为"]


def test_a_request_verb_is_not_the_layer_word_of_its_spelling(pipeline: Pipeline) -> None:
    # "Name the 5 cities": the verb, not a user's name
    named = pipeline.ask("Name the 5 cities that brought in the most new users last year", as_of=AS_OF)
    assert named.answers[0].columns == ["city", "new_users"] and len(named.answers[0].rows) == 5
    # "List the bottom two brands by gross margin": ranked groups, not rows of products
    listed = pipeline.ask("List the bottom two brands by gross margin last month", as_of=AS_OF).answers[0]
    assert listed.columns == ["brand", "gross_margin"] and len(listed.rows) == 2


def test_rows_that_had_a_figure_then_and_none_since(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    paid = "SELECT DISTINCT user_id FROM orders WHERE pay_time IS NOT NULL AND order_time >= '{}' AND order_time < '{}'"
    lapsed = con.execute(
        f"SELECT COUNT(*) FROM ({paid.format('2025-01-01', '2026-01-01')} EXCEPT {paid.format('2026-01-01', '2026-07-01')})"
    ).fetchone()[0]
    answer = pipeline.ask("去年买过东西、但今年到现在还没有再下单购买的用户有多少？", as_of=AS_OF)
    assert answer.answers[0].rows == [[lapsed]]
    assert "在 2025-01-01 至 2025-12-31 有订单数的" in answer.interpretation
    never = con.execute(
        "SELECT COUNT(*) FROM users WHERE user_id NOT IN (SELECT user_id FROM orders WHERE pay_time IS NOT NULL)"
    ).fetchone()[0]
    # 一次都没有 is "not even once", not the 1次 purchase-frequency bucket; 付款 names no event filter
    answer = pipeline.ask("到目前为止，有多少注册用户一次都没有成功付款买过东西？", as_of=AS_OF)
    assert answer.answers[0].rows == [[never]]


def test_periods_compared_in_one_row(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    def gmv(start: str, end: str) -> float:
        return float(_gmv(con, start, end))

    both = pipeline.ask("今年618和去年618的销售额放在一起对比一下", as_of=AS_OF).answers[0]
    assert both.columns == ["gmv", "gmv_previous", "gmv_change", "gmv_growth"]
    assert close(both.rows[0][0], gmv("2026-06-01", "2026-06-19"))
    assert close(both.rows[0][1], gmv("2025-06-01", "2025-06-19"))
    to_date = pipeline.ask("How does year-to-date GMV compare with the same period last year?", as_of=AS_OF)
    assert close(to_date.answers[0].rows[0][1], gmv("2025-01-01", "2025-07-01"))
    # a part that only asks how to show the one before it is not a question of its own
    quarters = pipeline.ask("今年一季度和二季度的订单数各是多少？放一行对比", as_of=AS_OF)
    assert len(quarters.answers) == 1 and quarters.answers[0].columns[:2] == [
        "order_count",
        "order_count_previous",
    ]
    peak = pipeline.ask("去年每个渠道单月订单量的最高值分别是多少，按从高到低排", as_of=AS_OF).answers[0]
    assert peak.columns == ["channel", "order_count_max"] and len(peak.rows) == 6
    assert [r[1] for r in peak.rows] == sorted((r[1] for r in peak.rows), reverse=True)
