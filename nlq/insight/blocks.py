"""What the answers of an analysis are made of: the governed queries it runs, and the
typed columns and labels of the tables it shows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from nlq.answer import AnswerBlock, AnswerColumn, Cell
from nlq.messages import say
from nlq.semantic.columns import ColumnRole
from nlq.semantic.model import Format, Label, SemanticLayer
from nlq.semantic.query import SemanticQuery

# The pipeline's way of running one governed query: its answer block (rows, SQL, typed
# columns), compiled under the asker's policies, guarded and on record like any answer.
Runner = Callable[[SemanticQuery, str], AnswerBlock]


def column(
    name: str, role: ColumnRole, label: Label, metric: str | None = None, fmt: Format | None = None
) -> AnswerColumn:
    return AnswerColumn(name=name, role=role, label=label, metric=metric, format=fmt)


def metric_label(metric: str, layer: SemanticLayer) -> Label:
    found = layer.metric(metric)
    return found.label if found is not None else Label(zh=metric, en=metric)


def metric_format(metric: str, layer: SemanticLayer) -> Format:
    found = layer.metric(metric)
    return found.format if found is not None else "number"


def dimension_label(name: str, layer: SemanticLayer) -> Label:
    for model in layer.holders(name):
        dimension = model.column(name.rpartition(".")[2])
        if dimension is not None:
            return dimension.label
    return Label(zh=name, en=name)


def table(title: str, columns: list[AnswerColumn], rows: list[list[Cell]], sql: str = "") -> AnswerBlock:
    """An analysis's table: its typed columns, its rows, and the query they came from (none
    when they were computed from the tables before it)."""
    return AnswerBlock(
        title=title, sql=sql, columns=[c.name for c in columns], rows=rows, typed_columns=columns
    )


def group_column(group: str | None, layer: SemanticLayer) -> list[AnswerColumn]:
    """The column of the dimension an analysis's series are split by, when they are."""
    return [column(group, "dimension", dimension_label(group, layer))] if group else []


def group_text(group: Cell, language: str) -> str:
    """A series' value after its metric in a sentence: 退款率（美妆）, refund rate (美妆)."""
    return "" if group is None else say("insight.group", language, group=group)


def daily_series(block: AnswerBlock, metric: str, group: str | None) -> dict[Cell, dict[dt.date, float]]:
    """A governed daily query's figures by day, per value of the dimension it is split by."""
    at = {name: i for i, name in enumerate(block.columns)}
    series: dict[Cell, dict[dt.date, float]] = defaultdict(dict)
    for row in block.rows:
        value = row[at[metric]]
        if isinstance(value, int | float):
            day = dt.date.fromisoformat(str(row[at["day"]])[:10])
            series[row[at[group]] if group else None][day] = float(value)
    return dict(series)


def split_by(query: SemanticQuery) -> str | None:
    """The column of the dimension an analysis's series are split by, if any."""
    return query.dimensions[0].rpartition(".")[2] if query.dimensions else None
