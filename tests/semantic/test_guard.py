"""The guard on the whole AST: writes, DDL, files, system tables and unknown
tables are refused wherever they hide; compiled queries pass with a row cap."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from nlq.semantic.compiler import Compiler
from nlq.semantic.guard import UnsafeQuery, guard, guard_sql
from nlq.semantic.loader import load_layer
from nlq.semantic.query import SemanticQuery

TABLES = {
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
DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM orders",
        "UPDATE users SET phone = '1'",
        "INSERT INTO orders SELECT * FROM orders",
        "DROP TABLE orders",
        "CREATE TABLE x AS SELECT * FROM orders",
        "SELECT * INTO backup FROM orders",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_parquet('s3://bucket/x.parquet')",
        "SELECT * FROM orders WHERE order_id IN (SELECT 1 FROM glob('/etc/*'))",
        "SELECT * FROM information_schema.tables",
        "SELECT * FROM secret_salaries",
        "SELECT 1; DROP TABLE orders",
        "COPY orders TO '/tmp/orders.csv'",
        "ATTACH '/tmp/other.duckdb' AS other",
        "PRAGMA enable_profiling",
        "SET threads = 1",
        "INSTALL httpfs",
        "SELECT getenv('HOME')",
        "WITH t AS (SELECT * FROM orders) SELECT * FROM t JOIN secret ON TRUE",
    ],
)
def test_unsafe_sql_is_refused(sql: str) -> None:
    with pytest.raises(UnsafeQuery) as error:
        guard_sql(sql, dialect="duckdb", tables=TABLES, max_rows=100)
    assert error.value.zh and error.value.kind == "denied"


def test_safe_sql_gets_a_row_cap() -> None:
    capped = guard_sql(
        "SELECT channel, COUNT(*) FROM orders GROUP BY 1", dialect="duckdb", tables=TABLES, max_rows=100
    )
    assert capped.sql().endswith("LIMIT 100")
    kept = guard_sql(
        "WITH t AS (SELECT * FROM orders) SELECT * FROM t LIMIT 5",
        dialect="duckdb",
        tables=TABLES,
        max_rows=100,
    )
    assert kept.sql().endswith("LIMIT 5")
    lowered = guard_sql("SELECT * FROM orders LIMIT 1000000", dialect="duckdb", tables=TABLES, max_rows=100)
    assert lowered.sql().endswith("LIMIT 100")


@pytest.mark.parametrize(
    "query",
    [
        {
            "metrics": ["gmv", "visitors", "refund_rate"],
            "dimensions": ["channel"],
            "compare": "yoy",
            "time_range": {"start": "2026-04-01", "end": "2026-06-30"},
        },
        {"metrics": ["repurchase_rate", "stock_qty"], "time_grain": "month"},
        {"metrics": ["order_count"], "filters": [{"dimension": "reason", "values": ["质量问题"]}]},
    ],
)
def test_every_compiled_query_passes(query: dict[str, object]) -> None:
    layer = load_layer(DEMO)[0]
    for role in ("admin", "east_manager"):
        compiled = Compiler(layer, role=role).compile(SemanticQuery.model_validate(query))
        checked = guard(compiled.expression, tables=TABLES, max_rows=10_001)
        assert sqlglot.parse_one(checked.sql(), read="duckdb") is not None
