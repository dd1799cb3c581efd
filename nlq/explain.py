"""The plain sentence saying how a question was understood."""

from __future__ import annotations

import contextlib
import datetime as dt

from nlq.messages import Text, listed, say
from nlq.semantic.distinct import with_distinct_counts
from nlq.semantic.errors import QueryError
from nlq.semantic.graph import JoinGraph
from nlq.semantic.model import Label, Role, SemanticLayer, SimpleMetric
from nlq.semantic.query import Bands, Filter, Ratio, SemanticQuery
from nlq.semantic.segments import varying_within
from nlq.understand import Language, Step, Understanding

# The layer writes its metrics' definitions (口径) in Chinese: a sentence in another
# language leaves them out rather than mix languages.
DEFINITIONS_LANGUAGE: Language = "zh"


class Capitalisable(str):
    """Text a template may ask for capitalised, ``{metrics:capitalized}``: the English
    sentence that begins with a list of labels."""

    __slots__ = ()

    def __format__(self, spec: str) -> str:
        if spec == "capitalized":
            return self.capitalize()
        return format(str(self), spec)


def interpret(understanding: Understanding, layer: SemanticLayer) -> str:
    language = understanding.language
    if understanding.sql:
        return say("explain.by_sql", language)
    lead = say("explain.lead_by_model" if understanding.read_by == "model" else "explain.lead", language)
    steps = understanding.steps
    if len(steps) == 1:
        body = _step(steps[0], layer, language, understanding.time_text) + say("explain.full_stop", language)
    else:
        body = _parts(steps, layer, language, understanding.time_text)
    return lead + body + _ignored(understanding)


def _parts(steps: list[Step], layer: SemanticLayer, language: Language, time_text: str) -> str:
    """A compound question, one short sentence per part: the period said once when the
    parts share it, each metric's 口径 once at the end."""
    periods = {_step_period(step, layer, language, time_text) for step in steps}
    shared = periods.pop() if len(periods) == 1 else None
    sentences = [
        f"{index}. {_step(step, layer, language, time_text, period=shared is None, caliber=False)}"
        for index, step in enumerate(steps, start=1)
    ]
    text = say("explain.part_separator", language).join(sentences) + say("explain.full_stop", language)
    if shared:
        text = say("grammar.labelled", language, label=shared, value=text)
    calibers = _calibers([name for step in steps for name in step.query.metrics], layer, language)
    if not calibers:
        return text
    definitions = say("explain.caliber_separator", language).join(
        say("explain.caliber_of_part", language, metric=label, definition=definition)
        for label, definition in calibers
    )
    return text + say("explain.calibers", language, definitions=definitions)


def _calibers(metrics: list[str], layer: SemanticLayer, language: Language) -> list[tuple[Label, str]]:
    """Each metric's label and governed definition, once (only in the language the
    layer writes definitions in)."""
    if language != DEFINITIONS_LANGUAGE:
        return []
    found = []
    for name in dict.fromkeys(metrics):
        metric = layer.metric(name)
        if metric and metric.description:
            found.append((metric.label, metric.description.rstrip("。")))
    return found


def _ignored(understanding: Understanding) -> str:
    """Words that name something the answer did not use: said, never dropped silently."""
    if not understanding.ignored:
        return ""
    language = understanding.language
    words = listed((Text("reading.quoted", word=w) for w in understanding.ignored), language)
    return say("explain.ignored", language, words=words)


def _step_period(step: Step, layer: SemanticLayer, language: Language, time_text: str) -> str:
    query = step.query
    # a listing's period is of its rows, or of the figure they lack (没有销量的商品)
    if query.presences and query.time_range is None:
        return say("explain.own_periods", language)  # each condition says its own
    measured = query.metrics or ([query.without] if query.without else [])
    if measured and all(_as_it_stands(name, layer) for name in measured):
        return say("explain.as_it_stands", language)
    return _period(query, language, time_text)


