"""Funnels: the governed metric (distinct users) at each step of a funnel the layer
declares, in the funnel's order, with each step's conversion from the one before
and from the first. Steps are counted as the funnel's metric counts them: a user
at a later step need not have been counted at an earlier one."""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.columns import ColumnRole, Format, OutputColumn, picked, safe_ratio, side_by_side
from nlq.semantic.model import Funnel, Label, SemanticLayer

NUMBER = "step_number"
FROM_PREVIOUS = "step_conversion"
FROM_FIRST = "overall_conversion"


def funnel_table(
    counts: exp.Select, columns: list[OutputColumn], steps: list[str], step: str, *, wide: bool = False
) -> exp.Select:
    """The step table over `counts` (the metric by the groups and the step). With two
    steps only (加购到下单的转化率), one row per group: the later step and the
    conversion between them. `wide`: one row per group, the steps side by side."""
    keys = _keys(columns, step)
    metric = next(c for c in columns if c.role == "metric")
    number = exp.Case(this=exp.column(step))
    for position, value in enumerate(steps, start=1):
        number = number.when(exp.Literal.string(value), exp.Literal.number(position), copy=False)
    window = exp.Window(
        partition_by=[exp.column(k) for k in keys] or None,
        order=exp.Order(expressions=[exp.Ordered(this=exp.column(NUMBER))]),
    )
    previous = exp.Lag(this=exp.column(metric.name))
    first = exp.FirstValue(this=exp.column(metric.name))
    numbered = exp.select(exp.Star(), number.as_(NUMBER), copy=False).from_(
        counts.subquery("steps", copy=False), copy=False
    )
    from_previous = exp.Case().when(
        exp.column(NUMBER).eq(exp.Literal.number(1)), exp.cast(exp.Literal.number(1), "double")
    )
    from_previous = from_previous.else_(safe_ratio(exp.column(metric.name), _over(previous, window)))
    converted = exp.select(
        *[exp.column(k) for k in keys],
        exp.column(step),
        exp.column(NUMBER),
        exp.column(metric.name),
        from_previous.as_(FROM_PREVIOUS),
        safe_ratio(exp.column(metric.name), _over(first, window)).as_(FROM_FIRST),
        copy=False,
    ).from_(numbered.subquery("numbered", copy=False), copy=False)
    final = exp.select(
        *[exp.column(k) for k in keys],
        exp.column(step),
        exp.column(metric.name),
        exp.column(FROM_PREVIOUS),
        exp.column(FROM_FIRST),
        copy=False,
    ).from_(converted.subquery("funnel", copy=False), copy=False)
    if wide:
        return _side_by_side(converted, keys, steps, step, metric.name)
    if len(steps) == 2:
        final = final.where(exp.column(NUMBER).eq(exp.Literal.number(2)), copy=False)
    return final.order_by(*[exp.column(k) for k in keys], exp.column(NUMBER), copy=False)


def _side_by_side(
    converted: exp.Select, keys: list[str], steps: list[str], step: str, metric: str
) -> exp.Select:
    """A row per group: each step's figure, and from the second on its conversions."""
    cells = [
        picked(step, exp.Literal.string(value), figure, _wide_name(value, figure))
        for position, value in enumerate(steps)
        for figure in ([metric] if position == 0 else [metric, FROM_PREVIOUS, FROM_FIRST])
    ]
    return side_by_side(converted, "funnel", keys, cells)


def _wide_name(value: str, figure: str) -> str:
    return re.sub(r"\W", "_", f"{value}_{figure}")


def funnel_columns(
    columns: list[OutputColumn], step: str, wide: list[str] | None = None
) -> list[OutputColumn]:
    """The step table's columns, from those of the counts it reads; with `wide` (the
    steps), a column of each step's figure and conversions."""
    keys = _keys(columns, step)
    metric = next(c for c in columns if c.role == "metric")
    shown = [c for c in columns if c.name in keys]
    step_column = next(c for c in columns if c.name == step)
    previous = Label.worded(Text("semantic.step_conversion"))
    first = Label.worded(Text("semantic.overall_conversion"))
    if wide is not None:
        widened = []
        for position, value in enumerate(wide):
            figures: list[tuple[str, ColumnRole, Label, Format | None]] = [
                (metric.name, "metric", metric.label, metric.format)
            ]
            if position:
                figures += [
                    (FROM_PREVIOUS, "conversion", previous, "percent"),
                    (FROM_FIRST, "conversion", first, "percent"),
                ]
            for name, role, label, format in figures:
                worded = Label.worded(Text("semantic.at_step", step=value, figure=label))
                widened.append(
                    OutputColumn(_wide_name(value, name), role, worded, format, metric=metric.metric)
                )
        return [*shown, *widened]
    return [
        *shown,
        OutputColumn(step, "step", step_column.label),
        metric,
        OutputColumn(FROM_PREVIOUS, "conversion", previous, "percent"),
        OutputColumn(FROM_FIRST, "conversion", first, "percent"),
    ]


def _keys(columns: list[OutputColumn], step: str) -> list[str]:
    return [c.name for c in columns if c.role in {"dimension", "time"} and c.name != step]


def _over(function: exp.Expr, window: exp.Window) -> exp.Window:
    over = window.copy()
    over.set("this", function)
    return over


def step_metrics(layer: SemanticLayer, funnel: Funnel) -> dict[str, str]:
    """The metrics that count a funnel's people at one of its steps (visitors: the
    funnel metric's distinct users with `event_type = 'view'`), with that step."""
    base = layer.measure_of(funnel.metric)
    name = funnel.step.rpartition(".")[2]
    found: dict[str, str] = {}
    for metric in layer.metrics:
        measured = layer.measure_of(metric.name)
        if base is None or measured is None or measured[0].name != base[0].name:
            continue
        measure = measured[1]
        if (measure.agg, measure.expr) != (base[1].agg, base[1].expr) or not measure.filter:
            continue
        condition = sqlglot.parse_one(measure.filter)
        if (
            isinstance(condition, exp.EQ)
            and isinstance(condition.this, exp.Column)
            and condition.this.name == name
            and isinstance(condition.expression, exp.Literal)
            and condition.expression.this in funnel.steps
        ):
            found[metric.name] = condition.expression.this
    return found
