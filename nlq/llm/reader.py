"""A language model reading a question into the same semantic queries the rules
produce, through structured output. Its reply is checked like any query (names
in the layer, compiles under the role's policies); an invalid one goes back to
the model with the error, at most `max_repairs` times; after that the rules'
reading stands."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import sqlglot
from pydantic import ValidationError
from sqlglot.errors import SqlglotError

from nlq.language import Language
from nlq.llm.examples import (
    PACKAGED_EXAMPLES,
    CompileCheck,
    Example,
    ExampleIndex,
    FeedbackRecord,
    feedback_examples,
    read_examples,
    read_feedback,
)
from nlq.llm.prompt import (
    RULES,
    SQL_RULES,
    ModelReply,
    SQLModelReply,
    catalogue,
    examples_text,
    question_text,
    schema_text,
    tables,
)
from nlq.llm.retrieval import (
    Embedder,
    EmbeddingsUnavailable,
    LayerIndex,
    LayerSlice,
    SentenceEmbedder,
    whole_layer,
)
from nlq.llm.settings import LLMSettings, build_chat_model
from nlq.messages import say
from nlq.semantic.errors import QueryError
from nlq.semantic.model import SemanticLayer
from nlq.semantic.query import SemanticQuery
from nlq.understand import Step, Understander, Understanding

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

    from nlq.semantic.compiler import CompiledQuery

LOG = logging.getLogger(__name__)


class ReaderHost(Protocol):
    """What the model's reader needs of the pipeline it serves (nlq.pipeline.Pipeline
    is one), and no more: the reader sits below the pipeline and never imports it."""

    @property
    def layer(self) -> SemanticLayer: ...

    @property
    def understander(self) -> Understander: ...

    @property
    def latest_date(self) -> dt.date: ...

    def compile(self, query: SemanticQuery) -> CompiledQuery: ...

    def value_index(self, *, refresh: bool = False) -> dict[str, list[str]]: ...

    def sql_for(self, query: SemanticQuery) -> str: ...

    def secure(self, text: str, deadline: float | None = None) -> str: ...


FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class Unusable(Exception):
    """A reply that cannot be used; the message is what the model is told."""


@dataclass
class Attempt:
    """One exchange with the model, kept for the evidence and for tests."""

    reply_text: str
    problem: str = ""


class Prompter:
    """The messages for a question: the retrieved slice of the layer, the nearest
    worked examples, the question and what the rules made of it."""

    def __init__(
        self,
        layer: SemanticLayer,
        settings: LLMSettings,
        *,
        compile_check: CompileCheck,
        embedder: Embedder | None = None,
        values: dict[str, list[str]] | None = None,
        examples: list[Example] | None = None,
    ) -> None:
        self.layer = layer
        self.settings = settings
        self.values = values or {}
        self.index = LayerIndex(layer, embedder) if embedder is not None else None
        self.examples = (
            ExampleIndex(examples or [], embedder, compile_check) if embedder is not None else None
        )

    @property
    def schema(self) -> type[ModelReply]:
        return SQLModelReply if self.settings.raw_sql else ModelReply

    def layer_slice(self, question: str, rules: Understanding) -> LayerSlice:
        """The nearest metrics, dimensions and terms, plus every one the rules linked
        and those the rules' proposal uses."""
        if self.index is None:
            return whole_layer(self.layer)
        found = self.index.slice(
            question, metrics=self.settings.top_metrics, dimensions=self.settings.top_dimensions
        )
        for link in rules.linked:
            kind, _, rest = link.partition(":")
            name = rest.partition("=")[0]
            target = {"metric": found.metrics, "dimension": found.dimensions, "value": found.dimensions}
            if kind in target and name not in target[kind]:
                target[kind].append(name)
            if kind == "term" and name not in found.terms:
                found.terms.append(name)
        for step in rules.steps:
            query = step.query
            found.metrics += [m for m in query.metrics if m not in found.metrics]
            used = [*query.dimensions, *(f.dimension for f in query.filters)]
            found.dimensions += [d.split(".")[-1] for d in used if d.split(".")[-1] not in found.dimensions]
        return found

    def messages(
        self, question: str, as_of: dt.date, rules: Understanding, previous: Understanding | None
    ) -> list[BaseMessage]:
        from langchain_core.messages import HumanMessage, SystemMessage

        chosen = self.layer_slice(question, rules)
        parts = [RULES, catalogue(self.layer, chosen, self.values, rules.linked)]
        if self.examples is not None:
            parts.append(examples_text(self.examples.nearest(question, self.settings.top_examples)))
        if self.settings.raw_sql:
            parts.append(SQL_RULES.format(dialect=self.layer.dialect, tables=tables(self.layer)))
        if self.settings.method in {"prompt", "json_mode"}:
            parts.append(schema_text(self.schema))
        system = "\n\n".join(p for p in parts if p)
        return [SystemMessage(system), HumanMessage(question_text(question, as_of, rules, previous))]


