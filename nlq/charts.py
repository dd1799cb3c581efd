"""Which chart shows an answer, and its Vega-Lite spec, built by code from the
types of the result's columns (never by running generated code).

The rules, first match wins (`plan_chart`):

1. no rows -> table;
2. one row and no time or category column with two values (one period is one
   row too) -> KPI cards, the share asked for first (with the growth as delta
   when a comparison was asked);
3. a time column -> line, one line per metric, or per value of one category
   (up to MAX_SERIES); a comparison (同比/环比) adds the comparison period's
   line; two metrics of different units -> two y axes;
4. one category, part of a profile (several shares of one metric by different
   dimensions, "用户画像") -> a small multiple of bars, in the rows' order;
5. one category with a share column -> donut, or a 100% bar past MAX_SLICES;
6. one category and two metrics -> bar + line on two y axes;
7. one category and one metric -> horizontal bar sorted by the value (a ranking);
8. two categories and one metric -> stacked horizontal bar, the second category
   as colour (up to MAX_SERIES values);
9. anything else (listings, three or more metrics) -> table.

Past TOP_N categories a bar or donut shows the top N and folds the rest into
"其他" / "Other" when the metric adds up across categories (a sum or a count of
rows); otherwise (rates, distinct counts) the rest is left out and counted.
The user may switch to any kind in `ChartPlan.options`. The pipeline decides
each answer's chart once (`chart_answers`); the UI and the JSON output use it.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from nlq.answer import AnswerBlock, Cell, Chart
from nlq.messages import LANGUAGES, say
from nlq.presentation import ColumnInfo, Language, describe_columns, format_period
from nlq.semantic.model import SemanticLayer

ChartKind = Literal[
    "kpi",
    "line",
    "bar",
    "donut",
    "stacked_100",
    "profile",
    "dual_axis",
    "stacked_bar",
    "funnel",
    "heatmap",
    "waterfall",
    "anomaly",
    "forecast",
    "table",
]
# The Vega-Lite version of the Altair release Streamlit draws with (a test keeps
# them equal); written out because importing Altair for it costs half a second of start-up.
VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"
TOP_N = 12
MAX_SLICES = 8
MAX_SERIES = 8
# Noto CJK is what Debian's fonts-noto-cjk installs; the others cover macOS and Windows viewers.
CJK_FONT = (
    '"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC", sans-serif'
)
# The chart kinds by name, for a user switching between them (a front end's choice box).
KIND_LABELS: dict[Language, dict[str, str]] = {
    language: {kind: say(f"answers.kind_{kind}", language) for kind in get_args(ChartKind)}
    for language in LANGUAGES
}
TIME_UNITS = {
    "day": "yearmonthdate",
    "week": "yearmonthdate",
    "month": "yearmonth",
    "quarter": "yearquarter",
    "year": "year",
}
TIME_LABELS = {
    "month": "timeFormat(datum.value, '%Y-%m')",
    "quarter": "year(datum.value) + ' Q' + quarter(datum.value)",
    "year": "timeFormat(datum.value, '%Y')",
}
AXIS_FORMATS = {"currency": ",.0f", "percent": ".0%", "count": ",.0f", "number": ",.4~f"}
TOOLTIP_FORMATS = {"currency": ",.2f", "percent": ".1%", "count": ",.0f", "number": ",.4~f"}


class ChartPlan(BaseModel):
    kind: ChartKind
    rule: str  # which rule chose it, shown to curious users and asserted by tests
    x: str | None = None  # the time or category column
    y: list[str] = Field(default_factory=list)  # the value columns plotted
    color: str | None = None  # a second category drawn as series
    options: list[ChartKind] = Field(default_factory=list)

    def switched(self, kind: ChartKind) -> ChartPlan:
        return self.model_copy(update={"kind": kind}) if kind in self.options else self

    @classmethod
    def of(cls, chart: Chart) -> ChartPlan:
        """The plan stored on an answer (see chart_answers)."""
        return cls.model_validate({**chart.model_dump(exclude={"type"}), "kind": chart.type})


def chart_answers(blocks: list[AnswerBlock], layer: SemanticLayer) -> None:
    """Decides each answer's chart once, for every front end: by the rules above, a
    distribution among several of one metric being one panel of a profile."""
    for index, block in enumerate(blocks):
        plan = plan_chart(block, describe_columns(block, layer, "zh"), profile=is_profile(blocks, index))
        block.chart = Chart(type=plan.kind, **plan.model_dump(exclude={"kind"}))


def plan_chart(block: AnswerBlock, columns: list[ColumnInfo], *, profile: bool = False) -> ChartPlan:
    """The chart by the rules of the module docstring; `profile` marks one of several
    distributions answering one question."""
    # One period is a figure, not a one-point line (this month's GMV by month).
    times = [c for c in columns if c.role == "time" and _distinct(block, c.name) > 1]
    # A category with one value (a filter echoed as a column) says nothing on a chart.
    categories = [c for c in columns if c.role == "category" and _distinct(block, c.name) > 1]
    measures = [c for c in columns if c.role == "measure"]
    shares = [c for c in columns if c.role == "share"]
    y = [m.name for m in measures]
    if not block.rows:
        return ChartPlan(kind="table", rule="no rows", options=["table"])
    if any(c.role == "score" for c in columns):
        # 各维度的解释力, the unusual days: a reading of many figures, read in the table
        return ChartPlan(kind="table", rule="an analysis's findings", options=["table"])
    contribution = next((c for c in columns if c.role == "contribution"), None)
    if contribution is not None and categories:
        # 为什么GMV下降了: each value's part of the change, stacked up to the total change.
        return ChartPlan(
            kind="waterfall",
            rule="contributions to a change",
            x=categories[0].name,
            y=[contribution.name],
            options=["waterfall", "bar", "table"],
        )
    predicted = next((c for c in columns if c.role == "forecast"), None)
    if predicted is not None and not times:
        # a forecast period's total and its intervals: read in the table, never as a KPI of actuals
        return ChartPlan(kind="table", rule="a forecast's totals", options=["table"])
    if predicted is not None:
        # 预测下个月的销量: the forecast line inside its interval, drawn apart from any actual
        bands = [c.name for c in columns if c.role == "band"]
        return ChartPlan(
            kind="forecast",
            rule="a forecast with its interval",
            x=times[0].name,
            y=[predicted.name, *bands[:2]],
            color=categories[0].name if categories else None,
            options=["forecast", "table"],
        )
    expected = next((c for c in columns if c.role == "expected"), None)
    if expected is not None and times and measures:
        # 哪天的订单数不正常: the series, its usual value and band, the days outside it marked.
        bands = [c.name for c in columns if c.role == "band"]
        return ChartPlan(
            kind="anomaly",
            rule="a series with its usual range",
            x=times[0].name,
            y=[measures[0].name, expected.name, *bands],
            color=categories[0].name if categories else None,
            options=["anomaly", "line", "table"],
        )
    if any(c.role == "rank" for c in columns) and len(categories) >= 2:
        # 每个品类销量前3的商品: a rank within each group reads as a table, group by group.
        return ChartPlan(kind="table", rule="ranking within groups", options=["table", "stacked_bar"])
    steps = next((c for c in columns if c.role == "step"), None)
    if steps is not None and measures and not categories and len(block.rows) > 1:
        # 转化漏斗: the users at each step, in the funnel's order, widest first.
        return ChartPlan(
            kind="funnel", rule="funnel", x=steps.name, y=[measures[-1].name], options=["funnel", "table"]
        )
    offset = next((c for c in columns if c.role == "offset"), None)
    rates = [c for c in columns if c.role == "rate"]
    cohorts = [c for c in columns if c.role == "time"]
    if offset is not None and rates and cohorts and len(block.rows) > 1:
        # 留存: cohorts down, months after across, the rate as colour.
        return ChartPlan(
            kind="heatmap",
            rule="cohort retention",
            x=offset.name,
            y=[rates[0].name],
            color=cohorts[0].name,
            options=["heatmap", "table"],
        )
    if len(block.rows) == 1 and not times and not categories:
        # The share asked for leads (美妆占GMV的比例: 3.9%, then the GMV it is of).
        ranks = [c.name for c in columns if c.role == "rank"]
        cards = ranks + [c.name for c in shares] + y
        return ChartPlan(kind="kpi", rule="a single value", y=cards, options=["kpi", "table"])
    if times and len(categories) <= 1 and measures:
        x = times[0].name
        color = categories[0].name if categories else None
        if color and _distinct(block, color) > MAX_SERIES:
            return ChartPlan(kind="table", rule="time series with too many series", options=["table"])
        two_units = color is None and len(measures) == 2 and measures[0].format != measures[1].format
        kind: ChartKind = "dual_axis" if two_units else "line"
        options: list[ChartKind] = [kind, "line", "bar", "table"] if two_units else ["line", "bar", "table"]
        previous = [c.name for c in columns if c.role == "previous"]
        if color is None and len(measures) == 1 and previous:
            # 同比 by month: this period's line and the comparison period's, on one axis.
            return ChartPlan(
                kind="line",
                rule="time series with its comparison",
                x=x,
                y=y + previous,
                options=["line", "table"],
            )
        return ChartPlan(kind=kind, rule="time series", x=x, y=y, color=color, options=_unique(options))
    if len(categories) == 1 and not times:
        x = categories[0].name
        if shares and profile:
            return ChartPlan(
                kind="profile",
                rule="profile: one of several distributions",
                x=x,
                y=[shares[0].name],
                options=["profile", "donut", "bar", "table"],
            )
        if shares:
            many = _distinct(block, x) > MAX_SLICES
            return ChartPlan(
                kind="stacked_100" if many else "donut",
                rule="share of total",
                x=x,
                y=[shares[0].name],
                options=["stacked_100", "bar", "table"] if many else ["donut", "stacked_100", "bar", "table"],
            )
        if len(measures) == 2:
            return ChartPlan(kind="dual_axis", rule="two metrics", x=x, y=y, options=["dual_axis", "table"])
        if len(measures) == 1:
            # Slices of a whole only make sense for a metric that adds up across categories.
            options = ["bar", "donut", "table"] if measures[0].additive else ["bar", "table"]
            return ChartPlan(kind="bar", rule="ranking by a category", x=x, y=y, options=options)
    if len(categories) == 2 and len(measures) == 1 and not times:
        first, second = categories
        if _distinct(block, second.name) > _distinct(block, first.name):
            first, second = second, first
        if _distinct(block, second.name) <= MAX_SERIES:
            return ChartPlan(
                kind="stacked_bar",
                rule="two categories",
                x=first.name,
                y=y,
                color=second.name,
                options=["stacked_bar", "table"],
            )
    return ChartPlan(kind="table", rule="a listing or many columns", options=["table"])


def is_profile(blocks: list[AnswerBlock], index: int) -> bool:
    """Several answers giving the share of one metric by different dimensions form a profile."""
    shared = [b for b in blocks if any(c.endswith("_share") for c in b.columns)]
    block = blocks[index]
    if block not in shared or len(shared) < 2:
        return False
    share = next(c for c in block.columns if c.endswith("_share"))
    return sum(share in b.columns for b in shared) >= 2


# Kinds whose categories are drawn by value, largest first.
RANKED_KINDS = {"bar", "donut", "stacked_100", "dual_axis"}


def table_rows(plan: ChartPlan, block: AnswerBlock, columns: list[ColumnInfo]) -> list[list[Cell]]:
    """The answer's rows in the order its chart draws them, so the table beside a bar
    chart ranks as the bars do; other kinds keep the query's order."""
    by_name = {c.name: c for c in columns}
    if plan.kind not in RANKED_KINDS or plan.x is None or not plan.y or by_name[plan.x].role != "category":
        return block.rows
    value = block.columns.index(plan.y[0])
    return sorted(block.rows, key=lambda row: _number(row[value]), reverse=True)


