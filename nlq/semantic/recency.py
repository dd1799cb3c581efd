"""Days between a governed metric's rows and a day, as metrics of their own: the days since
each entity's last row (距最近一次购买的天数, days since their last paid order), asked where
the question puts people in bands of it (30天内、31-90天、180天以上); and the days from a
listed row's own time to its first row (注册后7天内完成首单: from registering to the first
paid order). Each is a simple metric over the governed metric's rows (its home, its
filters, its time): the fewest days, which is the same however the rows fan out, so the
compiler compiles it like any other metric (the asker's policies too)."""

from __future__ import annotations

import datetime as dt

from sqlglot import exp

from nlq.messages import Text
from nlq.semantic.errors import QueryError
from nlq.semantic.expressions import canonical, date_literal
from nlq.semantic.model import Label, Measure, Model, SemanticLayer, SimpleMetric, TimeDimension


def recency_name(metric: str) -> str:
    return f"days_since_last_{metric}"


def with_recency(layer: SemanticLayer, metric: str, since: dt.date) -> SemanticLayer:
    """The layer with the days since each entity's last row of `metric`, to `since`, as a
    simple metric named by recency_name."""
    dated = _dated(layer, metric)
    base, home, _, time = dated
    day = exp.cast(canonical(time.sql, home.name, layer.dialect), exp.DataType.build("date"))
    days = exp.DateDiff(this=date_literal(since, "date"), expression=day, unit=exp.var("DAY"))
    label = Label.worded(Text("semantic.days_since_last", label=base.label))
    return _with_days(layer, dated, recency_name(metric), days, label)


def elapsed_name(metric: str, after: str) -> str:
    return f"days_from_{after.rpartition('.')[2]}_to_{metric}"


def with_elapsed(layer: SemanticLayer, metric: str, after: str) -> SemanticLayer:
    """The layer with the days from `after` (a time of the rows the metric's reach many to
    one: users.register_date) to each entity's first row of `metric`, as a simple metric
    named by elapsed_name."""
    dated = _dated(layer, metric)
    base, home, _, time = dated
    holders = layer.holders(after)
    owner = holders[0] if len(holders) == 1 else None
    column = after.rpartition(".")[2]
    start = (owner.time_dimension(column) or owner.column(column)) if owner else None
    if owner is None or start is None:
        raise QueryError(Text("semantic.recency_of_simple", metric=metric))
    date = exp.DataType.build("date")
    day = exp.cast(canonical(time.sql, home.name, layer.dialect), date)
    since = exp.cast(canonical(start.sql, owner.name, layer.dialect), date)
    days = exp.DateDiff(this=day, expression=since, unit=exp.var("DAY"))
    label = Label.worded(Text("semantic.days_to_first", label=base.label, after=start.label))
    return _with_days(layer, dated, elapsed_name(metric, after), days, label)


Dated = tuple[SimpleMetric, Model, Measure, TimeDimension]


def _dated(layer: SemanticLayer, metric: str) -> Dated:
    """The simple metric, its home and measure, and the time its rows are dated by."""
    base, found = layer.metric(metric), layer.measure_of(metric)
    time_name = layer.time_of(base) if base is not None else None
    time = found[0].time_dimension(time_name) if found is not None and time_name else None
    if not isinstance(base, SimpleMetric) or found is None or time is None:
        raise QueryError(Text("semantic.recency_of_simple", metric=metric))
    return base, found[0], found[1], time


def _with_days(layer: SemanticLayer, dated: Dated, name: str, days: exp.Expr, label: Label) -> SemanticLayer:
    """The fewest `days` over the metric's rows (its home, filters and time) as the simple
    metric `name`, added to a copy of the layer."""
    base, home, measure, time = dated
    added = Measure(name=name, agg="min", expr=days.sql(dialect=layer.dialect), filter=measure.filter)
    figure = SimpleMetric(
        name=name,
        label=label,
        measure=f"{home.name}.{added.name}",
        filter=base.filter,
        time=time.name,
        format="count",
    )
    models = [
        m.model_copy(update={"measures": [*m.measures, added]}) if m is home else m for m in layer.models
    ]
    return layer.model_copy(update={"models": models, "metrics": [*layer.metrics, figure]})
