"""The answer contract of `nlq ask` (see shared/spec/interfaces.md): what every
front end (CLI, UI, eval harness) receives for one question."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["answered", "clarify", "refused", "error"]
Cell = str | int | float | bool | None


class Chart(BaseModel):
    type: str = "table"
    x: str | None = None
    y: list[str] = Field(default_factory=list)
    color: str | None = None


class AnswerBlock(BaseModel):
    """One result set: a compound question yields several."""

    title: str = ""
    sql: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: Chart = Field(default_factory=Chart)
    cached: bool = False  # served from the result cache, not the engine


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
