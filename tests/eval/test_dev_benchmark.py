"""The dev benchmark itself: shape, coverage, and gold SQL that runs."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from eval.benchmark import load_benchmark

DEV = Path(__file__).resolve().parents[2] / "eval" / "benchmarks" / "dev.jsonl"
GLOSSARY = {
    "gmv",
    "order_count",
    "units_sold",
    "buyers",
    "avg_spend_per_buyer",
    "avg_order_value",
    "discount_amount",
    "gross_profit",
    "gross_margin",
    "refund_amount",
    "refund_rate",
    "repurchase_rate",
    "new_users",
    "visitors",
    "page_views",
    "conversion_rate",
    "cart_adds",
    "review_count",
    "avg_rating",
    "positive_rate",
    "stock_qty",
}
ITEMS = load_benchmark(DEV)


def test_size_and_languages() -> None:
    answers = [i for i in ITEMS if i.expect == "answer"]
    assert len(ITEMS) >= 250
    assert sum(i.language == "zh" for i in answers) >= 160
    assert sum(i.language == "en" for i in answers) >= 60
    assert sum(i.expect == "refuse" for i in ITEMS) >= 25


def test_coverage() -> None:
    tags = {t for i in ITEMS for t in i.tags}
    assert tags >= GLOSSARY
    for needed in (
        "topn",
        "bottomn",
        "trend",
        "yoy",
        "pop",
        "share",
        "distribution",
        "profile",
        "compound",
        "colloquial",
        "numerals",
        "typo",
        "mixed",
        "synonym",
        "campaign",
        "filter",
        "dimension",
    ):
        assert needed in tags, needed
    assert len({i.as_of for i in ITEMS if i.as_of}) >= 5
    refusals = {t for i in ITEMS if i.expect == "refuse" for t in i.tags}
    assert {"write", "ddl", "file", "credentials", "injection", "offtopic", "pii"} <= refusals


def test_refusals_have_no_gold_and_ordered_answers_order() -> None:
    for item in ITEMS:
        if item.expect == "refuse":
            assert not item.golds, item.id
        elif item.order_matters:
            assert all(re.search(r"ORDER BY", sql) for sql in item.golds), item.id


@pytest.mark.parametrize("item", [i for i in ITEMS if i.golds], ids=lambda i: i.id)
def test_gold_sql_runs_and_is_not_empty(con: duckdb.DuckDBPyConnection, item) -> None:  # type: ignore[no-untyped-def]
    for sql in item.golds:
        rows = con.execute(sql).fetchall()
        assert rows, f"{item.id}: empty result"
        for j in range(len(rows[0])):
            assert any(r[j] is not None for r in rows), f"{item.id}: column {j} is all NULL"
