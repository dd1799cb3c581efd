"""The dev benchmark (eval/benchmarks/dev.jsonl): its shape, its coverage, and gold SQL
that runs on the scale-1, seed-42 demo warehouse with plausible, unambiguous results.

Conventions checked here are documented in eval/benchmarks/README.md."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from nlq.eval.benchmark import BenchmarkItem, load_benchmark

DEV = Path(__file__).resolve().parents[1] / "eval" / "benchmarks" / "dev.jsonl"

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
RATIOS = {"gross_margin", "refund_rate", "repurchase_rate", "conversion_rate", "positive_rate"}
FEATURES = {
    "time",
    "dimension",
    "filter",
    "topn",
    "bottomn",
    "rank",
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
    "detail",
    "campaign",
    "term",
    "ratio",
    "average",
    "cumulative",
    "change",
    "segment",
    "funnel",
    "cohort",
    "moving",
    "children",
}
REFUSALS = {"write", "ddl", "file", "credentials", "injection", "offtopic", "pii"}
VOCABULARY = {"zh", "en", "refuse"} | GLOSSARY | FEATURES | REFUSALS

ITEMS = load_benchmark(DEV)  # also rejects bad JSON, duplicate ids and answers without gold SQL
ANSWERS = [i for i in ITEMS if i.expect == "answer"]
REFUSED = [i for i in ITEMS if i.expect == "refuse"]
FINAL_LIMIT = re.compile(r"ORDER BY\s+(.+?)(?:\s+(ASC|DESC))?\s+LIMIT\s+(\d+)\s*$", re.IGNORECASE | re.DOTALL)


def _language(item: BenchmarkItem) -> str:
    languages = {"zh", "en"} & set(item.tags)
    assert len(languages) == 1, f"{item.id}: needs exactly one of the tags zh/en"
    return languages.pop()


def test_every_line_is_one_json_object() -> None:
    lines = [line for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == len(ITEMS)
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids))
    assert "\\u" not in DEV.read_text(encoding="utf-8"), "write the file with ensure_ascii=False"


def test_ids_tags_and_languages() -> None:
    for item in ITEMS:
        language = _language(item)
        unknown = set(item.tags) - VOCABULARY
        assert not unknown, f"{item.id}: tags outside the vocabulary: {unknown}"
        expected = r"ref-\d{3}" if item.expect == "refuse" else rf"{language}-\d{{3}}"
        assert re.fullmatch(expected, item.id), f"{item.id}: id should look like {expected}"


def test_size_and_languages() -> None:
    languages = Counter(_language(i) for i in ANSWERS)
    assert len(ITEMS) >= 250
    assert languages["zh"] >= 160
    assert languages["en"] >= 60
    assert len(REFUSED) >= 25


def test_coverage() -> None:
    tags = Counter(t for i in ITEMS for t in i.tags)
    for metric in GLOSSARY:
        assert tags[metric] >= 3, f"glossary metric {metric} is asked fewer than 3 times"
    for feature in FEATURES:
        assert tags[feature] >= 1, feature
    assert len({i.as_of for i in ANSWERS}) >= 5
    assert {dt.date(2026, 6, 30), dt.date(2026, 6, 15), dt.date(2026, 5, 20), dt.date(2026, 3, 31)} <= {
        i.as_of for i in ANSWERS
    }
    assert dt.date(2025, 12, 31) in {i.as_of for i in ANSWERS}
    assert {t for i in REFUSED for t in i.tags} >= REFUSALS


def test_answers_and_refusals_are_well_formed() -> None:
    for item in REFUSED:
        assert not item.golds, item.id
        assert "refuse" in item.tags, item.id
    for item in ANSWERS:
        assert item.as_of is not None, f"{item.id}: pin as_of"
        assert "refuse" not in item.tags, item.id
        if item.order_matters:
            assert all(re.search(r"\bORDER BY\b", sql, re.IGNORECASE) for sql in item.golds), item.id
        if {"topn", "bottomn"} & set(item.tags):
            assert any(FINAL_LIMIT.search(sql) for sql in item.golds), (
                f"{item.id}: a ranking needs ORDER BY ... LIMIT"
            )
        if "profile" in item.tags:
            assert len(item.golds) >= 4, (
                f"{item.id}: a profile is gender, age_group, city_tier and member_level"
            )


def _check_ranking(con: duckdb.DuckDBPyConnection, item: BenchmarkItem, sql: str, rows: list[tuple]) -> None:
    """A top-N has N rows and no tie at the N-th place (else the gold is not the one right answer)."""
    match = FINAL_LIMIT.search(sql)
    if match is None:
        return
    key, n = match.group(1).strip(), int(match.group(3))
    assert len(rows) == n, f"{item.id}: LIMIT {n} but {len(rows)} rows"
    column = int(key) - 1 if key.isdigit() else len(rows[0]) - 1
    more = con.execute(sql[: match.start(3)] + str(n + 1)).fetchall()
    if len(more) > n:
        assert more[n - 1][column] != more[n][column], f"{item.id}: tie at place {n}"
    if item.order_matters:
        values = [r[column] for r in rows]
        assert len(set(values)) == len(values), f"{item.id}: ties inside an ordered ranking"


def _check_values(item: BenchmarkItem, rows: list[tuple]) -> None:
    tags = set(item.tags)
    floats = [j for j in range(len(rows[0])) if any(isinstance(r[j], float) for r in rows)]
    if tags & GLOSSARY and tags & GLOSSARY <= RATIOS and not tags & {"yoy", "pop"}:
        for j in floats:
            assert all(r[j] is None or 0 <= r[j] <= 1 for r in rows), f"{item.id}: a ratio outside 0..1"
    if "share" in tags:
        for j in floats:
            assert all(0 <= r[j] <= 1 for r in rows), f"{item.id}: a share outside 0..1"
            if "dimension" in tags:
                # of the total, or within each value of the first column (a share within a group)
                groups = {r[0] for r in rows} if abs(sum(r[j] for r in rows) - 1) >= 1e-9 else {None}
                for group in groups:
                    total = sum(r[j] for r in rows if group is None or r[0] == group)
                    assert abs(total - 1) < 1e-9, f"{item.id}: shares do not add up to 1"
    if "trend" in tags and item.order_matters:
        periods = [r[0] for r in rows]
        assert all(isinstance(p, dt.date) for p in periods), f"{item.id}: a trend starts with its DATE bucket"
        assert periods == sorted(set(periods)), f"{item.id}: a trend is ordered by period"


@pytest.mark.parametrize("item", ANSWERS, ids=lambda i: i.id)
def test_gold_sql_runs_with_plausible_results(con: duckdb.DuckDBPyConnection, item: BenchmarkItem) -> None:
    for sql in item.golds:
        rows = con.execute(sql).fetchall()
        assert rows, f"{item.id}: empty result"
        for j in range(len(rows[0])):
            assert any(r[j] is not None for r in rows), f"{item.id}: column {j} is all NULL"
        _check_ranking(con, item, sql, rows)
        _check_values(item, rows)
