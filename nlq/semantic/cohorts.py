"""Cohort retention: entities grouped by the month of a per-entity time (the first
paid order's month, a governed segment), the metric of each cohort followed month
by month after it, as a share of the cohort's size (the metric in its own month)."""

from __future__ import annotations

from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.columns import ColumnRole, Format, OutputColumn, picked, safe_ratio, side_by_side
from nlq.semantic.model import Label

OFFSET = "month_offset"
SIZE = "cohort_size"
RATE = "retention_rate"


def retention_table(
    activity: exp.Select,
    columns: list[OutputColumn],
    cohort: str,
    bucket: str,
    offsets: list[int],
    *,
    averaged: bool = False,
    wide: bool = False,
) -> exp.Select:
    """One row per cohort (and group) and month after it with the metric: the cohort's
    size, the metric, and their ratio. `offsets` keeps only those months (次月留存: 1);
    `wide`, one row per cohort with those months side by side."""
    keys = _keys(columns, cohort)
    metric = next(c for c in columns if c.role == "metric")
    offset = exp.Sub(
        this=exp.Add(
            this=exp.Mul(
                this=exp.paren(
                    exp.Sub(
                        this=exp.Year(this=exp.column(bucket)), expression=exp.Year(this=exp.column(cohort))
                    )
                ),
                expression=exp.Literal.number(12),
            ),
            expression=exp.Month(this=exp.column(bucket)),
        ),
        expression=exp.Month(this=exp.column(cohort)),
    )
    size = exp.Window(
        this=exp.Max(
            this=exp.Case().when(exp.column(bucket).eq(exp.column(cohort)), exp.column(metric.name))
        ),
        partition_by=[exp.column(cohort), *[exp.column(k) for k in keys]],
    )
    sized = exp.select(
        exp.column(cohort),
        *[exp.column(k) for k in keys],
        exp.column(bucket),
        offset.as_(OFFSET),
        size.as_(SIZE),
        exp.column(metric.name),
        copy=False,
    ).from_(activity.subquery("activity", copy=False), copy=False)
    final = exp.select(
        exp.column(cohort),
        *[exp.column(k) for k in keys],
        exp.column(OFFSET),
        exp.column(bucket),
        exp.column(SIZE),
        exp.column(metric.name),
        safe_ratio(exp.column(metric.name), exp.column(SIZE)).as_(RATE),
        copy=False,
    ).from_(sized.subquery("cohorts", copy=False), copy=False)
    if offsets:
        final = final.where(exp.column(OFFSET).isin(*[exp.Literal.number(k) for k in offsets]), copy=False)
    if wide:
        return _side_by_side(final, [cohort, *keys], offsets, metric.name)
    final = final.order_by(exp.column(cohort), *[exp.column(k) for k in keys], exp.column(OFFSET), copy=False)
    return _averaged(final, keys) if averaged else final


def _side_by_side(table: exp.Select, keys: list[str], offsets: list[int], metric: str) -> exp.Select:
    """A row per cohort: its size, then each month listed, the metric and the rate (a
    month nobody came back in is 0, not missing)."""
    months = [
        picked(OFFSET, exp.Literal.number(k), figure, _month_name(k, figure), fill=exp.Literal.number(0))
        for k in offsets
        for figure in (metric, RATE)
    ]
    return side_by_side(table, "retention", keys, [exp.Max(this=exp.column(SIZE)).as_(SIZE), *months])


def _month_name(k: int, figure: str) -> str:
    return f"month_{k}_{figure}"


def retention_columns(
    columns: list[OutputColumn], cohort: str, *, averaged: bool = False, wide: list[int] | None = None
) -> list[OutputColumn]:
    """The retention table's columns, from those of the activity it reads; with `wide`
    (the months listed), the metric and rate of each month after the cohort's."""
    keys = _keys(columns, cohort)
    metric = next(c for c in columns if c.role == "metric")
    by_name = {c.name: c for c in columns}
    offset = OutputColumn(OFFSET, "offset", Label.worded(Text("semantic.month_offset")))
    rate = Label.worded(Text("semantic.retention_rate"))
    if averaged:
        label = Label.worded(Text("semantic.average_retention_rate"))
        return [*[by_name[k] for k in keys], offset, OutputColumn(RATE, "retention", label, "percent")]
    size = OutputColumn(
        SIZE, "metric", Label.worded(Text("semantic.cohort_size", label=metric.label)), metric.format
    )
    if wide is not None:
        figures: list[tuple[str, ColumnRole, Label, Format | None]] = [
            (metric.name, "metric", metric.label, metric.format),
            (RATE, "retention", rate, "percent"),
        ]
        months = [
            OutputColumn(
                _month_name(k, name),
                role,
                Label.worded(Text("semantic.in_month_after", month=k, figure=label)),
                format,
                metric=metric.metric,
            )
            for k in wide
            for name, role, label, format in figures
        ]
        return [by_name[cohort], *[by_name[k] for k in keys], size, *months]
    # the calendar month of each month after (2026-03 of the January cohort's month 2)
    months = [c for c in columns if c.role == "time"]
    return [
        by_name[cohort],
        *[by_name[k] for k in keys],
        offset,
        *months[:1],
        size,
        metric,
        OutputColumn(RATE, "retention", rate, "percent"),
    ]


def _keys(columns: list[OutputColumn], cohort: str) -> list[str]:
    return [c.name for c in columns if c.role == "dimension" and c.name != cohort]


def _averaged(table: exp.Select, keys: list[str]) -> exp.Select:
    """平均次月留存率: each month after the cohort's, the mean of the cohorts' rates (each
    cohort weighs the same, whatever its size)."""
    table.set("order", None)
    groups = [*[exp.column(k) for k in keys], exp.column(OFFSET)]
    return (
        exp.select(*groups, exp.Avg(this=exp.column(RATE)).as_(RATE), copy=False)
        .from_(table.subquery("retention", copy=False), copy=False)
        .group_by(*[g.copy() for g in groups], copy=False)
        .order_by(*[g.copy() for g in groups], copy=False)
    )