def _step(
    step: Step,
    layer: SemanticLayer,
    language: Language,
    time_text: str,
    *,
    period: bool = True,
    caliber: bool = True,
) -> str:
    query = step.query
    if query.distinct:
        # 不同商品数: named as the count of what it counts
        with contextlib.suppress(QueryError):
            layer = with_distinct_counts(layer, query.distinct, JoinGraph(layer))
    words = [_step_period(step, layer, language, time_text) if period else ""]
    dated = _dated(query, layer)
    if dated is not None:  # 1997年发货的: the period is of the date the verb named
        words.append(say("explain.dated_by", language, date=dated))
    if not query.focus:  # the focus says what the title would, naming the dimension too
        words.append(step.title)
    if query.time_grain:
        words.append(say(f"explain.grain_{query.time_grain}", language))
    if query.averaged_over:
        words.append(say(f"explain.averaged_{query.averaged_over}", language))
    if query.cumulative:
        words.append(say("explain.cumulative", language))
    if query.moving:
        words.append(say("explain.moving", language, window=query.moving))
    funnel = layer.funnel(query.funnel or "")
    if funnel is not None:
        steps = query.funnel_steps or funnel.steps
        key = "explain.funnel_between" if len(steps) == 2 else "explain.funnel"
        words.append(say(key, language, steps=" → ".join(steps)))
    cohort = layer.cohort(query.cohort or "")
    if cohort is not None:
        words.append(
            say(
                "explain.cohort",
                language,
                cohort=_dimension_label(cohort.cohort, layer),
                until=query.cohort_until,
            )
        )
        if query.cohort_offsets:
            words.append(
                say("explain.cohort_offsets", language, offsets=", ".join(map(str, query.cohort_offsets)))
            )
    for ratio in query.ratios:
        words.append(say("explain.ratio", language, **_ratio_terms(ratio, layer, language)))
    filters = [_filter(f, layer, language) for f in query.filters]
    if step.feed is not None:
        # The English sentence names the dimension as the layer does, the Chinese by its label.
        fed = _dimension_label(step.feed.dimension, layer)
        named = Label(zh=fed.zh or fed.en, en=step.feed.dimension)
        filters.append(say("explain.fed_by_previous", language, dimension=named))
    if filters:
        words.append(say("explain.where", language, filters=_joined_filters(filters, language)))
    words += _segments_within(query, layer, language)
    if query.bands is not None:
        words.append(
            say(
                "explain.bands" if query.bands.since is None else "explain.bands_since",
                language,
                entity=next((m.label for m in layer.holders(query.bands.of)), query.bands.of),
                metric=_banded_figure(query.bands, layer, language),
                bands=" / ".join(b.label for b in query.bands.bands),
                since=str(query.bands.since),
            )
        )
    for condition in query.metric_filters:
        words.append(
            say(
                "explain.only_where",
                language,
                metric=_metric(condition.metric, layer, language) or condition.metric,
                op=condition.op,
                bound=_number(condition.value, condition.metric, layer),
            )
        )
    if query.with_figure and query.with_range:
        metric = _metric(query.with_figure, layer, language) or query.with_figure
        span = query.with_range
        if span.start is None:  # 以前买过: everything before the period
            words.append(say("explain.with_figure_until", language, metric=metric, end=span.end))
        else:
            words.append(say("explain.with_figure", language, metric=metric, start=span.start, end=span.end))
    for presence in query.presences:
        figure = _metric(presence.metric, layer, language) or presence.metric
        if presence.filters:
            where = _joined_filters([_filter(f, layer, language) for f in presence.filters], language)
            figure = say("explain.figure_where", language, metric=figure, filters=where)
        during = presence.time_range
        if presence.within_days is not None and presence.after is not None:
            # 注册后7天内: each one's own window after their own date
            after = next((m for m in layer.holders(presence.after)), None)
            column = after.column(presence.after.rpartition(".")[2]) if after else None
            label = column.label.text(language) if column else presence.after
            when = say("explain.within_days_after", language, days=presence.within_days, after=label)
        elif during is None:
            when = say("explain.ever", language)
        elif during.start is None:  # 到目前为止, so far: up to the day asked
            when = say("explain.presence_until", language, end=during.end)
        else:
            when = say("explain.presence_period", language, start=during.start, end=during.end)
        key = "explain.absence" if presence.absent else "explain.presence"
        words.append(say(key, language, metric=figure, period=when))
    if query.without:
        metric = _metric(query.without, layer, language) or query.without
        key = "explain.without_ever" if query.rows_dated else "explain.without"
        words.append(say(key, language, metric=metric))
    if query.figures and query.figures_range:
        metrics = listed((_metric(m, layer, language) or m for m in query.figures), language)
        span = query.figures_range
        key = "explain.figures_of_listed" if span.start else "explain.figures_of_listed_until"
        words.append(say(key, language, metrics=metrics, start=span.start, end=span.end))
    if query.share_of_counted and any(p.among for p in query.presences):
        words.append(say("explain.share_among_first", language))
    elif query.share_of_counted and query.presences:
        words.append(say("explain.share_of_listed", language))
    elif query.share_of_counted:
        # a distinct count is over its governed metric's rows: everyone with those
        conditions = [f.metric for f in query.metric_filters]
        governed = [next((d.of for d in query.distinct if d.name == m), m) for m in conditions]
        measured = listed((_metric(m, layer, language) or m for m in dict.fromkeys(governed)), language)
        words.append(say("explain.share_of_counted", language, metrics=measured))
    bounded = {f.metric for f in query.metric_filters}
    beside = [m for m in query.metrics if m not in bounded] if query.share_of_counted else []
    if query.totals_of_conditioned or beside:
        summed = [*query.totals_of_conditioned, *beside]
        totals = listed((_metric(m, layer, language) or m for m in summed), language)
        key = "explain.totals_share" if query.share_of_counted else "explain.totals_beside"
        words.append(say(key, language, metrics=totals))
    if query.count_groups and (query.without or query.presences):
        words.append(say("explain.counting_rows", language))
    elif query.count_groups and query.dimensions:
        # users by gender: the keys are counted, within the other groups
        keyed = next((d for d in query.dimensions if layer.is_key(d)), None)
        counted = _dimension(keyed or query.dimensions[0], layer, language)
        others = [d for d in query.dimensions if d != keyed] if keyed else []
        if others:
            within = listed((_dimension(d, layer, language) for d in others), language)
            words.append(say("explain.counting_within", language, dimension=counted, within=within))
        else:
            words.append(say("explain.counting_groups", language, dimension=counted))
    if query.share_of_all_counted:
        words.append(say("explain.share_of_all_counted", language))
    if query.explain == "anomalies":
        words.append(say("explain.anomalies", language))
    elif query.explain == "forecast":
        words.append(say("explain.forecast", language))
    elif query.explain == "stock":
        words.append(say("explain.stock", language))
    elif query.explain is not None:
        searched = (
            listed((_dimension(d, layer, language) for d in query.dimensions), language)
            if query.dimensions
            else say("explain.every_dimension", language)
        )
        words.append(say("explain.why", language, dimensions=searched))
    if query.baseline is not None:
        words.append(say("explain.against", language, start=query.baseline.start, end=query.baseline.end))
    elif query.compare:
        words.append(say(f"explain.compare_{query.compare}", language))
    if query.focus and query.rank:
        focused = _joined_filters([_filter(f, layer, language) for f in query.focus], language)
        metric = _metric(query.rank[0], layer, language) or query.rank[0]
        words.append(say("explain.rank_of_focus", language, focused=focused, metric=metric))
    elif query.focus:
        focused = _joined_filters([_filter(f, layer, language) for f in query.focus], language)
        total = listed((_metric(name, layer, language) or name for name in query.metrics), language)
        if query.share_within:
            # 各城市等级的买家里新客占比: of each tier's buyers, not of all
            within = listed((_dimension(d, layer, language) for d in query.share_within), language)
            words.append(
                say("explain.share_of_focus_within", language, focused=focused, total=total, within=within)
            )
        else:
            words.append(say("explain.share_of_focus", language, focused=focused, total=total))
    elif query.share and query.share_within:
        within = listed((_dimension(d, layer, language) for d in query.share_within), language)
        words.append(say("explain.with_share_within", language, within=within))
    elif query.share:
        words.append(say("explain.with_share", language))
    if query.rank and query.rank_keep:
        op, n = query.rank_keep
        metric = _metric(query.rank[0], layer, language) or query.rank[0]
        # within each category, or each month of the days ranked
        groups = [_dimension(d, layer, language) for d in query.rank_within]
        groups += [say(f"semantic.grain_{query.rank_per}", language)] if query.rank_per else []
        within = listed(groups, language)
        side = "bottom" if query.rank_ascending else "top"
        if query.rank_buckets and query.time_grain and op == "<=":
            # each category's best day: the buckets are what is ranked
            bucket = say(f"semantic.grain_{query.time_grain}", language)
            words.append(
                say(
                    f"explain.rank_buckets_{side}", language, metric=metric, n=n, within=within, bucket=bucket
                )
            )
        elif op == "=":
            words.append(say(f"explain.rank_number_{side}", language, metric=metric, n=n))
        elif within:
            words.append(say(f"explain.rank_{side}_within", language, metric=metric, n=n, within=within))
        else:
            words.append(say(f"explain.rank_{side}", language, metric=metric, n=n))
    elif query.rank and query.rank_within and not query.focus:
        within = listed((_dimension(d, layer, language) for d in query.rank_within), language)
        words.append(say("explain.ranked_within", language, within=within))
    elif query.rank and not query.focus:
        words.append(say("explain.ranked", language))
    if query.order_by and query.limit:
        field = query.order_by[0].field
        quotient = next((r for r in query.ratios if r.name == field), None)
        label = (
            say("explain.ratio_name", language, **_ratio_terms(quotient, layer, language))
            if quotient
            else _metric(field, layer, language) or _dimension(field, layer, language)
        )
        by_time = any(model.time_dimension(field) for model in layer.models)
        order = "explain.order_top" if query.order_by[0].desc else "explain.order_bottom"
        if by_time:  # the last 5 orders: the newest rows, not the largest
            order = "explain.order_newest" if query.order_by[0].desc else "explain.order_oldest"
        words.append(say(order, language, field=label, limit=query.limit))
    if query.share_of_top and query.order_by:
        label = _metric(query.order_by[0].field, layer, language) or query.order_by[0].field
        if query.top_fraction is not None:
            percent = f"{query.top_fraction * 100:g}%"
            words.append(say("explain.order_top_percent", language, field=label, percent=percent))
        words.append(say("explain.share_of_top", language, metric=label))
    if caliber:
        words += [
            say("explain.caliber", language, metric=label, definition=definition)
            for label, definition in _calibers(query.metrics, layer, language)
        ]
    return say("explain.word_separator", language).join(w for w in words if w)


