"""The plain sentence saying how a question was understood."""

from __future__ import annotations

import datetime as dt

from nlq.semantic.model import Label, Role, SemanticLayer, SimpleMetric
from nlq.semantic.query import Filter, SemanticQuery
from nlq.understand import Language, Step, Understanding

GRAIN_WORDS = {
    "zh": {"day": "按天", "week": "按周（周一开始）", "month": "按月", "quarter": "按季度", "year": "按年"},
    "en": {
        "day": "by day",
        "week": "by week (Monday start)",
        "month": "by month",
        "quarter": "by quarter",
        "year": "by year",
    },
}


def interpret(understanding: Understanding, layer: SemanticLayer) -> str:
    language = understanding.language
    if understanding.sql:
        return (
            "理解为：语义层的指标无法表达这个问题，由语言模型编写 SQL 回答（已按当前角色的权限改写并检查）。"
            if language == "zh"
            else "Understood as: a question beyond the layer's metrics, answered with SQL written by the language"
            " model (rewritten under the role's policies and checked)."
        )
    by_model = understanding.read_by == "model"
    zh = language == "zh"
    lead = (
        ("由语言模型" if by_model else "") + "理解为："
        if zh
        else ("The language model understood it as: " if by_model else "Understood as: ")
    )
    steps = understanding.steps
    if len(steps) == 1:
        body = _step(steps[0], layer, language, understanding.time_text) + ("。" if zh else ".")
    else:
        body = _parts(steps, layer, language, understanding.time_text)
    return lead + body + _ignored(understanding)


def _parts(steps: list[Step], layer: SemanticLayer, language: Language, time_text: str) -> str:
    """A compound question, one short sentence per part: the period said once when the
    parts share it, each metric's 口径 once at the end."""
    zh = language == "zh"
    periods = {_step_period(step, layer, language, time_text) for step in steps}
    shared = periods.pop() if len(periods) == 1 else None
    sentences = [
        f"{index}. {_step(step, layer, language, time_text, period=shared is None, caliber=False)}"
        for index, step in enumerate(steps, start=1)
    ]
    end = "。" if zh else ". "
    text = ((f"{shared}：" if zh else f"{shared}: ") if shared else "") + end.join(sentences) + end.strip()
    calibers = _calibers([name for step in steps for name in step.query.metrics], layer, zh)
    return text + (
        "口径：" + "；".join(f"{label}为{text}" for label, text in calibers) + "。" if calibers else ""
    )


def _calibers(metrics: list[str], layer: SemanticLayer, zh: bool) -> list[tuple[str, str]]:
    """Each metric's label and governed definition, once (in Chinese, where the layer
    writes them)."""
    found = []
    for name in dict.fromkeys(metrics):
        metric = layer.metric(name)
        if metric and metric.description and zh:
            found.append((metric.label.zh, metric.description.rstrip("。")))
    return found


def _ignored(understanding: Understanding) -> str:
    """Words that name something the answer did not use: said, never dropped silently."""
    if not understanding.ignored:
        return ""
    if understanding.language == "zh":
        words = "、".join(f"“{w}”" for w in understanding.ignored)
        return f"注意：未能识别{words}，结果没有按它筛选或分组。"
    words = ", ".join(f'"{w}"' for w in understanding.ignored)
    return f" Note: {words} not recognised; the result is not filtered or grouped by it."