class ModelReader:
    def __init__(
        self,
        prompter: Prompter,
        model: BaseChatModel,
        *,
        compile_check: CompileCheck,
        title: Callable[[SemanticQuery, Language], str],
        sql_check: Callable[[str], str] | None = None,
    ) -> None:
        """`sql_check` secures SQL under the role (raw-SQL mode) or raises QueryError."""
        self.prompter = prompter
        self.sql_check = sql_check
        self.layer = prompter.layer
        self.settings = prompter.settings
        self.model = model
        self.compile_check = compile_check
        self.title = title
        self.attempts: list[Attempt] = []

    # -- asking ----------------------------------------------------------------------------
    def read(
        self,
        question: str,
        as_of: dt.date,
        rules: Understanding,
        previous: Understanding | None = None,
    ) -> Understanding:
        """The model's reading, or the rules' one when the model fails."""
        from langchain_core.messages import AIMessage, HumanMessage

        messages = self.prompter.messages(question, as_of, rules, previous)
        self.attempts = []
        for attempt in range(1 + self.settings.max_repairs):
            try:
                text, reply = self._ask(messages)
            except Exception as error:  # the endpoint is down, slow or refuses: the rules answer
                LOG.warning("language model failed: %s", error)
                self.attempts.append(Attempt(reply_text="", problem=f"{type(error).__name__}: {error}"))
                return self._fallback(rules, "the language model could not be reached")
            try:
                if reply is None:
                    reply = _parse(text, self.prompter.schema)
                return self._understanding(reply, rules, attempt)
            except QueryError as error:
                if error.kind == "denied":
                    # No rewording gets around a policy: refuse at once, in the user's language.
                    self.attempts.append(Attempt(reply_text=text, problem=error.en))
                    return Understanding(
                        language=rules.language,
                        status="refuse",
                        message=error.message(rules.language),
                        evidence=[*rules.evidence, "language model reply not permitted for the role"],
                    )
                problem = error.en
            except Unusable as error:
                problem = str(error)
            self.attempts.append(Attempt(reply_text=text, problem=problem))
            messages = [
                *messages,
                AIMessage(text),
                HumanMessage(
                    f"That reply cannot be used: {problem}\n"
                    "Reply again with the corrected JSON only, using only names from the lists above."
                ),
            ]
        return self._fallback(rules, f"no valid reply after {len(self.attempts)} attempts")

    def _ask(self, messages: list[BaseMessage]) -> tuple[str, ModelReply | None]:
        """The reply's text, and the parsed reply when the structured-output mode gave one."""
        method = self.settings.method
        if method == "prompt":
            answer = self.model.invoke(messages)
            return _content_text(answer.content), None
        schema = self.prompter.schema
        runnable = self.model.with_structured_output(schema, method=method, include_raw=True)
        result = runnable.invoke(messages)
        assert isinstance(result, dict)
        raw = result.get("raw")
        calls = getattr(raw, "tool_calls", None) or []
        text = (
            json.dumps(calls[0]["args"], ensure_ascii=False)
            if calls
            else _content_text(getattr(raw, "content", ""))
        )
        parsed = result.get("parsed")
        if isinstance(parsed, schema):
            return text, parsed
        if isinstance(parsed, dict):
            return text, _validate(parsed, schema)
        return text, None

    # -- checking ----------------------------------------------------------------------------
    def _understanding(self, reply: ModelReply, rules: Understanding, attempt: int) -> Understanding:
        note = f"read by the language model {self.settings.model or type(self.model).__name__}" + (
            f" after {attempt} correction(s)" if attempt else ""
        )
        if isinstance(reply, SQLModelReply) and reply.action == "sql":
            return self._sql_understanding(reply.sql, rules, note)
        if reply.action != "query":
            if rules.status == "answer":
                # The rules found a governed reading; a model's doubt does not undo it.
                return rules.model_copy(update={"evidence": [*rules.evidence, f"{note}: {reply.action}"]})
            status = "clarify" if reply.action == "clarify" else "refuse"
            message = reply.message or rules.message
            return Understanding(
                language=rules.language, status=status, message=message, evidence=[*rules.evidence, note]
            )
        if not reply.queries:
            raise Unusable("action is query but `queries` is empty")
        for query in reply.queries:
            self._check_names(query)
            self.compile_check(query)
        steps = [Step(title=self.title(q, rules.language), query=q) for q in reply.queries]
        return Understanding(
            language=rules.language,
            status="answer",
            steps=steps,
            evidence=[*rules.evidence, note],
            linked=rules.linked,
            unlinked=rules.unlinked,
            read_by="model",
        )

    def _sql_understanding(self, sql: str, rules: Understanding, note: str) -> Understanding:
        if self.sql_check is None or not sql.strip():
            raise Unusable("action sql needs SQL in `sql`" if sql.strip() else "raw SQL is not enabled")
        try:
            sqlglot.parse(sql, read=self.layer.dialect)
        except SqlglotError as error:
            # A syntax slip is the model's to correct; anything the guard or a policy refuses is final.
            raise Unusable(f"the SQL does not parse: {str(error).splitlines()[0][:200]}") from error
        evidence = [*rules.evidence, f"{note}: SQL"]
        try:
            self.sql_check(sql)
        except QueryError as error:
            if error.kind != "denied":
                raise
            return Understanding(
                language=rules.language,
                status="refuse",
                message=error.message(rules.language),
                evidence=[*evidence, f"refused: {error.en}"],
                sql=sql,
            )
        return Understanding(
            language=rules.language, status="answer", evidence=evidence, sql=sql, read_by="model"
        )

    def _check_names(self, query: SemanticQuery) -> None:
        """Unknown names get a precise message listing the real ones."""
        metrics = [m.name for m in self.layer.metrics]
        unknown = [m for m in query.metrics if m not in metrics]
        if unknown:
            raise Unusable(f"unknown metric(s) {', '.join(unknown)}; the metrics are: {', '.join(metrics)}")
        dimensions = {d.name for m in self.layer.models for d in m.dimensions}
        qualified = {f"{m.name}.{d.name}" for m in self.layer.models for d in m.dimensions}
        named = [*query.dimensions, *(f.dimension for f in query.filters)]
        strange = [d for d in named if d not in dimensions and d not in qualified]
        if strange:
            raise Unusable(
                f"unknown dimension(s) {', '.join(strange)}; the dimensions are: {', '.join(sorted(dimensions))}"
            )

    def _fallback(self, rules: Understanding, why: str) -> Understanding:
        evidence = [*rules.evidence, f"{why}; the rules' reading stands"]
        if rules.status == "answer" or rules.status == "refuse":
            return rules.model_copy(update={"evidence": evidence})
        message = rules.message or say("pipeline.not_understood", rules.language)
        return Understanding(language=rules.language, status="clarify", message=message, evidence=evidence)


