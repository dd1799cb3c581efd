"""Why did it change (归因): a metric's change between a period and the one before it
(or the same period a year earlier), explained over the dimensions it may be grouped by.

Every figure comes from the governed metric's own grouped query, compiled by the
semantic layer under the asker's policies and guarded like any answer: one query for
the totals and one per dimension (each computing both periods), and one per pair of
the dimensions that explain most. The arithmetic is `nlq.insight.decompose`."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from nlq.answer import AnswerBlock, AnswerColumn, Cell
from nlq.insight.blocks import Runner, column, dimension_label, metric_format, metric_label, table
from nlq.insight.decompose import Explained, Method, Parts, decompose, ranked
from nlq.language import Language
from nlq.messages import Text, listed, say
from nlq.presentation import additive, format_value
from nlq.semantic.columns import ColumnRole
from nlq.semantic.errors import QueryError
from nlq.semantic.model import Format, Label, RatioMetric, SemanticLayer, SemiAdditiveMetric, SimpleMetric
from nlq.semantic.query import SemanticQuery

TOP_VALUES = 10  # values of a pair of dimensions shown
PAIRED = 3  # the dimensions that explain most, whose pairs are looked at


@dataclass(frozen=True)
class Attribution:
    blocks: list[AnswerBlock]
    message: str


def method_of(metric: str, layer: SemanticLayer) -> tuple[Method, list[str]]:
    """How the metric's change splits over values, and the governed metrics computed for it."""
    found = layer.metric(metric)
    if isinstance(found, RatioMetric):
        return "ratio", [found.numerator, found.denominator]
    if additive(metric, layer) or isinstance(found, SemiAdditiveMetric):
        return "additive", [metric]
    measure = layer.measure_of(metric)
    if isinstance(found, SimpleMetric) and measure is not None and measure[1].agg == "count_distinct":
        return "additive", [metric]  # what one person counted under two values adds is the overlap
    return "opaque", [metric]


def searched_dimensions(layer: SemanticLayer, indexed: dict[str, list[str]]) -> list[str]:
    """The dimensions an unnamed change is searched over: the layer's list, else every
    dimension whose values are few enough to read (a value list, or values indexed from
    the data), never a segment, a key or personal data."""
    settings = layer.insights.attribution
    if settings.dimensions:
        return list(settings.dimensions)
    names: list[str] = []
    for model in layer.models:
        for dimension in model.dimensions:
            count = len(dimension.values) or len(indexed.get(dimension.name, []))
            if (
                dimension.type in {"string", "boolean"}
                and dimension.segment is None
                and 0 < count <= settings.max_values
                and dimension.name not in names
            ):
                names.append(dimension.name)
    return names


def attribute(
    query: SemanticQuery, layer: SemanticLayer, run: Runner, indexed: dict[str, list[str]], language: Language
) -> Attribution:
    """The change of `query.metrics[0]` over `query.time_range` against the period
    `query.compare` names, by `query.dimensions` (each one), or by every searched one."""
    metric = query.metrics[0]
    method, computed = method_of(metric, layer)
    base = query.model_copy(
        update={"explain": None, "metrics": computed, "dimensions": [], "compare": query.compare or "pop"}
    )
    totals = run(base, "")
    total = _parts(totals, computed, method)
    if not total:
        return Attribution([totals], say("insight.no_data", language))
    whole = total[0]
    named = list(query.dimensions)
    searched = named or [d for d in searched_dimensions(layer, indexed) if d not in _filtered(query)]
    accounts: list[tuple[Explained, AnswerBlock]] = []
    for dimension in searched:
        try:
            block = run(base.model_copy(update={"dimensions": [dimension]}), "")
        except QueryError:
            if named:
                raise
            continue  # a dimension this metric cannot be grouped by, or the role may not see
        parts = _parts(block, computed, method, dimension)
        if len(parts) < 2 and not named:
            continue  # one value (every paid order is 已支付) explains nothing
        accounts.append((decompose(dimension, parts, whole, method), block))
    order = ranked([e for e, _ in accounts])
    blocks = {e.dimension: b for e, b in accounts}
    label = metric_label(metric, layer)
    answer = [_summary(totals, metric, label, whole, metric_format(metric, layer), language)]
    shown = order if named else order[:1]
    for explained in shown:
        answer.append(
            _contributions(explained, blocks[explained.dimension], metric, label, method, layer, language)
        )
    if not named and len(order) > 1:
        answer.append(_ranking(order, layer, language))
        pairs = _pairs(base, order, computed, method, whole, run)
        if pairs is not None:
            answer.append(_pair_block(*pairs, metric, label, layer, language))
    message = _sentence(query.explain, metric, label, whole, order[:1], method, layer, language)
    return Attribution(answer, message)


