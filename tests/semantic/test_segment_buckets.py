"""A segment the period decides (新客, 购买频次, RFM), asked by time buckets, is decided in
each bucket within one pass over the facts (the segment's rows per entity and bucket):
its answer equals the one of each bucket asked as its own period, stacked - the way it was
computed before, 6x slower - for buckets that start mid-period, figures beside the
segment, segments of the period's rows and those that read the bucket's last day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.semantic.compiler import Compiler
from nlq.semantic.loader import load_layer
from nlq.semantic.query import SemanticQuery

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
YEAR = {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 6, 30)}
MID = {"start": dt.date(2026, 3, 18), "end": dt.date(2026, 6, 17)}  # weeks cut at both ends

QUERIES: dict[str, dict[str, Any]] = {
    "new and returning buyers each month": {
        "metrics": ["buyers"],
        "dimensions": ["buyer_type"],
        "time_grain": "month",
        "time_range": YEAR,
    },
    "new buyers' GMV and orders each week of a cut period": {
        "metrics": ["gmv", "order_count"],
        "time_grain": "week",
        "time_range": MID,
        "filters": [{"dimension": "buyer_type", "values": ["新客"]}],
    },
    "purchase frequency each month by channel": {
        "metrics": ["buyers"],
        "dimensions": ["purchase_frequency", "channel"],
        "time_grain": "month",
        "time_range": YEAR,
    },
    "RFM segments each quarter (the bucket's last day)": {
        "metrics": ["buyers"],
        "dimensions": ["rfm_segment"],
        "time_grain": "quarter",
        "time_range": {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)},
    },
    "recency each month of a period ending mid-month": {
        "metrics": ["buyers"],
        "dimensions": ["recency_level"],
        "time_grain": "month",
        "time_range": MID,
    },
}


@pytest.fixture(scope="module")
def compiler() -> Compiler:
    return Compiler(load_layer(DEMO)[0], role="admin")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in con.sql(sql).fetchall()),
        key=repr,
    )


@pytest.mark.parametrize("name", QUERIES)
def test_each_bucket_decided_in_one_pass_equals_each_bucket_asked_alone(
    compiler: Compiler, con: duckdb.DuckDBPyConnection, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = SemanticQuery.model_validate(QUERIES[name])
    shared = compiler.compile(query).sql()
    assert "bucket" in shared  # one pass: the segment's rows per entity and bucket
    monkeypatch.setattr(Compiler, "_buckets_shared", lambda self, q: False)
    alone = compiler.compile(query).sql()
    assert "UNION ALL" in alone
    expected = _rows(con, alone)
    assert expected and _rows(con, shared) == expected


def test_a_segment_of_every_day_is_no_longer_limited_to_36_buckets(
    compiler: Compiler, con: duckdb.DuckDBPyConnection
) -> None:
    # asked bucket by bucket, 60 days were too many parts; in one pass they are one query
    query = SemanticQuery.model_validate(
        {
            "metrics": ["buyers"],
            "time_grain": "day",
            "time_range": {"start": dt.date(2026, 5, 2), "end": dt.date(2026, 6, 30)},
            "filters": [{"dimension": "buyer_type", "values": ["新客"]}],
        }
    )
    expected = dict(
        con.sql(
            """WITH f AS (SELECT user_id, MIN(order_time) AS t FROM orders WHERE pay_time IS NOT NULL GROUP BY 1)
               SELECT CAST(t AS DATE), COUNT(*) FROM f
               WHERE t >= TIMESTAMP '2026-05-02' AND t < TIMESTAMP '2026-07-01' GROUP BY 1"""
        ).fetchall()
    )
    found = dict(con.sql(compiler.compile(query).sql()).fetchall())
    assert len(found) == 60 and found == expected


def test_a_segment_read_by_two_facts_is_computed_once(
    compiler: Compiler, con: duckdb.DuckDBPyConnection
) -> None:
    # GMV (order lines) and orders (orders) by new and returning buyer: two facts, one segment
    query = SemanticQuery.model_validate(
        {
            "metrics": ["gmv", "order_count"],
            "dimensions": ["buyer_type"],
            "time_range": {"start": dt.date(2026, 5, 1), "end": dt.date(2026, 5, 31)},
        }
    )
    sql = compiler.compile(query).sql()
    assert sql.count("MIN(orders.order_time)") == 1
    expected = con.sql(
        """WITH f AS (SELECT user_id, MIN(order_time) AS first FROM orders WHERE pay_time IS NOT NULL GROUP BY 1),
                o AS (SELECT o.order_id, o.user_id, SUM(i.amount) AS amount FROM orders o JOIN order_items i USING (order_id)
                      WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-05-01'
                      AND o.order_time < TIMESTAMP '2026-06-01' GROUP BY 1, 2)
           SELECT CASE WHEN f.first >= TIMESTAMP '2026-05-01' THEN '新客' ELSE '老客' END, SUM(amount)::DOUBLE, COUNT(*)
           FROM o JOIN f USING (user_id) GROUP BY 1"""
    ).fetchall()
    found = [(kind, float(gmv), orders) for kind, gmv, orders in con.sql(sql).fetchall()]
    assert sorted(found) == sorted((kind, pytest.approx(gmv), orders) for kind, gmv, orders in expected)


def test_entities_counted_per_entity_first_leave_out_rows_of_none(compiler: Compiler) -> None:
    # a walk-in's sale (no member) made a group of its own, counted as one member, when the
    # members were counted per member first (teashop: active members by gender)
    query = SemanticQuery.model_validate(
        {
            "metrics": ["buyers"],
            "dimensions": ["users.gender"],
            "filters": [{"dimension": "category", "values": ["美妆"]}],
        }
    )
    sql = compiler.compile(query).sql()
    assert "NOT orders.user_id IS NULL" in sql and "COUNT(per_entity.entity)" in sql
