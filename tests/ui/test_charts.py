"""The chart rules of nlq/charts.py on real answers from the demo warehouse,
and the Vega-Lite specs they produce."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from nlq.answer import AnswerBlock, AskResult
from nlq.charts import (
    CJK_FONT,
    MAX_SLICES,
    TOP_N,
    ChartPlan,
    chart_rows,
    is_profile,
    plan_chart,
    table_rows,
    vega_spec,
)
from nlq.pipeline import Pipeline
from nlq.presentation import Language, describe_columns

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path)


def answer(pipeline: Pipeline, question: str) -> AskResult:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", result.message
    return result


def plan_of(
    pipeline: Pipeline, block: AnswerBlock, language: Language = "zh", profile: bool = False
) -> ChartPlan:
    return plan_chart(block, describe_columns(block, pipeline.layer, language), profile=profile)


def test_time_series_is_a_line_by_month(pipeline: Pipeline) -> None:
    block = answer(pipeline, "monthly GMV trend this year").answers[0]
    plan = plan_of(pipeline, block, "en")
    assert (plan.kind, plan.x, plan.y) == ("line", "month", ["gmv"])
    columns = describe_columns(block, pipeline.layer, "en")
    records, _ = chart_rows(plan, block, columns, "en")
    spec = vega_spec(plan, records, columns, "en")
    assert spec is not None and spec["mark"]["type"] == "line"
    assert spec["encoding"]["x"]["timeUnit"] == "yearmonth" and spec["encoding"]["y"]["title"] == "GMV (¥)"
    assert [r["month__label"] for r in spec["data"]["values"]] == [f"2026-0{m}" for m in range(1, 7)]
    json.dumps(spec)  # what st.vega_lite_chart sends must be plain JSON


def test_a_monthly_comparison_draws_both_periods(pipeline: Pipeline) -> None:
    block = answer(pipeline, "今年每月GMV同比").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    assert (plan.kind, plan.y) == ("line", ["gmv", "gmv_previous"])
    spec = vega_spec(plan, chart_rows(plan, block, columns, "zh")[0], columns, "zh")
    assert spec is not None and spec["transform"][0] == {
        "fold": ["gmv", "gmv_previous"],
        "as": ["metric", "value"],
    }
    # The compiler's label for the comparison period: a year-over-year comparison says so.
    assert "成交额（去年同期）" in spec["transform"][1]["calculate"]
    # The chart stored on the answer is the one drawn.
    assert (block.chart.type, block.chart.y) == ("line", ["gmv", "gmv_previous"])


def test_a_time_series_per_channel_draws_one_line_each(pipeline: Pipeline) -> None:
    block = answer(pipeline, "今年各月各渠道的GMV").answers[0]
    plan = plan_of(pipeline, block)
    assert (plan.kind, plan.x, plan.color) == ("line", "month", "channel")


def test_a_ranking_is_a_horizontal_bar_sorted_by_value(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月GMV最高的5个品类").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    assert (plan.kind, plan.x, plan.y) == ("bar", "category", ["gmv"]) and "donut" in plan.options
    records, left_out = chart_rows(plan, block, columns, "zh")
    values = [r["gmv"] for r in records]
    assert left_out == 0 and values == sorted(values, reverse=True) and len(values) == 5
    spec = vega_spec(plan, records, columns, "zh")
    assert spec is not None
    assert spec["encoding"]["y"]["sort"] == [r["category"] for r in records]  # drawn in ranked order
    assert spec["encoding"]["x"]["field"] == "gmv"  # horizontal: the value runs along x


def test_a_share_of_total_is_a_donut(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月各渠道GMV占比").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    assert (plan.kind, plan.y) == ("donut", ["gmv_share"])
    records, _ = chart_rows(plan, block, columns, "zh")
    assert sum(r["gmv_share"] for r in records) == pytest.approx(1.0)  # type: ignore[misc]
    spec = vega_spec(plan, records, columns, "zh")
    assert spec is not None and spec["mark"]["type"] == "arc" and spec["mark"]["innerRadius"] > 0
    stacked = vega_spec(plan.switched("stacked_100"), records, columns, "zh")
    assert stacked is not None and stacked["encoding"]["x"]["stack"] == "normalize"


def test_hot_products_and_their_buyers_are_a_bar_and_a_profile(pipeline: Pipeline) -> None:
    blocks = answer(pipeline, "近三月热销商品及其用户画像").answers
    kinds = [plan_of(pipeline, b, profile=is_profile(blocks, i)).kind for i, b in enumerate(blocks)]
    assert kinds == ["bar", "profile", "profile", "profile", "profile"]
    tiers = blocks[3]
    columns = describe_columns(tiers, pipeline.layer, "zh")
    plan = plan_chart(tiers, columns, profile=True)
    spec = vega_spec(plan, chart_rows(plan, tiers, columns, "zh")[0], columns, "zh")
    assert spec is not None and plan.x == "city_tier"
    # Buckets in their declared order, not alphabetical nor by value.
    assert spec["encoding"]["x"]["sort"] == ["一线", "新一线", "二线", "三线及以下"]
    assert spec["encoding"]["y"]["axis"]["format"] == ".0%"


def test_two_metrics_get_two_axes(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月各品类的GMV和订单数").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    assert (plan.kind, plan.y) == ("dual_axis", ["gmv", "order_count"])
    spec = vega_spec(plan, chart_rows(plan, block, columns, "zh")[0], columns, "zh")
    assert spec is not None and spec["resolve"] == {"scale": {"y": "independent"}}
    gmv = [r["gmv"] for r in spec["data"]["values"]]
    assert gmv == sorted(gmv, reverse=True)  # categories ranked by the first metric
    assert [layer["encoding"]["y"]["field"] for layer in spec["layer"]] == ["gmv", "order_count"]


def test_a_single_value_is_a_kpi(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月GMV同比").answers[0]
    plan = plan_of(pipeline, block)
    assert (plan.kind, plan.y) == ("kpi", ["gmv"])
    assert vega_spec(plan, [], describe_columns(block, pipeline.layer, "zh"), "zh") is None


def test_too_many_additive_categories_fold_into_other(pipeline: Pipeline) -> None:
    block = answer(pipeline, "各城市的GMV").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    records, left_out = chart_rows(plan, block, columns, "zh")
    total = sum(row[1] for row in block.rows)
    assert len(block.rows) > TOP_N and len(records) == TOP_N and left_out == 0
    assert records[-1]["city"] == "其他"
    assert sum(r["gmv"] for r in records) == pytest.approx(total)  # type: ignore[misc]
    top = sorted((row[1] for row in block.rows), reverse=True)[: TOP_N - 1]
    assert [r["gmv"] for r in records[:-1]] == top


def test_rates_are_never_summed_into_other(pipeline: Pipeline) -> None:
    block = answer(pipeline, "各城市的退款率").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    assert plan.kind == "bar" and "donut" not in plan.options  # slices of a rate make no sense
    records, left_out = chart_rows(plan, block, columns, "zh")
    assert len(records) == TOP_N and left_out == len(block.rows) - TOP_N
    assert "其他" not in {r["city"] for r in records}


def test_a_donut_keeps_few_slices(pipeline: Pipeline) -> None:
    block = answer(pipeline, "各城市的GMV").answers[0]
    columns = describe_columns(block, pipeline.layer, "en")
    plan = plan_chart(block, columns).switched("donut")
    records, _ = chart_rows(plan, block, columns, "en")
    assert plan.kind == "donut" and len(records) == MAX_SLICES and records[-1]["city"] == "Other"


def test_two_categories_stack(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月各渠道各品类的订单数").answers[0]
    plan = plan_of(pipeline, block)
    assert plan.kind == "stacked_bar" and {plan.x, plan.color} == {"channel", "category"}


def test_listings_and_empty_answers_are_tables(pipeline: Pipeline) -> None:
    listing = answer(pipeline, "列出上个月退款金额超过1000元的订单").answers[0]
    assert plan_of(pipeline, listing).kind == "table"
    empty = AnswerBlock(sql="SELECT 1", columns=["channel", "gmv"], rows=[])
    assert plan_of(pipeline, empty).options == ["table"]


def test_a_kind_outside_the_options_is_ignored(pipeline: Pipeline) -> None:
    block = answer(pipeline, "monthly GMV trend this year").answers[0]
    plan = plan_of(pipeline, block, "en")
    assert plan.switched("donut").kind == "line" and plan.switched("bar").kind == "bar"


def test_months_as_bars_stay_in_time_order_and_all_shown(pipeline: Pipeline) -> None:
    block = answer(pipeline, "2025年每月的GMV").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns).switched("bar")
    records, left_out = chart_rows(plan, block, columns, "zh")
    assert left_out == 0 and [r["month"] for r in records] == [f"2025-{m:02d}-01" for m in range(1, 13)]
    spec = vega_spec(plan, records, columns, "zh")
    assert spec is not None and spec["encoding"]["x"]["sort"] is None


def test_every_spec_names_a_cjk_font(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月各渠道的GMV").answers[0]
    columns = describe_columns(block, pipeline.layer, "zh")
    plan = plan_chart(block, columns)
    spec = vega_spec(plan, chart_rows(plan, block, columns, "zh")[0], columns, "zh")
    assert spec is not None and "Noto Sans CJK SC" in spec["config"]["font"] == CJK_FONT


SCHEMA_QUESTIONS = [
    "monthly GMV trend this year",
    "今年各月各渠道的GMV",
    "今年每月的GMV和退款率",
    "上个月GMV最高的5个品类",
    "上个月各渠道GMV占比",
    "各城市的GMV",
    "上个月各品类的GMV和订单数",
    "上个月各渠道各品类的订单数",
    "近三月热销商品及其用户画像",
    "每季度的订单数",
    "今年每月GMV同比",
]


def test_specs_name_the_vega_lite_version_of_the_installed_altair() -> None:
    import altair as alt

    from nlq.charts import VEGA_LITE_SCHEMA

    assert VEGA_LITE_SCHEMA == alt.SCHEMA_URL


def test_every_kind_of_every_answer_is_valid_vega_lite(pipeline: Pipeline) -> None:
    """Each spec, for each kind a user may switch to, passes the Vega-Lite schema
    of the chart library Streamlit draws with."""
    from altair.utils.schemapi import validate_jsonschema
    from altair.vegalite.v6.schema import load_schema

    schema = load_schema()
    drawn: set[str] = set()
    for question in SCHEMA_QUESTIONS:
        blocks = answer(pipeline, question).answers
        for i, block in enumerate(blocks):
            columns = describe_columns(block, pipeline.layer, "zh")
            plan = plan_chart(block, columns, profile=is_profile(blocks, i))
            for kind in plan.options:
                switched = plan.switched(kind)
                spec = vega_spec(switched, chart_rows(switched, block, columns, "zh")[0], columns, "zh")
                if spec is None:
                    continue
                drawn.add(kind)
                problem = validate_jsonschema(spec, schema, raise_error=False)
                assert problem is None, (question, kind, str(problem)[:500])
    assert drawn == {"line", "bar", "donut", "stacked_100", "profile", "dual_axis", "stacked_bar"}


def test_a_single_period_is_a_card_not_a_one_point_line(pipeline: Pipeline) -> None:
    block = answer(pipeline, "本月每月的GMV").answers[0]
    assert len(block.rows) == 1
    assert block.chart.type == "kpi" and block.chart.y == ["gmv"]


def test_the_table_ranks_as_the_bars_do(pipeline: Pipeline) -> None:
    block = answer(pipeline, "上个月各渠道的GMV").answers[0]
    shuffled = block.model_copy(update={"rows": sorted(block.rows, key=lambda r: str(r[0]))})
    columns = describe_columns(shuffled, pipeline.layer, "zh")
    plan = plan_chart(shuffled, columns)
    assert plan.kind == "bar"
    gmv = [row[shuffled.columns.index("gmv")] for row in table_rows(plan, shuffled, columns)]
    assert gmv == sorted(gmv, reverse=True) and len(gmv) == 6
    # A line keeps time in its own order.
    trend = answer(pipeline, "今年每月GMV").answers[0]
    trend_columns = describe_columns(trend, pipeline.layer, "zh")
    assert table_rows(plan_chart(trend, trend_columns), trend, trend_columns) == trend.rows
