"""A filter asked for that contradicts a governed metric's own definition (口径):
"how many orders were cancelled" when the order count counts paid orders only.

Which filters contradict which definitions only the data knows, so the check is
made on the answer: a question whose value filters leave a filtered metric at
zero or empty is not answered with that zero. The asker is told the metric's
definition and that the rows asked for fall outside it, instead of a confident 0."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from nlq.answer import AnswerBlock
from nlq.language import Language
from nlq.messages import say
from nlq.semantic.model import DerivedMetric, Label, RatioMetric, SemanticLayer, SimpleMetric
from nlq.semantic.query import SemanticQuery
from nlq.understand import Understanding

# A 口径 is written as a sentence; quoted inside another, it loses its full stop.
FULL_STOP = unicodedata.lookup("IDEOGRAPHIC FULL STOP")


def governed_filters(layer: SemanticLayer, name: str, trail: tuple[str, ...] = ()) -> list[str]:
    """The conditions a metric's definition applies to its rows, through ratios and derived metrics."""
    metric = layer.metric(name)
    if metric is None or name in trail:
        return []
    if isinstance(metric, RatioMetric):
        return [
            *governed_filters(layer, metric.numerator, (*trail, name)),
            *governed_filters(layer, metric.denominator, (*trail, name)),
        ]
    if isinstance(metric, DerivedMetric):
        parts = re.findall(r"[A-Za-z_]\w*", metric.expr)
        return [f for part in parts for f in governed_filters(layer, part, (*trail, name))]
    assert isinstance(metric, SimpleMetric)
    found = layer.measure_of(name)
    return [f for f in (metric.filter, found[1].filter if found else None) if f]


def conflict(
    understanding: Understanding,
    answers: list[AnswerBlock],
    layer: SemanticLayer,
    language: Language,
    known: Callable[[str, object], bool],
) -> str | None:
    """The message for an answer whose value filters left a governed metric empty, else None.
    Only values that exist (`known`) count: a value no row holds is empty under any definition."""
    for step, block in zip(understanding.steps, answers, strict=False):
        query = step.query
        if not query.filters or query.metric_filters or step.feed is not None:
            continue
        if not all(known(f.dimension, v) for f in query.filters if f.op == "in" for v in f.values):
            continue
        if not empty_answer(query, block):
            continue
        governed = [m for m in query.metrics if governed_filters(layer, m)]
        if not governed:
            continue
        return _message(layer, governed, fitting(layer, governed), language)
    return None


def empty_answer(query: SemanticQuery, block: AnswerBlock) -> bool:
    """No rows, or every metric of every row empty or zero."""
    columns = [i for i, c in enumerate(block.columns) if c in query.metrics]
    if not columns:
        return not block.rows
    return all(row[i] is None or row[i] == 0 for row in block.rows for i in columns)


def fitting(layer: SemanticLayer, metrics: list[str]) -> list[str]:
    """Metrics of the same kind over the same rows without a governed filter (an order
    count of every order beside the paid-only one): what the asker can ask instead."""
    found: list[str] = []
    for name in metrics:
        counted = _counted(layer, name)
        found += [
            m.name
            for m in layer.metrics
            if m.name not in metrics
            and counted is not None
            and _counted(layer, m.name) == counted
            and not governed_filters(layer, m.name)
        ]
    return list(dict.fromkeys(found))


def _counted(layer: SemanticLayer, name: str) -> tuple[str, str, str] | None:
    """What a simple metric aggregates, and how: (model, aggregation, expression)."""
    found = layer.measure_of(name)
    if found is None:
        return None
    model, measure = found
    return model.name, measure.agg, measure.expr or measure.name


def _message(layer: SemanticLayer, metrics: list[str], instead: list[str], language: Language) -> str:
    found = [m for m in (layer.metric(name) for name in metrics) if m is not None]
    others = [m for m in (layer.metric(name) for name in instead) if m is not None]
    definitions = say("catalogue.definitions_separator", language).join(
        say(
            "catalogue.governed_definition",
            language,
            metric=m.label,
            # A Chinese reader is told the metric's written 口径, an English one its filters.
            scope=Label(
                zh=(m.description or "").rstrip(FULL_STOP),
                en=" and ".join(governed_filters(layer, m.name)),
            ),
        )
        for m in found
    )
    offer = (
        say(
            "catalogue.ask_instead",
            language,
            metrics=say("catalogue.alternatives_separator", language).join(
                m.label.text(language) for m in others
            ),
        )
        if others
        else say("catalogue.define_a_metric", language)
    )
    return say("catalogue.governed_conflict", language, definitions=definitions, offer=offer)
