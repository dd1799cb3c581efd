"""Compiles a SemanticQuery into one sqlglot expression: the compiler plans what is
computed as typed nodes (nlq.semantic.plan), the optimizer rewrites the plan by named
passes (nlq.semantic.optimizer) and the renderer writes it as SQL
(nlq.semantic.render); the asker's policy and the engine's dialect apply last.

The fan-out rule (shared/design/semantic-layer.md) shapes everything here:

1. Every metric that reads rows (simple, per-entity, semi-additive) has a home
   model. Metrics with the same home and time dimension share one aggregate
   subquery ("fact"); its joins walk many-to-one edges away from the home, so
   they never repeat a home row.
2. A dimension behind a one-to-many edge may group a fact only when all its
   aggregates are fan-out invariant (count distinct, min, max); in a filter
   such a dimension becomes a semi-join (EXISTS), which cannot repeat rows.
3. Facts are combined on the requested dimensions; ratios, derived metrics,
   comparisons and shares are computed only after that.

Facts are combined with UNION ALL and a GROUP BY rather than a FULL OUTER JOIN:
it needs no null-safe join keys and runs on engines without FULL JOIN (MySQL).
The other facts' columns are filled with an untyped NULL, so each column keeps
the type of the one branch that computes it (counts stay integers).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlglot import exp

from nlq.engines import rewrite
from nlq.messages import Text
from nlq.semantic.cohorts import retention_columns
from nlq.semantic.columns import ColumnRole, OutputColumn, part_and_whole, safe_ratio
from nlq.semantic.distinct import with_distinct_counts
from nlq.semantic.errors import QueryError
from nlq.semantic.expressions import (
    AGGREGATES,
    COMPARISON,
    and_all,
    canonical,
    columns_of,
    conjuncts,
    models_of,
    parse_snippet,
    rename_models,
    time_bounds,
)
from nlq.semantic.funnels import funnel_columns
from nlq.semantic.graph import Edge, JoinGraph
from nlq.semantic.model import (
    FANOUT_INVARIANT,
    GRAINS,
    AnyMetric,
    DerivedMetric,
    Dimension,
    Format,
    Grain,
    Label,
    Model,
    PerEntityMetric,
    RatioMetric,
    SemanticLayer,
    SemiAdditiveMetric,
    SimpleMetric,
    TimeDimension,
)
from nlq.semantic.optimizer import optimize
from nlq.semantic.periods import grain_start, previous_period, shift_by_grain, year_over_year
from nlq.semantic.plan import (
    COUNTED_ROWS,
    Combine,
    Counted,
    Fact,
    FunnelSteps,
    Leaf,
    LeafMetric,
    Membership,
    Moving,
    Node,
    Order,
    PerEntity,
    Population,
    Project,
    Relation,
    Retention,
    Rows,
    Snapshots,
    Stacked,
    Table,
    With,
    describe,
)
from nlq.semantic.plan import (
    Measure as Figure,
)
from nlq.semantic.policy import AccessPolicy, model_table
from nlq.semantic.query import (
    Band,
    Bands,
    DistinctCount,
    Filter,
    MetricFilter,
    Presence,
    SemanticQuery,
    TimeRange,
)
from nlq.semantic.recency import elapsed_name, recency_name, with_elapsed, with_recency
from nlq.semantic.render import Renderer
from nlq.semantic.segments import (
    BUCKET,
    Kept,
    Span,
    Within,
    bucket_date,
    one_per_row,
    segment_relation,
    shares_buckets,
    varying_within,
)
from nlq.semantic.windows import moving_columns

# A segment recomputed for each time bucket: at most this many (each is a query of its own).
MAX_SEGMENT_BUCKETS = 36
# The column of a pinned share's total (see Compiler._pin), beside the pinned value.
TOTAL = "__total"
GRAIN_LABELS: dict[str, Label] = {grain: Label.worded(Text(f"semantic.grain_{grain}")) for grain in GRAINS}
GRAIN_UNITS: dict[str, tuple[str, int]] = {
    "day": ("DAY", 1),
    "week": ("DAY", 7),
    "month": ("MONTH", 1),
    "quarter": ("MONTH", 3),
    "year": ("MONTH", 12),
}


@dataclass(frozen=True)
class CompiledQuery:
    expression: exp.Expr
    dialect: str
    columns: list[OutputColumn]

    def sql(self, dialect: str | None = None, *, pretty: bool = False) -> str:
        return self.expression.sql(dialect=dialect or self.dialect, pretty=pretty)


@dataclass(frozen=True)
class Period:
    """One pass over the facts: the asked period, or the one it is compared with.
    `shift` is added to the time before truncating, so previous buckets line up."""

    suffix: str
    start: dt.date | None
    end: dt.date | None
    shift: tuple[str, int] | None = None


@dataclass(frozen=True)
class Bucket:
    """A time bucket: what rows group by (the truncated time) and the date it shows as."""

    key: exp.Expr
    value: exp.Expr


@dataclass(frozen=True)
class EntityFigures:
    """How the figures of a group of entities come from each entity's own (one row per
    person): summed (GMV, orders: each is one person's), per head (客单价: the
    numerator's total over their number, its denominator counting the entity itself:
    1 each), or the quotient of two sums (average order value: GMV over orders)."""

    summed: tuple[str, ...]
    per_head: dict[str, str]
    divided: dict[str, tuple[str, str]]

    def quotients(self, names: list[str]) -> list[str]:
        """The figures among `names` a group has as a quotient of its totals, not a sum."""
        return [n for n in names if n in self.per_head or n in self.divided]

    @property
    def read(self) -> list[str]:
        """The figures each entity's row carries."""
        parts = (n for pair in self.divided.values() for n in pair)
        return list(dict.fromkeys([*self.summed, *self.per_head.values(), *parts]))

    def of_group(self, name: str, rows: str) -> exp.Expr:
        """The figure of a group, over the entities' rows it is computed from (the derived
        table `rows`: its columns named by it, never by an alias of the same select, which
        ClickHouse would read as the total itself)."""
        if name in self.per_head:
            return exp.Div(
                this=exp.Cast(
                    this=exp.Sum(this=exp.column(self.per_head[name], rows)), to=exp.DataType.build("double")
                ),
                expression=exp.Count(this=exp.Star()),
            )
        if name in self.divided:
            over, under = self.divided[name]
            return exp.Div(
                this=exp.Cast(this=exp.Sum(this=exp.column(over, rows)), to=exp.DataType.build("double")),
                expression=exp.Nullif(
                    this=exp.Sum(this=exp.column(under, rows)), expression=exp.Literal.number(0)
                ),
            )
        return exp.Sum(this=exp.column(name, rows))


