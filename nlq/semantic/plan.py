"""The compiler's plan: typed nodes between a SemanticQuery and its SQL.

The compiler decides what is computed (which facts over which home models, the
joins and conditions of each, what the final select derives from them, the
constructs wrapped around it) and writes it as a tree of these nodes.
`nlq.semantic.optimizer` improves the tree by named rewrites, and
`nlq.semantic.render` writes it as one sqlglot expression.

As in sqlglot's own optimizer, the scalar parts of a node (a predicate, a measure's
value, a metric's formula) are sqlglot expressions. The structure is the plan's:
- the passes over rows;
- the subqueries and CTEs that hold them;
- how they are combined;
- the windows, orders and limits around them.

A node is frozen: a rewrite returns a new one (`dataclasses.replace`). `describe`
prints a plan as an indented tree, one node a line, which the plan snapshot tests
keep.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

from sqlglot import exp

from nlq.semantic.columns import OutputColumn
from nlq.semantic.expressions import aggregate, canonical, implies, models_of
from nlq.semantic.graph import Edge, JoinGraph
from nlq.semantic.model import (
    FANOUT_INVARIANT,
    Funnel,
    Model,
    PerEntityMetric,
    SemanticLayer,
    SemiAdditiveMetric,
    SimpleMetric,
    TimeDimension,
)
from nlq.semantic.model import (
    Measure as LayerMeasure,
)
from nlq.semantic.policy import model_table
from nlq.semantic.query import Filter
from nlq.semantic.segments import Span

LeafMetric = SimpleMetric | PerEntityMetric | SemiAdditiveMetric


@dataclass(frozen=True)
class Leaf:
    """A metric computed directly from the rows of its home model."""

    metric: LeafMetric
    home: Model
    measure: LayerMeasure
    time_model: str
    # None for a metric of rows as they stand (products, registered sellers): no period
    # or time grain applies to it.
    time: TimeDimension | None
    conditions: tuple[exp.Expr, ...]

    @property
    def name(self) -> str:
        return self.metric.name

    @property
    def time_name(self) -> str:
        return self.time.name if self.time else ""

    @property
    def conditions_models(self) -> set[str]:
        return set().union(*(models_of(c) for c in self.conditions))

    @property
    def fanout_invariant(self) -> bool:
        return isinstance(self.metric, PerEntityMetric) or (
            not isinstance(self.metric, SemiAdditiveMetric) and self.measure.agg in FANOUT_INVARIANT
        )


@dataclass
class Relation:
    """A home model and the many-to-one joins the plan has found it needs, with the
    governed segments it reads. The compiler adds joins while it places conditions
    and groups; rendering keeps only the joins that a node's expressions read."""

    home: Model
    leaves: list[Leaf]
    dialect: str
    graph: JoinGraph
    joins: list[Edge] = field(default_factory=list)
    # The period the governed segments it reads are computed for, and those segments:
    # alias, one row per entity, and the condition joining it to the facts.
    span: Span = field(default_factory=lambda: Span(None, None))
    # The question's filters and groups, which a segment of the period alone is computed under.
    filters: list[Filter] = field(default_factory=list)
    grouped: list[str] = field(default_factory=list)
    segments: list[tuple[str, exp.Select, exp.Expr]] = field(default_factory=list)
    # The bucket of each fact row, when segments are decided in each (span.grain).
    bucket: exp.Expr | None = None

    @property
    def joined(self) -> set[str]:
        return {self.home.name} | {e.target for e in self.joins} | {alias for alias, _, _ in self.segments}

    @property
    def fans_out(self) -> bool:
        return any(edge.to_many for edge in self.joins)

    def join(self, path: list[Edge]) -> None:
        for edge in path:
            if edge.target not in self.joined:
                self.joins.append(edge)

    def select(
        self, layer: SemanticLayer, reading: Sequence[exp.Expr], where: Sequence[exp.Expr] = ()
    ) -> exp.Select:
        """The home model and the joins that the expressions it will hold (`reading`,
        and its conditions, `where`) read. Every join is many-to-one (LEFT, or INNER
        where a match always exists for the rows `where` keeps), so one that nothing
        reads only costs time; row policies of a parent model reach the home model's
        own view (see AccessPolicy.visibility)."""
        select = exp.select().from_(model_table(self.home, self.home.name, self.dialect), copy=False)
        joining = [on for _, _, on in self.segments]
        for edge in self._joins_for([*reading, *where, *joining]):
            target = layer.model(edge.target)
            assert target is not None
            on = exp.column(edge.target_key, edge.target).eq(self._source_of(edge))
            side = {"kind": "INNER"} if self._always_matches(edge, where) else {"side": "LEFT"}
            join = exp.Join(this=model_table(target, edge.target, self.dialect), on=on, **side)
            select = select.join(join, copy=False)
        for alias, rows, condition in self.segments:
            segment = exp.Join(this=rows.subquery(alias, copy=False), on=condition, side="LEFT")
            select = select.join(segment, copy=False)
        return select

    def _always_matches(self, edge: Edge, where: Sequence[exp.Expr]) -> bool:
        # A left join keeps rows the inner join would drop, so an engine may not reorder
        # it: the inner join is what lets it plan well (cart adds by product 1.4x faster).
        if edge.always_matches:
            return True
        return edge.required_when is not None and implies(
            where, canonical(edge.required_when, edge.source, self.dialect)
        )

    def same_key(self, column: exp.Column) -> exp.Column:
        """A joined model's column read from the model it was joined from, where the
        join makes them equal: its key (orders.order_id is refunds.order_id once refunds
        joins orders) or a column the relationship says the source repeats (a review's
        user_id is its order's). A semi-join or a join correlated on it then needs no
        join to orders. Only along required relationships: a dangling reference finds
        no row through the join, but would through the foreign key alone."""
        for edge in reversed(self.joins):
            if edge.target != column.table or not edge.always_matches:
                continue
            same = dict(edge.same)
            if edge.target_key == column.name:
                return self.same_key(exp.column(edge.source_key, edge.source))
            if column.name in same:
                return self.same_key(exp.column(same[column.name], edge.source))
        return column

    def joined_on(self, column: exp.Expr) -> list[Edge]:
        """The joins made on `column` as the rows read it (users, on orders.user_id)."""
        return [edge for edge in self.joins if self._source_of(edge).sql() == column.sql()]

    def _source_of(self, edge: Edge) -> exp.Column:
        return self.same_key(exp.column(edge.source_key, edge.source))

    def _joins_for(self, reading: Sequence[exp.Expr]) -> list[Edge]:
        needed = set().union(*(models_of(e) for e in reading))
        kept: list[Edge] = []
        for edge in reversed(self.joins):  # a path's later edges first: they need the earlier ones
            if edge.target in needed:
                kept.append(edge)
                needed.add(self._source_of(edge).table)
        return kept[::-1]

    def describe(self, reading: Sequence[exp.Expr]) -> str:
        """The home model, the joins that `reading` needs and the segments."""
        joins = ", ".join(e.target for e in self._joins_for([*reading, *(on for _, _, on in self.segments)]))
        segments = ", ".join(alias for alias, _, _ in self.segments)
        return (
            self.home.name
            + (f" joins {joins}" if joins else "")
            + (f" segments {segments}" if segments else "")
        )


