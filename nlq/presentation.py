"""How the columns of an answer are shown: what each column is (a time bucket,
a category, a metric, its share, previous value or growth), its label in the
user's language and the display form of its values (¥ and thousands
separators, percentages, dates). The chart rules and the UI's table read these."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Literal

from pydantic import BaseModel, Field

from nlq.answer import AnswerBlock, AnswerColumn, Cell
from nlq.messages import say
from nlq.semantic.model import GRAINS, Format, SemanticLayer

Language = Literal["zh", "en"]
Role = Literal[
    "time",
    "category",
    "measure",
    "component",
    "share",
    "previous",
    "change",
    "growth",
    "rank",
    "step",
    "offset",
    "rate",
    "contribution",
    "explained",
    "score",
    "expected",
    "band",
    "flag",
    "forecast",
]
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
SUFFIX_ROLES: dict[str, Role] = {"_share": "share", "_previous": "previous", "_growth": "growth"}


class ColumnInfo(BaseModel):
    name: str
    role: Role
    label: str
    format: Format | Literal["date", "text"]
    # The metric a share, previous value or growth belongs to (the column itself for a metric).
    metric: str | None = None
    axis_title: str = ""  # the label with its unit, for a chart axis
    currency: str = "¥"  # the layer's currency symbol, for a currency column
    # A category's values in their declared order (一线, 新一线, 二线…), when the layer declares them.
    order: list[str] = Field(default_factory=list)
    # Values over several rows add up to the value of their union (a sum or a count of rows).
    additive: bool = False


def describe_columns(block: AnswerBlock, layer: SemanticLayer, language: Language) -> list[ColumnInfo]:
    """Each column of an answer: as the compiler typed it, else (raw SQL) guessed from
    its name and values."""
    typed = {c.name: c for c in block.typed_columns}
    infos = [
        _typed(typed[name], block, layer, language)
        if name in typed
        else _describe(i, name, block, layer, language)
        for i, name in enumerate(block.columns)
    ]
    described = []
    for c in infos:
        symbol = layer.currency_of(c.metric) if c.metric else layer.reading.currency
        axis = _with_unit(c.label, symbol, language) if c.format == "currency" else c.label
        described.append(c.model_copy(update={"axis_title": axis, "currency": symbol}))
    return described


# The compiler's roles as the chart rules and the table name them.
ROLES: dict[str, Role] = {
    "dimension": "category",
    "time": "time",
    "metric": "measure",
    "share": "share",
    "component": "component",
    "previous": "previous",
    "change": "change",
    "growth": "growth",
    "rank": "rank",
    # a running total is drawn as the figure it is, but never added up again
    "cumulative": "measure",
    "moving": "measure",
    # a funnel's steps keep their order; a cohort's months after it are numbers in order
    "step": "step",
    "offset": "offset",
    "conversion": "rate",
    "retention": "rate",
    # a value's part of a change is drawn as a waterfall; the rest are read in the table
    "contribution": "contribution",
    "explained": "explained",
    "effect": "change",
    "score": "score",
    "expected": "expected",
    "band": "band",
    "flag": "flag",
    "forecast": "forecast",
}


def _typed(column: AnswerColumn, block: AnswerBlock, layer: SemanticLayer, language: Language) -> ColumnInfo:
    role = ROLES[column.role]
    dimension = next((d for m in layer.models if (d := m.dimension(column.name)) is not None), None)
    if role == "category" and (
        getattr(dimension, "type", None) == "date" or any(m.time_dimension(column.name) for m in layer.models)
    ):
        role = "time"  # a listing's date column (the day of a refund), not a category
    fmt: Format | Literal["date", "text"]
    if role == "time":
        fmt = "date"
    elif role == "category":
        fmt = "text"
    else:
        fmt = column.format or "number"
    order: list[str] = []
    if role == "category":
        order = list(getattr(dimension, "values", {}) or {})
    adds_up = (
        column.metric is not None
        and column.role in {"metric", "share"}
        and role in {"measure", "share"}
        and additive(column.metric, layer)
    )
    return ColumnInfo(
        name=column.name,
        role=role,
        label=column.label.text(language),
        format=fmt,
        metric=column.metric,
        order=order,
        additive=adds_up,
    )


def _with_unit(label: str, unit: str, language: Language) -> str:
    return say("answers.with_unit", language, label=label, unit=unit)


def _describe(
    index: int, name: str, block: AnswerBlock, layer: SemanticLayer, language: Language
) -> ColumnInfo:
    values = [row[index] for row in block.rows if row[index] is not None]
    metric = layer.metric(name)
    if metric is not None:
        label = metric.label.text(language)
        return ColumnInfo(
            name=name,
            role="measure",
            label=label,
            format=metric.format,
            metric=name,
            additive=additive(name, layer),
        )
    for suffix, role in SUFFIX_ROLES.items():
        base = layer.metric(name.removesuffix(suffix)) if name.endswith(suffix) else None
        if base is not None:
            label = say(f"answers.column_{role}", language, metric=base.label)
            fmt: Format = base.format if role == "previous" else "percent"
            adds_up = role == "share" and additive(base.name, layer)
            return ColumnInfo(
                name=name, role=role, label=label, format=fmt, metric=base.name, additive=adds_up
            )
    if name in GRAINS:
        return ColumnInfo(
            name=name, role="time", label=say(f"answers.column_grain_{name}", language), format="date"
        )
    dimension = next(
        (d for m in layer.models for d in (m.dimension(name), m.time_dimension(name)) if d), None
    )
    label = dimension.label.text(language) if dimension else name
    if values and all(isinstance(v, str) and ISO_DATE.match(v) for v in values):
        return ColumnInfo(name=name, role="time", label=label, format="date")
    numeric = values and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric and not name.endswith("_id"):
        # A number that is not a metric (an amount column of a listing): a measure to plot.
        return ColumnInfo(name=name, role="measure", label=label, format="number")
    declared = list(getattr(dimension, "values", {}) or {})
    return ColumnInfo(name=name, role="category", label=label, format="text", order=declared)


def additive(metric: str, layer: SemanticLayer) -> bool:
    """A metric whose value over several categories is the sum of theirs: a sum, or
    a count of rows (a distinct count or a rate is not)."""
    found = layer.measure_of(metric)
    return found is not None and found[1].agg in {"sum", "count"}


def format_value(value: Cell, fmt: str, language: Language = "zh", currency: str = "¥") -> str:
    """¥1,234.50, 12.3%, 12,345, 2026-06 for a month: the display form of one value
    (`currency` is the layer's symbol)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return say("answers.boolean_true" if value else "answers.boolean_false", language)
    if isinstance(value, int | float):
        if fmt == "currency":
            return f"-{currency}{-value:,.2f}" if value < 0 else f"{currency}{value:,.2f}"
        if fmt == "percent":
            return f"{value * 100:.1f}%"
        if fmt == "count" or isinstance(value, int) or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}"
    if fmt == "date" and ISO_DATE.match(value):
        # Midnight timestamps are dates; real times keep their minutes.
        return value[:10] if value[10:].strip(" T0:.") == "" else value[:16].replace("T", " ")
    return value


def format_period(value: Cell, grain: str, language: Language) -> str:
    """A time bucket by its grain: 2026-04 for a month, 2026 Q2 for a quarter."""
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return format_value(value, "date", language)
    day = dt.date.fromisoformat(value[:10])
    if grain == "month":
        return f"{day:%Y-%m}"
    if grain == "quarter":
        return f"{day.year} Q{(day.month - 1) // 3 + 1}"
    if grain == "year":
        return str(day.year)
    if grain == "week":
        return say("answers.week_of", language, day=day.isoformat())
    return day.isoformat()


def csv_bytes(block: AnswerBlock, columns: list[ColumnInfo]) -> bytes:
    """The answer as CSV with labelled headers and raw values (numbers stay numbers
    for a spreadsheet); a UTF-8 BOM so Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.label for c in columns])
    writer.writerows(["" if v is None else v for v in row] for row in block.rows)
    return out.getvalue().encode("utf-8-sig")
