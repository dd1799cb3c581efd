"""SQL snippets written in the layer (dimension, measure and filter
expressions), parsed once by sqlglot into a canonical form in which every
column is qualified by the name of the model that holds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import TypeVar

import sqlglot
from sqlglot import exp

E = TypeVar("E", bound=exp.Expr)


@lru_cache(maxsize=4096)
def _parse(sql: str, dialect: str) -> exp.Expr:
    return _without_positions(sqlglot.parse_one(sql, read=dialect))


def table_reference(name: str, dialect: str) -> exp.Table:
    """A fresh copy of a table name written in the layer (`shop.orders`)."""
    return _table(name, dialect).copy()


@lru_cache(maxsize=1024)
def _table(name: str, dialect: str) -> exp.Table:
    return _without_positions(exp.to_table(name, dialect=dialect))


def _without_positions(tree: E) -> E:
    # The parser notes each token's position in the node's meta; a compiled query never
    # reports them, and copying them made every copy of a snippet three times slower.
    for node in tree.walk():
        node._meta = None
    return tree


def parse_snippet(sql: str, dialect: str) -> exp.Expr:
    """A fresh copy: callers transform the tree."""
    return _parse(sql, dialect).copy()


def canonical(sql: str, owner: str, dialect: str) -> exp.Expr:
    """`amount - quantity * products.unit_cost` written in model order_items becomes
    `order_items.amount - order_items.quantity * products.unit_cost`. A fresh copy."""
    return _canonical(sql, owner, dialect).copy()


@lru_cache(maxsize=4096)
def _canonical(sql: str, owner: str, dialect: str) -> exp.Expr:
    tree = _parse(sql, dialect).copy()
    for column in tree.find_all(exp.Column):
        if not column.table:
            column.set("table", exp.to_identifier(owner))
    return tree


def models_of(tree: exp.Expr) -> set[str]:
    return {c.table for c in tree.find_all(exp.Column) if c.table}


def columns_of(tree: exp.Expr) -> set[tuple[str, str]]:
    return {(c.table, c.name) for c in tree.find_all(exp.Column) if c.table}


def conjuncts(tree: exp.Expr | None) -> list[exp.Expr]:
    if tree is None:
        return []
    return [c.unnest() for c in tree.flatten()] if isinstance(tree, exp.And) else [tree.unnest()]


def and_all(parts: list[exp.Expr]) -> exp.Expr | None:
    if not parts:
        return None
    return exp.and_(*parts) if len(parts) > 1 else parts[0]


def implies(facts: Sequence[exp.Expr], condition: exp.Expr) -> bool:
    """Whether every row that meets all of `facts` (the conditions of a WHERE) meets
    `condition`: each conjunct of it follows from one fact, a fact limiting the same
    column to values the condition allows (`event_type = 'cart'` implies `event_type
    IN ('view', 'cart')`), an OR fact in each of its branches. What it cannot prove
    it takes as not implied."""
    return all(any(_follows(fact, part) for fact in facts) for part in conjuncts(condition))


def _follows(fact: exp.Expr, part: exp.Expr) -> bool:
    fact = fact.unnest()
    if fact == part:
        return True
    if isinstance(fact, exp.And):
        return any(_follows(branch, part) for branch in conjuncts(fact))
    if isinstance(fact, exp.Or):
        return all(_follows(branch, part) for branch in fact.flatten())
    given, allowed = _values_of(fact), _values_of(part)
    return given is not None and allowed is not None and given[0] == allowed[0] and given[1] <= allowed[1]


def _values_of(tree: exp.Expr) -> tuple[exp.Column, frozenset[exp.Expr]] | None:
    """`column = literal` or `column IN (literals)`: the column and the values it may take."""
    if isinstance(tree, exp.EQ):
        values = [tree.expression]
    elif isinstance(tree, exp.In) and not tree.args.get("query"):
        values = list(tree.expressions)
    else:
        return None
    if (
        not isinstance(tree.this, exp.Column)
        or not values
        or not all(isinstance(v, exp.Literal) for v in values)
    ):
        return None
    return tree.this, frozenset(values)


def rename_models(tree: exp.Expr, aliases: dict[str, str]) -> exp.Expr:
    """Points columns of the given models at other aliases (inside a semi-join)."""
    for column in tree.find_all(exp.Column):
        if column.table in aliases:
            column.set("table", exp.to_identifier(aliases[column.table]))
    return tree


AGGREGATES: dict[str, type[exp.AggFunc]] = {
    "sum": exp.Sum,
    "count": exp.Count,
    "avg": exp.Avg,
    "min": exp.Min,
    "max": exp.Max,
}
# A condition's operator, as the expression it builds (gmv > 10000).
COMPARISON: dict[str, type[exp.Binary]] = {
    "=": exp.EQ,
    "!=": exp.NEQ,
    ">": exp.GT,
    ">=": exp.GTE,
    "<": exp.LT,
    "<=": exp.LTE,
}


def aggregate(agg: str, value: exp.Expr | None, condition: exp.Expr | None) -> exp.Expr:
    """An aggregate of `value` (None: the rows themselves, COUNT(*)) over the rows where
    `condition` holds (CASE WHEN inside the aggregate): a measure's, a segment feature's."""
    if value is None:
        if condition is None:
            return exp.Count(this=exp.Star())
        value = exp.Literal.number(1)
    if condition is not None:
        value = exp.Case().when(condition, value)
    if agg == "count_distinct":
        return exp.Count(this=exp.Distinct(expressions=[value]))
    return AGGREGATES[agg](this=value)


def time_bounds(
    time_type: str, time_expr: exp.Expr, start: dt.date | None, end: dt.date | None
) -> list[exp.Expr]:
    """A time within a closed range of days, either end open: at or after the first day,
    before the day after the last (a timestamp on the last day is inside)."""
    sql_type = "date" if time_type == "date" else "timestamp"
    if sql_type == "date" and start is not None and start == end:
        # one day of a date column: equal to it (an equality the engines prune and probe
        # more cheaply than a range)
        return [exp.EQ(this=time_expr.copy(), expression=date_literal(start, sql_type))]
    bounds: list[exp.Expr] = []
    if start is not None:
        bounds.append(exp.GTE(this=time_expr.copy(), expression=date_literal(start, sql_type)))
    if end is not None:
        bounds.append(
            exp.LT(this=time_expr.copy(), expression=date_literal(end + dt.timedelta(days=1), sql_type))
        )
    return bounds


def date_literal(value: object, sql_type: str) -> exp.Expr:
    return exp.Cast(this=exp.Literal.string(str(value)), to=_data_type(sql_type).copy())


@lru_cache(maxsize=64)
def _data_type(sql_type: str) -> exp.DataType:
    return _without_positions(exp.DataType.build(sql_type))
