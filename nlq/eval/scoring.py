"""Execution accuracy, exactly as shared/spec/interfaces.md defines it.

A gold result is matched by a predicted one when the row counts are equal and
some one-to-one mapping of every gold column onto a predicted column makes the
rows equal: as multisets, or as sequences when order matters. Extra predicted
columns are allowed. Numbers compare with relative tolerance 1e-4; NULL equals
NULL; dates and timestamps compare as ISO strings.

One normalisation is added and documented here: a timestamp at exactly
midnight equals the date (a month bucket is the same bucket whether an engine
returns DATE '2026-04-01' or TIMESTAMP '2026-04-01 00:00:00'), and the ISO
separator may be 'T' or a space.

A predicted answer serves at most one gold result of a compound question, so
"the top products and their buyers by gender" needs two answers."""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

REL_TOL = 1e-4
ABS_TOL = 1e-9
Row = Sequence[Any]


@dataclass(frozen=True)
class ResultSet:
    columns: list[str]
    rows: list[list[Any]]


@dataclass
class Verdict:
    correct: bool
    reason: str = ""
    matches: list[int | None] = field(default_factory=list)  # for each gold, the answer that matched it


def canonical(value: Any) -> Any:
    """Numbers as float, dates and timestamps as ISO strings, NaN as NULL."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | decimal.Decimal):
        return float(value)
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dt.datetime):
        return (
            value.date().isoformat()
            if value.time() == dt.time(0) and value.tzinfo is None
            else value.isoformat(sep=" ")
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return _iso_text(value)
    return str(value)


def _iso_text(text: str) -> str:
    """'2026-04-01T00:00:00' and '2026-04-01 00:00:00' are the date '2026-04-01'."""
    if len(text) >= 19 and text[4] == "-" and text[7] == "-" and text[10] in "T ":
        text = text[:10] + " " + text[11:]
        if text[11:] in {"00:00:00", "00:00:00.000", "00:00:00.000000"}:
            return text[:10]
    return text


def equal(a: Any, b: Any) -> bool:
    """Two canonical values: numbers within tolerance, everything else exactly."""
    if a is None or b is None:
        return a is None and b is None
    a_number = isinstance(a, float) and not isinstance(a, bool)
    b_number = isinstance(b, float) and not isinstance(b, bool)
    if a_number and b_number:
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if a_number != b_number:
        return False
    return bool(a == b) and type(a) is type(b)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, value)
    if isinstance(value, float):
        return (2, value)
    return (3, str(value))


def _same_values(gold: list[Any], predicted: list[Any], ordered: bool) -> bool:
    if not ordered:
        gold, predicted = sorted(gold, key=_sort_key), sorted(predicted, key=_sort_key)
    return all(equal(g, p) for g, p in zip(gold, predicted, strict=True))


def _rows_match(gold: list[tuple[Any, ...]], predicted: list[tuple[Any, ...]], ordered: bool) -> bool:
    if ordered:
        return all(
            all(equal(g, p) for g, p in zip(gr, pr, strict=True))
            for gr, pr in zip(gold, predicted, strict=True)
        )
    # Rows are bucketed by their non-numeric cells (exact), then numbers are matched
    # within a bucket: sorted pairwise first, greedy matching when ties make that fail.
    buckets: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for row in predicted:
        buckets[_exact_part(row)].append(row)
    wanted: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for row in gold:
        wanted[_exact_part(row)].append(row)
    if wanted.keys() != buckets.keys():
        return False
    for key, gold_rows in wanted.items():
        candidates = buckets[key]
        if len(candidates) != len(gold_rows):
            return False
        by_value = lambda row: tuple(_sort_key(v) for v in row)  # noqa: E731
        pairs = zip(sorted(gold_rows, key=by_value), sorted(candidates, key=by_value), strict=True)
        if all(all(equal(g, p) for g, p in zip(gr, pr, strict=True)) for gr, pr in pairs):
            continue
        unused = list(candidates)
        for row in gold_rows:
            found = next((c for c in unused if all(equal(g, p) for g, p in zip(row, c, strict=True))), None)
            if found is None:
                return False
            unused.remove(found)
    return True


def _exact_part(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(v if not isinstance(v, float) or isinstance(v, bool) else "#" for v in row)


def match_result(gold: ResultSet, predicted: ResultSet, *, ordered: bool) -> tuple[bool, str]:
    """Whether `predicted` matches `gold`, and why not."""
    if len(gold.rows) != len(predicted.rows):
        return False, f"row count {len(predicted.rows)}, gold has {len(gold.rows)}"
    if len(predicted.columns) < len(gold.columns):
        return False, f"{len(predicted.columns)} columns, gold has {len(gold.columns)}"
    gold_cols = [[canonical(row[j]) for row in gold.rows] for j in range(len(gold.columns))]
    pred_cols = [[canonical(row[k]) for row in predicted.rows] for k in range(len(predicted.columns))]
    candidates = [
        [k for k, column in enumerate(pred_cols) if _same_values(g, column, ordered)] for g in gold_cols
    ]
    for j, options in enumerate(candidates):
        if not options:
            sample = ", ".join(str(v) for v in gold_cols[j][:3])
            return (
                False,
                f"no predicted column holds the values of gold column {gold.columns[j]} ({sample}, ...)",
            )
    gold_rows = [tuple(row) for row in zip(*gold_cols, strict=True)] if gold_cols else []
    order = sorted(range(len(candidates)), key=lambda j: len(candidates[j]))
    mapping: dict[int, int] = {}

    def search(position: int) -> bool:
        if position == len(order):
            projected = [
                tuple(pred_cols[mapping[j]][i] for j in range(len(gold_cols))) for i in range(len(gold.rows))
            ]
            return _rows_match(gold_rows, projected, ordered)
        j = order[position]
        for k in candidates[j]:
            if k in mapping.values():
                continue
            mapping[j] = k
            if search(position + 1):
                return True
            del mapping[j]
        return False

    if search(0):
        return True, ""
    return False, "the columns hold the gold values but not in the same rows" + (
        " or order" if ordered else ""
    )


def score_forecast(
    *, status: str, forecast_days: list[str], as_of: str, period: tuple[str, str] | None
) -> Verdict:
    """A forecast question is answered right by a forecast of days after as_of that covers
    the days of the period asked about (those after as_of) and no others."""
    if status != "answered":
        return Verdict(False, f"status {status}, expected a forecast")
    if not forecast_days:
        return Verdict(False, "answered without a forecast")
    first, last = min(forecast_days), max(forecast_days)
    if first <= as_of:
        return Verdict(False, f"a forecast of {first}, on or before {as_of}")
    if period is not None:
        # the period's first day, unless it has begun (or as_of is not pinned: then any day in it)
        start = period[0] if as_of and period[0] > as_of else None
        if last != period[1] or first < period[0] or (start is not None and first != start):
            return Verdict(
                False, f"a forecast of {first}..{last}, the period asked is {period[0]}..{period[1]}"
            )
    return Verdict(True)


def score(
    *,
    expect: str,
    status: str,
    answers: list[ResultSet],
    ran_sql: bool,
    golds: list[ResultSet],
    ordered: bool,
) -> Verdict:
    if expect == "refuse":
        if status in {"refused", "clarify"} and not ran_sql:
            return Verdict(True)
        return Verdict(False, f"status {status}{' and SQL was run' if ran_sql else ''}, expected a refusal")
    if status != "answered":
        return Verdict(False, f"status {status}, expected an answer")
    reasons: list[str] = []

    def assign(index: int, used: frozenset[int], matches: list[int | None]) -> list[int | None] | None:
        if index == len(golds):
            return matches
        for a, answer in enumerate(answers):
            if a in used:
                continue
            ok, why = match_result(golds[index], answer, ordered=ordered)
            if ok:
                found = assign(index + 1, used | {a}, [*matches, a])
                if found is not None:
                    return found
            elif why:
                reasons.append(f"gold {index + 1} vs answer {a + 1}: {why}")
        return None

    matched = assign(0, frozenset(), [])
    if matched is not None:
        return Verdict(True, matches=matched)
    if not answers:
        return Verdict(False, "no answer")
    return Verdict(False, "; ".join(dict.fromkeys(reasons)) or "no answer matches")
