"""The calendar and arithmetic the compiler relies on, evaluated by each engine:
date truncation at every grain (weeks start on Monday), month arithmetic at a
month end, division of integers and decimals, and NULL ordering. Each
expression is built as the compiler builds it, rewritten by
nlq.engines.rewrites for the engine, and must give DuckDB's value."""

from __future__ import annotations

import pytest
from sqlglot import exp

from nlq.engines import open_connector, rewrite
from nlq.eval.scoring import canonical, equal

ENGINES = ["postgres", "mysql", "chdb", "spark"]
DATE = exp.DataType.build("date")
TIMESTAMP = exp.DataType.build("timestamp")

# A Sunday late in the evening, a Monday, a leap day, a year end.
MOMENTS = ["2026-06-28 23:59:59", "2026-06-29 00:00:00", "2024-02-29 12:00:00", "2025-12-31 18:30:00"]


def _moment(text: str) -> exp.Expr:
    return exp.cast(exp.Literal.string(text), TIMESTAMP)


def probes() -> list[tuple[str, exp.Expr]]:
    found: list[tuple[str, exp.Expr]] = []
    for moment in MOMENTS:
        for grain in ("DAY", "WEEK", "MONTH", "QUARTER", "YEAR"):
            bucket = exp.DateTrunc(this=_moment(moment), unit=exp.Literal.string(grain))
            found.append((f"{grain} of {moment}", exp.cast(bucket, DATE)))
        # A previous-year bucket is shifted by 12 months before truncating.
        shifted = exp.DateAdd(this=_moment(moment), expression=exp.Literal.number(12), unit=exp.var("MONTH"))
        found.append(
            (
                f"month of {moment} + 12 months",
                exp.cast(exp.DateTrunc(this=shifted, unit=exp.Literal.string("MONTH")), DATE),
            )
        )
    month_end = exp.cast(exp.Literal.string("2026-01-31"), DATE)
    found.append(
        (
            "2026-01-31 + 1 month",
            exp.cast(
                exp.DateAdd(this=month_end, expression=exp.Literal.number(1), unit=exp.var("MONTH")), DATE
            ),
        )
    )
    found.append(("7 / 2", exp.Div(this=exp.Literal.number(7), expression=exp.Literal.number(2))))
    decimal = exp.DataType.build("decimal(12, 2)")
    found.append(
        (
            "decimal / decimal",
            exp.Div(
                this=exp.cast(exp.Literal.number("1.00"), decimal),
                expression=exp.cast(exp.Literal.number("3.00"), decimal),
            ),
        )
    )
    return found


@pytest.fixture(scope="module")
def expected(engine_urls: dict[str, str]) -> list[object]:
    duck = open_connector(engine_urls["duckdb"])
    try:
        select = exp.select(*[e.as_(f"p{i}") for i, (_, e) in enumerate(probes())])
        return [canonical(v) for v in duck.execute(select.sql("duckdb")).json_rows()[0]]
    finally:
        duck.close()


def test_duckdb_reference_values(expected: list[object]) -> None:
    named = dict(zip([name for name, _ in probes()], expected, strict=True))
    assert (
        named["WEEK of 2026-06-28 23:59:59"] == "2026-06-22"
    )  # Sunday belongs to the week of Monday the 22nd
    assert named["WEEK of 2026-06-29 00:00:00"] == "2026-06-29"
    assert named["QUARTER of 2025-12-31 18:30:00"] == "2025-10-01"
    assert named["2026-01-31 + 1 month"] == "2026-02-28"
    assert named["7 / 2"] == 3.5


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_calendar_and_arithmetic_match_duckdb(
    engine: str, engine_urls: dict[str, str], expected: list[object]
) -> None:
    connector = open_connector(engine_urls[engine])
    try:
        select = exp.select(*[e.as_(f"p{i}") for i, (_, e) in enumerate(probes())])
        if engine == "mysql" or engine == "chdb":
            select = select.from_("campaigns").limit(1)  # a FROM keeps every engine's parser happy
        row = connector.execute(rewrite(select, connector.dialect).sql(connector.dialect)).json_rows()[0]
    finally:
        connector.close()
    mismatches = [
        f"{name}: {engine} {canonical(value)!r}, DuckDB {reference!r}"
        for (name, _), value, reference in zip(probes(), row, expected, strict=True)
        if not equal(canonical(value), reference)
    ]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("engine", ENGINES)
def test_nulls_sort_last_both_ways(engine: str, engine_urls: dict[str, str]) -> None:
    connector = open_connector(engine_urls[engine])
    try:
        for desc, values in ((False, [1, 2, None]), (True, [2, 1, None])):
            # The values 1 and 2 from a table and a NULL from a second branch of the union.
            rows = (
                exp.select(exp.column("campaign_id").as_("x"))
                .from_("campaigns")
                .where(exp.column("campaign_id").isin(1, 2))
            )
            nulls = exp.select(exp.cast(exp.null(), "bigint").as_("x"))
            union = exp.union(rows, nulls, distinct=False)
            query = (
                exp.select("x")
                .from_(union.subquery("u"))
                .order_by(exp.Ordered(this=exp.column("x"), desc=desc, nulls_first=False))
            )
            result = connector.execute(rewrite(query, connector.dialect).sql(connector.dialect)).rows
            assert [r[0] for r in result] == values, (engine, desc)
    finally:
        connector.close()
