"""Rewrites of a plan (nlq.semantic.plan), each a named pass that keeps the answer
and makes the SQL cheaper or plainer, run in order by `optimize` (as sqlglot's
optimizer runs its RULES). Each pass says what it measured to earn its place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlglot import exp

from nlq.semantic.plan import (
    Combine,
    Fact,
    Measure,
    Node,
    Order,
    PerEntity,
    Project,
    Relation,
    Snapshots,
    Table,
    With,
    transform,
)

# Aggregates whose value over one row is that row's value.
VALUE_OF_ONE_ROW = frozenset({"sum", "min", "max", "avg"})


def one_row_per_group(node: Node) -> Node:
    """A fact grouped by its home model's own key, with many-to-one joins only
    (近7天退款金额最大的5笔退款: by refund): every group is one row, and a sum, minimum,
    maximum or average of one value is that value, so nothing is aggregated (the
    grouping took the top 5 refunds to 1.9x the hand-written query at scale 30; 1.4x
    without it)."""
    if not isinstance(node, Fact) or not node.simple or not node.grouped or node.relation.fans_out:
        return node
    key = node.relation.home.primary_key
    home = node.relation.home.name
    grouped = {v.name for _, v in node.keys if isinstance(v, exp.Column) and v.table == home}
    if not ({key} if isinstance(key, str) else set(key)) <= grouped:
        return node
    if not all(m.agg in VALUE_OF_ONE_ROW and m.value is not None and m.focus is None for m in node.measures):
        return node
    measures = tuple(replace(m, expression=_row_value(m)) for m in node.measures)
    return replace(node, measures=measures, grouped=False)


def cheapest_count(node: Node) -> Node:
    """COUNT(DISTINCT key) or COUNT(key) of the home model's own key is COUNT(*) while
    every join is many-to-one: each home row appears once and a key is never null;
    with a condition, COUNT(DISTINCT CASE WHEN c THEN key END) is COUNT(CASE WHEN c
    THEN 1 END). Distinct counting is the costliest aggregate there is (orders
    counted 10-40x slower at scale 10), and COUNT(*) need not even read the column."""
    if not isinstance(node, Fact) or node.relation.fans_out:
        return node
    measures = tuple(m if m.expression is not None else _cheaper(m, node.relation) for m in node.measures)
    if all(a is b for a, b in zip(measures, node.measures, strict=True)):
        return node
    return replace(node, measures=measures)


def side_by_side(node: Node) -> Node:
    """Without keys every fact is one aggregate row: side by side (a cross join) they
    are the answer; a union and a grouping around two counts cost more than both."""
    if isinstance(node, Combine) and not node.keys and not node.side_by_side:
        return replace(node, side_by_side=True)
    return node


def inline_single_fact(node: Node) -> Node:
    """The one fact itself, ordered and limited, where the final select only passes its
    columns on (`SELECT channel, gmv AS gmv FROM orders_facts ORDER BY channel`): the SQL
    a person would write, which the engine also plans a little faster (a tenth of a
    millisecond, a tenth of the smallest queries). ORDER BY then names output columns,
    which every engine resolves before input columns."""
    if not isinstance(node, With) or len(node.ctes) != 1 or not isinstance(node.body, Order):
        return node
    (name, fact), final = node.ctes[0], node.body.source
    if not isinstance(fact, Fact | PerEntity | Snapshots) or not isinstance(final, Project):
        return node
    if final.where or final.group_by or final.source != Table(name):
        return node
    passed = [
        p.alias_or_name
        if isinstance(p, exp.Column)
        or (isinstance(p, exp.Alias) and isinstance(p.this, exp.Column) and p.this.name == p.alias)
        else None
        for p in final.projections
    ]
    if passed != fact.names:
        return node
    return replace(node.body, source=fact)


RULES: tuple[Callable[[Node], Node], ...] = (
    one_row_per_group,
    cheapest_count,
    side_by_side,
    inline_single_fact,
)


def optimize(plan: Node, rules: tuple[Callable[[Node], Node], ...] = RULES) -> Node:
    for rule in rules:
        plan = transform(plan, rule)
    return plan


def _row_value(measure: Measure) -> exp.Expr:
    assert measure.value is not None
    if measure.condition is None:
        return measure.value.copy()
    return exp.Case().when(measure.condition.copy(), measure.value.copy())


def _cheaper(measure: Measure, relation: Relation) -> Measure:
    aggregate = measure.aggregate
    if not isinstance(aggregate, exp.Count):
        return measure
    counted = aggregate.this
    if isinstance(counted, exp.Distinct) and len(counted.expressions) == 1:
        counted = counted.expressions[0]

    def is_home_key(found: exp.Expr | None) -> bool:
        return (
            isinstance(found, exp.Column)
            and found.table == relation.home.name
            and found.name == relation.home.primary_key
        )

    if is_home_key(counted):
        return replace(measure, expression=exp.Count(this=exp.Star()))
    branches = (counted.args.get("ifs") or []) if isinstance(counted, exp.Case) else []
    if len(branches) == 1 and counted.args.get("default") is None and is_home_key(branches[0].args["true"]):
        cheaper = exp.Count(this=exp.Case().when(branches[0].this, exp.Literal.number(1), copy=False))
        return replace(measure, expression=cheaper)
    return measure