# -- nodes ---------------------------------------------------------------------------------
class Node:
    """A step of the plan; its children are the nodes among its fields."""

    def children(self) -> list[Node]:
        found: list[Node] = []
        for item in fields(self):  # type: ignore[arg-type]
            _collect(getattr(self, item.name), found)
        return found

    def describe(self) -> str:
        return type(self).__name__


@dataclass(frozen=True)
class Table(Node):
    """A CTE of the plan, read by name."""

    name: str

    def describe(self) -> str:
        return f"Table {self.name}"


@dataclass(frozen=True)
class Measure:
    """A figure a fact computes: an aggregate of `value` over the rows where
    `condition` holds, or the expression a rewrite chose in its place (COUNT(*) for a
    distinct count of the home key). `focus` keeps only a pinned value's rows."""

    name: str
    agg: str
    value: exp.Expr | None
    condition: exp.Expr | None = None
    focus: exp.Expr | None = None
    expression: exp.Expr | None = None

    @property
    def aggregate(self) -> exp.Expr:
        return (
            self.expression.copy()
            if self.expression is not None
            else aggregate(self.agg, _copied(self.value), _copied(self.condition))
        )

    def rendered(self) -> exp.Expr:
        value = self.aggregate
        if self.focus is not None:
            # FILTER rather than CASE here: 1.08x the hand-written SQL against 1.2x
            # (DuckDB; other engines get CASE, see nlq.engines.rewrites).
            value = exp.Filter(this=value, expression=exp.Where(this=self.focus.copy()))
        return value.as_(self.name, copy=False)


