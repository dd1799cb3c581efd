"""Calendar arithmetic against the examples and rules of shared/spec/time.md."""

from __future__ import annotations

import datetime as dt

import pytest

from nlq.semantic.periods import previous_period, shift_by_grain, shift_months, whole_period, year_over_year

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "keep_end", "expected"),
    [
        (D(2026, 6, 30), -3, True, D(2026, 3, 31)),  # month end stays a month end
        (D(2026, 6, 15), -3, True, D(2026, 3, 15)),
        (D(2026, 5, 31), -3, False, D(2026, 2, 28)),  # clamped
        (D(2024, 2, 29), -12, False, D(2023, 2, 28)),
        (D(2026, 1, 31), 1, False, D(2026, 2, 28)),
        (D(2025, 12, 15), 1, False, D(2026, 1, 15)),
    ],
)
def test_shift_months(day: dt.date, months: int, keep_end: bool, expected: dt.date) -> None:
    assert shift_months(day, months, keep_month_end=keep_end) == expected


def test_whole_period() -> None:
    assert whole_period(D(2026, 5, 1), D(2026, 5, 31)) == "month"
    assert whole_period(D(2026, 4, 1), D(2026, 6, 30)) == "quarter"
    assert whole_period(D(2025, 1, 1), D(2025, 12, 31)) == "year"
    assert whole_period(D(2026, 5, 1), D(2026, 5, 30)) is None


def test_year_over_year() -> None:
    assert year_over_year(D(2026, 4, 1), D(2026, 6, 30)) == (D(2025, 4, 1), D(2025, 6, 30))
    assert year_over_year(D(2024, 2, 1), D(2024, 2, 29)) == (D(2023, 2, 1), D(2023, 2, 28))
    assert year_over_year(D(2026, 3, 16), D(2026, 6, 15)) == (D(2025, 3, 16), D(2025, 6, 15))


def test_previous_period() -> None:
    # A calendar month is compared with the previous calendar month, of whatever length.
    assert previous_period(D(2026, 3, 1), D(2026, 3, 31)) == (D(2026, 2, 1), D(2026, 2, 28))
    assert previous_period(D(2026, 4, 1), D(2026, 6, 30)) == (D(2026, 1, 1), D(2026, 3, 31))
    # Otherwise: equal length, ending the day before.
    assert previous_period(D(2026, 6, 24), D(2026, 6, 30)) == (D(2026, 6, 17), D(2026, 6, 23))
    assert previous_period(D(2026, 6, 1), D(2026, 6, 15)) == (D(2026, 5, 17), D(2026, 5, 31))


def test_shift_by_grain() -> None:
    assert shift_by_grain(D(2026, 6, 15), "week", -1) == D(2026, 6, 8)
    assert shift_by_grain(D(2026, 6, 30), "month", -1) == D(2026, 5, 31)
    assert shift_by_grain(D(2026, 6, 30), "quarter", -1) == D(2026, 3, 31)
    assert shift_by_grain(D(2026, 6, 30), "day", -1) == D(2026, 6, 29)
