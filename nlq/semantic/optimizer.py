"""Rewrites of a plan (nlq.semantic.plan), each a named pass that keeps the answer
and makes the SQL cheaper or plainer, run in order by `optimize` (as sqlglot's
optimizer runs its RULES). Each pass says what it measured to earn its place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from sqlglot import exp

from nlq.semantic.expressions import models_of
from nlq.semantic.plan import (
    Combine,
    EntityFirst,
    Fact,
    Measure,
    Membership,
    Node,
    Order,
    PerEntity,
    Project,
    Relation,
    Rows,
    Snapshots,
    Table,
    With,
    transform,
)

# Aggregates whose value over one row is that row's value.
VALUE_OF_ONE_ROW = frozenset({"sum", "min", "max", "avg"})
# Counts, which over one row are 1 where it counts (the 10 paid orders with the largest
# discounts, each with its count of 1: 5.6x the hand-written listing while grouped).
COUNT_OF_ONE_ROW = frozenset({"count", "count_distinct"})


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
    if not all(
        m.agg in VALUE_OF_ONE_ROW | COUNT_OF_ONE_ROW and m.value is not None and m.focus is None
        for m in node.measures
    ):
        return node
    measures = tuple(replace(m, expression=_row_value(m)) for m in node.measures)
    return replace(node, measures=measures, grouped=False)


def entity_first(node: Node) -> Node:
    """A fact grouped only by segments of an entity and the entity's own columns (新客和
    老客的客单价, 新客的性别分布), or only by the entity's columns while it counts the entity
    (买过美妆的用户画像), with figures that add up per entity: each entity's figures first,
    then their segments and columns joined to one row per entity, not to every fact row
    (new and returning buyers' spend per buyer took 1.5x the hand-written query at scale
    10 joined to the rows, 1.1x per buyer first; an Apple buyers' profile 2.0x, 1.7x).
    Its distinct count of the entity is then the number of entity rows."""
    if not isinstance(node, Fact) or not node.grouped or not node.keys:
        return node
    if node.also_grouped or node.group_by is not None:
        return node
    entity_counts = all(m.agg == "count_distinct" and m.expression is None for m in node.measures)
    if node.relation.fans_out and not entity_counts:
        # rows fanned out (an order's lines) would be summed once each; a distinct count
        # of the entity is the same however many lines it has (checked below)
        return node
    relation = node.relation
    segments: list[tuple[str, exp.Select, str]] = []
    entities: set[str] = set()
    entity: exp.Expr | None = None
    for alias, rows, on in relation.segments:
        if not (isinstance(on, exp.EQ) and isinstance(on.this, exp.Column) and on.this.table == alias):
            return node  # a segment decided in each time bucket joins on the bucket too
        entity = on.expression
        entities.add(entity.sql())
        segments.append((alias, rows, on.this.name))
    if not segments:
        # no segment: the entity whose own columns are every key, when its people are
        # counted (a buyer profile: buyers per gender, 2x the hand-written SQL counted
        # distinct over every order); a sum alone is no cheaper per entity first
        entity = _counted_entity(node)
        entities = {entity.sql()} if entity is not None else set()
    if entity is None or len(entities) != 1:
        return node
    owners = tuple((edge.target, edge.target_key) for edge in relation.joined_on(entity))
    per_entity_models = {alias for alias, _, _ in segments} | {model for model, _ in owners}

    def of_entity(expression: exp.Expr) -> bool:
        models = models_of(expression)
        return bool(models) and models <= per_entity_models

    def of_rows(expression: exp.Expr | None) -> bool:
        return expression is None or not models_of(expression) & per_entity_models

    if not all(of_entity(value) for _, value in node.keys):
        return node
    outer_where = tuple(w for w in node.where if of_entity(w))
    inner_where = tuple(w for w in node.where if of_rows(w))
    if len(outer_where) + len(inner_where) != len(node.where):
        return node
    inner: list[Measure] = []
    outer: list[tuple[str, exp.Expr]] = []
    for measure in node.measures:
        if measure.expression is not None:
            return node
        if not (of_rows(measure.value) and of_rows(measure.condition) and of_rows(measure.focus)):
            return node
        column = exp.column(measure.name, "per_entity")
        counts_entity = (
            measure.agg == "count_distinct"
            and measure.value is not None
            and measure.value.sql() == entity.sql()
        )
        if node.relation.fans_out and not counts_entity:
            return node
        if counts_entity:
            # 买过美妆的买家 among all buyers (a pinned value's share): whether each entity
            # had such a row, then those that did counted
            held = [c.copy() for c in (measure.condition, measure.focus) if c is not None]
            if not held:
                # the entities, not null (orders of no member count none, as a distinct count)
                outer.append((measure.name, exp.Count(this=exp.column("entity", "per_entity"))))
                continue
            flag = exp.Case().when(exp.and_(*held), exp.Literal.number(1)).else_(exp.Literal.number(0))
            inner.append(replace(measure, agg="max", value=flag, condition=None, focus=None))
            outer.append((measure.name, exp.Sum(this=column)))
        elif measure.focus is not None:
            return node
        elif measure.agg in {"sum", "count"} or _key_of_entity_rows(measure, relation, entity):
            # a distinct count of the key of rows each of one entity (orders, by buyer)
            inner.append(measure)
            outer.append((measure.name, exp.Sum(this=column)))
        elif measure.agg in {"min", "max"}:
            inner.append(measure)
            outer.append(
                (measure.name, exp.Min(this=column) if measure.agg == "min" else exp.Max(this=column))
            )
        else:
            return node
    if not inner:
        # only entities counted: rows of none (a walk-in's order) make no group of their own
        inner_where = (*inner_where, exp.Not(this=exp.Is(this=entity.copy(), expression=exp.Null())))
    per_entity = replace(
        node,
        relation=replace(relation, segments=[]),
        keys=(("entity", entity.copy()),),
        measures=tuple(inner),
        where=inner_where,
        simple=False,
    )
    read = set().union(*(models_of(e) for e in [*(v for _, v in node.keys), *outer_where]))
    used = tuple((model, key) for model, key in owners if model in read)
    return EntityFirst(per_entity, tuple(segments), used, node.keys, tuple(outer), outer_where)


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
    if not isinstance(fact, Fact | PerEntity | Snapshots | EntityFirst) or not isinstance(final, Project):
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


def keys_that_exist(node: Node) -> Node:
    """The keys of an anti-join (or semi-join) whose figure is a count above zero
    (上个月没下过单的用户: users NOT IN those with more than 0 orders) are the keys of
    any row at all: a count is above zero exactly when a row (with its condition, and
    a counted value that is not null) exists. So the rows' keys are read as they are,
    without grouping them and counting: present-then-absent users took 1.9-2.2x the
    hand-written EXISTS query at scale 10 with the grouping (see benchmarks/RESULTS.md)."""
    if not isinstance(node, Membership) or not isinstance(node.present, With):
        return node
    if len(node.present.ctes) != 1:
        return node
    (name, fact), body = node.present.ctes[0], node.present.body
    final = body.source if isinstance(body, Order) else body
    if not isinstance(fact, Fact) or not isinstance(final, Project) or final.source != Table(name):
        return node
    if len(fact.keys) != 1 or len(fact.measures) != 1 or fact.also_grouped or final.group_by:
        return node
    measure = fact.measures[0]
    if not _above_zero(final.where, measure.name):
        return node
    exists = _existence(measure)
    if exists is None:
        return node
    keys_only = replace(fact, measures=(), where=(*fact.where, *exists), grouped=False, group_by=None)
    return replace(node, present=keys_only)


def rows_once_each(node: Node) -> Node:
    """A listing that shows its home model's key, over many-to-one joins only, has each
    row once already: DISTINCT would only sort or hash every row to find none twice
    (the 5 orders with the highest amount paid took 3.2x the hand-written query at scale
    10 with it)."""
    if not isinstance(node, Rows) or not node.distinct or node.joined or node.relation.fans_out:
        return node
    key = node.relation.home.primary_key
    keys = {key} if isinstance(key, str) else set(key)
    home = node.relation.home.name
    shown = {v.name for _, v in node.projections if isinstance(v, exp.Column) and v.table == home}
    return replace(node, distinct=False) if keys <= shown else node


RULES: tuple[Callable[[Node], Node], ...] = (
    entity_first,
    one_row_per_group,
    cheapest_count,
    side_by_side,
    inline_single_fact,
    keys_that_exist,
    rows_once_each,
)


def optimize(plan: Node, rules: tuple[Callable[[Node], Node], ...] = RULES) -> Node:
    for rule in rules:
        plan = transform(plan, rule)
    return plan


def _counted_entity(node: Fact) -> exp.Expr | None:
    """The column of the fact's rows that a distinct count counts, when the keys are all
    columns of the one model it joins to (users.gender, by orders.user_id)."""
    relation = node.relation
    for measure in node.measures:
        value = measure.value
        if (
            measure.agg != "count_distinct"
            or measure.condition is not None
            or not isinstance(value, exp.Column)
        ):
            continue
        targets = {edge.target for edge in relation.joined_on(value)}
        keyed = set().union(*(models_of(v) for _, v in node.keys))
        if keyed and keyed <= targets:
            return value
    return None


def _key_of_entity_rows(measure: Measure, relation: Relation, entity: exp.Expr) -> bool:
    """Whether the measure counts distinct keys of rows that each belong to one entity:
    the home model's own (orders by orders.user_id), or those of the model joined many-
    to-one whose column the entity is (orders.order_id of order lines, by orders.user_id)."""
    value = measure.value
    if measure.agg != "count_distinct" or not isinstance(value, exp.Column):
        return False
    key = relation.home.primary_key
    if value.table == relation.home.name and isinstance(key, str) and value.name == key:
        return True
    return (
        isinstance(entity, exp.Column)
        and entity.table == value.table
        and any(edge.target == value.table and edge.target_key == value.name for edge in relation.joins)
    )


def _row_value(measure: Measure) -> exp.Expr:
    assert measure.value is not None
    if measure.agg in COUNT_OF_ONE_ROW:
        counts: list[exp.Expr] = (
            []
            if isinstance(measure.value, exp.Star)
            else [exp.Not(this=measure.value.copy().is_(exp.null()))]
        )
        counts += [measure.condition.copy()] if measure.condition is not None else []
        if not counts:
            return exp.Literal.number(1)
        return exp.Case().when(exp.and_(*counts), exp.Literal.number(1)).else_(exp.Literal.number(0))
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


def _above_zero(where: tuple[exp.Expr, ...], name: str) -> bool:
    """Is the only condition `name > 0`?"""
    if len(where) != 1 or not isinstance(where[0], exp.GT):
        return False
    left, right = where[0].this, where[0].expression
    return (
        isinstance(left, exp.Column)
        and left.name == name
        and isinstance(right, exp.Literal)
        and right.is_number
        and float(right.this) == 0
    )


def _existence(measure: Measure) -> tuple[exp.Expr, ...] | None:
    """The condition on one row under which a count counts it, or None when the measure
    is no count (a sum above zero is not a row's existence)."""
    if measure.focus is not None:
        return None
    if measure.expression is not None:
        counted = measure.expression
        if not isinstance(counted, exp.Count):
            return None
        if isinstance(counted.this, exp.Star):
            return ()
        branches = (counted.this.args.get("ifs") or []) if isinstance(counted.this, exp.Case) else []
        if len(branches) == 1 and counted.this.args.get("default") is None:
            return (branches[0].this.copy(),)
        return None
    if measure.agg not in {"count", "count_distinct"}:
        return None
    found: list[exp.Expr] = []
    if measure.condition is not None:
        found.append(measure.condition.copy())
    if measure.value is not None and not isinstance(measure.value, exp.Star):
        found.append(exp.Not(this=measure.value.copy().is_(exp.null())))
    return tuple(found)
