"""Cohort retention: entities grouped by the month of a per-entity time (the first
paid order's month, a governed segment), the metric of each cohort followed month
by month after it, as a share of the cohort's size (the metric in its own month)."""

from __future__ import annotations

from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.columns import OutputColumn, safe_ratio
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
) -> exp.Select:
    """One row per cohort (and group) and month after it with the metric: the cohort's
    size, the metric, and their ratio. `offsets` keeps only those months (次月留存: 1)."""
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
        offset.as_(OFFSET),
        size.as_(SIZE),
        exp.column(metric.name),
        copy=False,
    ).from_(activity.subquery("activity", copy=False), copy=False)
    final = exp.select(
        exp.column(cohort),
        *[exp.column(k) for k in keys],
        exp.column(OFFSET),
        exp.column(SIZE),
        exp.column(metric.name),
        safe_ratio(exp.column(metric.name), exp.column(SIZE)).as_(RATE),
        copy=False,
    ).from_(sized.subquery("cohorts", copy=False), copy=False)
    if offsets:
        final = final.where(exp.column(OFFSET).isin(*[exp.Literal.number(k) for k in offsets]), copy=False)
    final = final.order_by(exp.column(cohort), *[exp.column(k) for k in keys], exp.column(OFFSET), copy=False)
    return _averaged(final, keys) if averaged else final


def retention_columns(
    columns: list[OutputColumn], cohort: str, *, averaged: bool = False
) -> list[OutputColumn]:
    """The retention table's columns, from those of the activity it reads."""
    keys = _keys(columns, cohort)
    metric = next(c for c in columns if c.role == "metric")
    by_name = {c.name: c for c in columns}
    offset = OutputColumn(OFFSET, "offset", Label.worded(Text("semantic.month_offset")))
    if averaged:
        label = Label.worded(Text("semantic.average_retention_rate"))
        return [*[by_name[k] for k in keys], offset, OutputColumn(RATE, "retention", label, "percent")]
    return [
        by_name[cohort],
        *[by_name[k] for k in keys],
        offset,
        OutputColumn(
            SIZE, "metric", Label.worded(Text("semantic.cohort_size", label=metric.label)), metric.format
        ),
        metric,
        OutputColumn(RATE, "retention", Label.worded(Text("semantic.retention_rate")), "percent"),
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