@dataclass(frozen=True)
class Fact(Node):
    """Fact aggregation: measures over a home model's rows and its many-to-one joins,
    grouped by `keys` (and `also_grouped`, which it does not show). `grouped` is False
    where every group is one row (see optimizer.one_row_per_group); `group_by` groups
    by other expressions than the keys show (a time bucket's truncation, shown as a date)."""

    relation: Relation
    keys: tuple[tuple[str, exp.Expr], ...]
    measures: tuple[Measure, ...]
    where: tuple[exp.Expr, ...] = ()
    also_grouped: tuple[exp.Expr, ...] = ()
    group_by: tuple[exp.Expr, ...] | None = None
    grouped: bool = True
    # measures of simple metrics only, which a group of one row may read unaggregated
    simple: bool = False

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.keys] + [m.name for m in self.measures]

    def describe(self) -> str:
        shown = ", ".join(f"{m.name}={_sql(m.aggregate)}" for m in self.measures)
        reading = [*(v for _, v in self.keys), *(m.aggregate for m in self.measures), *self.where]
        return (
            f"Fact {self.relation.describe([*reading, *self.also_grouped])}"
            + _listed(" by", [name for name, _ in self.keys])
            + _listed(" per", [_sql(g) for g in self.also_grouped])
            + f" measures [{shown}]"
            + _listed(" where", [_sql(w) for w in self.where])
            + (
                ""
                if self.grouped
                else " (one row per group)"
                if self.measures
                else " (the keys of every row)"
            )
        )


@dataclass(frozen=True)
class Rows(Node):
    """The rows of a home model, not aggregated: a listing's, or a snapshot's values.
    `joined` are plans joined as derived tables (the latest snapshot time of each month);
    `equal_to` keep rows whose value equals a plan's single one (the latest snapshot time);
    `memberships` keep rows whose key is (or is not: an anti-join) among a plan's keys."""

    relation: Relation
    projections: tuple[tuple[str, exp.Expr], ...]
    where: tuple[exp.Expr, ...] = ()
    joined: tuple[tuple[Node, str, exp.Expr], ...] = ()
    # joined keeping every row (their figures in a period: none for those without one)
    left_joined: tuple[tuple[Node, str, exp.Expr], ...] = ()
    equal_to: tuple[tuple[exp.Expr, Node], ...] = ()
    memberships: tuple[Membership, ...] = ()
    distinct: bool = False
    # A column of this name, 1 when a row meets every one of `flagged` (else 0), which
    # do not filter: who of the people registered in 2025 bought, beside all of them.
    flag: str | None = None
    flagged: tuple[Membership, ...] = ()

    def describe(self) -> str:
        return (
            f"Rows {self.relation.describe([*(v for _, v in self.projections), *self.where])}"
            + _listed(" columns", [name for name, _ in self.projections])
            + _listed(" where", [_sql(w) for w in self.where])
            + _listed(" keeping every row beside", [alias for _, alias, _ in self.left_joined])
            + (f" flagged {self.flag}" if self.flag else "")
            + (" distinct" if self.distinct else "")
        )


@dataclass(frozen=True)
class Membership(Node):
    """上个月没有销量的商品 (absent), 去年买过的用户 (present): `column` NOT IN, or IN, the
    keys of `present` (a grouped query of the metric, its 口径 and policies applied as
    to any other)."""

    column: exp.Expr
    key: str
    present: Node
    absent: bool = True

    def describe(self) -> str:
        if self.absent:
            return f"Absent {_sql(self.column)} not in {self.key} of"
        return f"Present {_sql(self.column)} in {self.key} of"


@dataclass(frozen=True)
class PerEntity(Node):
    """A per-entity metric: the share of entities whose own figure (per_entity, grouped
    by the keys and the entity) reaches `at_least`."""

    name: str
    per_entity: Fact
    keys: tuple[str, ...]
    at_least: int

    @property
    def names(self) -> list[str]:
        return [*self.keys, self.name]

    def describe(self) -> str:
        return f"PerEntity {self.name} at least {self.at_least}" + _listed(" by", list(self.keys))