def _content_text(content: str | list[Any]) -> str:
    if isinstance(content, str):
        return content
    return "".join(part if isinstance(part, str) else str(part.get("text", "")) for part in content)


def _parse(text: str, schema: type[ModelReply]) -> ModelReply:
    """The reply of a model without a structured-output mode: JSON, maybe fenced."""
    body = FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise Unusable("the reply is not a JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as error:
        raise Unusable(f"the reply is not valid JSON ({error.msg} at character {error.pos})") from error
    return _validate(data, schema)


def _validate(data: object, schema: type[ModelReply]) -> ModelReply:
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}" for e in error.errors()[:5]
        )
        raise Unusable(f"the reply does not match the schema ({problems})") from error


@functools.lru_cache(maxsize=4)
def shared_embedder(path: str | None) -> Embedder | None:
    """One embedding model per process and folder; None (the whole layer goes into
    the prompt) when the embeddings extra is not installed."""
    try:
        return SentenceEmbedder(path)
    except EmbeddingsUnavailable as error:
        LOG.warning("retrieval without embeddings: %s", error)
        return None


def build_prompter(pipeline: ReaderHost, settings: LLMSettings, embedder: Embedder | None = None) -> Prompter:
    """The prompter of a pipeline: its layer, its role's compiler, its data's values."""
    if embedder is None:
        embedder = shared_embedder(settings.embedding_model)
    examples: list[Example] = []
    sources = settings.examples or ([PACKAGED_EXAMPLES] if PACKAGED_EXAMPLES.exists() else [])
    for path in map(Path, sources):
        if path.exists():
            examples += read_examples(path)
        else:
            LOG.warning("no examples file at %s", path)
    if settings.feedback is not None and Path(settings.feedback).exists():
        examples += feedback_examples(
            read_feedback(Path(settings.feedback)), functools.partial(_reread, pipeline)
        )
    return Prompter(
        pipeline.layer,
        settings,
        compile_check=pipeline.compile,
        embedder=embedder,
        values=pipeline.value_index(),
        examples=examples,
    )


def _reread(pipeline: ReaderHost, record: FeedbackRecord) -> list[SemanticQuery] | None:
    """The rules' queries for a liked answer, if they give exactly the SQL that was liked."""
    understanding = pipeline.understander.understand(record.question, record.as_of or pipeline.latest_date)
    steps = understanding.steps
    if understanding.status != "answer" or any(s.feed is not None for s in steps):
        return None
    try:
        sql = [pipeline.sql_for(s.query) for s in steps]
    except QueryError:
        return None
    return [s.query for s in steps] if sql == record.sql else None


def build_reader(
    pipeline: ReaderHost,
    settings: LLMSettings,
    chat_model: BaseChatModel | None = None,
    embedder: Embedder | None = None,
) -> ModelReader:
    model = chat_model if chat_model is not None else build_chat_model(settings)
    return ModelReader(
        build_prompter(pipeline, settings, embedder),
        model,
        compile_check=pipeline.compile,
        title=pipeline.understander.title,
        sql_check=pipeline.secure if settings.raw_sql else None,
    )
