"""Question -> understanding -> semantic queries -> SQL (with the role's
policies) -> rows -> answer. Also runs semantic queries given directly."""

from __future__ import annotations

import copy
import datetime as dt
import logging
import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nlq.answer import AnswerBlock, AnswerColumn, AskResult
from nlq.audit import AuditError, AuditLog, AuditRecord, Kind, PendingRecord, open_audit
from nlq.charts import chart_answers
from nlq.demo import ensure_demo
from nlq.engines import Connector, ConnectorError, QueryResult, open_connector
from nlq.identity import Identity
from nlq.insight.anomalies import Scan, scan
from nlq.insight.attribution import Attribution, attribute
from nlq.insight.forecast import Forecast, forecast
from nlq.insight.stock import Warnings, stock_warnings
from nlq.language import Language, language_of
from nlq.lexicon import Lexicon
from nlq.messages import Text, say
from nlq.plan_cache import Plan, PlanCache
from nlq.result_cache import SHARED, CacheKey, ResultCache
from nlq.semantic.compiler import CompiledQuery, Compiler
from nlq.semantic.errors import AccessDenied, QueryError
from nlq.semantic.guard import cap, guard_sql
from nlq.semantic.loader import load_cached
from nlq.semantic.model import Label, SemanticLayer
from nlq.semantic.query import Filter, SemanticQuery
from nlq.semantic.rawsql import secure_sql
from nlq.warehouse_facts import WarehouseFacts

if TYPE_CHECKING:  # understanding loads jieba: only questions pay for it, not `nlq query`
    from langchain_core.language_models import BaseChatModel

    from nlq.llm.reader import ModelReader
    from nlq.llm.retrieval import Embedder
    from nlq.llm.settings import LLMSettings
    from nlq.timeparse import Campaign
    from nlq.understand import Step, Understander, Understanding

LOG = logging.getLogger(__name__)
DEMO_SEMANTIC = Path(__file__).parent / "demo" / "semantic"
MAX_ROWS = 10_000
TIMEOUT_S = 60.0


