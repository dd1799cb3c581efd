"""The answer contract of `nlq ask` (see shared/spec/interfaces.md): what every
front end (CLI, UI, eval harness) receives for one question."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from nlq.semantic.columns import ColumnRole
from nlq.semantic.model import Format, Label

Status = Literal["answered", "clarify", "refused", "error"]
Cell = str | int | float | bool | None


class Chart(BaseModel):
    """The chart an answer is drawn with, decided once (nlq.charts) for the UI and the
    JSON output alike: its kind, the columns it plots, the rule that chose it and the
    other kinds a user may switch to."""

    type: str = "table"
    x: str | None = None
    y: list[str] = Field(default_factory=list)
    color: str | None = None
    rule: str = ""
    options: list[str] = Field(default_factory=list)


class AnswerColumn(BaseModel):
    """What a column of a compiled answer is, as the compiler knows it: its role, its
    label in both languages, its display format and the metric it belongs to."""

    name: str
    role: ColumnRole
    label: Label
    format: Format | None = None
    metric: str | None = None


class AnswerBlock(BaseModel):
    """One result set: a compound question yields several."""

    title: str = ""
    sql: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: Chart = Field(default_factory=Chart)
    cached: bool = False  # served from the result cache, not the engine
    # The columns as the compiler described them; empty for raw SQL (then guessed by name).
    typed_columns: list[AnswerColumn] = Field(default_factory=list)


class Timings(BaseModel):
    understand: float = 0.0
    compile: float = 0.0
    execute: float = 0.0
    total: float = 0.0


class AskResult(BaseModel):
    id: str | None = None
    question: str
    status: Status
    message: str = ""
    interpretation: str = ""
    answers: list[AnswerBlock] = Field(default_factory=list)
    # With `clarify`: the question rewritten once per reading, for a front end to offer as choices.
    options: list[str] = Field(default_factory=list)
    timings_ms: Timings = Field(default_factory=Timings)

    def to_json_dict(self) -> dict[str, Any]:
        # `options` is an addition to the interface's shape: present only when there are some.
        return self.model_dump(mode="json", exclude=set() if self.options else {"options"})
