"""Moving averages: each metric's mean over the bucket and the N-1 before it, the
buckets before the asked period included (the first day of June's 7-day average
reads the last six days of May)."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.columns import OutputColumn
from nlq.semantic.expressions import date_literal
from nlq.semantic.model import Label


def moving_average(
    series: exp.Select, columns: list[OutputColumn], bucket: str, window: int, first: dt.date | None
) -> exp.Select:
    """`series` is the metrics by bucket (and groups) from `window - 1` buckets before the
    period; the answer keeps the buckets from `first` (the period's first bucket)."""
    keys = [c.name for c in columns if c.role == "dimension"]
    metrics = [c for c in columns if c.role == "metric"]
    frame = exp.WindowSpec(
        kind="ROWS",
        start=exp.Literal.number(window - 1),
        start_side="PRECEDING",
        end="CURRENT ROW",
    )
    averages = [
        exp.Window(
            this=exp.Avg(this=exp.column(m.name)),
            partition_by=[exp.column(k) for k in keys] or None,
            order=exp.Order(expressions=[exp.Ordered(this=exp.column(bucket))]),
            spec=frame.copy(),
        ).as_(f"{m.name}_moving")
        for m in metrics
    ]
    moved = exp.select(
        *[exp.column(k) for k in keys],
        exp.column(bucket),
        *[exp.column(m.name) for m in metrics],
        *averages,
        copy=False,
    ).from_(series.subquery("series", copy=False), copy=False)
    final = exp.select(
        *[exp.column(k) for k in keys],
        exp.column(bucket),
        *[exp.column(f"{m.name}_moving") for m in metrics],
        *[exp.column(m.name) for m in metrics],
        copy=False,
    ).from_(moved.subquery("moving", copy=False), copy=False)
    if first is not None:
        final = final.where(
            exp.GTE(this=exp.column(bucket), expression=date_literal(first, "date")), copy=False
        )
    return final.order_by(*[exp.column(k) for k in keys], exp.column(bucket), copy=False)


def moving_columns(columns: list[OutputColumn], bucket: str, window: int) -> list[OutputColumn]:
    """The moving averages' columns, from those of the series they read."""
    by_name = {c.name: c for c in columns}
    metrics = [c for c in columns if c.role == "metric"]
    shown = [c for c in columns if c.role == "dimension"] + [by_name[bucket]]
    shown += [
        OutputColumn(
            f"{m.name}_moving",
            "moving",
            Label.worded(Text("semantic.moving_average", label=m.label, window=window)),
            m.format,
            m.metric,
        )
        for m in metrics
    ]
    shown += [OutputColumn(m.name, "metric", m.label, m.format, m.metric) for m in metrics]
    return shown
