"""Counts of distinct values asked on the fly (不同商品数, at least 3 different
categories): each is a simple metric over the rows of a governed metric (its home, its
filters, its time), COUNT(DISTINCT) of a dimension those rows reach many-to-one, added
to a copy of the layer for one query. The compiler compiles it like any other metric
(fan-out safe, the asker's policies) and the interpretation names it."""

from __future__ import annotations

from nlq.messages import Text
from nlq.semantic.errors import QueryError
from nlq.semantic.expressions import canonical
from nlq.semantic.graph import JoinGraph
from nlq.semantic.model import Label, Measure, SemanticLayer, SimpleMetric
from nlq.semantic.query import DistinctCount


def with_distinct_counts(
    layer: SemanticLayer, counts: list[DistinctCount], graph: JoinGraph
) -> SemanticLayer:
    for count in counts:
        base, found = layer.metric(count.of), layer.measure_of(count.of)
        if not isinstance(base, SimpleMetric) or found is None:
            raise QueryError(Text("semantic.distinct_of_simple", metric=count.of))
        home, measure = found
        # the model holding the dimension that each of the metric's rows reaches (one each)
        holders = [
            m
            for m in layer.holders(count.dimension)
            if m.name == home.name or graph.path(home.name, m.name, forward_only=True) is not None
        ]
        if not holders:
            raise QueryError(Text("semantic.unknown_dimension", dimension=count.dimension))
        model = next((m for m in holders if m.name == home.name), holders[0])
        dimension = model.column(count.dimension.rpartition(".")[2])
        assert dimension is not None
        counted = canonical(dimension.sql, model.name, layer.dialect).sql(dialect=layer.dialect)
        key = model.key_dimension
        called = model.label if key is not None and key.name == dimension.name else dimension.label
        added = Measure(
            name=f"{count.name}_values", agg="count_distinct", expr=counted, filter=measure.filter
        )
        metric = SimpleMetric(
            name=count.name,
            label=Label.worded(Text("semantic.distinct_count", label=called)),
            measure=f"{home.name}.{added.name}",
            filter=base.filter,
            time=layer.time_of(base),
            format="count",
        )
        models = [
            m.model_copy(update={"measures": [*m.measures, added]}) if m is home else m for m in layer.models
        ]
        layer = layer.model_copy(update={"models": models, "metrics": [*layer.metrics, metric]})
    return layer