@dataclass(frozen=True)
class EntityFirst(Node):
    """Facts aggregated per entity first (each buyer's GMV and orders: `per_entity`,
    grouped by the entity as `entity`), then grouped by the entity's segments and own
    columns: the segments' rows and the entity's model (`owners`: model, key) are joined
    to one row per entity, not to every fact row. `measures` aggregate the per-entity
    columns; `where` holds the conditions on the segments and the entity's columns."""

    per_entity: Fact
    segments: tuple[tuple[str, exp.Select, str], ...]  # alias, rows, the rows' key column
    owners: tuple[tuple[str, str], ...]
    keys: tuple[tuple[str, exp.Expr], ...]
    measures: tuple[tuple[str, exp.Expr], ...]
    where: tuple[exp.Expr, ...] = ()

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.keys] + [name for name, _ in self.measures]

    def describe(self) -> str:
        joined = [alias for alias, _, _ in self.segments] + [model for model, _ in self.owners]
        return (
            "EntityFirst"
            + _listed(" joins", joined)
            + _listed(" by", [name for name, _ in self.keys])
            + f" measures [{', '.join(f'{n}={_sql(e)}' for n, e in self.measures)}]"
            + _listed(" where", [_sql(w) for w in self.where])
        )


@dataclass(frozen=True)
class Snapshots(Node):
    """A semi-additive metric: its snapshot values (one snapshot time per bucket)
    aggregated over the keys."""

    name: str
    rows: Rows
    keys: tuple[str, ...]
    agg: str

    @property
    def names(self) -> list[str]:
        return [*self.keys, self.name]

    def describe(self) -> str:
        return f"Snapshots {self.name} {self.agg}" + _listed(" by", list(self.keys))


@dataclass(frozen=True)
class Combine(Node):
    """A join of parts: the facts (CTEs, by name, with the values each computes) on the
    keys, by UNION ALL and a grouping (no null-safe join keys, no FULL JOIN that MySQL
    lacks); `side_by_side` where they are one row each (see optimizer.side_by_side)."""

    parts: tuple[tuple[str, tuple[str, ...]], ...]
    keys: tuple[str, ...]
    side_by_side: bool = False

    def describe(self) -> str:
        how = "side by side" if self.side_by_side else "union"
        return f"Combine {', '.join(name for name, _ in self.parts)} ({how})" + _listed(
            " on", list(self.keys)
        )


@dataclass(frozen=True)
class Project(Node):
    """Expressions over a source (a CTE, or a plan as a derived table called `alias`):
    the final select's formulas, windows and conditions, or a select around a construct."""

    source: Node
    projections: tuple[exp.Expr, ...]
    alias: str = ""
    where: tuple[exp.Expr, ...] = ()
    group_by: tuple[exp.Expr, ...] = ()

    @property
    def names(self) -> list[str]:
        return [p.alias_or_name for p in self.projections]

    def describe(self) -> str:
        return (
            "Project"
            + (f" {self.alias}" if self.alias else "")
            + f" [{', '.join(_sql(p) for p in self.projections)}]"
            + _listed(" where", [_sql(w) for w in self.where])
            + _listed(" by", [_sql(g) for g in self.group_by])
        )


@dataclass(frozen=True)
class Stacked(Node):
    """Plans of the same columns, one under the other (UNION ALL): a segment of each time
    bucket, each bucket its own period (每个月的新客: new in that month, not in the year)."""

    parts: tuple[Node, ...]

    def describe(self) -> str:
        return f"Stacked {len(self.parts)} parts"


@dataclass(frozen=True)
class Order(Node):
    """The order and the limit of the rows a plan returns."""

    source: Node
    order: tuple[exp.Ordered, ...]
    limit: int | None = None

    def describe(self) -> str:
        return (
            "Order"
            + _listed(" by", [_sql(o) for o in self.order])
            + (f" limit {self.limit}" if self.limit is not None else "")
        )


@dataclass(frozen=True)
class With(Node):
    """CTEs (the facts of a plan) and the body that reads them."""

    ctes: tuple[tuple[str, Node], ...]
    body: Node

    def describe(self) -> str:
        return f"With {', '.join(name for name, _ in self.ctes)}"


# The derived table a Counted node's rows are read from, by which its figures name them.
COUNTED_ROWS = "groups"


