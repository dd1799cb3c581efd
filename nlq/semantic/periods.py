"""Calendar arithmetic on closed date ranges, by the conventions of
shared/spec/time.md. The SQL only ever receives the resulting literals."""

from __future__ import annotations

import calendar
import datetime as dt

from nlq.semantic.model import Grain


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def is_month_end(day: dt.date) -> bool:
    return day == month_end(day.year, day.month)


def shift_months(day: dt.date, months: int, *, keep_month_end: bool = False) -> dt.date:
    """`day` moved by whole months, the day clamped to the target month's length;
    with keep_month_end, a month's last day maps to the target month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = month_end(year, month + 1)
    if keep_month_end and is_month_end(day):
        return last
    return dt.date(year, month + 1, min(day.day, last.day))


def grain_start(day: dt.date, grain: Grain) -> dt.date:
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return dt.date(day.year, 1, 1)


def shift_by_grain(day: dt.date, grain: Grain, n: int) -> dt.date:
    if grain == "day":
        return day + dt.timedelta(days=n)
    if grain == "week":
        return day + dt.timedelta(weeks=n)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    return shift_months(day, months * n, keep_month_end=True)


def whole_period(start: dt.date, end: dt.date) -> Grain | None:
    """The calendar grain (month, quarter, year) that [start, end] spans exactly, if any."""
    for grain in ("year", "quarter", "month"):
        if (
            grain_start(start, grain) == start
            and shift_by_grain(start, grain, 1) - dt.timedelta(days=1) == end
        ):
            return grain
    return None


def year_over_year(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same period one year earlier (29 Feb becomes 28 Feb; a month end stays a month end)."""
    return shift_months(start, -12), shift_months(end, -12, keep_month_end=True)


def previous_period(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The period of equal length ending the day before `start`; for a whole
    calendar month, quarter or year, the previous one of those."""
    grain = whole_period(start, end)
    if grain is not None:
        previous_start = shift_by_grain(start, grain, -1)
        return previous_start, start - dt.timedelta(days=1)
    length = (end - start).days + 1
    return start - dt.timedelta(days=length), start - dt.timedelta(days=1)
