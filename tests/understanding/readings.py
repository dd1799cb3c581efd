"""How the understanding tests read a question: one query answered, or a question back,
on the demo warehouse's last day of data."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nlq.pipeline import Pipeline
from nlq.semantic.query import SemanticQuery

AS_OF = dt.date(2026, 6, 30)


def read(pipeline: Pipeline, question: str) -> SemanticQuery:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer", (question, reading.message)
    assert len(reading.steps) == 1, question
    return reading.steps[0].query


def asked_back(pipeline: Pipeline, question: str) -> str:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "clarify", (question, [s.query for s in reading.steps])
    return reading.message


def table(pipeline: Pipeline, question: str) -> list[dict[str, Any]]:
    """The one table a question is answered with, as rows of column to value."""
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    assert len(result.answers) == 1, question
    block = result.answers[0]
    return [dict(zip(block.columns, row, strict=True)) for row in block.rows]