def _step_period(step: Step, layer: SemanticLayer, language: Language, time_text: str) -> str:
    query = step.query
    zh = language == "zh"
    if all(_as_it_stands(name, layer) for name in query.metrics):
        return "当前现状（无时间维度）" if zh else "as it stands (no date)"
    return _period(query, zh, time_text)


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
    zh = language == "zh"
    words = [_step_period(step, layer, language, time_text) if period else ""]
    dated = _dated(query, layer)
    if dated is not None:  # 1997年发货的: the period is of the date the verb named
        words.append(f"按{dated.zh}统计" if zh else f"by {dated.en}")
    if not query.focus:  # the focus says what the title would, naming the dimension too
        words.append(step.title)
    if query.time_grain:
        words.append(GRAIN_WORDS[language][query.time_grain])
    filters = [_filter(f, layer, zh) for f in query.filters]
    if step.feed is not None:
        filters.append(
            f"{_dimension(step.feed.dimension, layer, zh)}取上一步结果"
            if zh
            else f"{step.feed.dimension} in the previous result"
        )
    if filters:
        words.append(("筛选 " if zh else "where ") + ("，".join(filters) if zh else " and ".join(filters)))
    for condition in query.metric_filters:
        label = _metric(condition.metric, layer, zh) or condition.metric
        words.append(
            f"只看{label} {condition.op} {_number(condition.value, condition.metric, layer)} 的"
            if zh
            else f"only where {label} {condition.op} {_number(condition.value, condition.metric, layer)}"
        )
    if query.count_groups and query.dimensions:
        counted = _dimension(query.dimensions[0], layer, zh)
        words.append(f"统计满足条件的{counted}个数" if zh else f"counting the {counted} values that qualify")
    if query.compare:
        words.append(
            {"yoy": "同比去年同期", "pop": "环比上一周期"}[query.compare]
            if zh
            else {
                "yoy": "compared with the same period last year",
                "pop": "compared with the previous period",
            }[query.compare]
        )
    if query.focus and query.rank:
        focused = (
            "，".join(_filter(f, layer, zh) for f in query.focus)
            if zh
            else " and ".join(_filter(f, layer, zh) for f in query.focus)
        )
        metric = _metric(query.rank[0], layer, zh) or query.rank[0]
        words.append(
            f"{focused}按{metric}在全部中的排名" if zh else f"the rank of {focused} by {metric} among all"
        )
    elif query.focus:
        focused = (
            "，".join(_filter(f, layer, zh) for f in query.focus)
            if zh
            else " and ".join(_filter(f, layer, zh) for f in query.focus)
        )
        total = ("、" if zh else ", ").join(_metric(name, layer, zh) or name for name in query.metrics)
        words.append(f"{focused}占全部{total}的比例" if zh else f"the share of {focused} in all {total}")
    elif query.share:
        words.append("计算占比" if zh else "with share of total")
    if query.rank and query.rank_keep:
        op, n = query.rank_keep
        metric = _metric(query.rank[0], layer, zh) or query.rank[0]
        within = ("、" if zh else ", ").join(_dimension(d, layer, zh) for d in query.rank_within)
        if op == "=":
            words.append(f"按{metric}排名取第 {n} 名" if zh else f"the number {n} by {metric}")
        elif zh:
            words.append(f"每个{within}内按{metric}取前 {n}" if within else f"按{metric}取前 {n}")
        else:
            words.append(f"top {n} by {metric}" + (f" within each {within}" if within else ""))
    elif query.rank and not query.focus:
        words.append("计算排名" if zh else "ranked")
    if query.order_by and query.limit:
        direction = query.order_by[0].desc
        field = query.order_by[0].field
        label = _metric(field, layer, zh) or _dimension(field, layer, zh)
        if zh:
            words.append(f"按{label}{'从高到低' if direction else '从低到高'}取前 {query.limit}")
        else:
            words.append(f"{'top' if direction else 'bottom'} {query.limit} by {label}")
    if caliber:
        words += [f"{label}口径：{text}" for label, text in _calibers(query.metrics, layer, zh)]
    return ("，" if zh else ", ").join(w for w in words if w)


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


def _period(query: SemanticQuery, zh: bool, time_text: str) -> str:
    """近三个月（2026-04-01 至 2026-06-30）: the words asked, and the exact dates."""
    time = query.time_range
    if time is None or (time.start is None and time.end is None):
        return "全部时间" if zh else "all time"
    if time.start is None:
        return f"截至 {time.end} 的全部数据" if zh else f"all data up to {time.end}"
    dates = f"{time.start} 至 {time.end}" if zh else f"{time.start} to {time.end}"
    return f"{time_text}（{dates}）" if zh and time_text else f"{time_text} ({dates})" if time_text else dates


def _metric(name: str, layer: SemanticLayer, zh: bool) -> str | None:
    metric = layer.metric(name)
    return metric.label.text("zh" if zh else "en") if metric else None


def _dimension(name: str, layer: SemanticLayer, zh: bool) -> str:
    for model in layer.models:
        dimension = model.dimension(name)
        if dimension is not None:
            return dimension.label.text("zh" if zh else "en")
    return name


def _number(value: float, metric: str, layer: SemanticLayer) -> str:
    """A bound as the metric is read: 5% for a rate, 1,000,000 for an amount."""
    found = layer.metric(metric)
    if found is not None and found.format == "percent":
        return f"{value:.4g}".rstrip("0") if value >= 1 else f"{value * 100:.4g}%"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _filter(flt: Filter, layer: SemanticLayer, zh: bool) -> str:
    """天猫（渠道）: each value says which dimension it belongs to."""
    values = "、".join(str(v) for v in flt.values) if zh else ", ".join(str(v) for v in flt.values)
    dimension = _dimension(flt.dimension, layer, zh)
    if flt.op in {"in", "="}:
        return f"{values}（{dimension}）" if zh else f"{values} ({dimension})"
    op = {"not_in": "≠", "!=": "≠"}.get(flt.op, flt.op)
    return f"{dimension} {op} {values}"


def row_scope(role: Role | None, attributes: dict[str, object], language: str) -> str:
    """The sentence that says an answer covers only the rows the asker's role may see
    (a regional manager's GMV is their region's, not the company's); empty when the
    role sees every row."""
    if role is None or not role.row_filters:
        return ""
    bound = (
        "、".join(str(v) for v in attributes.values())
        if language == "zh"
        else ", ".join(map(str, attributes.values()))
    )
    if language == "zh":
        return f"数据范围：仅{role.label.zh}可见的数据" + (f"（{bound}）" if bound else "") + "。"
    return f" Rows: only those the {role.label.en} role may see" + (f" ({bound})" if bound else "") + "."


def snapshot_note(labels: list[Label], day: dt.date, language: str) -> str:
    """Which snapshot a stock figure is read at: the period's latest, named by its day."""
    if language == "zh":
        return f"{'、'.join(label.zh for label in labels)}取 {day.isoformat()} 的快照。"
    return f" {', '.join(label.en for label in labels).capitalize()} as of the snapshot of {day.isoformat()}."