def chart_rows(
    plan: ChartPlan,
    block: AnswerBlock,
    columns: list[ColumnInfo],
    language: Language,
) -> tuple[list[dict[str, Cell]], int]:
    """The records a chart draws, and how many categories were left out. Bars and
    donuts keep the top N by value, the rest folded into 其他 when it adds up."""
    records = [dict(zip(block.columns, row, strict=True)) for row in block.rows]
    by_name = {c.name: c for c in columns}
    if plan.kind == "waterfall":
        return _waterfall_rows(plan, records, language), 0
    if plan.x is None or not plan.y or by_name[plan.x].role == "time":
        return records, 0  # time runs in its own order, every bucket shown
    value = plan.y[0]
    ranked = sorted(records, key=lambda r: _number(r.get(value)), reverse=True)
    if plan.kind == "dual_axis":
        return ranked, 0
    if plan.kind not in {"bar", "donut", "stacked_100"}:
        return records, 0
    info = by_name[value]
    limit = MAX_SLICES if plan.kind == "donut" else TOP_N
    if len(ranked) <= limit:
        return ranked, 0
    if not info.additive:
        return ranked[:limit], len(ranked) - limit
    return _folded(plan, ranked, limit, language), 0


def _folded(
    plan: ChartPlan, ranked: list[dict[str, Cell]], limit: int, language: Language
) -> list[dict[str, Cell]]:
    """The first limit - 1 records, then 其他 / Other adding up the plotted figures of the rest."""
    assert plan.x is not None
    kept, rest = ranked[: limit - 1], ranked[limit - 1 :]
    other: dict[str, Cell] = {plan.x: say("answers.other", language)}
    for column in plan.y:
        other[column] = sum(_number(r.get(column)) for r in rest)
    return [*kept, other]