def _segments_within(query: SemanticQuery, layer: SemanticLayer, language: Language) -> list[str]:
    """购买次数分层 by channel: the segment is computed within each channel (a buyer may be in
    one bucket on the app and another on the web), which the sentence says."""
    graph = JoinGraph(layer)
    said = []
    for reference in dict.fromkeys([*query.dimensions, *(f.dimension for f in query.filters)]):
        found = layer.segment_of(reference)
        segment = found[1].segment if found else None
        if found is None or segment is None or not segment.decided_in_period:
            continue
        entity, dimension = found
        if query.time_grain:  # each month's 新客: new in that month (Compiler._per_bucket)
            bucket = say(f"semantic.grain_{query.time_grain}", language)
            said.append(say("explain.segment_per_bucket", language, segment=dimension.label, bucket=bucket))
        if segment.historical:
            continue  # decided by the whole history: never within a group
        within = varying_within(layer, graph, entity, [d for d in query.dimensions if d != reference])
        if within:
            groups = listed((_dimension(d, layer, language) for d in within), language)
            said.append(say("explain.segment_within", language, segment=dimension.label, within=groups))
    return said


def _ratio_terms(ratio: Ratio, layer: SemanticLayer, language: Language) -> dict[str, str]:
    return {
        "numerator": _metric(ratio.numerator, layer, language) or ratio.numerator,
        "denominator": _metric(ratio.denominator, layer, language) or ratio.denominator,
    }


