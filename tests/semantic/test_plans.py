"""The compiler's plans (nlq.semantic.plan): one snapshot per kind of node, so a
change of plan shows as a diff of its tree; and the rewrites (nlq.semantic.optimizer)
keep every answer while changing the SQL as they say.

A snapshot that differs fails with both trees; `NLQ_UPDATE_PLANS=1 pytest
tests/semantic/test_plans.py` writes the new ones, to be read and committed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.semantic.compiler import Compiler
from nlq.semantic.loader import load_layer
from nlq.semantic.optimizer import RULES, optimize
from nlq.semantic.plan import Combine, Counted, Fact, Node, With, describe
from nlq.semantic.query import SemanticQuery
from nlq.semantic.render import Renderer

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
SNAPSHOTS = Path(__file__).resolve().parent / "plans"
MAY = {"start": "2026-05-01", "end": "2026-05-31"}
QUARTER = {"start": "2026-04-01", "end": "2026-06-30"}

QUERIES: dict[str, dict[str, Any]] = {
    "fact_by_dimension": {"metrics": ["gmv"], "dimensions": ["channel"], "time_range": MAY},
    "facts_side_by_side": {"metrics": ["gmv", "refund_rate"], "time_range": MAY},
    "facts_combined_on_keys": {"metrics": ["gmv", "visitors"], "dimensions": ["channel"], "time_range": MAY},
    "per_entity": {"metrics": ["repurchase_rate"], "dimensions": ["channel"], "time_range": QUARTER},
    "semi_additive_by_month": {"metrics": ["stock_qty"], "time_grain": "month", "time_range": QUARTER},
    "compared_with_previous": {
        "metrics": ["gmv"],
        "dimensions": ["channel"],
        "time_range": MAY,
        "compare": "pop",
    },
    "rank_top_n_per_group": {
        "metrics": ["units_sold"],
        "dimensions": ["category", "product_name"],
        "time_range": MAY,
        "rank": ["units_sold"],
        "rank_within": ["category"],
        "rank_keep": ["<=", 3],
    },
    "share_of_one_value": {
        "metrics": ["gmv"],
        "dimensions": ["channel"],
        "time_range": MAY,
        "share": ["gmv"],
        "focus": [{"dimension": "channel", "values": ["天猫"]}],
    },
    "cumulative_by_month": {
        "metrics": ["gmv"],
        "time_grain": "month",
        "time_range": {"start": "2026-01-01", "end": "2026-06-30"},
        "cumulative": True,
    },
    "averaged_over_days": {"metrics": ["gmv"], "time_range": MAY, "averaged_over": "day"},
    "ratio_on_the_fly": {
        "metrics": ["discount_amount", "order_count"],
        "ratios": [{"numerator": "discount_amount", "denominator": "order_count"}],
        "time_range": MAY,
    },
    "listing_of_rows": {
        "dimensions": ["orders.order_id", "orders.pay_amount"],
        "time_range": MAY,
        "order_by": [{"field": "pay_amount", "desc": True}],
        "limit": 5,
    },
    "listing_without_a_figure": {
        "dimensions": ["products.product_id", "products.product_name"],
        "filters": [{"dimension": "product_status", "values": ["在售"]}],
        "without": "units_sold",
        "time_range": MAY,
    },
    "listing_of_values": {
        "dimensions": ["products.brand"],
        "filters": [{"dimension": "category", "values": ["美妆"]}],
    },
    "people_who_bought_then_stopped": {
        "dimensions": ["users.user_id", "users.city"],
        "with_figure": "order_count",
        "with_range": QUARTER,
        "without": "order_count",
        "time_range": MAY,
        "count_groups": True,
    },
    "groups_counted_under_a_condition": {
        "metrics": ["order_count"],
        "dimensions": ["users.user_id"],
        "time_range": QUARTER,
        "metric_filters": [{"metric": "order_count", "op": ">", "value": 3}],
        "count_groups": True,
    },
    "one_row_per_group": {
        "metrics": ["refund_amount"],
        "dimensions": ["refunds.refund_id"],
        "time_range": MAY,
        "order_by": [{"field": "refund_amount", "desc": True}],
        "limit": 5,
    },
    "one_row_per_group_counted": {
        "metrics": ["order_count", "discount_amount"],
        "dimensions": ["orders.order_id", "orders.channel"],
        "time_range": MAY,
        "order_by": [{"field": "discount_amount", "desc": True}],
        "limit": 10,
    },
    "segment_population": {"metrics": ["buyers"], "dimensions": ["buyer_type"], "time_range": MAY},
    "segment_within_each_group": {
        "metrics": ["buyers"],
        "dimensions": ["orders.channel", "purchase_frequency"],
        "time_range": MAY,
    },
    "people_counted_by_their_attribute": {
        "metrics": ["gmv"],
        "dimensions": ["member_level", "users.user_id"],
        "time_range": QUARTER,
        "metric_filters": [{"metric": "gmv", "op": ">", "value": 5000}],
        "count_groups": True,
    },
    "people_meeting_each_condition": {
        "dimensions": ["users.city_tier", "users.user_id"],
        "count_groups": True,
        "presences": [
            {
                "metric": "order_count",
                "time_range": QUARTER,
                "filters": [{"dimension": "category", "values": ["服饰"]}],
            },
            {
                "metric": "order_count",
                "filters": [{"dimension": "category", "values": ["美妆"]}],
                "absent": True,
            },
        ],
    },
    "share_of_people_meeting_a_condition": {
        "metrics": ["order_count"],
        "dimensions": ["users.city_tier", "users.user_id"],
        "time_range": QUARTER,
        "metric_filters": [{"metric": "order_count", "op": ">=", "value": 2}],
        "count_groups": True,
        "share_of_counted": True,
    },
    "share_of_people_registered_who_bought": {
        "dimensions": ["users.register_channel", "users.user_id"],
        "time_range": QUARTER,
        "rows_dated": True,
        "presences": [{"metric": "order_count", "time_range": {"end": "2026-06-30"}}],
        "count_groups": True,
        "share_of_counted": True,
    },
    "buyers_counted_per_buyer_before_their_attribute": {
        "metrics": ["buyers"],
        "dimensions": ["users.gender"],
        "time_range": QUARTER,
        "filters": [{"dimension": "category", "values": ["美妆"]}],
    },
    "figures_per_entity_before_its_segment": {
        "metrics": ["avg_spend_per_buyer", "order_count"],
        "dimensions": ["buyer_type", "users.gender"],
        "time_range": QUARTER,
    },
    "segment_decided_in_each_bucket": {
        "metrics": ["buyers"],
        "time_grain": "month",
        "time_range": QUARTER,
        "filters": [{"dimension": "buyer_type", "values": ["新客"]}],
    },
    "bands_of_a_figure_per_person": {
        "metrics": ["avg_spend_per_buyer"],
        "time_range": QUARTER,
        "bands": {
            "metric": "order_count",
            "of": "users.user_id",
            "bands": [
                {"label": "1", "low": 1, "high": 1},
                {"label": "2-3", "low": 2, "high": 3},
                {"label": "4+", "low": 4},
            ],
        },
    },
    "funnel": {"funnel": "purchase_funnel", "metrics": [], "time_range": MAY},
    "cohort_retention": {"cohort": "buyer_retention", "metrics": [], "time_range": QUARTER},
    "moving_average": {"metrics": ["gmv"], "time_grain": "day", "moving": 7, "time_range": MAY},
    "quotient_of_the_people_counted": {
        "metrics": ["avg_spend_per_buyer", "order_count"],
        "dimensions": ["users.user_id"],
        "time_range": MAY,
        "metric_filters": [{"metric": "order_count", "op": ">=", "value": 3}],
        "count_groups": True,
    },
    "groups_ranked_by_the_people_counted": {
        "metrics": ["order_count"],
        "dimensions": ["city", "users.user_id"],
        "time_range": QUARTER,
        "metric_filters": [{"metric": "order_count", "op": ">=", "value": 2}],
        "count_groups": True,
        "order_by": [{"field": "user_id", "desc": True}],
        "limit": 10,
    },
    "figures_of_the_people_a_presence_picks": {
        "dimensions": ["users.user_id"],
        "time_range": {"start": "2026-04-01", "end": "2026-06-30"},
        "with_figure": "order_count",
        "with_range": {"start": "2026-01-01", "end": "2026-03-31"},
        "without": "order_count",
        "count_groups": True,
        "figures": ["gmv", "avg_spend_per_buyer"],
        "figures_range": {"start": "2026-01-01", "end": "2026-03-31"},
    },
    "conditions_in_periods_of_their_own": {
        "dimensions": ["users.user_id"],
        "count_groups": True,
        "presences": [
            {"metric": "order_count", "time_range": {"start": "2026-04-02", "end": "2026-06-30"}},
            {
                "metric": "order_count",
                "time_range": {"start": "2025-07-01", "end": "2026-06-30"},
                "op": ">=",
                "value": 3,
            },
            {
                "metric": "gmv",
                "time_range": {"start": "2025-07-01", "end": "2026-06-30"},
                "op": ">=",
                "value": 5000,
            },
        ],
        "figures": ["gmv"],
        "figures_range": {"start": "2025-07-01", "end": "2026-06-30"},
    },
}


@pytest.fixture(scope="module")
def compiler() -> Compiler:
    return Compiler(load_layer(DEMO)[0], role="admin")


def _query(spec: dict[str, Any]) -> SemanticQuery:
    return SemanticQuery.model_validate(spec)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_plan_snapshot(compiler: Compiler, name: str) -> None:
    plan = compiler.explain(_query(QUERIES[name]))
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("NLQ_UPDATE_PLANS") or not path.exists():
        path.write_text(plan + "\n", encoding="utf-8")
    assert plan + "\n" == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_rewrites_keep_the_answer(compiler: Compiler, con: duckdb.DuckDBPyConnection, name: str) -> None:
    """The plan rendered as planned and as rewritten gives the same rows."""
    plan, _ = compiler.plan(_query(QUERIES[name]))
    as_planned = Renderer(compiler.layer).query(plan).sql(dialect="duckdb")
    rewritten = Renderer(compiler.layer).query(optimize(plan)).sql(dialect="duckdb")
    assert _rows(con, as_planned) == _rows(con, rewritten)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_each_rewrite_changes_what_it_says(compiler: Compiler) -> None:
    def rewritten(name: str) -> Node:
        return optimize(compiler.plan(_query(QUERIES[name]))[0])

    # the one fact is the query itself, not a CTE read by a select that passes it on
    single = rewritten("fact_by_dimension")
    assert not isinstance(single, With)
    assert isinstance(single.children()[0], Fact)
    # orders counted by COUNT(*), not COUNT(DISTINCT order_id)
    assert "order_count=COUNT(*)" in describe(rewritten("facts_side_by_side"))
    assert any(isinstance(n, Combine) and n.side_by_side for n in _walk(rewritten("facts_side_by_side")))
    assert not any(
        isinstance(n, Combine) and n.side_by_side for n in _walk(rewritten("facts_combined_on_keys"))
    )
    # each refund is its own group: read, not aggregated
    assert "(one row per group)" in describe(rewritten("one_row_per_group"))
    # a count over one row is 1 where the row counts: read, not aggregated
    counted = describe(rewritten("one_row_per_group_counted"))
    assert "(one row per group)" in counted and "COUNT(" not in counted
    assert isinstance(rewritten("groups_counted_under_a_condition"), Counted)
    # a count above zero is a row that exists: the keys of the rows, neither grouped nor
    # counted; a sum above zero is not (a quantity may be 0 or negative)
    bought_then_stopped = describe(rewritten("people_who_bought_then_stopped"))
    assert bought_then_stopped.count("(the keys of every row)") == 2
    assert "order_count" not in bought_then_stopped
    assert "(the keys of every row)" not in describe(rewritten("listing_without_a_figure"))
    # the rows of a listing that shows its table's key are distinct already; values are not
    assert " distinct" not in describe(rewritten("listing_of_rows"))
    assert " distinct" in describe(rewritten("listing_of_values"))


def test_no_rewrite_is_a_plan_unchanged(compiler: Compiler) -> None:
    plan, _ = compiler.plan(_query(QUERIES["one_row_per_group"]))
    assert describe(optimize(plan, rules=())) == describe(plan)
    assert describe(optimize(plan, rules=RULES)) != describe(plan)


def _walk(node: Node) -> list[Node]:
    found = [node]
    for child in node.children():
        found += _walk(child)
    return found


def test_the_cli_prints_the_plan(warehouse_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nlq.cli import main

    args = [
        "query",
        "--metric",
        "gmv,visitors",
        "--by",
        "channel",
        "--from",
        "2026-05-01",
        "--to",
        "2026-05-31",
    ]
    assert main([*args, "--db", str(warehouse_path), "--role", "admin", "--plan"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("With ")
    assert "Combine order_items_facts" in printed and "(union) on [channel]" in printed
    assert "Fact events" in printed  # visitors: a pass of its own, over the events
