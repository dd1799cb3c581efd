"""What the warehouse holds that nlq reads before any question and shares across
askers: the latest day with data (the default as-of date), the values of the
dimensions linked by value (cached beside a DuckDB file), and the campaigns that
name periods. None of it depends on who asks: row filters apply to answers, not
to how a question is read."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from nlq.engines import Connector, ConnectorError
from nlq.lexicon import spellings
from nlq.semantic.expressions import canonical
from nlq.semantic.model import SemanticLayer, SemiAdditiveMetric
from nlq.semantic.query import TimeRange

if TYPE_CHECKING:
    from nlq.timeparse import Campaign

# Dimensions with more distinct values than this are not indexed for linking.
VALUE_INDEX_LIMIT = 5_000


class WarehouseFacts:
    def __init__(self, connector: Connector, layer: SemanticLayer, db: str | Path) -> None:
        self.connector = connector
        self.layer = layer
        self.db = db

    @cached_property
    def latest_date(self) -> dt.date:
        """The default as_of: the latest day with data in the models' default time dimensions."""
        latest: dt.date | None = None
        for model in self.layer.models:
            if model.table is None or not model.default_time or "." in model.default_time:
                continue
            dimension = model.time_dimension(model.default_time)
            if dimension is None:
                continue
            column = canonical(dimension.sql, model.name, self.layer.dialect)
            sql = exp.select(exp.Max(this=exp.cast(column, "date"))).from_(
                exp.to_table(model.table).as_(model.name)
            )
            value = _as_date(self.connector.execute(sql.sql(self.connector.dialect)).rows[0][0])
            if value is not None and (latest is None or value > latest):
                latest = value
        return latest or dt.date.today()

    def known_value(self, dimension: str, value: object) -> bool:
        """Is `value` one the layer's dictionary or the data holds for `dimension`?"""
        for model in self.layer.models:
            found = model.dimension(dimension)
            if found is not None and str(value) in found.values:
                return True
        return str(value) in self.value_index().get(dimension, [])

    def value_index(self, *, refresh: bool = False) -> dict[str, list[str]]:
        """Distinct values of the dimensions marked values_from_data, cached next
        to a DuckDB file and rebuilt when the file changes or when asked to."""
        return self.indexed_values(refresh=refresh)[0]

    def indexed_values(self, *, refresh: bool = False) -> tuple[dict[str, list[str]], dict[str, str]]:
        """The value index and the pinyin spellings of its values, cached together. The
        cache holds for the same file and the same indexed dimensions: another layer
        over the same warehouse (its own names, other dimensions) indexes anew."""
        cache = Path(f"{self.db}.values.json") if Path(str(self.db)).exists() else None
        stamp = Path(str(self.db)).stat().st_mtime if cache else None
        indexed = sorted(
            [d.name, m.table or "", d.sql]
            for m in self.layer.models
            for d in m.dimensions
            if d.values_from_data
        )
        if cache and cache.exists() and not refresh:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                stored = json.loads(cache.read_text(encoding="utf-8"))
                if stored["stamp"] == stamp and stored.get("indexed") == indexed and "spellings" in stored:
                    return dict(stored["values"]), dict(stored["spellings"])
        index = self._distinct_values()
        spelled = spellings(index)
        if cache:
            # In a read-only location the index is simply rebuilt next time.
            with contextlib.suppress(OSError):
                cache.write_text(
                    json.dumps(
                        {"stamp": stamp, "indexed": indexed, "values": index, "spellings": spelled},
                        ensure_ascii=False,
                    ),
                    encoding="utf-8",
                )
        return index, spelled

    def _distinct_values(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for model in self.layer.models:
            for dimension in model.dimensions:
                if not dimension.values_from_data or model.table is None:
                    continue
                column = canonical(dimension.sql, model.name, self.layer.dialect)
                sql = (
                    exp.select(column.as_("value"))
                    .distinct()
                    .from_(exp.to_table(model.table).as_(model.name))
                    .limit(VALUE_INDEX_LIMIT + 1)
                )
                rows = self.connector.execute(sql.sql(self.connector.dialect)).rows
                if len(rows) <= VALUE_INDEX_LIMIT:
                    known = set(index.get(dimension.name, []))
                    index[dimension.name] = sorted(known | {str(r[0]) for r in rows if r[0] is not None})
        return index

    def campaigns(self) -> list[Campaign]:
        from nlq.timeparse import Campaign

        table = self.layer.reading.campaigns
        model = self.layer.model(table.model) if table else None
        if table is None or model is None or model.table is None:
            return []
        sql = exp.select(table.name, table.start, table.end).from_(exp.to_table(model.table))
        try:
            rows = self.connector.execute(sql.sql(self.connector.dialect)).rows
        except ConnectorError:
            return []
        return [Campaign(name=r[0], start_date=r[1], end_date=r[2]) for r in rows]

    def snapshot_day(self, metric: str, period: TimeRange | None) -> dt.date | None:
        """The day of the snapshot a snapshot metric (stock) is read at for a period: its
        latest within the period, as the compiler reads it (the period alone decides it,
        not the filters). None for other metrics."""
        found = self.layer.metric(metric)
        if not isinstance(found, SemiAdditiveMetric):
            return None
        model = self.layer.model(found.measure.partition(".")[0])
        time_name = self.layer.time_of(found)
        time = model.time_dimension(time_name.rpartition(".")[2]) if model and time_name else None
        if model is None or model.table is None or time is None:
            return None
        column = exp.cast(canonical(time.sql, model.name, self.layer.dialect), "date")
        conditions: list[exp.Expr] = []
        if period is not None and period.start is not None:
            conditions.append(column.copy() >= exp.cast(exp.Literal.string(period.start.isoformat()), "date"))
        if period is not None and period.end is not None:
            conditions.append(column.copy() <= exp.cast(exp.Literal.string(period.end.isoformat()), "date"))
        sql = exp.select(exp.Max(this=column)).from_(exp.to_table(model.table).as_(model.name))
        if conditions:
            sql = sql.where(*conditions)
        return _as_date(self.connector.execute(sql.sql(self.connector.dialect)).rows[0][0])


def _as_date(value: object) -> dt.date | None:
    """A day as the engine returns it: a date, a timestamp, or ISO text (SQLite)."""
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None