def _joined_filters(filters: list[str], language: Language) -> str:
    return say("explain.filter_separator", language).join(filters)


def _dated(query: SemanticQuery, layer: SemanticLayer) -> Label | None:
    """The label of the time dimension the question chose, if it chose one."""
    if query.time_dimension is None:
        return None
    owner, _, name = query.time_dimension.rpartition(".")
    model = layer.model(owner)
    time = model.time_dimension(name) if model else None
    return time.label if time else None


def _as_it_stands(name: str, layer: SemanticLayer) -> bool:
    """A simple metric with no time dimension counts rows as they stand (products)."""
    metric = layer.metric(name)
    return isinstance(metric, SimpleMetric) and layer.time_of(metric) is None


def _period(query: SemanticQuery, language: Language, time_text: str) -> str:
    """近三个月（2026-04-01 至 2026-06-30）: the words asked, and the exact dates."""
    time = query.time_range
    if time is None or (time.start is None and time.end is None):
        return say("explain.all_time", language)
    if time.start is None:
        return say("explain.up_to", language, end=time.end)
    dates = say("explain.dates", language, start=time.start, end=time.end)
    return say("explain.period_named", language, period=time_text, dates=dates) if time_text else dates


def _metric(name: str, layer: SemanticLayer, language: Language) -> str | None:
    metric = layer.metric(name)
    return metric.label.text(language) if metric else None