def _waterfall_rows(
    plan: ChartPlan, records: list[dict[str, Cell]], language: Language
) -> list[dict[str, Cell]]:
    """Each value's bar from where the ones before it left the change to where it takes it,
    the largest parts first (the rest folded into 其他: contributions add up), then the total."""
    assert plan.x is not None
    value = plan.y[0]
    ranked = sorted(records, key=lambda r: -abs(_number(r.get(value))))
    if len(ranked) > TOP_N:
        ranked = _folded(plan, ranked, TOP_N, language)
    bars: list[dict[str, Cell]] = []
    running = 0.0
    for record in ranked:
        part = _number(record.get(value))
        bars.append(
            {**record, "__start": running, "__end": running + part, "__kind": "up" if part >= 0 else "down"}
        )
        running += part
    total: dict[str, Cell] = {
        plan.x: say("answers.total_change", language),
        value: running,
        "__start": 0.0,
        "__end": running,
        "__kind": "total",
    }
    return [*bars, total]


def vega_spec(
    plan: ChartPlan,
    records: list[dict[str, Cell]],
    columns: list[ColumnInfo],
    language: Language,
    *,
    title: str = "",
) -> dict[str, Any] | None:
    """A Vega-Lite spec for the plan, or None for the kinds drawn otherwise (KPI, table)."""
    info = {c.name: c for c in columns}
    builders = {
        "line": _line,
        "bar": _bar,
        "donut": _donut,
        "stacked_100": _stacked_100,
        "profile": _profile,
        "dual_axis": _dual_axis,
        "stacked_bar": _stacked_bar,
        "funnel": _funnel,
        "heatmap": _heatmap,
        "waterfall": _waterfall,
        "anomaly": _anomaly,
        "forecast": _forecast,
    }
    builder = builders.get(plan.kind)
    if builder is None or plan.x is None:
        return None
    data = [_with_labels(r, plan, info, language) for r in records]
    spec = builder(plan, info, data)
    titled = {"title": {"text": title, "anchor": "start", "fontSize": 14}} if title else {}
    return {
        "$schema": VEGA_LITE_SCHEMA,
        **titled,
        "data": {"values": data},
        **spec,
        "config": {
            "font": CJK_FONT,
            "axis": {"labelFont": CJK_FONT, "titleFont": CJK_FONT, "labelLimit": 260},
            "legend": {"labelFont": CJK_FONT, "titleFont": CJK_FONT, "labelLimit": 260},
            "title": {"font": CJK_FONT},
            "view": {"stroke": None},
        },
    }


