"""SQL snippets written in the layer (dimension, measure and filter
expressions), parsed once by sqlglot into a canonical form in which every
column is qualified by the name of the model that holds it."""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp


@lru_cache(maxsize=4096)
def _parse(sql: str, dialect: str) -> exp.Expr:
    return sqlglot.parse_one(sql, read=dialect)


def parse_snippet(sql: str, dialect: str) -> exp.Expr:
    """A fresh copy: callers transform the tree."""
    return _parse(sql, dialect).copy()


def canonical(sql: str, owner: str, dialect: str) -> exp.Expr:
    """`amount - quantity * products.unit_cost` written in model order_items becomes
    `order_items.amount - order_items.quantity * products.unit_cost`."""
    tree = parse_snippet(sql, dialect)
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


def rename_models(tree: exp.Expr, aliases: dict[str, str]) -> exp.Expr:
    """Points columns of the given models at other aliases (inside a semi-join)."""
    for column in tree.find_all(exp.Column):
        if column.table in aliases:
            column.set("table", exp.to_identifier(aliases[column.table]))
    return tree


def date_literal(value: object, sql_type: str) -> exp.Expr:
    return exp.cast(exp.Literal.string(str(value)), exp.DataType.build(sql_type))