def _dimension_label(name: str, layer: SemanticLayer) -> Label:
    """The dimension's label; its name in both languages when no model has it."""
    owner, _, column = name.rpartition(".")
    for model in layer.models:
        dimension = model.column(column) if not owner or model.name == owner else None
        if dimension is not None:
            return dimension.label
    return Label(zh=name, en=name)


def _dimension(name: str, layer: SemanticLayer, language: Language) -> str:
    return _dimension_label(name, layer).text(language)


def _number(value: float, metric: str, layer: SemanticLayer) -> str:
    """A bound as the metric is read: 5% for a rate, 1,000,000 for an amount."""
    found = layer.metric(metric)
    if found is not None and found.format == "percent":
        return f"{value:.4g}".rstrip("0") if value >= 1 else f"{value * 100:.4g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _filter(flt: Filter, layer: SemanticLayer, language: Language) -> str:
    """天猫（渠道）: each value says which dimension it belongs to."""
    values = listed((str(v) for v in flt.values), language)
    dimension = _dimension(flt.dimension, layer, language)
    if flt.op in {"in", "="}:
        return say("explain.filter_in", language, values=values, dimension=dimension)
    op = {"not_in": "≠", "!=": "≠"}.get(flt.op, flt.op)
    return f"{dimension} {op} {values}"


def row_scope(role: Role | None, attributes: dict[str, object], language: str) -> str:
    """The sentence that says an answer covers only the rows the asker's role may see
    (a regional manager's GMV is their region's, not the company's); empty when the
    role sees every row."""
    if role is None or not role.row_filters:
        return ""
    bound = listed(map(str, attributes.values()), language)
    if bound:
        return say("explain.row_scope_bound", language, role=role.label, bound=bound)
    return say("explain.row_scope", language, role=role.label)


def snapshot_note(labels: list[Label], day: dt.date, language: str) -> str:
    """Which snapshot a stock figure is read at: the period's latest, named by its day."""
    metrics = Capitalisable(listed(labels, language))
    return say("explain.snapshot", language, metrics=metrics, day=day.isoformat())


def _banded_figure(bands: Bands, layer: SemanticLayer, language: Language) -> str:
    """What the bands are of: the metric, or for days since the last one, its rows (订单)."""
    home = layer.measure_of(bands.metric) if bands.since is not None else None
    if home is not None:
        return home[0].label.text(language)
    return _metric(bands.metric, layer, language) or bands.metric
