"""How the understanding tests read a question: one query answered, or a question back,
on the demo warehouse's last day of data."""

from __future__ import annotations

import datetime as dt

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
