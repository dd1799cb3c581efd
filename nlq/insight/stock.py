"""Which items run out soon (库存预警, 快断货): each item's latest stock against its recent
sales, from two governed queries (the stock metric, semi-additive: its latest snapshot;
the sales metric over the layer's window), under the asker's policies.

Days of cover = stock / (units sold in the window / the window's days). An item is
flagged when it covers fewer than the layer's `cover_days`; the suggested reorder brings
it to `target_days` of cover: ceil(target_days x daily sales - stock). An item out of
stock with no recent sales is listed apart (nothing to cover, but nothing to sell)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from nlq.answer import AnswerBlock, Cell
from nlq.insight.blocks import Runner, column, dimension_label, metric_label, table
from nlq.language import Language
from nlq.messages import Text, say
from nlq.semantic.errors import QueryError
from nlq.semantic.model import Label, SemanticLayer
from nlq.semantic.query import SemanticQuery, TimeRange


@dataclass(frozen=True)
class Warnings:
    blocks: list[AnswerBlock]
    message: str


def stock_warnings(
    query: SemanticQuery, layer: SemanticLayer, run: Runner, last_day: dt.date, language: Language
) -> Warnings:
    settings = layer.insights.stock
    if not (settings.stock and settings.sales and settings.item):
        raise QueryError(Text("insight.stock_not_set"))
    item = settings.item
    base = query.model_copy(update={"explain": None, "dimensions": [item], "order_by": [], "limit": None})
    stock = run(
        base.model_copy(update={"metrics": [settings.stock], "time_range": TimeRange(end=last_day)}), ""
    )
    window = TimeRange(start=last_day - dt.timedelta(days=settings.window_days - 1), end=last_day)
    sales_title = say("insight.stock_sales_title", language, days=settings.window_days)
    sales = run(base.model_copy(update={"metrics": [settings.sales], "time_range": window}), sales_title)
    held = _by_item(stock, item, settings.stock)
    sold = _by_item(sales, item, settings.sales)
    rows: list[list[Cell]] = []
    for name, quantity in held.items():
        daily = sold.get(name, 0.0) / settings.window_days
        cover = quantity / daily if daily else (math.inf if quantity > 0 else 0.0)
        if cover < settings.cover_days and daily > 0:
            reorder = max(0, math.ceil(settings.target_days * daily - quantity))
            rows.append([name, quantity, daily, cover, reorder])  # shown rounded, kept exact
    rows.sort(key=lambda r: (float(r[3] or 0), str(r[0])))
    columns = [
        column(item, "dimension", dimension_label(item, layer)),
        column("stock", "metric", metric_label(settings.stock, layer), settings.stock, "count"),
        column(
            "daily_sales",
            "metric",
            Label.worded(Text("insight.column_daily_sales", days=settings.window_days)),
            None,
            "number",
        ),
        column("days_of_cover", "score", Label.worded(Text("insight.column_days_of_cover")), None, "number"),
        column(
            "reorder",
            "metric",
            Label.worded(Text("insight.column_reorder", days=f"{settings.target_days:g}")),
            None,
            "count",
        ),
    ]
    idle = sorted(str(n) for n, q in held.items() if q <= 0 and not sold.get(n))
    message = say(
        "insight.stock_found" if rows else "insight.stock_none",
        language,
        count=len(rows),
        cover=f"{settings.cover_days:g}",
        window=settings.window_days,
        target=f"{settings.target_days:g}",
        last=last_day,
    )
    if idle:
        message = " ".join([message, say("insight.stock_idle", language, count=len(idle))])
    title = say("insight.stock_title", language, cover=f"{settings.cover_days:g}")
    return Warnings([table(title, columns, rows, stock.sql), sales], message)


def _by_item(block: AnswerBlock, item: str, metric: str) -> dict[Cell, float]:
    at = {name: i for i, name in enumerate(block.columns)}
    key = item.rpartition(".")[2]
    return {
        row[at[key]]: float(value) for row in block.rows if isinstance(value := row[at[metric]], int | float)
    }