def _filtered(query: SemanticQuery) -> set[str]:
    """Dimensions the question already fixes to one value: nothing left to explain over."""
    return {f.dimension.rpartition(".")[2] for f in query.filters if f.op == "in" and len(f.values) == 1}


def _parts(block: AnswerBlock, computed: list[str], method: Method, *dimensions: str) -> list[Parts]:
    """Each row's figures in the two periods, read by the typed columns of the block."""
    index = {(c.role, c.metric): block.columns.index(c.name) for c in block.typed_columns if c.metric}
    keys = [block.columns.index(d) for d in dimensions if d in block.columns]

    def figures(row: list[Cell], role: ColumnRole) -> tuple[float, float]:
        numerator = _number(row[index[(role, computed[0])]])
        denominator = _number(row[index[(role, computed[1])]]) if method == "ratio" else 1.0
        return numerator, denominator

    parts = []
    for row in block.rows:
        value: Cell = (
            " × ".join(_text(row[k]) for k in keys) if len(keys) > 1 else (row[keys[0]] if keys else None)
        )
        parts.append(Parts(value, figures(row, "previous"), figures(row, "metric")))
    return parts


def _pairs(
    base: SemanticQuery,
    order: list[Explained],
    computed: list[str],
    method: Method,
    whole: Parts,
    run: Runner,
) -> tuple[Explained, AnswerBlock] | None:
    """The values of two dimensions together, for the two that explain most: where a
    change is one channel in one category, neither dimension alone says so."""
    if method == "opaque":
        return None
    candidates = [e for e in order if e.explains] or order
    for first, second in itertools.combinations(candidates[:PAIRED], 2):
        top = [first.dimension, second.dimension]
        try:
            block = run(base.model_copy(update={"dimensions": top}), "")
        except QueryError:
            continue
        parts = _parts(block, computed, method, *top)
        if len(parts) <= max(len(first.contributions), len(second.contributions)):
            continue  # one names the other's values (a city and its province): nothing new
        return decompose(" × ".join(top), parts, whole, method), block
    return None


def _summary(
    block: AnswerBlock, metric: str, label: Label, whole: Parts, fmt: Format, language: Language
) -> AnswerBlock:
    before, after = whole.figure_before, whole.figure_after
    change = None if before is None or after is None else after - before
    growth = change / before if change is not None and before else None
    columns = [
        *_figures(metric, label, fmt, "change"),
        column(
            f"{metric}_growth",
            "growth",
            Label.worded(Text("answers.column_growth", metric=label)),
            metric,
            "percent",
        ),
    ]
    return table(
        say("insight.summary_title", language, metric=label),
        columns,
        [[before, after, change, growth]],
        block.sql,
    )


def _contributions(
    explained: Explained,
    block: AnswerBlock,
    metric: str,
    label: Label,
    method: Method,
    layer: SemanticLayer,
    language: Language,
) -> AnswerBlock:
    """One dimension's values: the metric before and after, each one's part of the
    change and its share; for a ratio, the rate and mix effects the part is made of."""
    dimension = explained.dimension
    title = dimension_label(dimension, layer)
    fmt = metric_format(metric, layer)
    columns = [
        column(dimension, "dimension", title),
        *_figures(metric, label, fmt, "contribution"),
    ]
    if method == "ratio":
        # a value's own rate moved by this much; its part of the total change is the next column
        columns[-1] = column(
            f"{metric}_change",
            "change",
            Label.worded(Text("insight.column_own_change", metric=label)),
            metric,
            fmt,
        )
        columns.append(
            column(
                "contribution", "contribution", Label.worded(Text("insight.column_contribution")), metric, fmt
            )
        )
    columns.append(
        column("share_of_change", "explained", Label.worded(Text("insight.column_share")), None, "percent")
    )
    if method == "ratio":
        columns += [
            column("rate_effect", "effect", Label.worded(Text("insight.column_rate_effect")), metric, fmt),
            column("mix_effect", "effect", Label.worded(Text("insight.column_mix_effect")), metric, fmt),
        ]
    rows: list[list[Cell]] = []
    for c in explained.contributions:
        row: list[Cell] = [c.value, c.before, c.after]
        if method == "ratio":
            own = None if c.before is None or c.after is None else c.after - c.before
            row += [own, c.change, c.share, c.rate_effect, c.mix_effect]
        else:
            row += [c.change, c.share]
        rows.append(row)
    return table(say("insight.by_title", language, metric=label, dimension=title), columns, rows, block.sql)