# -- spec builders -------------------------------------------------------------------------


def _with_labels(
    record: dict[str, Cell], plan: ChartPlan, info: dict[str, ColumnInfo], language: Language
) -> dict[str, Cell]:
    """A time bucket also gets its label (2026-04, 2026 Q2) for axes and tooltips."""
    out = dict(record)
    if plan.x and info.get(plan.x) and info[plan.x].role == "time":
        out[f"{plan.x}__label"] = format_period(record.get(plan.x), plan.x, language)
    return out


def _quantity(column: ColumnInfo, **extra: Any) -> dict[str, Any]:
    return {
        "field": column.name,
        "type": "quantitative",
        "title": column.axis_title,
        "axis": {"format": AXIS_FORMATS.get(column.format, ",.4~f")},
        **extra,
    }


def _tooltip(plan: ChartPlan, info: dict[str, ColumnInfo]) -> list[dict[str, Any]]:
    tips: list[dict[str, Any]] = []
    if plan.x:
        x = info[plan.x]
        field = f"{plan.x}__label" if x.role == "time" else plan.x
        tips.append({"field": field, "type": "nominal", "title": x.label})
    if plan.color:
        tips.append({"field": plan.color, "type": "nominal", "title": info[plan.color].label})
    for name, column in info.items():
        if column.role in {"measure", "component", "share", "previous", "change", "growth"}:
            fmt = TOOLTIP_FORMATS.get(column.format, ",.4~f")
            tips.append({"field": name, "type": "quantitative", "title": column.label, "format": fmt})
    return tips


