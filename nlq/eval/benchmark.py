"""Benchmark files (shared/spec/interfaces.md): one question per JSONL line."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

CJK = re.compile(r"[\u4e00-\u9fff]")


class BenchmarkError(Exception):
    """A benchmark file that cannot be read, naming the line."""


class BenchmarkItem(BaseModel):
    id: str
    question: str
    as_of: dt.date | None = None
    gold_sql: str | list[str] | None = None
    order_matters: bool = False
    # "forecast": no gold can be run for days that have not happened; the right outcome is
    # an answer labelled as a forecast, of days after as_of (never a plain figure).
    expect: Literal["answer", "refuse", "forecast"] = "answer"
    # For a forecast: the period asked about (first and last day); the forecast must reach
    # its last day and start on its first, or the day after as_of when the period has begun.
    period: tuple[dt.date, dt.date] | None = None
    tags: list[str] = Field(default_factory=list)

    @property
    def golds(self) -> list[str]:
        # An empty gold (what a question to refuse often carries) is no gold.
        found = [self.gold_sql] if isinstance(self.gold_sql, str) else list(self.gold_sql or [])
        return [sql for sql in found if sql.strip()]

    @property
    def language(self) -> str:
        for tag in ("zh", "en"):
            if tag in self.tags:
                return tag
        return "zh" if CJK.search(self.question) else "en"


def load_benchmark(path: str | Path) -> list[BenchmarkItem]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise BenchmarkError(f"cannot read {path}: {error.strerror}") from error
    items: list[BenchmarkItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = BenchmarkItem.model_validate(json.loads(line))
        except json.JSONDecodeError as error:
            raise BenchmarkError(f"{path}:{number}: not valid JSON ({error.msg})") from error
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise BenchmarkError(f"{path}:{number}: {where}: {first['msg']}") from error
        if item.id in seen:
            raise BenchmarkError(f"{path}:{number}: duplicate id {item.id}")
        if item.expect == "answer" and not item.golds:
            raise BenchmarkError(f"{path}:{number}: question {item.id} expects an answer but has no gold_sql")
        seen.add(item.id)
        items.append(item)
    return items