def _ranking(order: list[Explained], layer: SemanticLayer, language: Language) -> AnswerBlock:
    """Every dimension searched, the ones that explain the change first."""
    columns = [
        column("dimension", "dimension", Label.worded(Text("insight.column_dimension"))),
        column("values", "dimension", Label.worded(Text("insight.column_values"))),
        column("explained", "explained", Label.worded(Text("insight.column_explained")), None, "percent"),
        column("surprise", "score", Label.worded(Text("insight.column_surprise"))),
    ]
    rows: list[list[Cell]] = [
        [
            dimension_label(e.dimension, layer).text(language),
            listed([_text(c.value) for c in e.named], language),
            e.explained,
            round(e.surprise, 6),
        ]
        for e in order
    ]
    return table(say("insight.ranking_title", language), columns, rows)


def _pair_block(
    explained: Explained,
    block: AnswerBlock,
    metric: str,
    label: Label,
    layer: SemanticLayer,
    language: Language,
) -> AnswerBlock:
    first, second = explained.dimension.split(" × ")
    pair = Label(
        zh=f"{dimension_label(first, layer).zh} × {dimension_label(second, layer).zh}",
        en=f"{dimension_label(first, layer).en} × {dimension_label(second, layer).en}",
    )
    top = Explained(explained.dimension, explained.contributions[:TOP_VALUES])
    shown = _contributions(top, block, metric, label, "additive", layer, language)
    columns = [column("values", "dimension", pair), *shown.typed_columns[1:]]
    return table(say("insight.pairs_title", language, metric=label), columns, shown.rows, block.sql)


def _sentence(
    believed: str | None,
    metric: str,
    label: Label,
    whole: Parts,
    top: Sequence[Explained],
    method: Method,
    layer: SemanticLayer,
    language: Language,
) -> str:
    before, after = whole.figure_before or 0.0, whole.figure_after or 0.0
    fmt = metric_format(metric, layer)
    currency = layer.currency_of(metric)
    change = after - before
    if not change:
        return say(
            "insight.unchanged", language, metric=label, value=format_value(after, fmt, language, currency)
        )
    moved = say("insight.rose" if change > 0 else "insight.fell", language)
    growth = f"{abs(change) / before:.1%}" if before else "—"
    # a rate moves by points (退款率上升51%, +5.8个百分点), anything else by its own unit
    delta = (
        say("insight.points", language, points=f"{change * 100:+.1f}")
        if fmt == "percent"
        else format_value(change, fmt, language, currency)
    )
    sentence = say("insight.changed", language, metric=label, moved=moved, growth=growth, delta=delta)
    if believed in {"rise", "fall"} and (believed == "rise") != (change > 0):
        # 为什么GMV下降了 when it rose: the premise is wrong, and the answer says so first
        sentence = say("insight.contrary", language, metric=label, moved=moved) + sentence
    method_text = say(f"insight.method_{method}", language)
    if not top or not top[0].named or not top[0].explains:
        return " ".join([sentence, say("insight.spread", language), method_text])
    best = top[0]
    values = listed([_text(c.value) for c in best.named], language)
    found = say(
        "insight.explained_by",
        language,
        dimension=dimension_label(best.dimension, layer),
        values=values,
        share=f"{best.explained:.0%}",
    )
    return " ".join([sentence, found, method_text])


def _figures(metric: str, label: Label, fmt: Format, change: ColumnRole) -> list[AnswerColumn]:
    """The metric in the period compared with, in the period asked, and the change."""
    return [
        column(
            f"{metric}_previous",
            "previous",
            Label.worded(Text("answers.column_previous", metric=label)),
            metric,
            fmt,
        ),
        column(metric, "metric", label, metric, fmt),
        column(
            f"{metric}_change", change, Label.worded(Text("insight.column_change", metric=label)), metric, fmt
        ),
    ]


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _text(value: Cell) -> str:
    return "(—)" if value is None else str(value)