def _time_x(plan: ChartPlan, info: dict[str, ColumnInfo]) -> dict[str, Any]:
    assert plan.x is not None
    unit = TIME_UNITS.get(plan.x, "yearmonthdate")
    # Numeric dates read the same in both languages (Vega's default says "Jan 2026").
    axis = {"labelExpr": TIME_LABELS[plan.x]} if plan.x in TIME_LABELS else {"format": "%Y-%m-%d"}
    return {"field": plan.x, "type": "temporal", "timeUnit": unit, "title": info[plan.x].label, "axis": axis}


def _category(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    assert plan.x is not None
    # The order of the records (ranked, 其他 last) is the order drawn.
    order = list(dict.fromkeys(r[plan.x] for r in data))
    return {"field": plan.x, "type": "nominal", "title": info[plan.x].label, "sort": order}


def _line(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    tooltip = _tooltip(plan, info)
    if plan.color or len(plan.y) == 1:
        encoding: dict[str, Any] = {
            "x": _time_x(plan, info),
            "y": _quantity(info[plan.y[0]]),
            "tooltip": tooltip,
        }
        if plan.color:
            encoding["color"] = {"field": plan.color, "type": "nominal", "title": info[plan.color].label}
        return {
            "mark": {"type": "line", "point": True},
            "encoding": encoding,
            "width": "container",
            "height": 300,
        }
    # Several metrics of one unit: one line each, told apart by colour.
    labels = {name: info[name].label for name in plan.y}
    first = info[plan.y[0]]
    return {
        "transform": [
            {"fold": plan.y, "as": ["metric", "value"]},
            {"calculate": _label_expr(labels), "as": "metric_label"},
        ],
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": _time_x(plan, info),
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": first.currency if first.format == "currency" else "",  # the legend names the lines
                "axis": {"format": AXIS_FORMATS.get(first.format, ",.4~f")},
            },
            "color": {"field": "metric_label", "type": "nominal", "title": ""},
            "tooltip": tooltip,
        },
        "width": "container",
        "height": 300,
    }


