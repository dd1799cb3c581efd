"""The columns of a compiled answer: what each is (a grouping, a figure, one computed
from a figure), how it is labelled and formatted; and the arithmetic every
construct shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from nlq.semantic.model import Format, Label

DOUBLE = exp.DataType.build("double")


def safe_ratio(numerator: exp.Expr, denominator: exp.Expr) -> exp.Expr:
    """numerator / denominator as a fraction on every engine: the cast avoids integer
    division (PostgreSQL), NULLIF turns a zero denominator into NULL, not an error."""
    return exp.Div(
        this=exp.cast(numerator, DOUBLE),
        expression=exp.Nullif(this=denominator, expression=exp.Literal.number(0)),
    )


def part_and_whole(part: exp.Expr, whole: exp.Expr, names: tuple[str, str, str]) -> list[exp.Expr]:
    """A part of a whole, the whole and the part's share of it, as three columns."""
    share = safe_ratio(part.copy(), whole.copy())
    return [part.as_(names[0]), whole.as_(names[1]), share.as_(names[2])]


def picked(key: str, value: exp.Expr, figure: str, name: str, fill: exp.Expr | None = None) -> exp.Expr:
    """A cell of rows laid side by side: the `figure` of the group's row whose `key` is
    `value` (a funnel step's users, a cohort month's rate), else `fill` (NULL)."""
    cell: exp.Expr = exp.Max(this=exp.Case().when(exp.column(key).eq(value), exp.column(figure)))
    if fill is not None:
        cell = exp.Coalesce(this=cell, expressions=[fill])
    return cell.as_(name)


def side_by_side(table: exp.Select, alias: str, keys: list[str], cells: list[exp.Expr]) -> exp.Select:
    """A row per group of `keys` of `table`, with its rows' `cells` (picked) side by side."""
    groups = [exp.column(k) for k in keys]
    select = exp.select(*groups, *cells, copy=False).from_(table.subquery(alias, copy=False), copy=False)
    if not groups:
        return select
    return select.group_by(*groups, copy=False).order_by(*[g.copy() for g in groups], copy=False)


# What a column of an answer is: a grouping, a time bucket, a figure, or one computed
# from a figure (the compared period's, the change, the growth, a share, a rank, a
# running total).
ColumnRole = Literal[
    "dimension",
    "time",
    "metric",
    "component",
    "previous",
    "change",
    "growth",
    "share",
    "rank",
    "cumulative",
    "moving",
    "step",
    "conversion",
    "offset",
    "retention",
    # why a figure changed: a value's part of the change, the share of it explained, the
    # rate and mix effects of a ratio, a dimension's surprise
    "contribution",
    "explained",
    "effect",
    "score",
    # what is unusual: a day's usual value, the band around it, whether it left the band
    "expected",
    "band",
    "flag",
    # what comes next: a forecast figure, never an actual one
    "forecast",
]


@dataclass(frozen=True)
class OutputColumn:
    name: str
    role: ColumnRole
    label: Label
    format: Format | None = None
    metric: str | None = None