class Compiler:
    def __init__(
        self,
        layer: SemanticLayer,
        *,
        role: str | None,
        attributes: dict[str, Any] | None = None,
        dialect: str | None = None,
    ) -> None:
        self.layer = layer
        self.source_dialect = layer.dialect
        self.dialect = dialect or layer.dialect
        self.graph = JoinGraph(layer)
        self.policy = AccessPolicy(layer, role, attributes)

    # -- entry point ---------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        plan, columns = self.plan(query)
        # a renderer per query: it keeps the CTE names the query has taken
        final = Renderer(self.layer).query(optimize(plan))
        tree = rewrite(self.policy.apply(final, self.source_dialect), self.dialect)
        return CompiledQuery(tree, self.dialect, columns)

    def explain(self, query: SemanticQuery) -> str:
        """The query's plan, rewritten, as an indented tree (the plan snapshot tests'
        and `nlq query --plan`'s)."""
        return describe(optimize(self.plan(query)[0]))

    def plan(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """What the query computes, as a plan (nlq.semantic.plan), and its answer's columns."""
        if query.distinct:
            return self._with_distinct(query.distinct).plan(query.model_copy(update={"distinct": []}))
        buckets = self._segment_buckets(query)
        if buckets is not None and not self._buckets_shared(query):
            return self._per_bucket(query, buckets)
        if query.funnel:
            return self._funnel(query)
        if query.cohort:
            return self._cohort(query)
        if query.moving:
            return self._moving(query)
        if query.bands:
            return self._banded(query)
        if query.share_of_top:
            return self._top_share(query)
        if not query.metrics:
            return self._listing(query)
        if query.averaged_over or query.averaged_across:
            return self._averaged(query)
        return self._select(query)

    def _segment_buckets(self, query: SemanticQuery) -> list[TimeRange] | None:
        """The time buckets of the period, when a segment of the period (新客, 购买频次) is
        grouped or filtered by in each: each bucket is then its own period (每个月的新客 are
        the buyers whose first order is in that month). None when there is one bucket, or
        no such segment."""
        grain, period = query.time_grain, query.time_range
        if grain is None or period is None or period.start is None or period.end is None:
            return None
        segmented = [d for d in self._segments_read(query) if d.segment and d.segment.decided_in_period]
        if not segmented:
            return None
        buckets: list[TimeRange] = []
        start = grain_start(period.start, grain)
        while start <= period.end:
            after = shift_by_grain(start, grain, 1)
            buckets.append(
                TimeRange(start=max(start, period.start), end=min(after - dt.timedelta(days=1), period.end))
            )
            start = after
        if len(buckets) < 2:
            return None
        across = query.cumulative or query.moving or query.rank_buckets or query.rank_per
        too_many = len(buckets) > MAX_SEGMENT_BUCKETS and not self._buckets_shared(query)
        if across or query.averaged_over or query.averaged_across or too_many:
            # a running total or a rank across buckets of a segment each bucket redefines
            raise QueryError(Text("semantic.segment_per_bucket", segment=segmented[0].label))
        return buckets

    def _buckets_shared(self, query: SemanticQuery) -> bool:
        """Whether the segments of the period are decided in each bucket within one pass
        over the facts (the segment's rows per entity and bucket, joined on both): a
        query of one fact pass, of segments whose features allow it (segments.shares_buckets).
        The others are asked of each bucket in turn (_per_bucket), 6x slower."""
        if not query.metrics or query.compare or query.bands or query.funnel or query.cohort:
            return False
        return all(shares_buckets(d.segment) for d in self._segments_read(query) if d.segment)

    def _segments_read(self, query: SemanticQuery) -> list[Dimension]:
        """The governed segments the query groups or filters by."""
        references = [*query.dimensions, *(f.dimension for f in query.filters)]
        return [found[1] for r in references if (found := self.layer.segment_of(r)) is not None]

    def _per_bucket(self, query: SemanticQuery, buckets: list[TimeRange]) -> tuple[Node, list[OutputColumn]]:
        """The query for each time bucket as its own period, one under the other."""
        parts: list[Node] = []
        columns: list[OutputColumn] = []
        for bucket in buckets:
            part, columns = self.plan(
                query.model_copy(update={"time_range": bucket, "order_by": [], "limit": None})
            )
            parts.append(_without_order(part))
        grain = query.time_grain
        assert grain is not None
        if query.order_by:
            order = self._asked_order(query, columns)
        else:
            names = [grain, *(self._output_name(d) for d in query.dimensions)]
            order = [exp.Ordered(this=exp.column(n), desc=False, nulls_first=False) for n in names]
        return Order(Stacked(tuple(parts)), tuple(order), query.limit), columns

    def _sums_per_entity(self, name: str, key: str) -> bool:
        """Whether the metric's figure of each entity (the model `key` is the key of) adds
        up over entities (GMV; orders, each one buyer's, not one product's), so that a
        group of them has the sum of theirs."""
        if self._adds_up_over_groups(self._metric_column(name)):
            return True
        distinct = self._distinct_counted(name)
        holders = self.layer.holders(key)
        return bool(
            distinct
            and distinct[1] in distinct[0].key_columns
            and len(holders) == 1
            and self.graph.one_each(distinct[0].name, holders[0].name)
        )

    def _with_distinct(self, counts: list[DistinctCount]) -> Compiler:
        """This compiler over the layer with each distinct count as a simple metric
        (nlq.semantic.distinct); the asker may see it where they may see its metric."""
        layer = with_distinct_counts(self.layer, counts, self.graph)
        return self._extended(layer, {count.name: count.of for count in counts})

    def _extended(self, layer: SemanticLayer, added: dict[str, str]) -> Compiler:
        """This compiler over `layer`, a copy of its own with metrics added on the fly (each
        name to the governed metric it is made of), which the asker may see where they may
        see that metric."""
        role = self.policy.role
        for name, of in added.items():
            self.policy.check_metric(of)
            if role.metrics != "*":
                role = role.model_copy(update={"metrics": [*role.metrics, name]})
        extended = copy.copy(self)
        extended.layer = layer
        extended.policy = copy.copy(self.policy)
        extended.policy.role = role
        return extended

    def _unordered(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        plan, columns = self._select(query)
        return _without_order(plan), columns

    def _top_share(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """去年消费最高的前100个用户的GMV占全站GMV的多少, the top 20% of customers' share of
        GMV: each row's figure (one per customer), ranked; the first rows' total beside
        the whole and their share. The whole is every row's, so the figure must add up
        over the rows (GMV of customers, not their AOV)."""
        if (
            len(query.metrics) != 1
            or len(query.dimensions) != 1
            or (query.limit is None) == (query.top_fraction is None)
        ):
            raise QueryError(Text("semantic.top_share_shape"))
        metric = query.metrics[0]
        found = self.layer.measure_of(metric)
        if found is None or found[1].agg not in {"sum", "count"}:
            raise QueryError(Text("semantic.top_share_not_additive", metric=self._metric(metric).label))
        rows, _ = self._unordered(
            query.model_copy(
                update={"share_of_top": False, "top_fraction": None, "order_by": [], "limit": None}
            )
        )
        figure, key = exp.column(metric), exp.column(self._output_name(query.dimensions[0]))
        desc = query.order_by[0].desc if query.order_by else True
        order = exp.Order(expressions=[exp.Ordered(this=figure.copy(), desc=desc), exp.Ordered(this=key)])
        rank = exp.Window(this=exp.RowNumber(), order=order)
        everyone = exp.Window(this=exp.Count(this=exp.Star()))
        ranked = Project(
            rows,
            (figure.copy(), rank.as_("top_rank"), everyone.as_("top_of")),
            "ranked",
            where=(figure.copy().is_(exp.null()).not_(),),
        )
        cutoff: exp.Expr = (
            exp.Ceil(
                this=exp.Mul(this=exp.column("top_of"), expression=exp.Literal.number(query.top_fraction))
            )
            if query.top_fraction is not None
            else exp.Literal.number(query.limit)
        )
        kept = exp.LTE(this=exp.column("top_rank"), expression=cutoff)
        part = exp.Sum(this=exp.Case().when(kept, figure.copy()).else_(exp.Literal.number(0)))
        whole = exp.Sum(this=figure.copy())
        names = (f"{metric}_top", f"{metric}_all", f"{metric}_share")
        projections = tuple(part_and_whole(part, whole, names))
        found_metric = self._metric(metric)
        said: list[tuple[ColumnRole, str]] = [
            ("metric", "semantic.top_total"),
            ("metric", "semantic.whole_of"),
            ("share", "semantic.share_of_all"),
        ]
        columns = [
            OutputColumn(
                name,
                role,
                Label.worded(Text(key, label=found_metric.label)),
                "percent" if role == "share" else found_metric.format,
                metric,
            )
            for name, (role, key) in zip(names, said, strict=True)
        ]
        return Project(ranked, projections, "top"), columns

    def _banded(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """买1次、2-3次、4次及以上的用户各多少: each entity's figures (one row per user),
        the band its figure falls in, then per band the entities counted and the
        figures' totals; a figure per entity of the band (average spend per buyer) is
        its numerator's total over their number."""
        bands = query.bands
        assert bands is not None
        if bands.since is not None:
            return self._recency_banded(query, bands)
        # the bands' figure is each one's own (their AOV, days since their last order), read
        # per entity; only the figures shown per band are totalled over their people
        figures = self._entity_figures(query.metrics, bands.of, "semantic.not_per_band")
        read = list(dict.fromkeys([bands.metric, *figures.read]))
        per_entity = query.model_copy(
            update={
                "bands": None,
                "metrics": read,
                "dimensions": [*query.dimensions, bands.of],
                "order_by": [],
                "limit": None,
                "count_groups": False,
                "share": [],
            }
        )
        # each person's figures first, their own attributes looked up after (by gender)
        looked_up = self._per_key_rows(per_entity, bands.of)
        rows = looked_up[0] if looked_up is not None else self._unordered(per_entity)[0]
        figure = exp.column(self._output_name(bands.metric))
        band = f"{self._output_name(bands.metric)}_band"
        case = exp.Case()
        for each in bands.bands:
            case = case.when(_in_band(figure, each), exp.Literal.string(each.label), copy=False)
        groups = [exp.column(self._output_name(d)) for d in query.dimensions]
        values = [exp.column(n) for n in read]
        placed = Project(rows, (*groups, case.as_(band), *values), "per_entity")
        count = f"{self._output_name(bands.of)}_count"
        projections: list[exp.Expr] = [*groups, exp.column(band), exp.Count(this=exp.Star()).as_(count)]
        columns = [
            OutputColumn(self._output_name(d), "dimension", self._dimension_label(d))
            for d in query.dimensions
        ]
        columns.append(
            OutputColumn(
                band,
                "dimension",
                Label.worded(Text("semantic.band_of", label=self._metric(bands.metric).label)),
            )
        )
        of = self._dimension(bands.of).label
        columns.append(
            OutputColumn(count, "metric", Label.worded(Text("semantic.number_of", label=of)), "count")
        )
        if query.share_of_all_counted:
            # how many in each bucket and its share of all buyers: of all the bands' people
            number = exp.Count(this=exp.Star())
            whole = exp.Window(this=exp.Sum(this=number.copy()), partition_by=[g.copy() for g in groups])
            projections.append(safe_ratio(number, whole).as_(f"{count}_share"))
            label = Label.worded(Text("semantic.share_label", label=columns[-1].label))
            columns.append(OutputColumn(f"{count}_share", "share", label, "percent", count))
        for name in query.metrics:
            projections.append(figures.of_group(name, "bands").as_(name))
            columns.append(self._metric_column(name))
        counted = Project(
            placed,
            tuple(projections),
            "bands",
            where=(exp.column(band).is_(exp.null()).not_(),),
            group_by=(*[g.copy() for g in groups], exp.column(band)),
        )
        position = exp.Case()
        for index, each in enumerate(bands.bands):
            position = position.when(
                exp.column(band).eq(exp.Literal.string(each.label)), exp.Literal.number(index)
            )
        order = (*[exp.Ordered(this=g.copy()) for g in groups], exp.Ordered(this=position))
        return Order(counted, order, query.limit), columns

    def _recency_banded(self, query: SemanticQuery, bands: Bands) -> tuple[Node, list[OutputColumn]]:
        """30天内、31-90天、180天以上 since the last paid order: the bands of each one's days
        since their last row of the metric (a metric of its own, nlq.semantic.recency),
        counted over their rows up to the day the days are counted to, or in the period."""
        assert bands.since is not None
        name = recency_name(bands.metric)
        extended = self._extended(with_recency(self.layer, bands.metric, bands.since), {name: bands.metric})
        period = query.time_range or TimeRange(end=bands.since)
        return extended._banded(
            query.model_copy(
                update={
                    "bands": bands.model_copy(update={"metric": name, "since": None}),
                    "time_range": period,
                }
            )
        )

    def _entity_figures(self, names: list[str], key: str, refusal: str) -> EntityFigures:
        """How each figure of a group of entities (the people of a band, those who meet a
        condition) comes from each entity's own: summed, per head, or a quotient of two
        sums; `refusal` is the message when one comes from none of them."""
        summed: list[str] = []
        per_head: dict[str, str] = {}
        divided: dict[str, tuple[str, str]] = {}
        for name in names:
            metric = self._metric(name)
            denominator = (
                self._distinct_counted(metric.denominator) if isinstance(metric, RatioMetric) else None
            )
            if isinstance(metric, RatioMetric) and denominator and denominator[1] == key.rpartition(".")[2]:
                per_head[name] = metric.numerator  # buyers: 1 for each user
            elif self._sums_per_entity(name, key):
                summed.append(name)  # orders: each is one user's
            elif (
                isinstance(metric, RatioMetric)
                and self._sums_per_entity(metric.numerator, key)
                and self._sums_per_entity(metric.denominator, key)
            ):
                # average order value: the group's GMV over its orders, each a sum over its people
                divided[name] = (metric.numerator, metric.denominator)
            else:
                raise QueryError(Text(refusal, metric=metric.label))
        return EntityFigures(tuple(summed), per_head, divided)

    def _distinct_counted(self, metric: str) -> tuple[Model, str] | None:
        """The model and the column a metric counts distinct values of (orders: orders,
        order_id; buyers: orders, user_id)."""
        found = self.layer.measure_of(metric)
        if found is None or found[1].agg != "count_distinct" or found[1].expr is None:
            return None
        counted = canonical(found[1].expr, found[0].name, self.source_dialect)
        return (found[0], counted.name) if isinstance(counted, exp.Column) else None

    def _funnel(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """转化漏斗: the funnel's metric by its step (and the query's groups), then the
        step table (nlq.semantic.funnels)."""
        assert query.funnel is not None
        funnel = self.layer.funnel(query.funnel)
        if funnel is None:
            raise QueryError(Text("semantic.unknown_funnel", funnel=query.funnel))
        steps = query.funnel_steps or funnel.steps
        counts = SemanticQuery(
            metrics=[funnel.metric],
            dimensions=[*query.dimensions, funnel.step],
            time_grain=query.time_grain,  # a monthly funnel: one per month
            time_range=query.time_range,
            time_dimension=query.time_dimension,
            filters=[*query.filters, Filter(dimension=funnel.step, op="in", values=list(steps))],
        )
        plan, counted = self._unordered(counts)
        step = self._output_name(funnel.step)
        table = FunnelSteps(plan, tuple(counted), funnel, tuple(steps), step, wide=query.funnel_wide)
        columns = funnel_columns(counted, step, list(steps) if query.funnel_wide else None)
        return self._reordered(table, query, columns), columns

    def _cohort(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """留存: the cohort metric by cohort and bucket, from the first cohort's start to
        the last day asked about, then the retention table (nlq.semantic.cohorts)."""
        assert query.cohort is not None
        cohort = self.layer.cohort(query.cohort)
        if cohort is None:
            raise QueryError(Text("semantic.unknown_cohort", cohort=query.cohort))
        start = query.time_range.start if query.time_range else None
        end = query.time_range.end if query.time_range else None
        until = query.cohort_until or end
        filters = list(query.filters)
        if start is not None:
            filters.append(Filter(dimension=cohort.cohort, op=">=", values=[start.isoformat()]))
        if end is not None:
            filters.append(Filter(dimension=cohort.cohort, op="<=", values=[end.isoformat()]))
        activity = SemanticQuery(
            metrics=[cohort.metric],
            dimensions=[cohort.cohort, *query.dimensions],
            time_grain=cohort.grain,
            time_range=TimeRange(start=start, end=until) if start or until else None,
            filters=filters,
        )
        plan, active = self._unordered(activity)
        name = self._output_name(cohort.cohort)
        wide = query.cohort_wide and bool(query.cohort_offsets) and not query.cohort_averaged
        table = Retention(
            plan, tuple(active), name, cohort.grain, tuple(query.cohort_offsets), query.cohort_averaged, wide
        )
        offsets = list(query.cohort_offsets) if wide else None
        columns = retention_columns(active, name, averaged=query.cohort_averaged, wide=offsets)
        return self._reordered(table, query, columns), columns

    def _moving(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """7日移动平均: the metrics by bucket from N-1 buckets before the period, then
        each bucket's mean over its window (nlq.semantic.windows)."""
        grain, window = query.time_grain, query.moving
        assert grain is not None and window is not None
        start = query.time_range.start if query.time_range else None
        first = grain_start(start, grain) if start is not None else None
        reach = shift_by_grain(first, grain, 1 - window) if first is not None else None
        series = query.model_copy(
            update={
                "moving": None,
                "order_by": [],
                "limit": None,
                "time_range": TimeRange(start=reach, end=query.time_range.end if query.time_range else None),
            }
        )
        plan, buckets = self._unordered(series)
        columns = moving_columns(buckets, grain, window)
        return self._reordered(Moving(plan, tuple(buckets), grain, window, first), query, columns), columns

    def _reordered(self, plan: Node, query: SemanticQuery, columns: list[OutputColumn]) -> Node:
        """The order and limit the question asks (the channel with the lowest conversion),
        in place of the construct's own order."""
        if not query.order_by and query.limit is None:
            return plan
        return Order(plan, tuple(self._asked_order(query, columns)), query.limit)

    @staticmethod
    def _asked_order(query: SemanticQuery, columns: list[OutputColumn]) -> list[exp.Ordered]:
        """The order the question asks, by columns of the answer."""
        names = {c.name for c in columns}
        order: list[exp.Ordered] = []
        for item in query.order_by:
            if item.field not in names:
                raise QueryError(Text("semantic.order_not_in_result", field=item.field))
            order.append(exp.Ordered(this=exp.column(item.field), desc=item.desc, nulls_first=False))
        return order

    def _select(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """The query's plan of facts, combined, and the final select over them."""
        if query.share_of_counted:
            return self._counted_share(query)
        if query.count_groups and (query.order_by or query.limit):
            return self._counted_ranked(query)
        derived = self._counted_derived(query)
        if derived is not None:
            return derived
        counted = self._population(query) or self._counted_after_lookup(query)
        if counted is not None:
            return counted
        wanted = list(dict.fromkeys([*query.metrics, *query.share]))
        for name in wanted:
            self._metric(name)
            self.policy.check_metric(name)
        leaves = self._leaves(wanted, query.time_dimension)
        periods = self._periods(query)
        grain = query.time_grain
        dim_names = [self._output_name(d) for d in query.dimensions]
        groups = self._ride_along(self._groups(leaves), query)
        pin = self._pin(query, groups)
        pinned = self._pinned(query) if pin else set()
        names = [*(n for n in dim_names if n not in pinned), *([grain] if grain else [])]

        parts: list[tuple[str, Node, tuple[str, ...]]] = []
        for index, (home, group) in enumerate(groups):
            for period in periods:
                fact = self._fact(home, group, query, period, pin)
                cte = f"{home.name}_facts" + (f"_{index}" if index else "") + period.suffix
                values = [leaf.name + period.suffix for leaf in group]
                if pin:
                    values += [name + TOTAL for name in query.share]
                parts.append((cte, fact, tuple(values)))

        ctes: list[tuple[str, Node]] = [(name, fact) for name, fact, _ in parts]
        if len(parts) == 1:
            source = parts[0][0]
        else:
            source = "combined"
            ctes.append((source, Combine(tuple((cte, values) for cte, _, values in parts), tuple(names))))

        body, columns = self._final(query, Table(source), dim_names, periods, pin)
        final: Node = With(tuple(ctes), body)
        if query.count_groups and dim_names:
            # customers with 3 paid orders or more by city tier: the customers (the key of
            # a model) are counted, within the other groups named
            keyed = next((i for i, d in enumerate(query.dimensions) if self._is_key(d)), None)
            by = [n for i, n in enumerate(dim_names) if i != keyed] if keyed is not None else []
            at = keyed or 0
            label = self._dimension(query.dimensions[at]).label
            totals = self._totals_beside(query, columns)
            grouped = [c for c in columns if c.name in by]
            final, columns = self._counted(
                final, f"{dim_names[at]}_count", label, totals, by, shared=query.share_of_all_counted
            )
            columns = [*grouped, *columns]
        return final, columns

    def _counted_ranked(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """Top 10 cities by number of customers with 2 orders or more: the groups counted,
        then ordered; an order by the counted key is by its count."""
        plan, columns = self._select(query.model_copy(update={"order_by": [], "limit": None}))
        keyed = next((i for i, d in enumerate(query.dimensions) if self._is_key(d)), 0)
        key = self._output_name(query.dimensions[keyed])
        order = [
            o.model_copy(update={"field": f"{key}_count"}) if o.field == key else o for o in query.order_by
        ]
        ordered = self._asked_order(query.model_copy(update={"order_by": order}), columns)
        return Order(plan, tuple(ordered), query.limit), columns

    def _counted_derived(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]] | None:
        """买过3次以上的用户有多少人，他们的客单价: a figure of the people counted that does
        not add up over them (a quotient) comes from the parts each person's row carries,
        each totalled over them (their GMV over their number); a figure that comes from
        no parts is refused, never dropped. None when every figure asked adds up."""
        keyed = [d for d in query.dimensions if self._is_key(d)]
        if not query.count_groups or len(keyed) != 1:
            return None
        conditioned = {f.metric for f in query.metric_filters} - set(query.totals_of_conditioned)
        # buyers of the buyers counted: their number, the count itself
        key = keyed[0].rpartition(".")[2]
        asked = [
            m
            for m in query.metrics
            if m not in conditioned and ((found := self._distinct_counted(m)) is None or found[1] != key)
        ]
        if all(self._adds_up_over_groups(self._metric_column(m)) for m in asked):
            return None
        figures = self._entity_figures(asked, keyed[0], "semantic.not_per_counted")
        derived = figures.quotients(asked)
        kept = [m for m in query.metrics if m not in derived]
        parts = query.model_copy(
            update={"metrics": list(dict.fromkeys([*kept, *figures.read])), "order_by": [], "limit": None}
        )
        plan, columns = self._select(parts)
        if not isinstance(plan, Counted):
            raise QueryError(Text("semantic.not_per_counted", metric=self._metric(derived[0]).label))
        shown = [c for c in columns if c.role != "metric" or c.metric is None or c.metric in kept]
        totals = tuple(name for name in plan.totals if any(c.name == name for c in shown))
        quotients = tuple(figures.of_group(m, COUNTED_ROWS).as_(m) for m in derived)
        return replace(plan, totals=totals, figures=quotients), [
            *shown,
            *(self._metric_column(m) for m in derived),
        ]

    def _metric_column(self, name: str) -> OutputColumn:
        metric = self._metric(name)
        return OutputColumn(name, "metric", metric.label, metric.format, name)

    def _counted_after_lookup(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]] | None:
        """Customers who spent over 5000, counted by member level: each customer's figures
        with their own attributes looked up after (`_per_key_rows`), then counted in each
        group."""
        keyed = [d for d in query.dimensions if self._is_key(d)]
        if not query.count_groups or len(keyed) != 1 or query.time_grain or query.share:
            return None
        looked_up = self._per_key_rows(query.model_copy(update={"count_groups": False}), keyed[0])
        if looked_up is None:
            return None
        rows, columns = looked_up
        key_name = self._output_name(keyed[0])
        by = [c for c in columns if c.role == "dimension" and c.name != key_name]
        totals = self._totals_beside(query, columns)
        label = self._dimension(keyed[0]).label
        counted, counts = self._counted(
            rows, f"{key_name}_count", label, totals, [c.name for c in by], shared=query.share_of_all_counted
        )
        return counted, [*by, *counts]

    def _per_key_rows(self, query: SemanticQuery, key: str) -> tuple[Node, list[OutputColumn]] | None:
        """Each key's figures (customers', grouped by the customer alone: one pass over the
        facts), then the key's own attributes the query groups by joined to those rows (one
        join per customer, not per fact row: 1.8x faster at scale 10). None unless every
        other dimension is a column of the key's model, one per row."""
        attributes = [d for d in query.dimensions if d != key]
        (model,) = self.layer.holders(key)
        if not attributes or any(
            self.layer.segment_of(d) is not None or not one_per_row(self.layer, self.graph, model.name, d)
            for d in attributes
        ):
            return None
        per_key, figures = self._unordered(
            query.model_copy(update={"dimensions": [key], "order_by": [], "limit": None})
        )
        key_name = self._output_name(key)
        relation = Relation(model, [], self.source_dialect, self.graph)
        named = [(self._output_name(d), self._group_by_dimension(relation, d)) for d in attributes]
        own_key = canonical(model.key_columns[0], model.name, self.source_dialect)
        metrics = [c for c in figures if c.role == "metric"]
        rows = Rows(
            relation,
            (
                *named,
                (key_name, exp.column(key_name, "per_key")),
                *((c.name, exp.column(c.name, "per_key")) for c in metrics),
            ),
            joined=((per_key, "per_key", own_key.eq(exp.column(key_name, "per_key"))),),
        )
        grouped = [
            OutputColumn(name, "dimension", self._dimension_label(d))
            for d, (name, _) in zip(attributes, named, strict=True)
        ]
        keyed = next(c for c in figures if c.name == key_name)
        return rows, [*grouped, keyed, *metrics]

    def _counted_share(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """What share of buyers in each city tier ordered at least twice: each person's
        figures in the period (everyone who has any, in each group), the conditions as a
        flag, then per group those who meet them, everyone, and the share."""
        keyed = [d for d in query.dimensions if self._is_key(d)]
        if len(keyed) != 1:
            raise QueryError(Text("semantic.share_of_counted_needs_key"))
        key = keyed[0]
        all_of_them = query.model_copy(
            update={
                "metric_filters": [],
                "count_groups": False,
                "share_of_counted": False,
                "totals_of_conditioned": [],
                "order_by": [],
                "limit": None,
            }
        )
        rows, figures = self._unordered(all_of_them)
        names = {c.metric: c.name for c in figures if c.role == "metric"}
        conditions = []
        for condition in query.metric_filters:
            if condition.metric not in names:
                raise QueryError(Text("semantic.filter_not_computed", metric=condition.metric))
            comparison = COMPARISON[condition.op]
            conditions.append(
                comparison(this=exp.column(names[condition.metric]), expression=exp.convert(condition.value))
            )
        key_name = self._output_name(key)
        by = [c for c in figures if c.role == "dimension" and c.name != key_name]
        label = self._dimension(key).label
        count, everyone, share = f"{key_name}_count", f"{key_name}_all", f"{key_name}_share"
        # what they account for: the totals of their figures, each beside its whole
        totals = self._totals_beside(query, figures)
        conditioned = {f.metric for f in query.metric_filters}
        for column in figures:
            if column.role == "metric" and column.metric not in conditioned and column not in totals:
                # 客单价 of those who meet it in all: no part of a whole to share
                raise QueryError(Text("semantic.not_a_part", metric=column.label))
        counted = Counted(
            rows,
            count,
            tuple(c.name for c in totals),
            tuple(c.name for c in by),
            meeting=(tuple(conditions), everyone, share),
        )
        columns = [*by, *self._part_and_whole_columns((count, everyone, share), label)]
        for total in totals:
            whole = Label.worded(Text("semantic.whole_of", label=total.label))
            part_of = Label.worded(Text("semantic.share_of_all", label=total.label))
            columns += [
                total,
                OutputColumn(f"{total.name}_all", "metric", whole, total.format, total.metric),
                OutputColumn(f"{total.name}_share", "metric", part_of, "percent"),
            ]
        return counted, columns

    @staticmethod
    def _part_and_whole_columns(names: tuple[str, str, str], label: Label) -> list[OutputColumn]:
        """The number of those who meet the conditions, of all of them, and their share."""
        count, everyone, share = names
        return [
            OutputColumn(count, "metric", Label.worded(Text("semantic.number_of", label=label)), "count"),
            OutputColumn(
                everyone, "metric", Label.worded(Text("semantic.number_of_all", label=label)), "count"
            ),
            OutputColumn(
                share, "metric", Label.worded(Text("semantic.share_of_all", label=label)), "percent"
            ),
        ]

    def _totals_beside(self, query: SemanticQuery, columns: list[OutputColumn]) -> list[OutputColumn]:
        """The figures of counted rows that add up over them (their GMV), not the ones
        the condition is on."""
        conditioned = {f.metric for f in query.metric_filters} - set(query.totals_of_conditioned)
        return [
            c
            for c in columns
            if c.role == "metric" and c.metric not in conditioned and self._adds_up_over_groups(c)
        ]

    def _is_key(self, reference: str) -> bool:
        """users.user_id: the rows a condition is on."""
        return self.layer.is_key(reference)

    def _population(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]] | None:
        """购买次数分布, 重要价值客户有多少: the people of a segment, counted from the segment's
        own rows (one per person of the period's population) rather than from the facts
        joined to it: one pass over the facts, not two (2x faster at scale 10). Only where
        the segment holds every condition of the question: its metric is the one its layer
        says counts its population, and any other filter is computed inside it."""
        references = [*query.dimensions, *(f.dimension for f in query.filters)]
        segments = {
            (found[0].name, found[1].name): found
            for reference in references
            if (found := self.layer.segment_of(reference)) is not None
        }
        if len(segments) != 1:
            return None
        ((entity, dimension),) = segments.values()
        segment = dimension.segment
        assert segment is not None
        own = (dimension.name, f"{entity.name}.{dimension.name}")
        others = [d for d in query.dimensions if d not in own]
        plain = [f for f in query.filters if f.dimension.rpartition(".")[2] != dimension.name]
        if (
            query.metrics != [segment.population]
            or (plain and segment.historical)
            or _asks_more_than_groups(query)
        ):
            return None
        span = Span.of(query.time_range)
        facts = Relation(
            entity, [], self.source_dialect, self.graph, span=span, filters=plain, grouped=others
        )
        kept = None if segment.historical else self._segment_facts(facts, entity, dimension)
        within = {w.reference: w.name for w in kept.within} if kept else {}
        # a group of the entity's own column (its gender) is read on the entity, joined to
        # the people's rows: one row each
        own_columns = {d: entity.column(self._output_name(d)) for d in others if d not in within}
        if any(
            c is None or c.segment is not None or entity not in self.layer.holders(d)
            for d, c in own_columns.items()
        ):
            return None
        rows = segment_relation(self.layer, entity, dimension, span, self.source_dialect, kept)
        people_key = exp.column(entity.key_columns[0], "people")
        joined = (
            (
                exp.Join(
                    this=model_table(entity, entity.name, self.source_dialect),
                    on=canonical(entity.key_columns[0], entity.name, self.source_dialect).eq(people_key),
                    kind="INNER",
                ),
            )
            if own_columns
            else ()
        )
        where = [
            self._predicate(exp.column(dimension.name), f, dimension)
            for f in query.filters
            if f.dimension.rpartition(".")[2] == dimension.name
        ]
        metric = self._metric(query.metrics[0])
        self.policy.check_metric(metric.name)
        columns = [OutputColumn(metric.name, "metric", metric.label, metric.format, metric.name)]
        by: list[tuple[exp.Expr, str]] = []
        for reference in reversed(query.dimensions):
            if reference in own:
                by.insert(0, (exp.column(dimension.name, "people"), dimension.name))
                columns.insert(0, OutputColumn(dimension.name, "dimension", dimension.label))
                continue
            name = self._output_name(reference)
            if reference in within:
                by.insert(0, (exp.column(within[reference], "people"), name))
            else:
                column = own_columns[reference]
                assert column is not None
                by.insert(0, (canonical(column.sql, entity.name, self.source_dialect), name))
            columns.insert(0, OutputColumn(name, "dimension", self._dimension_label(reference)))
        people = Population(rows, metric.name, tuple(where), tuple(by), joined)
        return self._order(people, query, columns), columns

    def _averaged(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """日均GMV: the metrics per bucket of the grain, then their mean in each group.
        Buckets without a row (a day with no order) are not averaged in, as the
        per-bucket figures show."""
        grain, across = query.averaged_over, query.averaged_across
        update: dict[str, Any] = {
            "averaged_over": None,
            "averaged_across": None,
            "order_by": [],
            "limit": None,
            # averaged more than 600 orders a month: the condition is on the mean, not on a month
            "metric_filters": [],
        }
        if grain is not None:
            update["time_grain"] = grain
        else:
            assert across is not None
            update["dimensions"] = [*query.dimensions, across]
        buckets, bucket_columns = self._unordered(query.model_copy(update=update))
        inner = self._output_name(across) if across else None
        columns = [c for c in bucket_columns if c.role == "dimension" and c.name != inner]
        keys: list[exp.Expr] = [exp.column(c.name) for c in columns]
        projections: list[exp.Expr] = list(keys)
        over = self._dimension(across).label if across else None
        taken = query.across or ["avg"]
        buckets_in_period = _buckets_in(query.time_range, grain) if grain is not None else None
        for column in bucket_columns:
            if column.role != "metric":
                continue
            for function in taken:
                name = column.name if taken == ["avg"] else f"{column.name}_{function}"
                figure: exp.Expr = AGGREGATES[function](this=exp.column(column.name))
                if function == "avg" and buckets_in_period and self._adds_up_over_groups(column):
                    # 日均销量: the total over every day of the period, a day without a sale
                    # (under a filter, or a role's rows) counting as none, not left out
                    figure = exp.Div(
                        this=exp.Sum(this=exp.column(column.name)),
                        expression=exp.Literal.number(buckets_in_period),
                    )
                projections.append(figure.as_(name))
                if over is not None:  # 平均每个品牌的买家数
                    label = Label.worded(
                        Text(f"semantic.over_{function}_group", label=column.label, group=over)
                    )
                else:
                    key = (
                        f"semantic.averaged_label_{grain}"
                        if function == "avg"
                        else f"semantic.over_{function}_{grain}"
                    )
                    label = Label.worded(Text(key, label=column.label))
                columns.append(replace(column, name=name, label=label))
        averaged: Node = Project(buckets, tuple(projections), "buckets", group_by=tuple(keys))
        if query.metric_filters:
            first = taken[0]
            conditions = tuple(
                COMPARISON[f.op](
                    this=exp.column(
                        self._output_name(f.metric) if taken == ["avg"] else f"{f.metric}_{first}"
                    ),
                    expression=exp.convert(f.value),
                )
                for f in query.metric_filters
            )
            averaged = Project(
                averaged, tuple(exp.column(c.name) for c in columns), "averaged", where=conditions
            )
        return self._order(averaged, query, columns), columns

    @staticmethod
    def _counted(
        rows: Node,
        name: str,
        of: Label,
        totals: Sequence[OutputColumn] = (),
        by: Sequence[str] = (),
        figures: Sequence[exp.Expr] = (),
        *,
        shared: bool = False,
    ) -> tuple[Node, list[OutputColumn]]:
        """The number of rows (groups, or listed rows) the query returns, its conditions
        applied, in all or within the groups `by`; and the total of the figures asked of
        them beside the condition (how many customers ordered 3 times or more, and how much
        GMV they brought in); `shared`, each group's share of all of them."""
        column = OutputColumn(name, "metric", Label.worded(Text("semantic.number_of", label=of)), "count")
        columns = [column, *totals]
        if shared and by:
            count = exp.Count(this=exp.Star())
            whole = exp.Window(this=exp.Sum(this=count.copy()))
            figures = [*figures, safe_ratio(count, whole).as_(f"{name}_share")]
            label = Label.worded(Text("semantic.share_label", label=column.label))
            columns.append(OutputColumn(f"{name}_share", "share", label, "percent", name))
        counted = Counted(rows, name, tuple(c.name for c in totals), tuple(by), figures=tuple(figures))
        return counted, columns

    def _adds_up_over_groups(self, column: OutputColumn) -> bool:
        """A figure whose groups' values add up to the whole: a sum or a count of rows."""
        metric = self.layer.metric(column.metric or "") if column.role == "metric" else None
        if not isinstance(metric, SimpleMetric):
            return False
        found = self.layer.measure_of(metric.name)
        return found is not None and found[1].agg in {"sum", "count"}

    # -- listings ------------------------------------------------------------------------
    def _listing(self, query: SemanticQuery) -> tuple[Node, list[OutputColumn]]:
        """Rows without a metric ("the 20 most expensive products in 美妆"): the distinct
        values of the dimensions, read from the model of the first one and what it
        reaches; filters and the model's default time apply as usual."""
        home = self._listing_home(query.dimensions[0])
        key = home.key_dimension
        own_key = f"{home.name}.{key.name}" if key is not None else None
        if query.count_groups and own_key in query.dimensions:
            # how many users never ordered: the rows are counted by their key, in the groups
            # named before it (by city tier); the columns after it only make the distinct
            # rows wider (2x at scale 10)
            counted_by = query.dimensions[: query.dimensions.index(own_key) + 1]
            query = query.model_copy(update={"dimensions": counted_by, "order_by": []})
        span = Span.of(query.time_range)
        plan = Relation(home, [], self.source_dialect, self.graph, span=span, filters=list(query.filters))
        keys = [(self._output_name(ref), self._group_by_dimension(plan, ref)) for ref in query.dimensions]
        among = query.without or query.with_figure or query.presences
        own, theirs = self._split_filters(home, query) if among else (query.filters, [])
        where = [self._filter_predicate(plan, f) for f in own]
        dated_by = query.time_dimension or home.default_time
        if dated_by and query.time_range:
            time_model, time, path = self._time_reached(home, dated_by)
            plan.join(path)
            time_expr = canonical(time.sql, time_model, self.source_dialect)
            # Rows without a figure in a period are those there by its end (a user who
            # registered later never could have ordered in it); dated rows, within it.
            start = query.time_range.start if not among or query.rows_dated else None
            where += self._range(time, time_expr, Period("", start, query.time_range.end))
        placed = self._place(plan, where)
        memberships: list[Membership] = []
        if query.with_figure:
            memberships.append(self._keys_of(home, query.with_figure, query.with_range, theirs, absent=False))
        if query.without:
            period = None if query.rows_dated else query.time_range
            memberships.append(self._keys_of(home, query.without, period, theirs, query.time_dimension))
        flagged: list[Membership] = []
        for condition in query.presences:
            # each with its own period and filters (the categories, the campaigns)
            membership = self._presence_keys(home, condition, theirs, query)
            # who of them meet the conditions, beside all of them: those conditions as a
            # column; the ones the whole is among (去年只买过一次的客户) keep the rows
            shared = query.share_of_counted and not condition.among
            (flagged if shared else memberships).append(membership)
        flag = "meets_all" if query.share_of_counted else None
        of_each = None
        if query.figures:
            if own_key is None:  # no key to total each row's figures by: refused, never dropped
                raise QueryError(
                    Text("semantic.not_per_counted", metric=self._metric(query.figures[0]).label)
                )
            of_each = self._entity_figures(query.figures, own_key, "semantic.not_per_counted")
        figures = self._listed_figures(query, home, of_each.read) if of_each else None
        # DISTINCT rather than GROUP BY: a listing may show a masked column, which
        # the policy lets no query group, filter or sort on.
        rows = Rows(
            plan,
            (*keys, *(figures[1] if figures else ())),
            tuple(placed),
            left_joined=(figures[0],) if figures else (),
            memberships=tuple(memberships),
            distinct=True,
            flag=flag,
            flagged=tuple(flagged),
        )
        columns = [
            OutputColumn(name, "dimension", self._dimension_label(ref))
            for ref, (name, _) in zip(query.dimensions, keys, strict=True)
        ]
        masked = {name for name, value in keys if columns_of(value) & self.policy.masked()}
        parts = of_each.read if of_each else []
        listed = Project(
            Table("listing"),
            tuple(exp.column(name) for name in [*(n for n, _ in keys), *([flag] if flag else []), *parts]),
        )
        # the key is unique only when every column is one per row of it (not an order's lines)
        one_each = all(one_per_row(self.layer, self.graph, home.name, d) for d in query.dimensions)
        unique = self._output_name(own_key) if own_key in query.dimensions and one_each else None
        ordered = self._order(listed, query, columns, unsorted=masked, unique=unique)
        if query.count_groups:
            # how many products sold nothing: the rows counted, not listed (nor ordered), in
            # each group of the other columns named (by city tier)
            ordered = replace(ordered, order=(), limit=None)
            by = [self._output_name(d) for d in query.dimensions if d != own_key] if unique else []
            counted_rows = With((("listing", rows),), ordered)
            grouped = [c for c in columns if c.name in by]
            if flag:
                # 2025年注册的用户里有过购买的占比: those who meet them, all, and the share
                count = f"{home.name}_count"
                names = (count, f"{home.name}_all", f"{home.name}_share")
                met = exp.EQ(this=exp.column(flag), expression=exp.Literal.number(1))
                meeting = Counted(counted_rows, count, (), tuple(by), meeting=((met,), *names[1:]))
                return meeting, [*grouped, *self._part_and_whole_columns(names, home.label)]
            # what they spent, their 客单价: totals of their parts (nlq.semantic.compiler.EntityFigures)
            derived = of_each.quotients(query.figures) if of_each else []
            summed = [self._metric_column(m) for m in query.figures if m not in derived]
            quotients = [of_each.of_group(m, COUNTED_ROWS).as_(m) for m in derived] if of_each else []
            counted, counts = self._counted(
                counted_rows,
                f"{home.name}_count",
                home.label,
                summed,
                by,
                quotients,
                shared=query.share_of_all_counted,
            )
            return counted, grouped + counts + [self._metric_column(m) for m in derived]
        return With((("listing", rows),), ordered), columns

    def _listed_figures(
        self, query: SemanticQuery, home: Model, parts: list[str]
    ) -> tuple[tuple[Node, str, exp.Expr], tuple[tuple[str, exp.Expr], ...]]:
        """The figures of each listed row in their own period (what each person a
        presence picks spent in Q2), the parts a figure of all of them is made of: each
        key's, joined to its row (a row without any has none), and their columns."""
        key = home.key_dimension
        assert key is not None
        own_key = f"{home.name}.{key.name}"
        per_key, _ = self._unordered(
            SemanticQuery(metrics=parts, dimensions=[own_key], time_range=query.figures_range)
        )
        key_name = self._output_name(own_key)
        column = canonical(home.key_columns[0], home.name, self.source_dialect)
        joined = (per_key, "figures", column.eq(exp.column(key_name, "figures")))
        return joined, tuple((name, exp.column(name, "figures")) for name in parts)

    def _split_filters(self, home: Model, query: SemanticQuery) -> tuple[list[Filter], list[Filter]]:
        """The filters a listing's rows carry (在售 of a product), and those only the
        absent metric's rows can (上个月在天猫没卖出去: the channel of the sales)."""
        own: list[Filter] = []
        theirs: list[Filter] = []
        for flt in query.filters:
            one_each = any(self.graph.one_each(home.name, m.name) for m in self.layer.holders(flt.dimension))
            (own if one_each else theirs).append(flt)
        return own, theirs

    def _presence_keys(
        self, home: Model, condition: Presence, theirs: list[Filter], query: SemanticQuery
    ) -> Membership:
        """The keys of the rows that meet a presence: a figure in its period, or one within
        so many days after each row's own time (注册后7天内完成首单: the days from registering
        to the first paid order, a metric of its own, nlq.semantic.recency). Of rows dated by
        that time (registered in 2025), only theirs are read: the figure's rows start on
        their first day, none before (4.7x the hand-written query at scale 10 before, when
        every user's orders were)."""
        if condition.within_days is None or condition.after is None:
            return self._keys_of(
                home,
                condition.metric,
                condition.time_range,
                [*theirs, *condition.filters],
                absent=condition.absent,
                threshold=MetricFilter(metric=condition.metric, op=condition.op, value=condition.value),
            )
        name = elapsed_name(condition.metric, condition.after)
        layer = with_elapsed(self.layer, condition.metric, condition.after)
        extended = self._extended(layer, {name: condition.metric})
        period, own = condition.time_range, list(theirs)
        listed = query.time_range if query.rows_dated else None
        if listed is not None and listed.start is not None and listed.end is not None:
            own.append(
                Filter(dimension=condition.after, op="between", values=[str(listed.start), str(listed.end)])
            )
            period = TimeRange(start=listed.start, end=period.end if period else None)
        return extended._keys_of(
            home,
            name,
            period,
            [*own, *condition.filters],
            absent=condition.absent,
            threshold=MetricFilter(metric=name, op="<=", value=condition.within_days),
        )

    def _keys_of(
        self,
        home: Model,
        metric: str,
        period: TimeRange | None,
        filters: list[Filter],
        dated_by: str | None = None,
        *,
        absent: bool = True,
        threshold: MetricFilter | None = None,
    ) -> Membership:
        """NOT IN (or IN) the keys of the rows that have a figure of the metric in the
        period (as much of it as `threshold` says, or any), computed as a grouped query of
        its own (its 口径, fan-out rule and the asker's policy apply as to any other)."""
        key = home.key_dimension
        if key is None:
            raise QueryError(Text("semantic.absent_needs_key", model=home.label))
        present = SemanticQuery(
            metrics=[metric],
            dimensions=[f"{home.name}.{key.name}"],
            time_range=period,
            time_dimension=dated_by if period else None,
            filters=filters,
            metric_filters=[threshold or MetricFilter(metric=metric, op=">", value=0)],
        )
        inner, _ = self._unordered(present)  # a set of keys: no order
        return Membership(canonical(key.sql, home.name, self.source_dialect), key.name, inner, absent)

    def _listing_home(self, reference: str) -> Model:
        name = reference.rpartition(".")[2]
        holders = self.layer.holders(reference)
        if not holders:
            raise QueryError(Text("semantic.unknown_dimension", dimension=reference))
        if len(holders) > 1:
            options = ", ".join(f"{m.name}.{name}" for m in holders)
            raise QueryError(
                Text("semantic.ambiguous_dimension", dimension=reference, options=options), kind="ambiguous"
            )
        return holders[0]

    # -- metrics -----------------------------------------------------------------------
    def _metric(self, name: str) -> AnyMetric:
        metric = self.layer.metric(name)
        if metric is None:
            raise QueryError(Text("semantic.unknown_metric", metric=name))
        return metric

    def _leaves(self, names: list[str], dated_by: str | None = None) -> list[Leaf]:
        """The metrics that read rows, behind `names`; `dated_by` (a time dimension the
        question's verb chose: shipped in 1997) dates them instead of their own time."""
        found: dict[str, Leaf] = {}

        def expand(name: str, trail: tuple[str, ...]) -> None:
            if name in trail:
                raise QueryError(Text("semantic.metric_cycle", metric=name))
            metric = self._metric(name)
            if isinstance(metric, RatioMetric):
                expand(metric.numerator, (*trail, name))
                expand(metric.denominator, (*trail, name))
            elif isinstance(metric, DerivedMetric):
                for column in parse_snippet(metric.expr, self.source_dialect).find_all(exp.Column):
                    expand(column.name, (*trail, name))
            elif name not in found:
                found[name] = self._leaf(metric, dated_by)

        for name in names:
            expand(name, ())
        return list(found.values())

    def _leaf(self, metric: LeafMetric, dated_by: str | None = None) -> Leaf:
        model_name, measure_name = metric.measure.split(".", 1)
        home = self.layer.model(model_name)
        measure = home.measure(measure_name) if home else None
        if home is None or measure is None:
            raise QueryError(Text("semantic.unknown_measure", metric=metric.name, measure=metric.measure))
        conditions = [
            *conjuncts(self._canonical(measure.filter, home.name)),
            *conjuncts(self._canonical(getattr(metric, "filter", None), home.name)),
        ]
        time_ref = self._dated_by(metric, home, dated_by) if dated_by else self.layer.time_of(metric)
        if time_ref is None:
            if not isinstance(metric, SimpleMetric):
                raise QueryError(Text("semantic.metric_without_time", metric=metric.name))
            return Leaf(metric, home, measure, home.name, None, tuple(conditions))
        time_model, _, time_name = time_ref.rpartition(".")
        time_model = time_model or home.name
        owner = self.layer.model(time_model)
        time = owner.time_dimension(time_name) if owner else None
        if time is None:
            raise QueryError(Text("semantic.unknown_time_dimension", metric=metric.name, time=time_ref))
        return Leaf(metric, home, measure, time_model, time, tuple(conditions))

    def _dated_by(self, metric: LeafMetric, home: Model, reference: str) -> str:
        """A time dimension asked for by the question (orders shipped in 1997) dates a
        metric when its rows reach that time without repeating: the home model's own, or
        one a many-to-one path leads to. A snapshot keeps its snapshot date."""
        if isinstance(metric, SemiAdditiveMetric):
            raise QueryError(Text("semantic.snapshot_dated", metric=metric.label))
        owner, time, _ = self._time_reached(home, reference)
        return f"{owner}.{time.name}"

    def _time_reached(self, home: Model, reference: str) -> tuple[str, TimeDimension, list[Edge]]:
        """The model holding time dimension `reference`, the dimension and the many-to-one
        path from `home` to it; a QueryError when the rows of `home` cannot be dated by it."""
        owner, _, name = reference.rpartition(".")
        owner = owner or home.name
        model = self.layer.model(owner)
        time = model.time_dimension(name) if model else None
        path = self.graph.path(home.name, owner, forward_only=True)
        if time is None or path is None:
            raise QueryError(
                Text("semantic.not_dated_by", model=home.label, time=time.label if time else reference)
            )
        return owner, time, path

    def _canonical(self, sql: str | None, owner: str) -> exp.Expr | None:
        return canonical(sql, owner, self.source_dialect) if sql else None

    def _groups(self, leaves: list[Leaf]) -> list[tuple[Model, list[Leaf]]]:
        """Simple metrics of one home and time dimension share a fact; per-entity and
        semi-additive metrics need a shape of their own."""
        groups: dict[tuple[str, ...], tuple[Model, list[Leaf]]] = {}
        for leaf in leaves:
            key: tuple[str, ...] = (leaf.home.name, leaf.time_model, leaf.time_name)
            if not isinstance(leaf.metric, SimpleMetric):
                key = (*key, leaf.name)
            groups.setdefault(key, (leaf.home, []))[1].append(leaf)
        return list(groups.values())

    def _ride_along(
        self, groups: list[tuple[Model, list[Leaf]]], query: SemanticQuery
    ) -> list[tuple[Model, list[Leaf]]]:
        """A distinct count, minimum or maximum over a coarser model (buyers: the distinct
        users of orders) taken in the pass over a finer model that reaches it (order
        items, for GMV) instead of a scan of its own: repeating an order once per item
        changes none of them (the fan-out rule). The average spend per buyer then reads
        orders and users once, not twice (1.5x the hand-written SQL before)."""
        kept = [(home, list(leaves)) for home, leaves in groups]
        for _, riders in kept:
            for leaf in list(riders):
                if not self._may_ride(leaf):
                    continue
                host = next(
                    (
                        leaves
                        for home, leaves in kept
                        if leaves is not riders
                        and leaves
                        and isinstance(leaves[0].metric, SimpleMetric)
                        and (leaves[0].time_model, leaves[0].time_name) == (leaf.time_model, leaf.time_name)
                        and self._rides(home, leaf, query)
                    ),
                    None,
                )
                if host is not None:
                    host.append(leaf)
                    riders.remove(leaf)
        return [(home, leaves) for home, leaves in kept if leaves]

    def _may_ride(self, leaf: Leaf) -> bool:
        # A distinct count of the model's own key stays in its own pass, where it is a
        # COUNT(*) (see _cheapest_count): cheaper than a second scan saved.
        if not isinstance(leaf.metric, SimpleMetric) or leaf.measure.agg not in FANOUT_INVARIANT:
            return False
        return not self._counts_own_rows(leaf)

    def _counts_own_rows(self, leaf: Leaf) -> bool:
        """A distinct count of the model's own key (orders: COUNT(DISTINCT order_id))."""
        value = self._measure_value(leaf)
        own_key = isinstance(value, exp.Column) and value.name == leaf.home.primary_key
        return leaf.measure.agg == "count_distinct" and own_key

    def _rides(self, host: Model, leaf: Leaf, query: SemanticQuery) -> bool:
        """Whether the pass over `host` sees exactly the rows of `leaf.home` that its own
        pass would: each of them has a host row (`complete` relationships all the way),
        whatever it reads (time, dimensions, filters, its own columns) is reached through
        it, and no row policy hides a host row whose `leaf.home` row stays visible."""
        home = leaf.home.name
        link = self.graph.path(host.name, home, forward_only=True)
        if not link or not all(edge.complete for edge in link):
            return False
        reached = {host.name, *self.graph.forward_paths(host.name)}
        through = {home, *self.graph.forward_paths(home)}
        if (set(self.policy.role.row_filters) & reached) - through:
            return False
        value = self._measure_value(leaf)
        read = {leaf.time_model, *leaf.conditions_models} | (models_of(value) if value is not None else set())
        for name in read - {home}:
            below = self.graph.path(home, name, forward_only=True)
            if below is None or self.graph.path(host.name, name, forward_only=True) != [*link, *below]:
                return False
        references = [(ref, False) for ref in query.dimensions] + [(f.dimension, True) for f in query.filters]
        try:
            for ref, semi_join in references:
                wanted, _, below = self._resolve_dimension(ref, leaf.home, [leaf], semi_join=semi_join)
                found, _, path = self._resolve_dimension(ref, host, [leaf], semi_join=semi_join)
                if found.name != wanted.name or path != _through(link, below):
                    return False
        except QueryError:
            return False
        return True

    def _pinned(self, query: SemanticQuery) -> set[str]:
        """The output names of the dimensions a pinned share keeps one value of (no grouping)."""
        return {self._output_name(f.dimension) for f in query.focus}

    def _pin(self, query: SemanticQuery, groups: list[tuple[Model, list[Leaf]]]) -> bool:
        """Whether the query is a share of single values of its dimensions (本月美妆GMV占总GMV
        的比例: the 美妆 row of the GMV share by category), within the groups of the others if
        any (each age group's share of 美妆 buyers), that one
        pass of conditional aggregates answers: the pinned values filtered inside each
        aggregate, the total beside it. Grouping every category to keep one of them
        took 1.3-1.6x the hand-written conditional sum. The total is the whole's own
        figure, not the groups' added up: a buyer of two categories is one of all the
        buyers (美妆 buyers over the sum of each category's buyers counted such a buyer
        twice). In one fact and one period, over dimensions a query may filter on (not
        masked or hidden)."""
        if query.time_grain or query.compare or query.metric_filters or not query.share or len(groups) != 1:
            return False
        pinned = {
            self._output_name(f.dimension) for f in query.focus if f.op in {"=", "in"} and len(f.values) == 1
        }
        dimensions = [self._output_name(d) for d in query.dimensions]
        within = {self._output_name(d) for d in query.share_within}
        if len(pinned) != len(query.focus) or not pinned or not pinned <= set(dimensions):
            return False
        if len(dimensions) != len(set(dimensions)) or set(dimensions) - pinned != within:
            return False
        home, leaves = groups[0]
        if not set(query.share) <= {leaf.name for leaf in leaves}:
            return False
        protected = self.policy.masked() | self.policy.hidden()
        for reference in query.dimensions:
            model, dimension, _ = self._resolve_dimension(reference, home, leaves)
            if columns_of(canonical(dimension.sql, model.name, self.source_dialect)) & protected:
                return False
        return True

    # -- time --------------------------------------------------------------------------
    def _periods(self, query: SemanticQuery) -> list[Period]:
        start = query.time_range.start if query.time_range else None
        end = query.time_range.end if query.time_range else None
        current = Period("", start, end)
        if query.compare is None:
            return [current]
        if start is None or end is None:
            raise QueryError(Text("semantic.comparison_needs_range"))
        grain = query.time_grain
        if query.baseline is not None and query.baseline.start and query.baseline.end:
            return [current, Period("__previous", query.baseline.start, query.baseline.end, None)]
        if query.compare == "yoy":
            previous_start, previous_end = year_over_year(start, end)
            shift = ("MONTH", 12)
        elif grain is not None:
            previous_start, previous_end = shift_by_grain(start, grain, -1), shift_by_grain(end, grain, -1)
            shift = GRAIN_UNITS[grain]
        else:
            previous_start, previous_end = previous_period(start, end)
            shift = None
        return [current, Period("__previous", previous_start, previous_end, shift)]

    def _time_expr(self, leaf: Leaf) -> exp.Expr:
        assert leaf.time is not None
        return canonical(leaf.time.sql, leaf.time_model, self.source_dialect)

    @staticmethod
    def _as_it_stands(lead: Leaf, query: SemanticQuery, period: Period) -> None:
        """A metric with no time answers for its rows as they stand: asked for a period,
        a time grain or a comparison, it says so instead of ignoring them."""
        if period.start is None and not query.time_grain and query.compare is None:
            return
        label = lead.metric.label
        # Its label, else its name, in each language.
        called = Label(zh=label.zh or lead.name, en=label.en or lead.name)
        raise QueryError(Text("semantic.rows_as_they_stand", metric=called))

    def _bucket(self, time_expr: exp.Expr, grain: Grain, period: Period) -> Bucket:
        shifted = time_expr
        if period.shift is not None:
            unit, amount = period.shift
            shifted = exp.DateAdd(
                this=time_expr.copy(), expression=exp.Literal.number(amount), unit=exp.var(unit)
            )
        value = bucket_date(shifted, grain)
        # a day groups by the date itself; longer buckets by the truncated time
        return Bucket(key=value.copy() if grain == "day" else value.this.copy(), value=value)

    @staticmethod
    def _range(time: TimeDimension, time_expr: exp.Expr, period: Period) -> list[exp.Expr]:
        return time_bounds(time.type, time_expr, period.start, period.end)

    # -- dimensions and filters ----------------------------------------------------
    @staticmethod
    def _output_name(reference: str) -> str:
        return reference.rsplit(".", 1)[-1]

    def _resolve_dimension(
        self, reference: str, home: Model, leaves: list[Leaf], *, semi_join: bool = False
    ) -> tuple[Model, Dimension, list[Edge]]:
        """The dimension a name means for a fact: a qualified `model.name`, or the
        nearest model (fewest one-to-many edges, then fewest joins) that has it."""
        name = reference.rpartition(".")[2]
        candidates = self.layer.holders(reference)
        if not candidates:
            raise QueryError(Text("semantic.unknown_dimension", dimension=reference))
        ranked: list[tuple[tuple[int, int], Model, list[Edge]]] = []
        for model in candidates:
            path = self.graph.path(home.name, model.name, semi_join=semi_join)
            if path is not None:
                ranked.append(((sum(e.to_many for e in path), len(path)), model, path))
        if not ranked:
            subject = leaves[0].metric.label if leaves else home.label
            wanted = candidates[0].column(name)
            raise QueryError(
                Text(
                    "semantic.not_one_per_row",
                    metric=subject,
                    dimension=wanted.label if wanted else reference,
                    model=home.label,
                )
            )
        ranked.sort(key=lambda item: item[0])
        best = [item for item in ranked if item[0] == ranked[0][0]]
        if len(best) > 1:
            options = ", ".join(f"{m.name}.{name}" for _, m, _ in best)
            raise QueryError(
                Text("semantic.ambiguous_dimension", dimension=reference, options=options), kind="ambiguous"
            )
        _, model, path = best[0]
        dimension = model.column(name)
        assert dimension is not None
        return model, dimension, path

    def _group_by_dimension(self, plan: Relation, reference: str) -> exp.Expr:
        model, dimension, path = self._resolve_dimension(reference, plan.home, plan.leaves)
        if dimension.segment is not None:
            return self._segment(plan, model, dimension, path)
        if any(edge.to_many for edge in path):
            variant = next((leaf for leaf in plan.leaves if not leaf.fanout_invariant), None)
            if variant is not None:
                child = self.layer.model(next(e.target for e in path if e.to_many))
                assert child is not None
                raise QueryError(
                    Text(
                        "semantic.fans_out",
                        metric=variant.metric.label,
                        dimension=dimension.label,
                        model=plan.home.label,
                        child=child.label,
                    )
                )
        plan.join(path)
        expression = canonical(dimension.sql, model.name, self.source_dialect)
        if not isinstance(expression, exp.Column):
            return expression
        # orders.order_id of a refund is refunds.order_id: read there, orders need no join.
        # Not where either column is masked or hidden: each is read through its own view.
        same = plan.same_key(expression)
        if self._protected(model.name, expression.name) or self._protected(same.table, same.name):
            return expression
        return same

    def _protected(self, model: str, column: str) -> bool:
        return (model, column) in self.policy.masked() | self.policy.hidden()

    def _filter_predicate(self, plan: Relation, flt: Filter) -> exp.Expr:
        model, dimension, path = self._resolve_dimension(
            flt.dimension, plan.home, plan.leaves, semi_join=True
        )
        last = path[-1] if path else None
        keeps_matched = (
            last is not None
            and (last.always_matches or flt.op in {"in", "="})
            # the joined model's row policy and the columns' masks still apply through the join
            and last.target not in self.policy.role.row_filters
            and not self._protected(last.target, last.target_key)
            and not self._protected(last.source, last.source_key)
        )
        if (
            dimension.segment is None
            and last
            and not last.to_many
            and last.target_key == dimension.sql
            and keeps_matched
        ):
            # user 13963's orders: the key a joined row is reached by is the joining row's
            # own column, so the join is not needed (orders.user_id, not users.user_id); a
            # row whose key finds no row is kept out by the value asked, or cannot exist
            column = canonical(last.source_key, last.source, self.source_dialect)
            return self._predicate(column, flt, dimension)
        column = (
            self._segment(plan, model, dimension, path)
            if dimension.segment is not None
            else canonical(dimension.sql, model.name, self.source_dialect)
        )
        return self._predicate(column, flt, dimension)

    def _segment_facts(self, plan: Relation, entity: Model, dimension: Dimension) -> Kept:
        """The facts a segment of the period alone is computed from: those the question's
        filters keep (美妆的购买频次 counts orders with a 美妆 item), within each group that
        varies within an entity and is one per fact row (each channel: see `Within`).
        Grouped by what varies within an entity in another way, or with features that
        reach back before the period, a buyer would be in a segment per group: refused."""
        segment = dimension.segment
        assert segment is not None
        facts = self.layer.model(segment.facts)
        assert facts is not None
        rows = Relation(facts, [], self.source_dialect, self.graph)
        within: list[Within] = []
        for reference in varying_within(self.layer, self.graph, entity, plan.grouped):
            if (
                segment.reaches_back
                or self.layer.segment_of(reference) is not None
                or not one_per_row(self.layer, self.graph, facts.name, reference)
            ):
                raise QueryError(
                    Text(
                        "semantic.segment_split",
                        segment=dimension.label,
                        dimension=self._dimension_label(reference),
                    )
                )
            name = f"within_{len(within) + 1}"
            within.append(Within(reference, name, self._group_by_dimension(rows, reference)))
        predicates = []
        for flt in plan.filters:
            if self.layer.segment_of(flt.dimension) is not None:
                continue
            try:
                predicates.append(self._filter_predicate(rows, flt))
            except QueryError:
                continue  # a filter the facts do not reach is not theirs (a product's status)
        conditions = self._place(rows, predicates)
        reading = [w.expr for w in within]
        return Kept(rows.select(self.layer, reading, conditions), conditions, within)

    def _segment(self, plan: Relation, entity: Model, dimension: Dimension, path: list[Edge]) -> exp.Column:
        """A governed segment's value for each fact row: its per-entity relation for the
        plan's period, joined many-to-one on the entity's key."""
        if any(edge.to_many for edge in path):
            subject = plan.leaves[0].metric.label if plan.leaves else plan.home.label
            raise QueryError(
                Text(
                    "semantic.not_one_per_row",
                    metric=subject,
                    dimension=dimension.label,
                    model=plan.home.label,
                )
            )
        alias = f"{dimension.name}_segment"
        if all(existing != alias for existing, _, _ in plan.segments):
            plan.join(path)
            key = entity.key_columns[0]
            on: exp.Expr = exp.column(key, alias).eq(plan.same_key(exp.column(key, entity.name)))
            historical = dimension.segment is not None and dimension.segment.historical
            kept = None if historical else self._segment_facts(plan, entity, dimension)
            for within in kept.within if kept else []:
                group = self._group_by_dimension(plan, within.reference)
                on = exp.and_(on, exp.NullSafeEQ(this=exp.column(within.name, alias), expression=group))
            if plan.span.grain is not None and dimension.segment and dimension.segment.decided_in_period:
                assert plan.bucket is not None
                on = exp.and_(on, exp.column(BUCKET, alias).eq(plan.bucket.copy()))
            rows = segment_relation(self.layer, entity, dimension, plan.span, self.source_dialect, kept)
            plan.segments.append((alias, rows, on))
        return exp.column(dimension.name, alias)

    def _predicate(self, column: exp.Expr, flt: Filter, dimension: Dimension) -> exp.Expr:
        values = [self._typed(v, dimension) for v in flt.values]
        op = flt.op
        if op in {"=", "in"} and len(values) == 1 and (branch := _case_branch(column, values[0])) is not None:
            # CASE WHEN pay_time IS NOT NULL THEN '已支付' ELSE '未支付' END = '已支付' is the
            # condition itself, which an engine can use to skip rows (3x faster listings)
            return branch
        if op in {"=", "in"}:
            return column.eq(values[0]) if len(values) == 1 else column.isin(*values)
        if op in {"!=", "not_in"}:
            return column.neq(values[0]) if len(values) == 1 else exp.Not(this=column.isin(*values))
        if op == "between":
            return exp.Between(this=column, low=values[0], high=values[1])
        if op == "contains":
            return exp.GT(
                this=exp.StrPosition(this=column, substr=values[0]), expression=exp.Literal.number(0)
            )
        if op == "starts_with":
            prefix = str(flt.values[0])
            return exp.Substring(
                this=column, start=exp.Literal.number(1), length=exp.Literal.number(len(prefix))
            ).eq(values[0])
        if op == "is_null":
            return column.is_(exp.null())
        if op == "not_null":
            return exp.Not(this=column.is_(exp.null()))
        comparison = {">": exp.GT, ">=": exp.GTE, "<": exp.LT, "<=": exp.LTE}[op]
        return comparison(this=column, expression=values[0])

    @staticmethod
    def _typed(value: Any, dimension: Dimension) -> exp.Expr:
        if dimension.type == "number" and isinstance(value, str):
            try:
                value = float(value) if "." in value else int(value)
            except ValueError as error:
                raise QueryError(
                    Text("semantic.not_a_number", dimension=dimension.called, value=value)
                ) from error
        return exp.convert(value)

    def _place(self, plan: Relation, predicates: list[exp.Expr]) -> list[exp.Expr]:
        """Predicates over joinable models stay as they are (their models are
        joined); those behind a one-to-many edge become one EXISTS per edge."""
        placed: list[exp.Expr] = []
        semi: dict[Edge, tuple[list[Edge], list[exp.Expr]]] = {}
        for predicate in predicates:
            behind: Edge | None = None
            paths: list[list[Edge]] = []
            for model in sorted(models_of(predicate)):
                if model in plan.joined:
                    continue
                path = self.graph.path(plan.home.name, model, semi_join=True)
                if path is None:
                    raise QueryError(Text("semantic.unrelated_models", model=model, home=plan.home.name))
                first = next((i for i, e in enumerate(path) if e.to_many), None)
                if first is None:
                    plan.join(path)
                    continue
                if behind is not None and path[first] != behind:
                    raise QueryError(Text("semantic.two_one_to_many"))
                plan.join(path[:first])
                behind = path[first]
                paths.append(path[first:])
            if behind is None:
                placed.append(predicate)
            else:
                entry = semi.setdefault(behind, ([], []))
                entry[0].extend(e for p in paths for e in p if e not in entry[0])
                entry[1].append(predicate)
        for edge, (path, inner) in semi.items():
            placed.append(self._exists(plan, edge, path, inner))
        return placed

    def _exists(self, plan: Relation, edge: Edge, path: list[Edge], predicates: list[exp.Expr]) -> exp.Exists:
        aliases = {e.target: f"{e.target}_1" for e in path}
        child = self.layer.model(edge.target)
        assert child is not None
        select = exp.select(exp.Literal.number(1), copy=False).from_(
            model_table(child, aliases[edge.target], self.source_dialect), copy=False
        )
        for step in path[1:]:
            target = self.layer.model(step.target)
            assert target is not None
            on = exp.column(step.target_key, aliases[step.target]).eq(
                exp.column(step.source_key, aliases[step.source])
            )
            select = select.join(
                exp.Join(this=model_table(target, aliases[step.target], self.source_dialect), on=on),
                copy=False,
            )
        correlation = exp.column(edge.target_key, aliases[edge.target]).eq(
            plan.same_key(exp.column(edge.source_key, edge.source))
        )
        inner = [
            rename_models(p.copy(), aliases) for p in predicates if not self._key_present(p, set(aliases))
        ]
        return exp.Exists(this=_where(select, [correlation, *inner]))

    def _key_present(self, predicate: exp.Expr, models: set[str]) -> bool:
        """`refunds.refund_id IS NOT NULL` inside EXISTS (SELECT 1 FROM refunds ...): true of
        every row there, since a key is never null. Left in, it made the engine read the
        key column of every refund (refund rate 1.8x the hand-written SQL)."""
        if not (isinstance(predicate, exp.Not) and isinstance(predicate.this, exp.Is)):
            return False
        column, value = predicate.this.this, predicate.this.expression
        if (
            not isinstance(column, exp.Column)
            or not isinstance(value, exp.Null)
            or column.table not in models
        ):
            return False
        model = self.layer.model(column.table)
        return model is not None and column.name == model.primary_key

    # -- facts -----------------------------------------------------------------------
    def _fact(
        self, home: Model, leaves: list[Leaf], query: SemanticQuery, period: Period, pin: bool = False
    ) -> Node:
        plan = Relation(
            home,
            leaves,
            self.source_dialect,
            self.graph,
            span=Span(period.start, period.end),
            filters=list(query.filters),
            grouped=list(query.dimensions),
        )
        lead = leaves[0]
        plan.join(self._forward_path(home.name, lead.time_model, lead))
        self._join_measures(plan)
        if lead.time is None:
            self._as_it_stands(lead, query, period)
        time_expr = self._time_expr(lead) if lead.time else None
        if time_expr is not None and period.shift is None and self._segment_buckets(query) is not None:
            # each bucket's segments (每个月的新客): decided per bucket, joined on it too
            assert query.time_grain is not None
            plan.span = replace(plan.span, grain=query.time_grain)
            plan.bucket = self._bucket(time_expr, query.time_grain, period).value
        if query.time_grain and lead.time and query.time_grain not in lead.time.grains:
            allowed = ", ".join(lead.time.grains)
            raise QueryError(
                Text(
                    "semantic.grain_not_allowed",
                    metric=lead.metric.label,
                    grain=GRAIN_LABELS[query.time_grain],
                    time=lead.time.called,
                    allowed=allowed,
                )
            )
        keys: list[tuple[str, exp.Expr]] = [
            (self._output_name(ref), self._group_by_dimension(plan, ref)) for ref in query.dimensions
        ]
        focus: exp.Expr | None = None
        if pin:  # the dimensions pinned to one value each are no grouping, see _pin
            values = dict(keys)
            focus = and_all(
                [
                    self._predicate(
                        values[self._output_name(f.dimension)].copy(), f, self._dimension(f.dimension)
                    )
                    for f in query.focus
                ]
            )
            keys = [(name, key) for name, key in keys if name not in self._pinned(query)]
        if query.time_grain and time_expr is not None:
            keys.append((query.time_grain, self._bucket(time_expr, query.time_grain, period).value))

        # The time dimension is reached many-to-one (validated), so its range is placed as
        # it is, ahead of the other conditions; a snapshot metric needs the two apart.
        span = (
            self._place(plan, self._range(lead.time, time_expr, period))
            if lead.time is not None and time_expr is not None
            else []
        )
        filters = [self._filter_predicate(plan, f) for f in query.filters]
        common, residual = self._split_conditions(leaves)
        conditions = self._place(plan, [*filters, *common])
        where = [*span, *conditions]
        residual_placed = {name: and_all(self._place(plan, conds)) for name, conds in residual.items()}
        if residual and all(residual_placed.values()) and len(residual_placed) == len(leaves):
            # Every metric filters its rows: scan only rows that one of them needs.
            where.append(exp.or_(*[exp.paren(c) for c in residual_placed.values() if c is not None]))

        if isinstance(lead.metric, PerEntityMetric):
            return self._per_entity_fact(plan, lead, keys, where, residual_placed.get(lead.name), period)
        if isinstance(lead.metric, SemiAdditiveMetric):
            assert time_expr is not None  # a snapshot metric always has its time (see _leaf)
            return self._semi_additive_fact(
                plan, lead, keys, span, conditions, time_expr, query.time_grain, period
            )

        measures: list[Figure] = []
        for leaf in leaves:
            value = self._measure_value(leaf)
            condition = residual_placed.get(leaf.name)
            figure = Figure(leaf.name + period.suffix, leaf.measure.agg, value, condition)
            if focus is not None:
                if leaf.name in query.share:
                    measures.append(replace(figure, name=leaf.name + TOTAL))
                figure = replace(figure, focus=focus)
            measures.append(figure)
        return Fact(plan, tuple(keys), tuple(measures), tuple(where), simple=True)

    def _forward_path(self, home: str, target: str, leaf: Leaf) -> list[Edge]:
        path = self.graph.path(home, target, forward_only=True)
        if path is None:
            raise QueryError(Text("semantic.unreachable_model", metric=leaf.name, home=home, target=target))
        return path

    def _join_measures(self, plan: Relation) -> None:
        """Models a measure expression reads (products.unit_cost in gross profit) are
        joined forward only: a measure never fans out."""
        for leaf in plan.leaves:
            value = self._measure_value(leaf)
            for model in sorted(models_of(value) - {plan.home.name} if value is not None else set()):
                plan.join(self._forward_path(plan.home.name, model, leaf))

    def _measure_value(self, leaf: Leaf) -> exp.Expr | None:
        if leaf.measure.expr is None:
            return None
        value = canonical(leaf.measure.expr, leaf.home.name, self.source_dialect)
        return value

    @staticmethod
    def _split_conditions(leaves: list[Leaf]) -> tuple[list[exp.Expr], dict[str, list[exp.Expr]]]:
        """Conditions every metric of the fact shares go to WHERE; the rest become
        CASE WHEN inside each aggregate."""
        keyed = [{c: c for c in leaf.conditions} for leaf in leaves]  # equal trees hash alike
        shared = set(keyed[0]).intersection(*keyed[1:]) if keyed else set()
        common = [keyed[0][k] for k in keyed[0] if k in shared]
        residual = {
            leaf.name: [c for k, c in conditions.items() if k not in shared]
            for leaf, conditions in zip(leaves, keyed, strict=True)
            if set(conditions) - shared
        }
        return common, residual

    def _per_entity_fact(
        self,
        plan: Relation,
        leaf: Leaf,
        keys: list[tuple[str, exp.Expr]],
        where: list[exp.Expr],
        condition: exp.Expr | None,
        period: Period,
    ) -> PerEntity:
        metric = leaf.metric
        assert isinstance(metric, PerEntityMetric)
        entity = canonical(metric.entity, leaf.home.name, self.source_dialect)
        figure = Figure("entity_value", leaf.measure.agg, self._measure_value(leaf), condition)
        per_entity = Fact(plan, tuple(keys), (figure,), tuple(where), also_grouped=(entity,))
        return PerEntity(
            leaf.name + period.suffix, per_entity, tuple(name for name, _ in keys), metric.at_least
        )

    def _semi_additive_fact(
        self,
        plan: Relation,
        leaf: Leaf,
        keys: list[tuple[str, exp.Expr]],
        span: list[exp.Expr],
        conditions: list[exp.Expr],
        time_expr: exp.Expr,
        grain: Grain | None,
        period: Period,
    ) -> Snapshots:
        # A snapshot measure is read at the latest snapshot time within the period (or
        # within each time bucket), and the period alone decides that time: a filter
        # (华东仓) then reads the same snapshot as its row of a breakdown (by warehouse),
        # and a warehouse that stopped reporting shows no stale stock.
        name = leaf.name + period.suffix
        if (
            grain
            and leaf.time
            and leaf.time.cadence
            and GRAINS.index(grain) <= GRAINS.index(leaf.time.cadence)
        ):
            # Each bucket holds one snapshot time (the layer's cadence): its latest.
            rows = Rows(plan, self._snapshot_projections(leaf, keys), (*span, *conditions))
            return Snapshots(name, rows, tuple(k for k, _ in keys), leaf.measure.agg)
        # The latest times come from a grouped subquery joined on the time, its bucket
        # with it; a single latest time, from a scalar subquery the time equals (the
        # engines read it once: 1.3x faster than the join at scale 10). Not MAX() OVER:
        # MariaDB computes that window in quadratic time; not IN: DuckDB probes that
        # semi-join row by row and truncates every row's time again.
        bucket = self._bucket(time_expr, grain, period) if grain else None
        # Grouped by the truncation itself, cast to a date once per bucket rather than
        # once per row (DuckDB truncates a date to a timestamp: 今年每个月月末的库存 1.4x).
        latest = Fact(
            plan,
            (("bucket", bucket.value),) if bucket is not None else (),
            (Figure("snapshot_time", "max", time_expr.copy()),),
            tuple(span),
            group_by=(bucket.key,) if bucket is not None else (),
        )
        if bucket is None:
            rows = Rows(
                plan,
                self._snapshot_projections(leaf, keys),
                tuple(conditions),
                equal_to=((time_expr.copy(), latest),),
            )
            return Snapshots(name, rows, tuple(k for k, _ in keys), leaf.measure.agg)
        alias = self._free_alias("latest_snapshot")
        if grain:  # the bucket key (the last, see _fact) is the one the latest time came with
            keys = [*keys[:-1], (grain, exp.column("bucket", alias))]
        on = time_expr.copy().eq(exp.column("snapshot_time", alias))
        rows = Rows(
            plan, self._snapshot_projections(leaf, keys), tuple(conditions), joined=((latest, alias, on),)
        )
        return Snapshots(name, rows, tuple(k for k, _ in keys), leaf.measure.agg)

    def _snapshot_projections(
        self, leaf: Leaf, keys: list[tuple[str, exp.Expr]]
    ) -> tuple[tuple[str, exp.Expr], ...]:
        value = self._measure_value(leaf) or exp.Literal.number(1)
        return (*keys, ("snapshot_value", value))

    def _free_alias(self, name: str) -> str:
        """`name`, or `name_2`..., whichever no model of the layer is called: a
        derived table's alias must not shadow a model's."""
        taken = {model.name for model in self.layer.models}
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    # -- combining and the final select ------------------------------------------------------
    def _metric_expr(self, name: str, suffix: str) -> exp.Expr:
        metric = self._metric(name)
        if isinstance(metric, RatioMetric):
            return safe_ratio(
                self._metric_expr(metric.numerator, suffix), self._metric_expr(metric.denominator, suffix)
            )
        if isinstance(metric, DerivedMetric):
            tree = parse_snippet(metric.expr, self.source_dialect)
            return exp.paren(
                tree.transform(
                    lambda node: (
                        exp.paren(self._metric_expr(node.name, suffix))
                        if isinstance(node, exp.Column)
                        else node
                    )
                )
            )
        return exp.column(name + suffix)

    def _final(
        self, query: SemanticQuery, source: Table, dim_names: list[str], periods: list[Period], pin: bool
    ) -> tuple[Node, list[OutputColumn]]:
        grain = query.time_grain
        projections: list[exp.Expr] = []
        columns: list[OutputColumn] = []
        pinned = {self._output_name(f.dimension): f for f in query.focus} if pin else {}
        for reference, name in zip(query.dimensions, dim_names, strict=True):
            dimension = self._dimension(reference)
            flt = pinned.get(name)
            projections.append(self._typed(flt.values[0], dimension).as_(name) if flt else exp.column(name))
            columns.append(OutputColumn(name, "dimension", dimension.label))
        if grain:
            projections.append(exp.column(grain))
            columns.append(OutputColumn(grain, "time", GRAIN_LABELS[grain]))
        comparing = len(periods) > 1
        # the figures a quotient asked on the fly is made of are shown beside it, not as the answer
        parts = {n for r in query.ratios for n in (r.numerator, r.denominator)}
        for name in query.metrics:
            metric = self._metric(name)
            current = self._metric_expr(name, "")
            projections.append(current.as_(name))
            role: ColumnRole = "component" if name in parts else "metric"
            columns.append(OutputColumn(name, role, metric.label, metric.format, name))
            if comparing:
                previous = self._metric_expr(name, "__previous")
                change = exp.Sub(this=exp.paren(current.copy()), expression=exp.paren(previous.copy()))
                compared: list[tuple[ColumnRole, exp.Expr, Format | None]] = [
                    ("previous", previous.copy(), metric.format),
                    ("change", change.copy(), metric.format),
                    ("growth", safe_ratio(change, previous.copy()), "percent"),
                ]
                for role, value, shown in compared:
                    # 上月的GMV, 变化额, 环比增长率: each beside the figure it compares
                    label = Label.worded(
                        Text(f"semantic.compared_{role}_{query.compare}", label=metric.label)
                    )
                    projections.append(value.as_(f"{name}_{role}"))
                    columns.append(OutputColumn(f"{name}_{role}", role, label, shown, name))
        for name in query.share:
            metric = self._metric(name)
            value = self._metric_expr(name, "")
            within = [exp.column(self._output_name(d)) for d in query.share_within]
            total: exp.Expr = exp.Window(
                this=exp.Sum(this=value.copy()), partition_by=([exp.column(grain)] if grain else []) + within
            )
            if pin:
                total = exp.column(name + TOTAL)
                # 新客占618买家的比例: the whole the pinned value is a part of, beside it
                projections.append(total.copy().as_(f"{name}_all"))
                whole = Label.worded(Text("semantic.whole_of", label=metric.label))
                columns.append(OutputColumn(f"{name}_all", "metric", whole, metric.format, name))
            share = safe_ratio(value, total)
            projections.append(share.as_(f"{name}_share"))
            columns.append(
                OutputColumn(
                    f"{name}_share",
                    "share",
                    Label.worded(Text("semantic.share_label", label=metric.label)),
                    "percent",
                    name,
                )
            )
        for ratio in query.ratios:
            quotient = safe_ratio(
                self._metric_expr(ratio.numerator, ""), self._metric_expr(ratio.denominator, "")
            )
            projections.append(quotient.as_(ratio.name))
            numerator, denominator = self._metric(ratio.numerator), self._metric(ratio.denominator)
            label = Label.worded(
                Text("semantic.ratio_label", numerator=numerator.label, denominator=denominator.label)
            )
            fmt: Format = "currency" if numerator.format == "currency" else "number"
            columns.append(OutputColumn(ratio.name, "metric", label, fmt, None))
        if query.cumulative:
            projections += self._running_totals(query, columns)
        for name in query.rank:
            if name not in query.metrics:
                raise QueryError(Text("semantic.rank_not_computed", metric=name))
            metric = self._metric(name)
            order = exp.Ordered(
                this=self._metric_expr(name, ""), desc=not query.rank_ascending, nulls_first=False
            )
            within = [exp.column(self._output_name(d)) for d in query.rank_within]
            # within each time bucket, or each bucket of the coarser grain asked (days in a month)
            bucket: list[exp.Expr] = [exp.column(grain)] if grain and not query.rank_buckets else []
            if grain and query.rank_per:
                bucket = [
                    exp.DateTrunc(this=exp.column(grain), unit=exp.Literal.string(query.rank_per.upper()))
                ]
            ranked = exp.Window(
                this=exp.Rank(),
                partition_by=bucket + within,
                order=exp.Order(expressions=[order]),
            )
            projections.append(ranked.as_(f"{name}_rank"))
            label = Label.worded(Text("semantic.rank_label", label=metric.label))
            columns.append(OutputColumn(f"{name}_rank", "rank", label, "count", name))

        where: list[exp.Expr] = []
        if comparing:
            # Rows that exist only in the compared period are not part of the answer.
            leaves = self._leaves(query.metrics, query.time_dimension)
            where.append(exp.or_(*[exp.Not(this=exp.column(leaf.name).is_(exp.null())) for leaf in leaves]))
        for condition in query.metric_filters:
            self._metric(condition.metric)
            if condition.metric not in query.metrics:
                self.policy.check_metric(condition.metric)
                raise QueryError(Text("semantic.filter_not_computed", metric=condition.metric))
            comparison = COMPARISON[condition.op]
            where.append(
                comparison(
                    this=self._metric_expr(condition.metric, ""), expression=exp.convert(condition.value)
                )
            )
        if pin:
            # As a grouping would: no row where the pinned values have no figure.
            where.append(
                exp.or_(
                    *[self._has_figure(leaf) for leaf in self._leaves(query.metrics, query.time_dimension)]
                )
            )
        final: Node = Project(source, tuple(projections), where=tuple(where))
        if query.focus and not pin:
            final = self._focus(final, query, columns)
        if query.rank and query.rank_keep:
            final = self._kept_ranks(final, query, columns)
        return self._order(final, query, columns, unsorted=set(pinned)), columns

    def _running_totals(self, query: SemanticQuery, columns: list[OutputColumn]) -> list[exp.Expr]:
        """今年每月的累计GMV: each additive metric summed along the buckets so far, in each
        group. A ratio or a snapshot does not add up over time, so it has no running total."""
        assert query.time_grain is not None
        groups = [exp.column(c.name) for c in columns if c.role == "dimension"]
        along = exp.Order(expressions=[exp.Ordered(this=exp.column(query.time_grain), desc=False)])
        so_far = exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW")
        projections: list[exp.Expr] = []
        for name in query.metrics:
            metric, measured = self._metric(name), self.layer.measure_of(name)
            if measured is None or measured[1].agg not in {"sum", "count"}:
                # buyers this month plus buyers last month counts a repeat buyer twice
                raise QueryError(Text("semantic.running_total_not_additive", metric=metric.label))
            total = exp.Window(
                this=exp.Sum(this=self._metric_expr(name, "")), partition_by=groups, order=along, spec=so_far
            )
            projections.append(total.as_(f"{name}_cumulative"))
            label = Label.worded(Text("semantic.cumulative_label", label=metric.label))
            columns.append(OutputColumn(f"{name}_cumulative", "cumulative", label, metric.format, name))
        return projections

    @staticmethod
    def _kept_ranks(ranked: Node, query: SemanticQuery, columns: list[OutputColumn]) -> Node:
        """The top N of each group, or the Nth: rows kept once every row was ranked."""
        assert query.rank_keep is not None
        op, n = query.rank_keep
        rank = exp.column(f"{query.rank[0]}_rank")
        kept = exp.LTE(this=rank, expression=exp.Literal.number(n)) if op == "<=" else rank.eq(n)
        return Project(ranked, tuple(exp.column(c.name) for c in columns), "ranked", where=(kept,))

    @staticmethod
    def _has_figure(leaf: Leaf) -> exp.Expr:
        value = exp.column(leaf.name)
        if leaf.measure.agg in {"count", "count_distinct"}:
            return exp.GT(this=value, expression=exp.Literal.number(0))
        return exp.Not(this=value.is_(exp.null()))

    def _focus(self, shares: Node, query: SemanticQuery, columns: list[OutputColumn]) -> Node:
        """Keep the focused rows only after the shares saw every row."""
        conditions = [
            self._predicate(exp.column(self._output_name(flt.dimension)), flt, self._dimension(flt.dimension))
            for flt in query.focus
        ]
        return Project(shares, tuple(exp.column(c.name) for c in columns), "shares", where=tuple(conditions))

    def _order(
        self,
        rows: Node,
        query: SemanticQuery,
        columns: list[OutputColumn],
        *,
        unsorted: set[str] | frozenset[str] = frozenset(),
        unique: str | None = None,
    ) -> Order:
        order = self._asked_order(query, columns)
        ordered = {item.field for item in query.order_by}
        if query.time_grain and query.time_grain not in ordered:
            order.append(exp.Ordered(this=exp.column(query.time_grain), desc=False, nulls_first=False))
            ordered.add(query.time_grain)
        # Ties are broken by the dimensions, so that a limit cuts the same rows on every
        # engine; after a column no two rows share (a listing's key), nothing is left to break.
        for column in columns:
            if unique in ordered:
                break
            if column.role == "dimension" and column.name not in ordered | unsorted:
                order.append(exp.Ordered(this=exp.column(column.name), desc=False, nulls_first=False))
                ordered.add(column.name)
        return Order(rows, tuple(order), query.limit)

    def _dimension_label(self, reference: str) -> Label:
        return self._dimension(reference).label

    def _dimension(self, reference: str) -> Dimension:
        model_name, _, name = reference.rpartition(".")
        for model in self.layer.models:
            if model_name and model.name != model_name:
                continue
            dimension = model.column(name)
            if dimension is not None:
                return dimension
        raise QueryError(Text("semantic.unknown_dimension", dimension=reference))


def _asks_more_than_groups(query: SemanticQuery) -> bool:
    """Whether the query asks anything of its groups beyond their figures."""
    return bool(
        query.time_grain
        or query.compare
        or query.share
        or query.rank
        or query.ratios
        or query.metric_filters
        or query.focus
        or query.count_groups
        or query.averaged_over
        or query.time_dimension
    )


def _through(link: list[Edge], below: list[Edge]) -> list[Edge]:
    """The path from the start of `link` that `below` takes from its end: joined on, or,
    where `below` first walks `link` back (orders to their items, for the category of an
    item), what follows from the start (an item's category is the item's own)."""
    back = below[: len(link)]
    walks_back = len(back) == len(link) and all(
        (down.source, down.source_key, down.target, down.target_key)
        == (up.target, up.target_key, up.source, up.source_key)
        for down, up in zip(back, reversed(link), strict=True)
    )
    return below[len(link) :] if walks_back else [*link, *below]


def _in_band(figure: exp.Expr, band: Band) -> exp.Expr:
    """The figure within a band's bounds (the open ones, none)."""
    bounds: list[exp.Expr] = []
    if band.low is not None:
        low = exp.GT if band.low_strict else exp.GTE
        bounds.append(low(this=figure.copy(), expression=exp.convert(band.low)))
    if band.high is not None:
        high = exp.LT if band.high_strict else exp.LTE
        bounds.append(high(this=figure.copy(), expression=exp.convert(band.high)))
    return exp.and_(*bounds) if bounds else exp.true()


def _without_order(plan: Node) -> Node:
    """The plan without its order (a set of keys, or rows a construct orders itself)."""
    if isinstance(plan, With):
        return replace(plan, body=_without_order(plan.body))
    if isinstance(plan, Order):
        return replace(plan, order=())
    return plan


def _where(select: exp.Select, conditions: list[exp.Expr]) -> exp.Select:
    return select.where(exp.and_(*conditions), copy=False) if conditions else select


def _case_branch(column: exp.Expr, value: exp.Expr) -> exp.Expr | None:
    """The condition of the one branch of `CASE WHEN c THEN v ELSE w END` whose value
    is `value` (and the other's is not): the rows equal to it are those where c holds
    (c unknown gives w, as c false does)."""
    if not isinstance(column, exp.Case) or not isinstance(value, exp.Literal):
        return None
    branches = column.args.get("ifs") or []
    default = column.args.get("default")
    if len(branches) != 1 or not isinstance(default, exp.Literal):
        return None
    then = branches[0].args.get("true")
    same = isinstance(then, exp.Literal) and then.this == value.this and then.is_string == value.is_string
    if not same or (default.this == value.this and default.is_string == value.is_string):
        return None
    return exp.paren(branches[0].this.copy(), copy=False)


def _buckets_in(period: TimeRange | None, grain: Grain) -> int | None:
    """How many buckets of `grain` a period touches (its first and last partly), or None
    for a period open at its start."""
    if period is None or period.start is None or period.end is None:
        return None
    count, bucket = 0, grain_start(period.start, grain)
    while bucket <= period.end:
        count, bucket = count + 1, shift_by_grain(bucket, grain, 1)
    return count
