"""The pipeline the insight tests ask through (an analyst sees every row), and asking."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nlq.answer import AskResult
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


def ask(pipeline: Pipeline, question: str) -> AskResult:
    """The answer to `question` on the demo's last day, which must be an answer."""
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (question, result.message)
    return result
