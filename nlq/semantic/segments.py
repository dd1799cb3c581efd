"""Governed segments: a per-entity attribute (新客/老客, 购买频次, RFM, 首单月份)
computed from the entity's rows of a model within the asked period.

A segment is a relation of one row per entity of the period's population (the
entities with at least one counted row in the period): its key and its value.
A query grouped or filtered by the segment joins it many-to-one on the entity,
so it never repeats a fact row; the facts read inside it are tagged models like
any other, so the asker's row policies apply to them too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.errors import QueryError
from nlq.semantic.expressions import aggregate, canonical, date_literal, parse_snippet, time_bounds
from nlq.semantic.graph import JoinGraph
from nlq.semantic.model import Dimension, Grain, Model, Segment, SemanticLayer, TimeDimension
from nlq.semantic.periods import grain_start, shift_by_grain
from nlq.semantic.policy import model_table
from nlq.semantic.query import TimeRange


@dataclass(frozen=True)
class Span:
    """The period a segment is computed for: its first and last day, either open. With a
    grain, a segment the period decides is decided in each of its buckets instead (每个月
    的新客: new in that month), one row per entity and bucket."""

    start: dt.date | None
    end: dt.date | None
    grain: Grain | None = None

    @classmethod
    def of(cls, period: TimeRange | None) -> Span:
        return cls(period.start, period.end) if period else cls(None, None)


# The column of a segment's rows decided in each bucket that holds the bucket's first day.
BUCKET = "bucket"


def bucket_date(time_expr: exp.Expr, grain: Grain) -> exp.Expr:
    """The first day of the bucket a time falls in, as a date (what a time grain shows)."""
    if grain == "day":
        # A day is the date: the truncation as well costs a third more per row (每天的订单数).
        return exp.cast(time_expr, exp.DataType.build("date"))
    truncated = exp.DateTrunc(this=time_expr, unit=exp.Literal.string(grain.upper()))
    return exp.cast(truncated, exp.DataType.build("date"))


def shares_buckets(segment: Segment) -> bool:
    """Whether the segment can be decided in every bucket of a period in one pass: each
    feature is of the bucket's rows, or is a first time ever, which is the same up to the
    end of any bucket the entity has rows in (a buyer's first order)."""
    return all(f.over == "period" or f.agg == "min" for f in segment.features.values())


def one_per_row(layer: SemanticLayer, graph: JoinGraph, model: str, reference: str) -> bool:
    """Whether each row of `model` has one value of the dimension: its own or a parent's
    (a buyer's city tier is one per user; an order's channel is not)."""
    return any(
        holder.name == model or graph.path(model, holder.name, forward_only=True) is not None
        for holder in layer.holders(reference)
    )


def varying_within(layer: SemanticLayer, graph: JoinGraph, entity: Model, references: list[str]) -> list[str]:
    """The groups among `references` that vary within an entity (each channel of a
    buyer's orders), within which a segment split by them is computed."""
    return [r for r in references if layer.holders(r) and not one_per_row(layer, graph, entity.name, r)]


@dataclass(frozen=True)
class Within:
    """A group that varies within an entity (an order's channel): a segment of the period
    alone split by it is computed within each group, as a filter on it would narrow the
    facts (a buyer with 2 orders on the app and 1 on the web is 2次 on the app, 1次 on
    the web). `expr` reads it on the facts; `name` is its column in the segment's rows."""

    reference: str
    name: str
    expr: exp.Expr


@dataclass(frozen=True)
class Kept:
    """The facts a segment of the period alone is computed from: with the joins and the
    conditions of the question's filters (美妆的购买频次: the orders with a 美妆 item), and
    the groups it is computed within."""

    facts: exp.Select
    conditions: list[exp.Expr]
    within: list[Within] = field(default_factory=list)


def segment_relation(
    layer: SemanticLayer,
    entity: Model,
    dimension: Dimension,
    span: Span,
    dialect: str,
    kept: Kept | None = None,
) -> exp.Select:
    """SELECT <entity key>, [<each group it is computed within>,] <value> FROM (the features
    of each entity) per entity (and group). `kept`: the facts of a segment of the period
    alone."""
    segment = dimension.segment
    assert segment is not None
    if segment.needs_period and (span.start is None or span.end is None):
        raise QueryError(Text("semantic.segment_needs_period", segment=dimension.label))
    facts = layer.model(segment.facts)
    if facts is None or facts.default_time is None:
        raise QueryError(Text("semantic.segment_without_time", segment=dimension.label))
    time = facts.time_dimension(facts.default_time)
    assert time is not None  # validated: a default time is one of the model's times
    key = entity.key_columns[0]
    within = [exp.column(w.name) for w in kept.within] if kept else []
    if span.grain is not None and segment.decided_in_period:
        assert shares_buckets(segment)  # the compiler computes the others bucket by bucket
        features = _bucket_features(segment, facts, time, span, key, dialect, kept)
        value = _value(segment, _bucket_bounds(span), dialect)
        within.append(exp.column(BUCKET))
    else:
        features = _features(segment, facts, time, span, key, dialect, kept)
        value = _value(segment, _period_bounds(span), dialect)
    return exp.select(
        exp.column(key).as_(key, copy=False), *within, value.as_(dimension.name, copy=False), copy=False
    ).from_(features.subquery("features", copy=False), copy=False)


def _features(
    segment: Segment,
    facts: Model,
    time: TimeDimension,
    span: Span,
    key: str,
    dialect: str,
    kept: Kept | None,
) -> exp.Select:
    """Each entity's features, over its counted rows up to the period's end; those of
    the period alone count only the rows inside it, and an entity with none there is
    not in the population."""
    time_expr = canonical(time.sql, facts.name, dialect)
    inside = time_bounds(time.type, time_expr, span.start, span.end)
    bounds = time_bounds(time.type, time_expr, None, span.end) if segment.reaches_back else list(inside)
    source, within, where = _counted_rows(segment, facts, dialect, kept, bounds)
    in_period = exp.and_(*inside) if segment.reaches_back and inside else None
    entity = canonical(segment.entity, facts.name, dialect)
    projections: list[exp.Expr] = [entity.copy().as_(key, copy=False)]
    projections += [w.expr.copy().as_(w.name, copy=False) for w in within]
    for name, feature in segment.features.items():
        scope = in_period if feature.over == "period" else None
        value = canonical(feature.expr, facts.name, dialect) if feature.expr else None
        projections.append(aggregate(feature.agg, value, scope and scope.copy()).as_(name, copy=False))
    select = source.select(*projections, copy=False)
    if where:
        select = select.where(exp.and_(*where), copy=False)
    select = select.group_by(entity.copy(), *[w.expr.copy() for w in within], copy=False)
    if in_period is not None:
        counted = exp.Count(this=exp.Case().when(in_period.copy(), exp.Literal.number(1)))
        select = select.having(exp.GT(this=counted, expression=exp.Literal.number(0)), copy=False)
    return select


def _counted_rows(
    segment: Segment, facts: Model, dialect: str, kept: Kept | None, bounds: list[exp.Expr]
) -> tuple[exp.Select, list[Within], list[exp.Expr]]:
    """The rows a segment's features are read from, the groups they are computed within,
    and the conditions that keep them: its counted rows within `bounds`; for a segment of
    the period alone, the question's facts and their conditions too."""
    where = list(bounds)
    if segment.rows:
        where.insert(0, canonical(segment.rows, facts.name, dialect))
    if kept is not None and not segment.reaches_back:
        return kept.facts, kept.within, where + kept.conditions
    return exp.select().from_(model_table(facts, facts.name, dialect), copy=False), [], where


def _bucket_features(
    segment: Segment,
    facts: Model,
    time: TimeDimension,
    span: Span,
    key: str,
    dialect: str,
    kept: Kept | None,
) -> exp.Select:
    """Each entity's features in each bucket it has counted rows in: those of the period
    over the bucket's rows, a first time ever over its rows up to the period's end
    (the same as up to the bucket's end, since the entity has rows in the bucket)."""
    assert span.grain is not None
    time_expr = canonical(time.sql, facts.name, dialect)
    entity = canonical(segment.entity, facts.name, dialect)
    bucket = bucket_date(time_expr.copy(), span.grain)
    bounds = time_bounds(time.type, time_expr, span.start, span.end)
    source, within, where = _counted_rows(segment, facts, dialect, kept, bounds)
    projections: list[exp.Expr] = [entity.copy().as_(key, copy=False), bucket.copy().as_(BUCKET, copy=False)]
    projections += [w.expr.copy().as_(w.name, copy=False) for w in within]
    ever = {name: f for name, f in segment.features.items() if f.over == "all"}
    for name, feature in segment.features.items():
        if name in ever:
            continue
        value = canonical(feature.expr, facts.name, dialect) if feature.expr else None
        projections.append(aggregate(feature.agg, value, None).as_(name, copy=False))
    inside = (
        source.select(*projections, copy=False)
        .where(exp.and_(*where), copy=False)
        .group_by(entity.copy(), bucket, *[w.expr.copy() for w in within], copy=False)
    )
    if not ever:
        return inside
    history = time_bounds(time.type, time_expr, None, span.end)
    if segment.rows:
        history.insert(0, canonical(segment.rows, facts.name, dialect))
    first = exp.select(
        entity.copy().as_(key, copy=False),
        *[
            aggregate(f.agg, canonical(f.expr, facts.name, dialect) if f.expr else None, None).as_(
                name, copy=False
            )
            for name, f in ever.items()
        ],
        copy=False,
    ).from_(model_table(facts, facts.name, dialect), copy=False)
    if history:
        first = first.where(exp.and_(*history), copy=False)
    first = first.group_by(entity.copy(), copy=False)
    kept_columns = [exp.column(p.alias_or_name, "inside") for p in projections]
    return (
        exp.select(*kept_columns, *[exp.column(name, "ever") for name in ever], copy=False)
        .from_(inside.subquery("inside", copy=False), copy=False)
        .join(
            first.subquery("ever", copy=False),
            on=exp.column(key, "ever").eq(exp.column(key, "inside")),
            join_type="inner",
            copy=False,
        )
    )


def _period_bounds(span: Span) -> dict[str, exp.Expr]:
    """:start and :end of a segment decided in the whole period: its first and last day."""
    bounds: dict[str, exp.Expr] = {}
    if span.start is not None:
        bounds["start"] = date_literal(span.start, "date")
    if span.end is not None:
        bounds["end"] = date_literal(span.end, "date")
    return bounds


def _bucket_bounds(span: Span) -> dict[str, exp.Expr]:
    """:start and :end of a segment decided in each bucket: the bucket's first and last
    day, within the period (a period starting mid-month starts its first month)."""
    assert span.grain is not None and span.start is not None and span.end is not None
    grain = span.grain
    start: exp.Expr = exp.column(BUCKET)
    if grain_start(span.start, grain) != span.start:
        start = exp.Greatest(this=start, expressions=[date_literal(span.start, "date")])
    amount, unit = {"day": (1, "DAY"), "week": (7, "DAY"), "month": (1, "MONTH")}.get(
        grain, (3 if grain == "quarter" else 12, "MONTH")
    )
    after = exp.DateAdd(this=exp.column(BUCKET), expression=exp.Literal.number(amount), unit=exp.var(unit))
    end: exp.Expr = exp.DateSub(this=after, expression=exp.Literal.number(1), unit=exp.var("DAY"))
    end = exp.cast(end, exp.DataType.build("date"))
    if shift_by_grain(grain_start(span.end, grain), grain, 1) - dt.timedelta(days=1) != span.end:
        end = exp.Least(this=end, expressions=[date_literal(span.end, "date")])
    return {"start": start, "end": end}


def _value(segment: Segment, bounds: dict[str, exp.Expr], dialect: str) -> exp.Expr:
    """The segment's value from the features: the first case that holds, or its expr;
    :start and :end are the first and last day it is decided in."""

    def bound(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Placeholder) and node.name in {"start", "end"}:
            return bounds[node.name].copy()  # needs_period was checked
        return node

    def parsed(sql: str) -> exp.Expr:
        return parse_snippet(sql, dialect).transform(bound)

    if segment.expr is not None:
        return parsed(segment.expr)
    case = exp.Case()
    for branch in segment.cases:
        case = case.when(parsed(branch.when), exp.Literal.string(branch.value), copy=False)
    return case
