"""The compiled SQL itself: one sqlglot AST that transpiles to every target
engine and parses back, with no string concatenation of user values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from nlq.semantic.compiler import Compiler
from nlq.semantic.errors import AccessDenied, QueryError
from nlq.semantic.expressions import implies
from nlq.semantic.loader import load_layer
from nlq.semantic.query import SemanticQuery

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
DIALECTS = ["duckdb", "postgres", "mysql", "spark", "clickhouse"]
RANGE = {"start": "2026-04-01", "end": "2026-06-30"}

QUERIES: dict[str, dict[str, Any]] = {
    "total": {"metrics": ["gmv"], "time_range": RANGE},
    "mixed facts": {
        "metrics": ["gmv", "visitors", "conversion_rate"],
        "dimensions": ["channel"],
        "time_range": RANGE,
    },
    "fan-out invariant across one-to-many": {
        "metrics": ["refund_rate", "buyers"],
        "dimensions": ["category"],
    },
    "share of one value over all": {
        "metrics": ["gmv"],
        "dimensions": ["channel"],
        "share": ["gmv"],
        "focus": [{"dimension": "channel", "values": ["天猫"]}],
    },
    "semi-join filter": {
        "metrics": ["order_count"],
        "filters": [{"dimension": "reason", "values": ["质量问题"]}],
    },
    "trend with yoy": {
        "metrics": ["gmv", "gross_margin"],
        "time_grain": "month",
        "compare": "yoy",
        "time_range": RANGE,
    },
    "pop without grain": {"metrics": ["avg_order_value"], "compare": "pop", "time_range": RANGE},
    "per entity": {
        "metrics": ["repurchase_rate"],
        "dimensions": ["city_tier"],
        "time_grain": "quarter",
        "time_range": RANGE,
    },
    "semi additive": {
        "metrics": ["stock_qty"],
        "dimensions": ["warehouse"],
        "time_grain": "week",
        "time_range": RANGE,
    },
    "share top n": {
        "metrics": ["units_sold"],
        "dimensions": ["product_name"],
        "share": ["units_sold"],
        "order_by": [{"field": "units_sold"}],
        "limit": 10,
        "time_range": RANGE,
    },
    "filters of every kind": {
        "metrics": ["order_count"],
        "filters": [
            {"dimension": "channel", "op": "not_in", "values": ["线下门店", "APP"]},
            {"dimension": "product_name", "op": "contains", "values": ["手机"]},
            {"dimension": "city", "op": "starts_with", "values": ["上"]},
            {"dimension": "stars", "op": "between", "values": [3, 5]},
        ],
        "metric_filters": [{"metric": "order_count", "op": ">", "value": 10}],
    },
}


@pytest.fixture(scope="module")
def layer():  # type: ignore[no-untyped-def]
    return load_layer(DEMO)[0]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", list(QUERIES))
def test_transpiles_and_parses_back(layer: Any, name: str, dialect: str) -> None:
    compiled = Compiler(layer, role="east_manager", dialect=dialect).compile(
        SemanticQuery.model_validate(QUERIES[name])
    )
    sql = compiled.sql()
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(parsed, exp.Select)
    # The role's row filter reaches every engine (inventory is not regional data).
    assert ("'浙江'" in sql) == (name != "semi additive")
    # Only the tables of the layer are read.
    tables = {t.name for t in parsed.find_all(exp.Table)} - {cte.alias for cte in parsed.find_all(exp.CTE)}
    assert tables <= {
        "orders",
        "order_items",
        "users",
        "products",
        "refunds",
        "events",
        "inventory_snapshots",
        "reviews",
        "campaigns",
    }


def test_values_are_literals_not_sql(layer: Any) -> None:
    hostile = "天猫' OR '1'='1"
    query = SemanticQuery(metrics=["gmv"], filters=[{"dimension": "channel", "values": [hostile]}])  # type: ignore[list-item]
    sql = Compiler(layer, role="admin").compile(query).sql()
    literals = [
        lit.this for lit in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Literal) if lit.is_string
    ]
    assert hostile in literals


def test_unknown_names_give_bilingual_errors(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    with pytest.raises(QueryError) as error:
        compiler.compile(SemanticQuery(metrics=["profit_per_minute"]))
    assert (
        error.value.en == "unknown metric: profit_per_minute"
        and error.value.zh == "未知指标：profit_per_minute"
    )
    with pytest.raises(QueryError) as error:
        compiler.compile(SemanticQuery(metrics=["gmv"], dimensions=["colour"]))
    assert "未知维度" in error.value.zh
    with pytest.raises(QueryError) as error:
        compiler.compile(SemanticQuery(metrics=["visitors"], dimensions=["reason"]))
    assert "访客数" in error.value.zh
    with pytest.raises(QueryError):
        compiler.compile(SemanticQuery(metrics=["gmv"], compare="yoy"))
    with pytest.raises(QueryError):
        compiler.compile(SemanticQuery(metrics=["gmv"], order_by=[{"field": "visitors"}]))  # type: ignore[list-item]


def test_conformed_dimension_resolves_to_nearest_model(layer: Any) -> None:
    sql = (
        Compiler(layer, role="admin")
        .compile(SemanticQuery(metrics=["gmv", "new_users"], dimensions=["province"]))
        .sql()
    )
    assert "orders.province AS province" in sql and "users.province AS province" in sql
    qualified = (
        Compiler(layer, role="admin")
        .compile(SemanticQuery(metrics=["gmv"], dimensions=["users.province"]))
        .sql()
    )
    assert "users.province AS province" in qualified and "orders.province AS" not in qualified


def test_time_grain_must_be_declared(tmp_path: Path) -> None:
    text = (
        (DEMO / "models.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "      - name: snapshot_date\n        type: date\n",
            "      - name: snapshot_date\n        type: date\n        grains: [week, month]\n",
        )
    )
    folder = tmp_path / "layer"
    folder.mkdir()
    (folder / "models.yaml").write_text(text, encoding="utf-8")
    for name in ("metrics.yaml", "roles.yaml"):
        (folder / name).write_text((DEMO / name).read_text(encoding="utf-8"), encoding="utf-8")
    compiler = Compiler(load_layer(folder)[0], role="admin")
    assert (
        "DATE_TRUNC('WEEK'" in compiler.compile(SemanticQuery(metrics=["stock_qty"], time_grain="week")).sql()
    )
    with pytest.raises(QueryError) as error:
        compiler.compile(SemanticQuery(metrics=["stock_qty"], time_grain="day"))
    assert "week, month" in error.value.en and "按日期" in error.value.zh


def test_focus_must_name_a_dimension_of_the_query() -> None:
    with pytest.raises(ValueError, match="focus on category"):
        SemanticQuery(
            metrics=["gmv"], dimensions=["channel"], focus=[{"dimension": "category", "values": ["美妆"]}]
        )  # type: ignore[list-item]


def test_required_relationships_join_inner_and_others_left(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    sql = compiler.compile(SemanticQuery(metrics=["gmv"], dimensions=["category", "campaign_name"])).sql()
    joins = {
        j.this.alias_or_name: j.args.get("side") or j.args.get("kind")
        for j in sqlglot.parse_one(sql).find_all(exp.Join)
    }
    assert joins["products"] in {None, "INNER"} and joins["orders"] in {None, "INNER"}
    assert joins["campaigns"] == "LEFT"  # orders.campaign_id may be NULL


def _aggregates(sql: str) -> list[str]:
    return [count.sql() for count in sqlglot.parse_one(sql).find_all(exp.Count)]


def test_counting_the_home_key_without_fan_out_is_count_star(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    orders = compiler.compile(SemanticQuery(metrics=["order_count"], dimensions=["channel"])).sql()
    repurchase = compiler.compile(SemanticQuery(metrics=["repurchase_rate"])).sql()
    refunds = compiler.compile(SemanticQuery(metrics=["refund_rate"])).sql()
    assert _aggregates(orders) == ["COUNT(*)"]
    assert "COUNT(*) AS entity_value" in repurchase
    # A count with a condition keeps it: refunded orders are not all orders.
    assert any("CASE WHEN" in count for count in _aggregates(refunds))


def test_the_latest_snapshot_is_found_on_the_period_alone_and_joined(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    in_beauty = compiler.compile(
        SemanticQuery(
            metrics=["stock_qty"],
            time_grain="month",
            filters=[{"dimension": "category", "op": "=", "values": ["美妆"]}],
        )
    ).sql()
    tree = sqlglot.parse_one(in_beauty)
    latest = next(s for s in tree.find_all(exp.Subquery) if s.alias == "latest_snapshot").this
    # The period decides the latest snapshot: no filter, hence no join, in there.
    assert not latest.args.get("joins") and "category" not in latest.sql()
    assert [p.alias for p in latest.expressions] == ["bucket", "snapshot_time"]
    rows = latest.find_ancestor(exp.Select)
    assert rows is not None
    # The rows take their month from the latest snapshot (not truncated again per row),
    # join products for the filter, and are not a semi-join.
    assert rows.expressions[0].sql() == "latest_snapshot.bucket AS month"
    assert {j.this.alias_or_name for j in rows.args["joins"]} == {"products", "latest_snapshot"}
    assert tree.find(exp.In) is None


def test_a_weekly_snapshot_needs_no_latest_search_within_a_week(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    weekly = compiler.compile(SemanticQuery(metrics=["stock_qty"], time_grain="week")).sql()
    monthly = compiler.compile(SemanticQuery(metrics=["stock_qty"], time_grain="month")).sql()
    # snapshot_date has cadence week: a week holds one snapshot; a month holds four or five.
    assert "latest_snapshot" not in weekly and "MAX(" not in weekly
    assert "latest_snapshot" in monthly


def test_facts_without_dimensions_are_set_side_by_side(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    growth = compiler.compile(
        SemanticQuery(
            metrics=["new_users"],
            compare="yoy",
            time_range={"start": "2026-01-01", "end": "2026-06-30"},
        )
    ).sql()
    by_channel = compiler.compile(SemanticQuery(metrics=["gmv", "visitors"], dimensions=["channel"])).sql()
    # One row each: joined side by side; with dimensions, rows are matched by a union.
    assert "CROSS JOIN" in growth and "UNION" not in growth
    assert "UNION ALL" in by_channel and "CROSS JOIN" not in by_channel


def test_joins_nothing_reads_are_left_out(layer: Any) -> None:
    compiler = Compiler(layer, role="admin")
    refunds = compiler.compile(
        SemanticQuery(
            metrics=["refund_amount"], filters=[{"dimension": "category", "op": "=", "values": ["美妆"]}]
        )
    ).sql()
    tree = sqlglot.parse_one(refunds)
    outer = [j for j in tree.find_all(exp.Join) if j.find_ancestor(exp.Exists) is None]
    exists = tree.find(exp.Exists)
    # refunds reach products through orders and order items; the semi-join correlates on
    # refunds.order_id itself, so orders need not be joined at all.
    assert outer == []
    assert exists is not None and "refunds.order_id" in exists.sql()


def test_a_joined_key_is_read_from_the_rows_that_hold_it(layer: Any) -> None:
    listing = SemanticQuery(
        metrics=["refund_amount"], dimensions=["refunds.refund_id", "orders.order_id"], limit=5
    )
    sql = Compiler(layer, role="analyst").compile(listing).sql()
    tree = sqlglot.parse_one(sql)
    # Every refund has its order (a required relationship): the order id is the refund's own.
    assert "refunds.order_id AS order_id" in sql and not list(tree.find_all(exp.Join))
    # Unless the role masks it: then it is read through orders' view, where the masked
    # key may not be grouped on (refused), never unmasked from the refunds.
    analyst = layer.role("analyst")
    masking = analyst.model_copy(update={"masks": {**analyst.masks, "orders.order_id": "name"}})
    strict = layer.model_copy(update={"roles": [masking if r.name == "analyst" else r for r in layer.roles]})
    with pytest.raises(AccessDenied, match=r"orders\.order_id"):
        Compiler(strict, role="analyst").compile(listing)


def test_a_key_is_never_null_inside_its_own_semi_join(layer: Any) -> None:
    sql = Compiler(layer, role="admin").compile(SemanticQuery(metrics=["refund_rate"])).sql()
    exists = sqlglot.parse_one(sql).find(exp.Exists)
    assert exists is not None and exp.Is not in {type(n) for n in exists.walk()}


@pytest.mark.parametrize(
    ("facts", "condition", "implied"),
    [
        (["e.t = 'cart'"], "e.t IN ('view', 'cart')", True),
        (["e.t IN ('view', 'cart')"], "e.t IN ('view', 'cart')", True),
        (["e.x > 1", "(e.t = 'view') OR (e.t = 'cart' AND e.x = 2)"], "e.t IN ('view', 'cart')", True),
        (["e.t = 'pay'"], "e.t IN ('view', 'cart')", False),
        (["(e.t = 'view') OR (e.t = 'pay')"], "e.t IN ('view', 'cart')", False),
        (["e.t IN ('view', 'pay')"], "e.t IN ('view', 'cart')", False),
        (["e.u = 'cart'"], "e.t = 'cart'", False),
        (["e.t = 'cart'"], "e.t = 'cart' AND e.x = 1", False),
        (["e.t = 'cart'", "e.x = 1"], "e.t = 'cart' AND e.x = 1", True),
        (["NOT e.t IN ('pay')"], "e.t IN ('view', 'cart')", False),
    ],
)
def test_what_a_where_clause_implies(facts: list[str], condition: str, implied: bool) -> None:
    assert implies([sqlglot.parse_one(f) for f in facts], sqlglot.parse_one(condition)) is implied


def test_a_single_fact_passed_on_as_it_is_is_the_whole_query() -> None:
    """No CTE around one fact whose columns the answer shows as they are: the SQL a person
    would write. A share, a ratio or a second fact still reads the fact as a CTE."""
    layer = load_layer(DEMO)[0]

    def sql(**query: Any) -> exp.Select:
        compiled = Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query))
        assert isinstance(compiled.expression, exp.Select)
        return compiled.expression

    top = sql(metrics=["cart_adds"], dimensions=["product_name"], order_by=[{"field": "cart_adds"}], limit=5)
    assert top.args.get("with_") is None and top.args.get("group") is not None
    assert [p.alias_or_name for p in top.expressions] == ["product_name", "cart_adds"]
    assert top.sql(dialect="duckdb").endswith("ORDER BY cart_adds DESC, product_name ASC LIMIT 5")
    for kept in (
        {"metrics": ["gmv"], "dimensions": ["channel"], "share": ["gmv"]},
        {"metrics": ["avg_spend_per_buyer"], "dimensions": ["channel"]},
        {"metrics": ["gmv", "visitors"], "dimensions": ["channel"]},
        {
            "metrics": ["gmv"],
            "dimensions": ["channel"],
            "metric_filters": [{"metric": "gmv", "op": ">", "value": 1}],
        },
    ):
        assert sql(**kept).args.get("with_") is not None, kept


def test_time_buckets_cost_one_cast_at_most() -> None:
    """A day is the date (no truncation first); the latest snapshot of each month is
    searched grouped by the truncation, cast to a date once per month, not per row."""
    layer = load_layer(DEMO)[0]
    compiler = Compiler(layer, role="admin")
    daily = compiler.compile(SemanticQuery(metrics=["order_count"], time_grain="day")).expression
    assert "DATE_TRUNC" not in daily.sql(dialect="duckdb")
    assert daily.find(exp.Cast).sql(dialect="duckdb") == "CAST(orders.order_time AS DATE)"  # type: ignore[union-attr]
    monthly = compiler.compile(SemanticQuery(metrics=["stock_qty"], time_grain="month")).expression
    latest = next(s for s in monthly.find_all(exp.Subquery) if s.alias == "latest_snapshot").this
    [grouped] = latest.args["group"].expressions
    assert isinstance(grouped, exp.DateTrunc)
    assert isinstance(latest.expressions[0].this, exp.Cast) and latest.expressions[0].this.this == grouped


def test_a_filter_on_a_joined_key_reads_the_joining_column(layer: Any) -> None:
    orders_of_a_user = SemanticQuery(
        dimensions=["orders.order_id", "orders.pay_amount"],
        filters=[{"dimension": "users.user_id", "op": "=", "values": [13963]}],
        limit=5,
    )
    sql = Compiler(layer, role="analyst").compile(orders_of_a_user).sql()
    # user 13963's orders: orders hold the user's key, so users need not be joined
    assert "orders.user_id = 13963" in sql and "users" not in sql
    # a role whose view of users hides rows keeps the join: the view still applies
    east = Compiler(layer, role="east_manager").compile(orders_of_a_user).sql()
    assert "users.user_id = 13963" in east and "JOIN" in east
    # where an order need not have its user, "not user 13963" over the join keeps such
    # orders out, as it always did; "user 13963" still needs no join
    loose = layer.model_copy(
        update={
            "relationships": [
                r.model_copy(update={"required": False}) if r.from_ == "orders.user_id" else r
                for r in layer.relationships
            ]
        }
    )

    def of_user(op: str) -> str:
        query = SemanticQuery(
            dimensions=["orders.order_id"],
            filters=[{"dimension": "users.user_id", "op": op, "values": [13963]}],
            limit=5,
        )
        return Compiler(loose, role="admin").compile(query).sql()

    assert "users.user_id <> 13963" in of_user("!=") and "JOIN" in of_user("!=")
    assert "orders.user_id = 13963" in of_user("=") and "JOIN" not in of_user("=")


def test_a_single_latest_snapshot_is_a_scalar_subquery(layer: Any) -> None:
    sql = (
        Compiler(layer, role="admin")
        .compile(SemanticQuery(metrics=["stock_qty"], dimensions=["warehouse"], time_range=RANGE))
        .sql()
    )
    tree = sqlglot.parse_one(sql)
    equal = next(e for e in tree.find_all(exp.EQ) if isinstance(e.expression, exp.Subquery))
    assert "snapshot_date" in equal.this.sql() and "MAX(" in equal.expression.sql()
    assert "latest_snapshot" not in sql  # no join: the engine reads the one time once
