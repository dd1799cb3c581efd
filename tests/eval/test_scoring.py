"""Every scoring rule of shared/spec/interfaces.md, one test each."""

from __future__ import annotations

import datetime as dt
import decimal

from nlq.eval.scoring import ResultSet, match_result, score

GOLD = ResultSet(["channel", "gmv"], [["天猫", 100.0], ["京东", 80.5], ["抖音", 60.25]])


def ok(gold: ResultSet, predicted: ResultSet, ordered: bool = False) -> bool:
    return match_result(gold, predicted, ordered=ordered)[0]


def test_identical_results_match() -> None:
    assert ok(GOLD, GOLD)


def test_permuted_columns_match() -> None:
    assert ok(GOLD, ResultSet(["v", "c"], [[r[1], r[0]] for r in GOLD.rows]))


def test_extra_predicted_columns_are_allowed() -> None:
    predicted = ResultSet(["c", "share", "v"], [[r[0], 0.1, r[1]] for r in GOLD.rows])
    assert ok(GOLD, predicted)


def test_missing_column_fails_with_a_reason() -> None:
    matched, reason = match_result(GOLD, ResultSet(["c"], [[r[0]] for r in GOLD.rows]), ordered=False)
    assert not matched and "columns" in reason


def test_order_ignored_unless_it_matters() -> None:
    reversed_rows = ResultSet(GOLD.columns, list(reversed(GOLD.rows)))
    assert ok(GOLD, reversed_rows)
    assert not ok(GOLD, reversed_rows, ordered=True)
    assert ok(GOLD, GOLD, ordered=True)


def test_relative_tolerance_is_1e_4() -> None:
    assert ok(ResultSet(["x"], [[1000.0]]), ResultSet(["x"], [[1000.0 * (1 + 1e-5)]]))
    assert not ok(ResultSet(["x"], [[1000.0]]), ResultSet(["x"], [[1000.0 * (1 + 1e-3)]]))
    # fractions are not percentages
    assert not ok(ResultSet(["r"], [[0.1234]]), ResultSet(["r"], [[12.34]]))


def test_int_decimal_and_float_are_numbers_but_strings_are_not() -> None:
    assert ok(ResultSet(["n"], [[42]]), ResultSet(["n"], [[decimal.Decimal("42.00")]]))
    assert ok(ResultSet(["n"], [[42]]), ResultSet(["n"], [[42.0]]))
    assert not ok(ResultSet(["n"], [[42]]), ResultSet(["n"], [["42"]]))


def test_null_equals_null_only() -> None:
    assert ok(ResultSet(["a", "b"], [["x", None]]), ResultSet(["a", "b"], [["x", None]]))
    assert not ok(ResultSet(["a", "b"], [["x", None]]), ResultSet(["a", "b"], [["x", 0]]))
    assert ok(ResultSet(["a"], [[None]]), ResultSet(["a"], [[float("nan")]]))


def test_dates_and_timestamps() -> None:
    day = ResultSet(["d"], [[dt.date(2026, 4, 1)]])
    assert ok(day, ResultSet(["d"], [[dt.datetime(2026, 4, 1)]]))  # midnight is the date
    assert ok(day, ResultSet(["d"], [["2026-04-01"]]))
    assert ok(day, ResultSet(["d"], [["2026-04-01T00:00:00"]]))
    assert not ok(day, ResultSet(["d"], [[dt.datetime(2026, 4, 1, 12, 30)]]))
    stamp = ResultSet(["t"], [[dt.datetime(2026, 4, 1, 12, 30)]])
    assert ok(stamp, ResultSet(["t"], [["2026-04-01T12:30:00"]]))


def test_duplicate_rows_count_as_a_multiset() -> None:
    gold = ResultSet(["a"], [["x"], ["x"], ["y"]])
    assert ok(gold, ResultSet(["a"], [["y"], ["x"], ["x"]]))
    assert not ok(gold, ResultSet(["a"], [["x"], ["y"], ["y"]]))


def test_ties_within_tolerance_in_a_multiset() -> None:
    gold = ResultSet(["k", "v"], [["a", 1.00000], ["a", 1.00002], ["a", 2.0]])
    predicted = ResultSet(["k", "v"], [["a", 2.00001], ["a", 1.000015], ["a", 0.999995]])
    assert ok(gold, predicted)


def test_column_mapping_needs_backtracking() -> None:
    # Both gold columns hold the same values; only one mapping keeps the rows together.
    gold = ResultSet(["a", "b", "label"], [[1, 2, "x"], [2, 1, "y"]])
    predicted = ResultSet(["p", "q", "label"], [[2, 1, "x"], [1, 2, "y"]])
    assert ok(gold, predicted)
    # Every column holds the right values, but no mapping rebuilds the gold rows.
    matched, reason = match_result(
        gold, ResultSet(["p", "q", "label"], [[1, 1, "x"], [2, 2, "y"]]), ordered=False
    )
    assert not matched and "not in the same rows" in reason


def test_row_counts_must_be_equal_and_empty_matches_empty() -> None:
    matched, reason = match_result(GOLD, ResultSet(GOLD.columns, GOLD.rows[:2]), ordered=False)
    assert not matched and reason == "row count 2, gold has 3"
    assert ok(ResultSet(["a"], []), ResultSet(["a"], []))


def test_compound_question_needs_every_gold_matched_by_its_own_answer() -> None:
    other = ResultSet(["g", "n"], [["女", 3], ["男", 2]])
    verdict = score(
        expect="answer",
        status="answered",
        answers=[GOLD, other],
        ran_sql=True,
        golds=[GOLD, other],
        ordered=False,
    )
    assert verdict.correct and verdict.matches == [0, 1]
    missing = score(
        expect="answer", status="answered", answers=[GOLD], ran_sql=True, golds=[GOLD, other], ordered=False
    )
    assert not missing.correct
    shared = score(
        expect="answer", status="answered", answers=[GOLD], ran_sql=True, golds=[GOLD, GOLD], ordered=False
    )
    assert not shared.correct  # one answer cannot serve two golds


def test_refusals() -> None:
    assert score(
        expect="refuse", status="refused", answers=[], ran_sql=False, golds=[], ordered=False
    ).correct
    assert score(
        expect="refuse", status="clarify", answers=[], ran_sql=False, golds=[], ordered=False
    ).correct
    answered = score(
        expect="refuse", status="answered", answers=[GOLD], ran_sql=True, golds=[], ordered=False
    )
    assert not answered.correct and "expected a refusal" in answered.reason
    assert not score(
        expect="refuse", status="refused", answers=[GOLD], ran_sql=True, golds=[], ordered=False
    ).correct
    refused_answer = score(
        expect="answer", status="refused", answers=[], ran_sql=False, golds=[GOLD], ordered=False
    )
    assert not refused_answer.correct and refused_answer.reason == "status refused, expected an answer"