def _label_expr(labels: dict[str, str]) -> str:
    expr = "datum.metric"
    for name, label in labels.items():
        expr = f"datum.metric === {_js(name)} ? {_js(label)} : ({expr})"
    return expr


def _js(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _bar(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    if info[plan.x or ""].role == "time":
        return {
            "mark": {"type": "bar"},
            "encoding": {
                "x": {
                    "field": f"{plan.x}__label",
                    "type": "ordinal",
                    "title": info[plan.x or ""].label,
                    "sort": None,
                    "axis": {"labelAngle": 0},
                },
                "y": _quantity(info[plan.y[0]]),
                "tooltip": _tooltip(plan, info),
            },
            "width": "container",
            "height": 300,
        }
    return {
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            # Every name shown: Vega would otherwise drop labels it thinks collide.
            "y": {**_category(plan, info, data), "axis": {"labelLimit": 260, "labelOverlap": False}},
            "x": _quantity(info[plan.y[0]]),
            "tooltip": _tooltip(plan, info),
        },
        "width": "container",
        "height": max(120, 28 * len(data)),
    }


def _donut(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    category = _category(plan, info, data)
    return {
        "mark": {"type": "arc", "innerRadius": 70, "outerRadius": 130},
        "encoding": {
            "theta": {"field": plan.y[0], "type": "quantitative", "stack": True},
            "color": {**category, "scale": {"domain": category["sort"]}},
            "order": {"field": plan.y[0], "type": "quantitative", "sort": "descending"},
            "tooltip": _tooltip(plan, info),
        },
        "width": 300,
        "height": 300,
    }


def _stacked_100(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    column = info[plan.y[0]]
    return {
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": column.name,
                "type": "quantitative",
                "stack": "normalize",
                "title": column.label,
                "axis": {"format": ".0%"},
            },
            "color": _category(plan, info, data),
            "order": {"field": column.name, "type": "quantitative", "sort": "descending"},
            "tooltip": _tooltip(plan, info),
        },
        "width": "container",
        "height": 80,
    }


def _profile(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    assert plan.x is not None
    return {
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            # Buckets keep their declared order (一线, 新一线, 二线…), not the values'.
            "x": {
                "field": plan.x,
                "type": "nominal",
                "title": info[plan.x].label,
                "sort": info[plan.x].order or None,
                "axis": {"labelAngle": 0},
            },
            "y": _quantity(info[plan.y[0]]),
            "tooltip": _tooltip(plan, info),
        },
        "width": "container",
        "height": 220,
    }


def _dual_axis(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    assert plan.x is not None
    left, right = info[plan.y[0]], info[plan.y[1]]
    if info[plan.x].role == "time":
        x: dict[str, Any] = _time_x(plan, info)
    else:
        x = {**_category(plan, info, data), "axis": {"labelAngle": -30}}
    tooltip = _tooltip(plan, info)
    return {
        "layer": [
            {
                "mark": {"type": "bar", "opacity": 0.75, "color": "#4c78a8"},
                "encoding": {
                    "x": x,
                    "y": _quantity(
                        left, axis={"format": AXIS_FORMATS.get(left.format), "titleColor": "#4c78a8"}
                    ),
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "line", "point": True, "color": "#f58518"},
                "encoding": {
                    "x": x,
                    "y": _quantity(
                        right,
                        axis={
                            "format": AXIS_FORMATS.get(right.format),
                            "titleColor": "#f58518",
                            "orient": "right",
                        },
                    ),
                    "tooltip": tooltip,
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
        "width": "container",
        "height": 300,
    }


def _stacked_bar(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    assert plan.x is not None and plan.color is not None
    totals: dict[Cell, float] = {}
    for r in data:
        totals[r[plan.x]] = totals.get(r[plan.x], 0.0) + _number(r.get(plan.y[0]))
    order = sorted(totals, key=lambda k: totals[k], reverse=True)
    return {
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": plan.x, "type": "nominal", "title": info[plan.x].label, "sort": order},
            "x": _quantity(info[plan.y[0]]),
            "color": {"field": plan.color, "type": "nominal", "title": info[plan.color].label},
            "tooltip": _tooltip(plan, info),
        },
        "width": "container",
        "height": max(120, 26 * len(order)),
    }


# -- helpers ------------------------------------------------------------------------------------


def _funnel(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    """Horizontal bars in the funnel's own order (not ranked), each labelled with its
    number."""
    step = {
        "field": plan.x,
        "type": "nominal",
        "title": info[plan.x or ""].label,
        "sort": list(dict.fromkeys(r[plan.x or ""] for r in data)),
    }
    value = _quantity(info[plan.y[0]])
    return {
        "layer": [
            {"mark": {"type": "bar", "cornerRadiusEnd": 2}},
            {
                "mark": {"type": "text", "align": "left", "dx": 4},
                "encoding": {"text": {"field": plan.y[0], "type": "quantitative", "format": ","}},
            },
        ],
        "encoding": {"y": step, "x": value, "tooltip": _tooltip(plan, info)},
        "width": "container",
        "height": max(120, 40 * len(data)),
    }


def _heatmap(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    """A cohort matrix: a cell per cohort and month after it, coloured by the rate."""
    cohort = plan.color or ""
    rate = info[plan.y[0]]
    # The first month is everyone (100%): the colours spread over the months after it.
    later = [_number(r.get(rate.name)) for r in data if _number(r.get(plan.x or "")) > 0]
    top = max(later) if later else 1.0
    return {
        "mark": {"type": "rect"},
        "encoding": {
            "x": {
                "field": plan.x,
                "type": "ordinal",
                "title": info[plan.x or ""].label,
                "axis": {"labelAngle": 0},
            },
            "y": {
                "field": cohort,
                "type": "ordinal",
                "timeUnit": "yearmonth",
                "title": info[cohort].label,
                "axis": {"format": "%Y-%m"},
            },
            "color": {
                "field": rate.name,
                "type": "quantitative",
                "title": rate.label,
                "scale": {"scheme": "blues", "domain": [0, top], "clamp": True},
                "legend": {"format": ".0%"},
            },
            "tooltip": [
                {"field": cohort, "type": "temporal", "title": info[cohort].label, "format": "%Y-%m"},
                {"field": plan.x, "type": "ordinal", "title": info[plan.x or ""].label},
                {"field": rate.name, "type": "quantitative", "title": rate.label, "format": ".1%"},
            ],
        },
        "width": "container",
        "height": {"step": 24},
    }


def _waterfall(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    """Floating bars, rises green and falls red, ending on the total change in grey."""
    value = info[plan.y[0]]
    fmt = AXIS_FORMATS.get(value.format, ",.4~f")
    return {
        "mark": {"type": "bar", "cornerRadius": 2},
        "encoding": {
            "x": _category(plan, info, data) | {"axis": {"labelAngle": -30}},
            "y": {
                "field": "__start",
                "type": "quantitative",
                "title": value.axis_title,
                "axis": {"format": fmt},
            },
            "y2": {"field": "__end"},
            "color": {
                "field": "__kind",
                "type": "nominal",
                "scale": {"domain": ["up", "down", "total"], "range": ["#2e9d5b", "#d64541", "#8a8f98"]},
                "legend": None,
            },
            "tooltip": [
                {"field": plan.x, "type": "nominal", "title": info[plan.x or ""].label},
                {
                    "field": value.name,
                    "type": "quantitative",
                    "title": value.label,
                    "format": TOOLTIP_FORMATS.get(value.format, ",.4~f"),
                },
            ],
        },
        "width": "container",
        "height": 320,
    }


def _anomaly(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    """The daily series over its usual range (a band), the usual value dashed, and the
    days outside the band as red points; by a dimension, a line per value and no band."""
    actual, expected, *band = plan.y
    measure = info[actual]
    x = _time_x(plan, info)
    outside = (
        f"datum['{actual}'] != null && datum['{band[0]}'] != null && (datum['{actual}'] < datum['{band[0]}'] || datum['{actual}'] > datum['{band[1]}'])"
        if len(band) == 2
        else "false"
    )
    tips = _series_tooltip(plan, info, measure)
    series: dict[str, Any] = {"x": x, "y": _quantity(measure), "tooltip": tips}
    if plan.color:
        series["color"] = {"field": plan.color, "type": "nominal", "title": info[plan.color].label}
    layers: list[dict[str, Any]] = []
    if len(band) == 2 and not plan.color:
        layers.append(
            {
                "mark": {"type": "area", "opacity": 0.18, "color": "#4c78a8"},
                "encoding": {
                    "x": x,
                    "y": {"field": band[0], "type": "quantitative"},
                    "y2": {"field": band[1]},
                },
            }
        )
        layers.append(
            {
                "mark": {"type": "line", "strokeDash": [4, 3], "color": "#8a8f98"},
                "encoding": {"x": x, "y": {"field": expected, "type": "quantitative"}},
            }
        )
    layers.append({"mark": {"type": "line", "point": False}, "encoding": series})
    layers.append(
        {
            "transform": [{"filter": outside}],
            "mark": {"type": "point", "filled": True, "size": 90, "color": "#d64541"},
            "encoding": {"x": x, "y": {"field": actual, "type": "quantitative"}, "tooltip": tips},
        }
    )
    return {"layer": layers, "width": "container", "height": 320}


def _forecast(plan: ChartPlan, info: dict[str, ColumnInfo], data: list[dict[str, Cell]]) -> dict[str, Any]:
    """A dashed line (a forecast, never an actual) inside its shaded interval; by a
    dimension, a line and a band per value."""
    predicted, *band = plan.y
    measure = info[predicted]
    x = _time_x(plan, info)
    colour = (
        {"color": {"field": plan.color, "type": "nominal", "title": info[plan.color].label}}
        if plan.color
        else {}
    )
    tips = _series_tooltip(plan, info, measure)
    layers: list[dict[str, Any]] = []
    if len(band) == 2:
        layers.append(
            {
                "mark": {"type": "area", "opacity": 0.2},
                "encoding": {
                    "x": x,
                    "y": {"field": band[0], "type": "quantitative"},
                    "y2": {"field": band[1]},
                    **colour,
                },
            }
        )
    layers.append(
        {
            "mark": {"type": "line", "strokeDash": [6, 4], "point": True},
            "encoding": {"x": x, "y": _quantity(measure), "tooltip": tips, **colour},
        }
    )
    return {"layer": layers, "width": "container", "height": 320}


def _series_tooltip(
    plan: ChartPlan, info: dict[str, ColumnInfo], measure: ColumnInfo
) -> list[dict[str, Any]]:
    """A day's label, its series (when split by a dimension) and every plotted figure, in the
    measure's format: the band charts' tooltip."""
    fmt = TOOLTIP_FORMATS.get(measure.format, ",.4~f")
    return [
        {"field": f"{plan.x}__label", "type": "nominal", "title": info[plan.x or ""].label},
        *([{"field": plan.color, "type": "nominal", "title": info[plan.color].label}] if plan.color else []),
        *({"field": n, "type": "quantitative", "title": info[n].label, "format": fmt} for n in plan.y),
    ]


def _distinct(block: AnswerBlock, column: str) -> int:
    index = block.columns.index(column)
    return len({row[index] for row in block.rows})


def _number(value: Cell) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _unique(kinds: list[ChartKind]) -> list[ChartKind]:
    return list(dict.fromkeys(kinds))
