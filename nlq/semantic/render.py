"""Writes a plan (nlq.semantic.plan) as one sqlglot expression, a function per kind
of node (as sqlglot's generator has one per expression class). The SQL is in the
layer's dialect; the asker's policy and the engine's dialect apply after."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from nlq.semantic.cohorts import retention_table
from nlq.semantic.columns import part_and_whole, safe_ratio
from nlq.semantic.expressions import aggregate
from nlq.semantic.funnels import funnel_table
from nlq.semantic.model import SemanticLayer
from nlq.semantic.plan import (
    COUNTED_ROWS,
    Combine,
    Counted,
    EntityFirst,
    Fact,
    FunnelSteps,
    Membership,
    Moving,
    Node,
    Order,
    PerEntity,
    Population,
    Project,
    Retention,
    Rows,
    Snapshots,
    Stacked,
    Table,
    With,
)
from nlq.semantic.policy import model_table
from nlq.semantic.windows import moving_average


class Renderer:
    def __init__(self, layer: SemanticLayer) -> None:
        self.layer = layer
        self.named: set[str] = set()
        self.renderers: dict[type[Node], Callable[[Any], exp.Expr]] = {
            Fact: self.fact,
            Rows: self.rows,
            Membership: self.membership,
            PerEntity: self.per_entity,
            EntityFirst: self.entity_first,
            Snapshots: self.snapshots,
            Combine: self.combine,
            Project: self.project,
            Order: self.order,
            Stacked: self.stacked,
            With: self.with_,
            Counted: self.counted,
            Population: self.population,
            FunnelSteps: self.funnel_steps,
            Retention: self.retention,
            Moving: self.moving,
        }

    def query(self, plan: Node) -> exp.Select:
        """The whole plan as one SELECT: CTE names unique across it (an engine that
        lifts nested CTEs to the top, as Spark's rewrite does, must not see two)."""
        self.named = set()
        return self._segments_once(self.select(plan))

    def _segments_once(self, select: exp.Select) -> exp.Select:
        """A segment's rows read by two facts of one query (新客和老客的销售额和笔单价: the
        lines' and the orders' facts) are a CTE both read: computed once, not per fact."""
        found: dict[str, list[exp.Subquery]] = {}
        for subquery in select.find_all(exp.Subquery):
            if subquery.alias.endswith("_segment"):
                found.setdefault(subquery.this.sql(), []).append(subquery)
        shared = [same for same in found.values() if len(same) > 1]
        for same in shared:
            name = _fresh(f"{same[0].alias}_rows", self.named)
            self.named.add(name)
            rows = same[0].this.copy()
            for subquery in same:
                subquery.replace(exp.table_(name, alias=subquery.alias))
            cte = exp.CTE(this=rows, alias=exp.TableAlias(this=exp.to_identifier(name)))
            ctes = select.args.get("with_")
            if ctes is None:
                select.set("with_", exp.With(expressions=[cte]))
            else:
                ctes.expressions.insert(0, cte)  # the facts' CTEs after it read it
        return select

    def render(self, node: Node) -> exp.Expr:
        return self.renderers[type(node)](node)

    def select(self, node: Node) -> exp.Select:
        rendered = self.render(node)
        assert isinstance(rendered, exp.Select)
        return rendered

    def _from(self, node: Node, alias: str) -> exp.Expr:
        """A node read by a select: a CTE by its name, a plan as a derived table."""
        if isinstance(node, Table):
            return exp.table_(node.name)
        return self.select(node).subquery(alias, copy=False)

    # -- passes over rows --------------------------------------------------------------------
    def fact(self, node: Fact) -> exp.Select:
        projections = _aliased(node.keys)
        projections += [m.rendered() for m in node.measures]
        where = [w.copy() for w in node.where]
        reading = [*projections, *node.also_grouped]
        select = node.relation.select(self.layer, reading, where).select(*projections, copy=False)
        select = _where(select, where)
        if not node.grouped:
            return select
        groups = node.group_by if node.group_by is not None else [value for _, value in node.keys]
        return _group_by(select, [g.copy() for g in [*groups, *node.also_grouped]])

    def rows(self, node: Rows) -> exp.Select:
        projections = _aliased(node.projections)
        where = [w.copy() for w in node.where]
        reading: list[exp.Expr] = list(projections)
        # a joined plan's condition reads the home model's columns too
        reading += [on for _, _, on in (*node.joined, *node.left_joined)]
        select = node.relation.select(self.layer, reading, where)
        for kind, joins in (("INNER", node.joined), ("LEFT", node.left_joined)):
            for plan, alias, on in joins:
                joined = exp.Join(this=self.select(plan).subquery(alias, copy=False), on=on.copy(), kind=kind)
                select = select.join(joined, copy=False)
        select = _where(select.select(*projections, copy=False), where)
        for column, plan in node.equal_to:
            value = exp.Subquery(this=self.select(plan))
            select = _where(select, [exp.EQ(this=column.copy(), expression=value)])
        for membership in node.memberships:
            select = _where(select, [self.membership(membership)])
        if node.flag and node.flagged:
            met = exp.and_(*(self.membership(m) for m in node.flagged))
            flag = exp.Case().when(met, exp.Literal.number(1)).else_(exp.Literal.number(0))
            select = select.select(flag.as_(node.flag), copy=False)
        return select.distinct(copy=False) if node.distinct else select

    def membership(self, node: Membership) -> exp.Expr:
        inner = self.select(node.present)
        keys = exp.select(exp.column(node.key), copy=False).from_(
            inner.subquery("present", copy=False), copy=False
        )
        keys = keys.where(exp.Not(this=exp.column(node.key).is_(exp.null())), copy=False)
        among = exp.In(this=node.column.copy(), query=keys.subquery(copy=False))
        return exp.Not(this=among) if node.absent else among

    def per_entity(self, node: PerEntity) -> exp.Select:
        value = exp.column("entity_value")

        def entities_reaching(threshold: int) -> exp.Expr:
            return exp.Count(
                this=exp.Case().when(
                    exp.GTE(this=value.copy(), expression=exp.Literal.number(threshold)),
                    exp.Literal.number(1),
                )
            )

        share = safe_ratio(entities_reaching(node.at_least), entities_reaching(1))
        outer = exp.select(*[exp.column(k) for k in node.keys], share.as_(node.name, copy=False), copy=False)
        outer = outer.from_(self.select(node.per_entity).subquery("per_entity", copy=False), copy=False)
        return _group_by(outer, [exp.column(k) for k in node.keys])

    def entity_first(self, node: EntityFirst) -> exp.Select:
        entity = exp.column("entity", "per_entity")
        select = exp.select(
            *_aliased(node.keys),
            *(value.copy().as_(name, copy=False) for name, value in node.measures),
            copy=False,
        ).from_(self.select(node.per_entity).subquery("per_entity", copy=False), copy=False)
        for alias, rows, key in node.segments:
            on = exp.column(key, alias).eq(entity.copy())
            select = select.join(exp.Join(this=rows.subquery(alias), on=on, side="LEFT"), copy=False)
        for name, key in node.owners:
            model = self.layer.model(name)
            assert model is not None
            on = exp.column(key, name).eq(entity.copy())
            table = model_table(model, name, self.layer.dialect)
            select = select.join(exp.Join(this=table, on=on, side="LEFT"), copy=False)
        select = _where(select, [w.copy() for w in node.where])
        return _group_by(select, [value.copy() for _, value in node.keys])

    def snapshots(self, node: Snapshots) -> exp.Select:
        outer = exp.select(
            *[exp.column(k) for k in node.keys],
            aggregate(node.agg, exp.column("snapshot_value"), None).as_(node.name, copy=False),
            copy=False,
        ).from_(self.select(node.rows).subquery("snapshots", copy=False), copy=False)
        return _group_by(outer, [exp.column(k) for k in node.keys])

    # -- combining and deriving ----------------------------------------------------------------
    def combine(self, node: Combine) -> exp.Select:
        values = [column for _, columns in node.parts for column in columns]
        if node.side_by_side:
            home = {column: cte for cte, columns in reversed(node.parts) for column in columns}
            select = exp.select(*[exp.column(v, home[v]).as_(v, copy=False) for v in values], copy=False)
            select = select.from_(exp.table_(node.parts[0][0]), copy=False)
            for cte, _ in node.parts[1:]:
                select = select.join(exp.Join(this=exp.table_(cte), kind="CROSS"), copy=False)
            return select
        branches: list[exp.Select] = []
        for cte, columns in node.parts:
            projections: list[exp.Expr] = [exp.column(n) for n in node.keys]
            for column in values:
                projections.append(exp.column(column) if column in columns else exp.null().as_(column))
            branches.append(exp.select(*projections, copy=False).from_(exp.table_(cte), copy=False))
        union: exp.Query = branches[0]
        for branch in branches[1:]:
            union = exp.union(union, branch, distinct=False, copy=False)
        combined = exp.select(
            *[exp.column(n) for n in node.keys],
            *[exp.Max(this=exp.column(v)).as_(v, copy=False) for v in values],
            copy=False,
        )
        combined = combined.from_(
            exp.Subquery(this=union, alias=exp.TableAlias(this=exp.to_identifier("facts"))), copy=False
        )
        return _group_by(combined, [exp.column(n) for n in node.keys])

    def project(self, node: Project) -> exp.Select:
        select = exp.select(*[p.copy() for p in node.projections], copy=False)
        select = select.from_(self._from(node.source, node.alias), copy=False)
        select = _where(select, [w.copy() for w in node.where])
        return _group_by(select, [g.copy() for g in node.group_by])

    def stacked(self, node: Stacked) -> exp.Select:
        # each part whole in a derived table of its own: its CTEs stay inside it
        branches = [
            exp.select(exp.Star(), copy=False).from_(self.select(part).subquery(f"part_{i}", copy=False))
            for i, part in enumerate(node.parts)
        ]
        union: exp.Query = branches[0]
        for branch in branches[1:]:
            union = exp.union(union, branch, distinct=False, copy=False)
        return exp.select(exp.Star(), copy=False).from_(union.subquery("stacked", copy=False), copy=False)

    def order(self, node: Order) -> exp.Select:
        select = self.select(node.source)
        if node.order:
            # in place of any order the source has (a funnel's own: by step)
            select.set("order", exp.Order(expressions=[o.copy() for o in node.order]))
        if node.limit is not None:
            select = select.limit(exp.Literal.number(node.limit), copy=False)
        return select

    def with_(self, node: With) -> exp.Select:
        renamed = {name: _fresh(name, self.named) for name, _ in node.ctes}
        self.named.update(renamed.values())
        ctes = [(renamed[name], self.select(cte)) for name, cte in node.ctes]
        select = self.select(node.body)
        for name, cte_select in ctes:
            select = select.with_(exp.TableAlias(this=exp.to_identifier(name)), as_=cte_select, copy=False)
        moved = {old: new for old, new in renamed.items() if old != new}
        if moved:  # the body and the later CTEs read them by name
            for table in select.find_all(exp.Table):
                if not table.db and table.name in moved:
                    table.set("this", exp.to_identifier(moved[table.name]))
        return select

    # -- constructs ----------------------------------------------------------------------------
    def counted(self, node: Counted) -> exp.Select:
        by = [exp.column(c) for c in node.by]
        counts: list[exp.Expr]
        if node.meeting is None:
            counts = [
                exp.Count(this=exp.Star()).as_(node.name),
                *[exp.Sum(this=exp.column(c)).as_(c) for c in node.totals],
                *[f.copy() for f in node.figures],
            ]
        else:
            conditions, everyone, share = node.meeting
            met = exp.and_(*(c.copy() for c in conditions))
            counts = part_and_whole(
                exp.Sum(this=exp.Case().when(met, exp.Literal.number(1)).else_(exp.Literal.number(0))),
                exp.Count(this=exp.Star()),
                (node.name, everyone, share),
            )
            for total in node.totals:
                column = exp.column(total)
                part = exp.Sum(this=exp.Case().when(met.copy(), column).else_(exp.Literal.number(0)))
                whole = exp.Sum(this=column.copy())
                counts += part_and_whole(part, whole, (total, f"{total}_all", f"{total}_share"))
        select = exp.select(*by, *counts).from_(self.select(node.rows).subquery(COUNTED_ROWS))
        if not by:
            return select
        return _group_by(select, [b.copy() for b in by]).order_by(*[b.copy() for b in by])

    def population(self, node: Population) -> exp.Select:
        count = exp.Count(this=exp.Star()).as_(node.count)
        select = exp.select(copy=False).from_(node.rows.copy().subquery("people", copy=False), copy=False)
        for join in node.joined:
            select = select.join(join.copy(), copy=False)
        if node.by:
            by = [expression.copy() for expression, _ in node.by]
            names = [expression.copy().as_(name) for expression, name in node.by]
            select = _group_by(select.select(*names, count, copy=False), by)
        else:
            select = select.select(count, copy=False)
        return _where(select, [w.copy() for w in node.where])

    def funnel_steps(self, node: FunnelSteps) -> exp.Select:
        return funnel_table(
            self.select(node.counts), list(node.columns), list(node.steps), node.step, wide=node.wide
        )

    def retention(self, node: Retention) -> exp.Select:
        return retention_table(
            self.select(node.activity),
            list(node.columns),
            node.cohort,
            node.bucket,
            list(node.offsets),
            averaged=node.averaged,
            wide=node.wide,
        )

    def moving(self, node: Moving) -> exp.Select:
        return moving_average(
            self.select(node.series), list(node.columns), node.bucket, node.window, node.first
        )


# The builders below take expressions the renderer has just made and owns: copy=False
# saves sqlglot copying the whole query again at every step (most of compile time).
def _aliased(keys: tuple[tuple[str, exp.Expr], ...]) -> list[exp.Expr]:
    return [value.copy().as_(name, copy=False) for name, value in keys]


def _fresh(name: str, named: set[str]) -> str:
    candidate, n = name, 1
    while candidate in named:
        n += 1
        candidate = f"{name}_{n}"
    return candidate


def _where(select: exp.Select, conditions: list[exp.Expr]) -> exp.Select:
    # and_ copies the conditions: a metric's own filter serves both periods of a comparison.
    return select.where(exp.and_(*conditions), copy=False) if conditions else select


def _group_by(select: exp.Select, keys: list[exp.Expr]) -> exp.Select:
    return select.group_by(*keys, copy=False) if keys else select