@dataclass(frozen=True)
class Counted(Node):
    """How many rows a plan returns, and the totals of figures of them
    (买过3次以上的用户有多少, and their GMV)."""

    rows: Node
    name: str
    totals: tuple[str, ...] = ()
    by: tuple[str, ...] = ()  # the groups the rows are counted in (customers by city tier)
    # Counted where these hold, beside all the rows and the share (what share of buyers
    # ordered twice): (the conditions, the name of the count of all, of the share); the
    # totals are then of those who meet them, each beside its whole and its share
    meeting: tuple[tuple[exp.Expr, ...], str, str] | None = None
    # figures of them from their totals, aliased (客单价: their GMV over their number)
    figures: tuple[exp.Expr, ...] = ()

    def describe(self) -> str:
        met = f" meeting [{', '.join(_sql(c) for c in self.meeting[0])}] of all" if self.meeting else ""
        return (
            f"Counted {self.name}"
            + met
            + _listed(" by", list(self.by))
            + _listed(" totals", list(self.totals))
            + _listed(" figures", [_sql(f) for f in self.figures])
        )


@dataclass(frozen=True)
class Population(Node):
    """A segment's people, counted from the segment's own rows (one per person of the
    period's population, or per person and group it is computed within), by the
    expressions of `by` (over the rows, called people, or the joined table; with their
    output names) or in all."""

    rows: exp.Select
    count: str
    where: tuple[exp.Expr, ...] = ()
    by: tuple[tuple[exp.Expr, str], ...] = ()
    # the entity's own table, for a group of its own column (a buyer's gender)
    joined: tuple[exp.Join, ...] = ()

    def describe(self) -> str:
        return (
            f"Population {self.count}"
            + _listed(" by", [name for _, name in self.by])
            + _listed(" joins", [_sql(j.this) for j in self.joined])
            + _listed(" where", [_sql(w) for w in self.where])
        )


@dataclass(frozen=True)
class FunnelSteps(Node):
    """A funnel's step table over `counts` (the metric by the groups and the step)."""

    counts: Node
    columns: tuple[OutputColumn, ...]
    funnel: Funnel
    steps: tuple[str, ...]
    step: str
    wide: bool = False

    def describe(self) -> str:
        return f"FunnelSteps {self.funnel.name} [{' > '.join(self.steps)}]" + (" wide" if self.wide else "")


@dataclass(frozen=True)
class Retention(Node):
    """A cohort's retention table over `activity` (the metric by cohort and bucket)."""

    activity: Node
    columns: tuple[OutputColumn, ...]
    cohort: str
    bucket: str
    offsets: tuple[int, ...] = ()
    averaged: bool = False
    wide: bool = False

    def describe(self) -> str:
        offsets = f" offsets {list(self.offsets)}" if self.offsets else ""
        shape = " averaged" if self.averaged else " wide" if self.wide else ""
        return f"Retention {self.cohort} by {self.bucket}{offsets}{shape}"


@dataclass(frozen=True)
class Moving(Node):
    """Moving averages over `series` (the metrics by bucket, from window-1 buckets
    before the period), kept from the period's first bucket."""

    series: Node
    columns: tuple[OutputColumn, ...]
    bucket: str
    window: int
    first: Any = None

    def describe(self) -> str:
        return f"Moving {self.window} {self.bucket}" + (f" from {self.first}" if self.first else "")


# -- walking a plan ------------------------------------------------------------------------
def transform(node: Node, rule: Callable[[Node], Node]) -> Node:
    """`rule` applied to every node, children first."""
    changes = {
        item.name: _mapped(getattr(node, item.name), rule)
        for item in fields(node)  # type: ignore[arg-type]
    }
    changed = {name: value for name, value in changes.items() if value is not getattr(node, name)}
    return rule(replace(node, **changed) if changed else node)  # type: ignore[type-var]


def describe(node: Node, indent: int = 0) -> str:
    lines = ["  " * indent + node.describe()]
    for child in node.children():
        lines.append(describe(child, indent + 1))
    return "\n".join(lines)


def _mapped(value: Any, rule: Callable[[Node], Node]) -> Any:
    if isinstance(value, Node):
        return transform(value, rule)
    if isinstance(value, tuple):
        items = tuple(_mapped(item, rule) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _collect(value: Any, found: list[Node]) -> None:
    if isinstance(value, Node):
        found.append(value)
    elif isinstance(value, tuple):
        for item in value:
            _collect(item, found)


def _copied(expression: exp.Expr | None) -> exp.Expr | None:
    return expression.copy() if expression is not None else None


def _sql(expression: exp.Expr) -> str:
    return expression.sql(dialect="duckdb")


def _listed(word: str, items: list[str]) -> str:
    return f"{word} [{', '.join(items)}]" if items else ""
