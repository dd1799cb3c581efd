"""Question -> understanding -> semantic queries -> SQL (with the role's
policies) -> rows -> answer. Also runs semantic queries given directly."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from connectors import Connector, ConnectorError, open_connector
from nlq.answer import AnswerBlock, AskResult, Chart
from nlq.lexicon import Lexicon
from semantic_layer.compiler import CompiledQuery, Compiler
from semantic_layer.errors import QueryError
from semantic_layer.expressions import canonical
from semantic_layer.guard import guard
from semantic_layer.loader import load_cached
from semantic_layer.model import SemanticLayer
from semantic_layer.query import Filter, SemanticQuery

if TYPE_CHECKING:  # understanding loads jieba: only questions pay for it, not `nlq query`
    from nlq.timeparse import Campaign
    from nlq.understand import Step, Understander, Understanding

LOG = logging.getLogger(__name__)
DEMO_DB = Path("data/demo.duckdb")
DEMO_SEMANTIC = Path(__file__).parent / "demo" / "semantic"
MAX_ROWS = 10_000
TIMEOUT_S = 60.0
# Dimensions with more distinct values than this are not indexed for linking.
VALUE_INDEX_LIMIT = 5_000


def ensure_demo(db: str | Path | None) -> str | Path:
    """The database to use: the one given, or the demo warehouse, built if missing."""
    if db is not None:
        return db
    if not DEMO_DB.exists():
        from nlq.demo.warehouse import build_warehouse

        build_warehouse(DEMO_DB)
    return DEMO_DB


class Pipeline:
    def __init__(
        self,
        *,
        db: str | Path | None = None,
        semantic: str | Path | None = None,
        role: str | None = "analyst",
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self.layer: SemanticLayer = load_cached(semantic or DEMO_SEMANTIC)
        self.db = ensure_demo(db)
        self.connector: Connector = open_connector(self.db)
        self.compiler = Compiler(self.layer, role=role, attributes=attributes, dialect=self.connector.dialect)
        self.tables = {m.table.split(".")[-1].lower() for m in self.layer.models if m.table}

    # -- semantic queries ------------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        return self.compiler.compile(query)

    def run(self, query: SemanticQuery, *, title: str = "") -> tuple[AnswerBlock, dict[str, float]]:
        started = time.perf_counter()
        compiled = self.compile(query)
        checked = guard(compiled.expression, tables=self.tables, max_rows=MAX_ROWS + 1)
        sql = checked.sql(dialect=compiled.dialect)
        compiled_at = time.perf_counter()
        result = self.connector.execute(sql, max_rows=MAX_ROWS, timeout_s=TIMEOUT_S)
        done = time.perf_counter()
        block = AnswerBlock(
            title=title,
            sql=sql,
            columns=result.columns,
            rows=result.json_rows(),
            chart=choose_chart(query, result.columns),
        )
        timings = {"compile": (compiled_at - started) * 1000, "execute": (done - compiled_at) * 1000}
        return block, timings

    # -- questions -------------------------------------------------------------------------------
    @cached_property
    def understander(self) -> Understander:
        from nlq.understand import Understander

        lexicon = Lexicon.from_layer(self.layer, self.value_index())
        return Understander(self.layer, lexicon, self.campaigns())

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
            value = self.connector.execute(sql.sql(self.connector.dialect)).rows[0][0]
            if isinstance(value, dt.datetime):
                value = value.date()
            if isinstance(value, dt.date) and (latest is None or value > latest):
                latest = value
        return latest or dt.date.today()

    def value_index(self, *, refresh: bool = False) -> dict[str, list[str]]:
        """Distinct values of the dimensions marked values_from_data, cached next
        to a DuckDB file and rebuilt when the file changes or when asked to."""
        cache = Path(f"{self.db}.values.json") if Path(str(self.db)).exists() else None
        stamp = Path(str(self.db)).stat().st_mtime if cache else None
        if cache and cache.exists() and not refresh:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            if stored.get("stamp") == stamp:
                return dict(stored["values"])
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
        if cache:
            # In a read-only location the index is simply rebuilt next time.
            with contextlib.suppress(OSError):
                cache.write_text(
                    json.dumps({"stamp": stamp, "values": index}, ensure_ascii=False), encoding="utf-8"
                )
        return index

    def campaigns(self) -> list[Campaign]:
        from nlq.timeparse import Campaign

        model = self.layer.model("campaigns")
        if model is None or model.table is None:
            return []
        sql = exp.select("campaign_name", "start_date", "end_date").from_(exp.to_table(model.table))
        try:
            rows = self.connector.execute(sql.sql(self.connector.dialect)).rows
        except ConnectorError:
            return []
        return [Campaign(name=r[0], start_date=r[1], end_date=r[2]) for r in rows]

    def ask(self, question: str, *, as_of: dt.date | None = None, id: str | None = None) -> AskResult:
        return self.converse(question, as_of=as_of, id=id)[0]

    def converse(
        self,
        question: str,
        *,
        as_of: dt.date | None = None,
        id: str | None = None,
        previous: Understanding | None = None,
    ) -> tuple[AskResult, Understanding | None]:
        """One turn of a conversation: the answer, and how it was understood (the
        context for the next turn)."""
        from nlq.explain import interpret
        from nlq.understand import language_of

        started = time.perf_counter()
        language = language_of(question)
        result = AskResult(id=id, question=question, status="answered")
        understanding: Understanding | None = None
        try:
            understanding = self.understander.understand(question, as_of or self.latest_date, previous)
            understood = time.perf_counter()
            result.timings_ms.understand = (understood - started) * 1000
            if understanding.status != "answer":
                result.status = "refused" if understanding.status == "refuse" else "clarify"
                result.message = understanding.message
            else:
                result.interpretation = interpret(understanding, self.layer)
                self._answer(understanding.steps, result)
        except QueryError as error:
            result.status = "refused" if error.kind == "denied" else "clarify"
            result.message = error.message(language)
            result.answers = []
        except ConnectorError as error:
            result.status = "error"
            result.message = _engine_message(error.message(language), language)
            result.answers = []
        except Exception as error:  # the boundary: whatever went wrong, the user gets a sentence
            LOG.exception("question failed: %r", question)
            result.status = "error"
            result.message = _engine_message(f"{type(error).__name__}", language)
            result.answers = []
        result.timings_ms.total = (time.perf_counter() - started) * 1000
        return result, understanding if result.status == "answered" else None

    def _answer(self, steps: list[Step], result: AskResult) -> None:
        timings = result.timings_ms
        for step in steps:
            query = step.query
            if step.feed is not None:
                source = result.answers[step.feed.source]
                column = source.columns.index(step.feed.column)
                values = [row[column] for row in source.rows if row[column] is not None]
                if not values:
                    continue
                query = query.model_copy(
                    update={
                        "filters": [
                            *query.filters,
                            Filter(dimension=step.feed.dimension, op="in", values=values),
                        ]
                    }
                )
            block, spent = self.run(query, title=step.title)
            timings.compile += spent["compile"]
            timings.execute += spent["execute"]
            result.answers.append(block)

    def close(self) -> None:
        self.connector.close()


def choose_chart(query: SemanticQuery, columns: list[str]) -> Chart:
    """A first chart choice by the shape of the query (the UI refines it)."""
    metrics = [c for c in columns if c in query.metrics]
    if query.time_grain:
        return Chart(type="line", x=query.time_grain, y=metrics)
    if not query.dimensions:
        return Chart(type="kpi", y=metrics)
    if query.share:
        return Chart(type="pie", x=query.dimensions[0], y=[f"{query.share[0]}_share"])
    if len(query.dimensions) == 1:
        return Chart(type="bar", x=query.dimensions[0], y=metrics)
    return Chart(type="table")


def _engine_message(detail: str, language: str) -> str:
    if language == "zh":
        return f"查询没有完成（{detail}）。请换个问法再试，或联系数据团队。"
    return f"The question could not be answered ({detail}). Please rephrase it or contact the data team."