class Pipeline:
    def __init__(
        self,
        *,
        db: str | Path | None = None,
        semantic: str | Path | None = None,
        role: str | None = "analyst",
        attributes: dict[str, Any] | None = None,
        cache: ResultCache | None = SHARED,
        user: str | None = None,
        audit: AuditLog | str | Path | None = None,
        llm: LLMSettings | None = None,
        chat_model: BaseChatModel | None = None,
        embedder: Embedder | None = None,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        """`user` names a user of the layer's configuration: its role and attributes
        then apply (and `role`/`attributes` are ignored). `audit` is an audit log or
        its URL (default: NLQ_AUDIT_URL, else data/audit.sqlite). `llm` (or a ready
        `chat_model`) lets a language model read the questions the rules cannot
        fully place; without either, only the rules read. `timeout_s` is the
        statement timeout of every query."""
        self.layer: SemanticLayer = load_cached(semantic or DEMO_SEMANTIC)
        self.identity = Identity.of(self.layer, user=user, role=role, attributes=attributes)
        self.timeout_s = timeout_s
        if chat_model is not None and llm is None:
            from nlq.llm.settings import LLMSettings

            llm = LLMSettings()
        self.llm_settings = llm
        self._chat_model = chat_model
        self._embedder = embedder
        self.db = ensure_demo(db)
        self.connector: Connector = open_connector(self.db)
        self.facts = WarehouseFacts(self.connector, self.layer, self.db)
        self.compiler = self._compiler_for(self.identity)
        self.plans = PlanCache()
        self.audit: AuditLog = (
            audit if audit is not None and not isinstance(audit, str | Path) else open_audit(audit)
        )
        self.tables = {m.table.lower() for m in self.layer.models if m.table}
        self.cache = cache

    # Who asks: read from the identity, never set apart from it.
    @property
    def user(self) -> str | None:
        return self.identity.user

    @property
    def role(self) -> str | None:
        return self.identity.role

    @property
    def attributes(self) -> dict[str, Any]:
        return dict(self.identity.attributes)

    def for_identity(self, identity: Identity) -> Pipeline:
        """This pipeline for someone else: the connection, the layer and the
        understanding (none of which depends on who asks) are shared, so a UI serving
        many users does not reload them; the identity, and with it the compiler's
        policies, every audit record and the raw SQL permission, change together."""
        other = copy.copy(self)
        other.identity = identity
        other.compiler = self._compiler_for(identity)
        other.plans = PlanCache()  # a plan carries its role's policies
        return other

    def for_user(self, user: str) -> Pipeline:
        return self.for_identity(Identity.of(self.layer, user=user))

    def for_role(self, role: str | None, attributes: dict[str, Any] | None = None) -> Pipeline:
        """Under a role with no user (a tool run by an operator, the UI's role picker)."""
        return self.for_identity(Identity(role=role, attributes=attributes or {}))

    def _compiler_for(self, identity: Identity) -> Compiler:
        return Compiler(
            self.layer,
            role=identity.role,
            attributes=dict(identity.attributes),
            dialect=self.connector.dialect,
        )

    def forget(self) -> None:
        """Drops what this pipeline keeps of earlier questions: their readings and
        plans (benchmarks measure a question's first answer with it). Rows are the
        result cache's, which the data version keeps fresh."""
        self.plans.clear()
        if "understander" in self.__dict__:
            self.understander.forget()

    # -- semantic queries ------------------------------------------------------------------
    def compile(self, query: SemanticQuery) -> CompiledQuery:
        return self.compiler.compile(query)

    def sql_for(self, query: SemanticQuery) -> str:
        """The guarded SQL text of a semantic query, as it would run (kept: see PlanCache)."""
        return self.plan_for(query).sql

    def plan_for(self, query: SemanticQuery) -> Plan:
        """The query's guarded SQL and typed columns, compiled once per role (PlanCache)."""
        return self.plans.plan(query, self.guarded_plan)

    def guarded_sql(self, query: SemanticQuery) -> str:
        """The query compiled, capped and guarded afresh."""
        return self.guarded_plan(query).sql

    def guarded_plan(self, query: SemanticQuery) -> Plan:
        compiled = self.compile(query)
        sql = cap(compiled.expression, MAX_ROWS + 1).sql(dialect=compiled.dialect, copy=False)
        # The guard reads the text that will run, parsed afresh: what the generator wrote
        # is what is checked (checking the tree before generating as well cost as much again).
        guard_sql(sql, dialect=compiled.dialect, tables=self.tables, max_rows=MAX_ROWS + 1)
        columns = tuple(
            AnswerColumn(name=c.name, role=c.role, label=c.label, format=c.format, metric=c.metric)
            for c in compiled.columns
        )
        return Plan(sql=sql, columns=columns)

    def run(
        self, query: SemanticQuery, *, title: str = "", running: Running | None = None
    ) -> tuple[AnswerBlock, dict[str, float]]:
        """The query's answer block; `running` hears the SQL just before the engine runs it."""
        started = time.perf_counter()
        plan = self.plan_for(query)
        compiled_at = time.perf_counter()
        result, cached = self._execute(plan.sql, running)
        done = time.perf_counter()
        named = {c.name: c for c in plan.columns}
        block = AnswerBlock(
            title=title,
            sql=plan.sql,
            columns=result.columns,
            rows=_without_empty_groups(query, result.columns, result.json_rows()),
            cached=cached,
            typed_columns=[named[c] for c in result.columns if c in named],
        )
        timings = {"compile": (compiled_at - started) * 1000, "execute": (done - compiled_at) * 1000}
        return block, timings

    def answer(self, query: SemanticQuery, *, language: Language = "zh", title: str = "") -> AskResult:
        """A semantic query asked directly (`nlq query`, the workbench's preview), on
        record under the asker's identity like a question."""
        started = time.perf_counter()
        result = AskResult(question=query.model_dump_json(exclude_defaults=True), status="answered")
        record = _OnRecord(self, "query", result)
        try:
            if query.explain is not None:
                self._explain(query, result, record.running)
            else:
                block, spent = self.run(query, title=title, running=record.running)
                result.timings_ms.compile, result.timings_ms.execute = spent["compile"], spent["execute"]
                result.answers.append(block)
            chart_answers(result.answers, self.layer)
        except (QueryError, ConnectorError) as error:
            _failed(result, error, language)
        result.timings_ms.total = (time.perf_counter() - started) * 1000
        record.close(language)
        return result

    def _execute(self, sql: str, running: Running | None = None) -> tuple[QueryResult, bool]:
        """The rows of the final SQL, from the result cache when the data has not changed."""
        key = None
        if self.cache is not None:
            key = CacheKey(str(self.db), self.connector.data_version(), sql, MAX_ROWS)
            found = self.cache.get(key)
            if found is not None:
                return found, True
        if running is not None:
            running(sql)
        result = self.connector.execute(sql, max_rows=MAX_ROWS, timeout_s=self.timeout_s)
        if self.cache is not None and key is not None:
            self.cache.put(key, result)
        return result, False

    # -- questions -------------------------------------------------------------------------------
    @cached_property
    def understander(self) -> Understander:
        from nlq.understand import Understander

        values, spelled = self.facts.indexed_values()
        lexicon = Lexicon.from_layer(self.layer, values, spelled)
        return Understander(self.layer, lexicon, self.campaigns())

    @cached_property
    def reader(self) -> ModelReader | None:
        """The language model's reader, built on first use (embedding the layer takes a moment)."""
        if self.llm_settings is None:
            return None
        from nlq.llm.reader import build_reader

        return build_reader(self, self.llm_settings, self._chat_model, self._embedder)

    def wants_model(self, understanding: Understanding) -> bool:
        """Always when so configured; else when the rules left words unplaced or could
        not answer. A refusal of the safety screen is final either way."""
        if self.llm_settings is None or understanding.screened:
            return False
        if self.llm_settings.use == "always":
            return True
        return understanding.status != "answer" or bool(understanding.unlinked)

    # -- what the warehouse holds (the same for every asker) ------------------------------------
    @property
    def latest_date(self) -> dt.date:
        """The default as_of: the latest day with data (see WarehouseFacts)."""
        return self.facts.latest_date

    def value_index(self, *, refresh: bool = False) -> dict[str, list[str]]:
        return self.facts.value_index(refresh=refresh)

    def campaigns(self) -> list[Campaign]:
        return self.facts.campaigns()

    def _has_rows(self, query: SemanticQuery) -> bool:
        """Does the query, under the asker's policies, return any row?"""
        return bool(self.connector.execute(self.sql_for(query), max_rows=1, timeout_s=self.timeout_s).rows)

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
        from nlq.caliber import conflict
        from nlq.doubts import flags, no_data_message
        from nlq.explain import interpret, row_scope
        from nlq.visibility import hidden_values, unseen_value

        started = time.perf_counter()
        language = language_of(question)
        result = AskResult(id=id, question=question, status="answered")
        record = _OnRecord(self, "question", result)
        understanding: Understanding | None = None
        noted: list[str] = []
        try:
            day = as_of or self.latest_date
            understanding = self.understander.understand(question, day, previous)
            if self.wants_model(understanding) and self.reader is not None:
                understanding = self.reader.read(question, day, understanding, previous)
            understood = time.perf_counter()
            result.timings_ms.understand = (understood - started) * 1000
            if understanding.status != "answer":
                result.status = "refused" if understanding.status == "refuse" else "clarify"
                result.message = understanding.message
                result.options = understanding.options
            else:
                # Said only where the answer counts rows the role sees in part.
                counted = {
                    m
                    for step in understanding.steps
                    for n in step.query.metrics
                    for m in self.layer.home_models(n)
                }
                scoped = bool(counted & self.compiler.policy.filtered_models)
                role = self.layer.role(self.role) if self.role and scoped else None
                result.interpretation = interpret(understanding, self.layer) + row_scope(
                    role, self.attributes, understanding.language
                )
                if understanding.sql:
                    block, spent = self.run_sql(
                        understanding.sql, title=result.interpretation, running=record.running
                    )
                    result.timings_ms.compile, result.timings_ms.execute = spent["compile"], spent["execute"]
                    result.answers.append(block)
                else:
                    self._answer(understanding.steps, result, record.running)
                    # an analysis's tables are not one query's rows: its own sentence says what it found
                    if not any(step.query.explain for step in understanding.steps):
                        hidden = hidden_values(
                            understanding, result.answers, self.layer, self._has_rows, self.facts.known_value
                        )
                        role = self.layer.role(self.role) if self.role else None
                        unseen = unseen_value(hidden, role, language)
                        if unseen is not None:
                            # Empty because the rows are not the asker's to see, not because there are none.
                            result.status, result.message, result.answers = "refused", unseen, []
                        elif hidden:
                            # A value the layer names and no row holds: missing data, not a 0.
                            result.message = no_data_message(hidden, self.layer, language)
                            result.answers = []
                            noted += [f"no_data:{value}" for _, value in hidden]
                        else:
                            contradicted = conflict(
                                understanding, result.answers, self.layer, language, self.facts.known_value
                            )
                            if contradicted is not None:
                                # A zero the metric's own 口径 guarantees is no answer: say why instead.
                                result.status, result.message, result.answers = "clarify", contradicted, []
                chart_answers(result.answers, self.layer)
                if result.answers:
                    result.interpretation += self._snapshots(understanding)
        except (QueryError, ConnectorError) as error:
            _failed(result, error, language)
        except Exception as error:  # the boundary: whatever went wrong, the user gets a sentence
            # One line for the operator; the traceback only when debugging, never to the user.
            LOG.error("question failed: %r (%s: %s)", question, type(error).__name__, error)
            LOG.debug("question failed", exc_info=True)
            result.status = "error"
            result.message = _engine_message(f"{type(error).__name__}", language)
            result.answers = []
        result.timings_ms.total = (time.perf_counter() - started) * 1000
        # SQL the language model wrote and the guard refused is on record too.
        refused_sql = (
            [understanding.sql] if understanding and understanding.sql and not result.answers else []
        )
        record.close(language, refused_sql, flags=[*flags(result, understanding), *noted])
        return result, understanding if result.status == "answered" else None

    def _snapshots(self, understanding: Understanding) -> str:
        """The day of the snapshot each stock figure is read at (one period, no time
        buckets: a trend's buckets each have their own)."""
        from nlq.explain import snapshot_note

        notes = []
        for step in understanding.steps:
            if step.query.time_grain:
                continue
            read: dict[dt.date, list[Label]] = {}
            for name in step.query.metrics:
                day = self.facts.snapshot_day(name, step.query.time_range)
                metric = self.layer.metric(name)
                if day is not None and metric is not None:
                    read.setdefault(day, []).append(metric.label)
            notes += [snapshot_note(labels, day, understanding.language) for day, labels in read.items()]
        return "".join(dict.fromkeys(notes))

    # -- raw SQL ---------------------------------------------------------------------------------
    @cached_property
    def catalog(self) -> dict[str, dict[str, str]]:
        return self.connector.tables()

    def sql(self, text: str, *, id: str | None = None, language: Language | None = None) -> AskResult:
        """Runs SQL typed by a person under the pipeline's role: every table is read
        through the role's view (see nlq.semantic.rawsql), the final SQL is
        guarded again, and the statement is audited like a question."""
        started = time.perf_counter()
        # SQL text is mostly English words: the caller may say which language to answer in.
        language = language or language_of(text)
        result = AskResult(id=id, question=text, status="answered")
        record = _OnRecord(self, "sql", result)
        try:
            role = self.layer.role(self.role) if self.role else None
            if role is None or not role.raw_sql:
                named = role.called if role else str(self.role)
                raise AccessDenied(Text("pipeline.role_may_not_run_sql", role=named))
            block, spent = self.run_sql(text, title="SQL", running=record.running)
            result.timings_ms.compile = spent["compile"]
            result.timings_ms.execute = spent["execute"]
            result.answers.append(block)
            chart_answers(result.answers, self.layer)
        except (QueryError, ConnectorError) as error:
            _failed(result, error, language)
        except Exception as error:  # the boundary, as for questions
            LOG.exception("SQL failed: %r", text[:200])
            result.status = "error"
            result.message = _engine_message(type(error).__name__, language)
            result.answers = []
        result.timings_ms.total = (time.perf_counter() - started) * 1000
        record.close(language)
        return result

    def run_sql(
        self, text: str, *, title: str = "", running: Running | None = None
    ) -> tuple[AnswerBlock, dict[str, float]]:
        """SQL text (typed by a person or written by the language model), secured and run."""
        started = time.perf_counter()
        # One time budget for checking and running: the checks' time is the query's.
        deadline = time.monotonic() + self.timeout_s if self.timeout_s else None
        sql = self.secure(text, deadline)
        compiled_at = time.perf_counter()
        if running is not None:
            running(sql)
        left = max(deadline - time.monotonic(), 0.001) if deadline is not None else None
        rows = self.connector.execute(sql, max_rows=MAX_ROWS, timeout_s=left)
        block = AnswerBlock(title=title, sql=sql, columns=rows.columns, rows=rows.json_rows())
        timings = {
            "compile": (compiled_at - started) * 1000,
            "execute": (time.perf_counter() - compiled_at) * 1000,
        }
        return block, timings

    def secure(self, text: str, deadline: float | None = None) -> str:
        """SQL text -> the SQL that may run: every table read through the role's view
        (see nlq.semantic.rawsql), the result guarded again. Raises QueryError, and
        AccessDenied when the checks pass `deadline` (time.monotonic())."""
        role = self.layer.role(self.role) if self.role else None
        secured = secure_sql(
            text,
            self.layer,
            role=self.role,
            attributes=self.attributes,
            dialect=self.connector.dialect,
            schema=self.catalog,
            max_rows=MAX_ROWS + 1,
            deadline=deadline,
        )
        sql = secured.sql(dialect=self.connector.dialect)
        guard_sql(
            sql,
            dialect=self.connector.dialect,
            tables=self.tables,
            max_rows=MAX_ROWS + 1,
            system_tables=role.catalog if role else False,
        )
        return sql

    def _answer(self, steps: list[Step], result: AskResult, running: Running | None = None) -> None:
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
            if query.explain is not None:
                self._explain(query, result, running)
                continue
            block, spent = self.run(query, title=step.title, running=running)
            timings.compile += spent["compile"]
            timings.execute += spent["execute"]
            result.answers.append(block)

    def _explain(self, query: SemanticQuery, result: AskResult, running: Running | None = None) -> None:
        """An analysis of a metric (why it changed): the governed queries it needs, each
        run as any answer's, and what they say in a sentence."""
        timings = result.timings_ms

        def run(part: SemanticQuery, title: str) -> AnswerBlock:
            block, spent = self.run(part, title=title, running=running)
            timings.compile += spent["compile"]
            timings.execute += spent["execute"]
            return block

        language = language_of(result.question)
        found: Attribution | Scan | Forecast | Warnings
        if query.explain == "anomalies":
            found = scan(query, self.layer, run, self._campaign_days(), language)
        elif query.explain == "forecast":
            found = forecast(query, self.layer, run, self._campaign_days(), self.latest_date, language)
        elif query.explain == "stock":
            found = stock_warnings(query, self.layer, run, self.latest_date, language)
        else:
            found = attribute(query, self.layer, run, self.value_index(), language)
        result.answers.extend(found.blocks)
        result.message = " ".join(m for m in (result.message, found.message) if m)

    def _campaign_days(self) -> list[tuple[dt.date, dt.date]]:
        """The campaigns' first and last days, read only by the analyses that set them apart."""
        return [(c.start_date, c.end_date) for c in self.campaigns()]

    def close(self) -> None:
        self.connector.close()
        self.audit.close()


# Told the SQL just before the engine runs it.
Running = Callable[[str], None]


class _OnRecord:
    """A question's (or statement's) audit record. Every question is on record before
    its answer leaves: when the log cannot be written, the answer is withheld. When
    SQL runs, the record is begun just before it (its flush to disk overlaps the
    engine's work: see nlq.audit) and completed at the end."""

    def __init__(self, pipeline: Pipeline, kind: Kind, result: AskResult) -> None:
        self.pipeline = pipeline
        self.kind = kind
        self.result = result
        # Begun at once, in the background: a process killed at any later point still
        # leaves the question on record (as running).
        opening = self._record(status="running", sql=[], rows=0, duration_ms=0.0, error="")
        self.pending: PendingRecord | None = pipeline.audit.begin(opening)

    def running(self, sql: str) -> None:
        """The SQL is about to run: the begun record gets it (and the interpretation) in
        the background, so a process killed while it runs leaves both on record."""
        if self.pending is not None:
            self.pending.update(self._record(status="running", sql=[sql], rows=0, duration_ms=0.0, error=""))

    def close(
        self, language: str, refused_sql: list[str] | None = None, flags: list[str] | None = None
    ) -> None:
        result = self.result
        record = self._record(
            status=result.status,
            sql=[block.sql for block in result.answers] + (refused_sql or []),
            rows=sum(len(block.rows) for block in result.answers),
            duration_ms=result.timings_ms.total,
            error="" if result.status == "answered" else result.message,
            flags=flags or [],
        )
        try:
            if self.pending is None:
                self.pipeline.audit.append(record)
            else:
                self.pending.finish(record)
        except AuditError as error:
            LOG.error("audit log: %s", error)
            result.status = "error"
            result.answers = []
            result.message = say("pipeline.audit_unwritable", language)

    def _record(self, **outcome: Any) -> AuditRecord:
        return AuditRecord(
            user=self.pipeline.user,
            role=self.pipeline.role,
            signed_in_role=self.pipeline.identity.signed_in_role,
            kind=self.kind,
            question=self.result.question,
            interpretation=self.result.interpretation,
            **outcome,
        )


def _without_empty_groups(query: SemanticQuery, columns: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """The group of rows that reach no value of the dimension (walk-in sales by member
    level) is left out when it holds nothing: active members by gender has no row for
    the sales of no member, whose count is 0."""
    keys = [i for i, c in enumerate(columns) if c in {d.rsplit(".", 1)[-1] for d in query.dimensions}]
    values = [i for i, c in enumerate(columns) if c in query.metrics]
    if not keys or not values:
        return rows
    return [
        row
        for row in rows
        if not (all(row[i] is None for i in keys) and all(row[i] in (None, 0) for i in values))
    ]


def _failed(result: AskResult, error: QueryError | ConnectorError, language: Language) -> None:
    """A question, statement or query that could not be answered: refused (a policy),
    asked back (a query the layer cannot express) or an engine's error, in nlq's words."""
    if isinstance(error, QueryError):
        result.status = "refused" if error.kind == "denied" else "clarify"
        result.message = error.message(language)
    else:
        result.status = "error"
        result.message = _engine_message(error.message(language), language)
    result.answers = []


def _engine_message(detail: str, language: str) -> str:
    return say("pipeline.not_answered", language, detail=detail)
