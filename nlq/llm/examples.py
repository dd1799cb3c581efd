"""Past questions with the queries that answered them right, shown to the model
as worked examples: thumbs-up feedback, and the training part of the dev
benchmark (questions the rules answer correctly, checked by execution)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nlq.llm.retrieval import Embedder
from nlq.semantic.errors import QueryError
from nlq.semantic.query import SemanticQuery

LOG = logging.getLogger(__name__)
PACKAGED_EXAMPLES = Path(__file__).resolve().parents[1] / "demo" / "examples.jsonl"
# One benchmark question in this many is held out of the examples, so that a model
# can be measured on questions it has not been shown.
HOLD_OUT_EVERY = 5
# Compiles a query or raises QueryError: the validity test of examples and replies.
CompileCheck = Callable[[SemanticQuery], object]


class Example(BaseModel):
    model_config = ConfigDict(extra="ignore")

    question: str
    as_of: dt.date | None = None
    queries: list[SemanticQuery] = Field(min_length=1)
    source: str = ""


class FeedbackRecord(BaseModel):
    """One line of the feedback file the chat UI writes (nlq/feedback.py there): a
    rating of an answer, with its SQL; `queries` when the writer knows them."""

    model_config = ConfigDict(extra="ignore")

    question: str
    rating: Literal["up", "down"]
    answer_id: str | None = None
    as_of: dt.date | None = None
    sql: list[str] = Field(default_factory=list)
    queries: list[SemanticQuery] = Field(default_factory=list)


def in_training_part(item_id: str) -> bool:
    """A stable split by id: the same questions are held out on every machine."""
    return zlib.crc32(item_id.encode("utf-8")) % HOLD_OUT_EVERY != 0


def read_examples(path: Path) -> list[Example]:
    """Examples from a JSONL file; unreadable lines are skipped with a warning."""
    found: list[Example] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Example.model_validate({"source": path.name, **json.loads(line)}))
        except (ValueError, ValidationError) as error:
            LOG.warning("%s:%d: not an example (%s)", path, number, str(error).splitlines()[0])
    return found


def read_feedback(path: Path) -> list[FeedbackRecord]:
    """The answers whose current rating is a thumbs-up: rating an answer again
    appends a line, and the last line of an answer counts."""
    latest: dict[str, FeedbackRecord] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = FeedbackRecord.model_validate_json(line)
        except ValidationError as error:
            LOG.warning("%s:%d: not a feedback record (%s)", path, number, str(error).splitlines()[0])
            continue
        latest[record.answer_id or f"line {number}"] = record
    return [r for r in latest.values() if r.rating == "up"]


def feedback_examples(
    records: Iterable[FeedbackRecord], reread: Callable[[FeedbackRecord], list[SemanticQuery] | None]
) -> list[Example]:
    """Thumbs-up answers as examples. A record without its queries is read again by
    `reread`, which gives the queries only if they produce the very SQL that was liked."""
    found: list[Example] = []
    for record in records:
        queries = record.queries or (reread(record) if record.sql else None)
        if queries:
            found.append(
                Example(question=record.question, as_of=record.as_of, queries=queries, source="feedback")
            )
    return found


class ExampleIndex:
    """The examples nearest to a question. Examples whose queries do not compile
    against the current layer (another layer, a renamed metric) are left out."""

    def __init__(self, examples: Iterable[Example], embedder: Embedder, compile_check: CompileCheck) -> None:
        self.examples = [e for e in examples if _compiles(e, compile_check)]
        self.embedder = embedder
        self.vectors = embedder.encode([e.question for e in self.examples])

    def nearest(self, question: str, k: int) -> list[Example]:
        if k <= 0 or not self.examples:
            return []
        scores = self.vectors @ self.embedder.encode([question])[0]
        order = np.argsort(-scores, kind="stable")
        chosen: list[Example] = []
        for i in order:
            example = self.examples[int(i)]
            if example.question == question:
                continue  # the question itself teaches nothing
            chosen.append(example)
            if len(chosen) == k:
                break
        return chosen


def _compiles(example: Example, compile_check: CompileCheck) -> bool:
    try:
        for query in example.queries:
            compile_check(query)
    except QueryError:
        return False
    return True
