"""Thumbs up / down on answers, kept in an append-only JSONL file beside the
warehouse (never in it: the warehouse is only read), and turned into benchmark
lines of `shared/spec/interfaces.md` by `nlq feedback export`.

A rating is a line; rating the same answer again appends a new line and the
last one counts, so the file is never rewritten while the app runs."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import sqlglot
from pydantic import BaseModel, Field, ValidationError
from sqlglot import exp

from nlq.answer import AskResult
from nlq.pipeline import MAX_ROWS

DEFAULT_FILE = Path("data/feedback.jsonl")
Rating = Literal["up", "down"]
_LOCK = threading.Lock()  # Streamlit sessions are threads of one process


class FeedbackRecord(BaseModel):
    answer_id: str
    rating: Rating
    question: str
    as_of: dt.date
    role: str
    status: str
    interpretation: str = ""
    sql: list[str] = Field(default_factory=list)
    recorded_at: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    comment: str = ""

    @classmethod
    def of(
        cls, answer_id: str, rating: Rating, result: AskResult, *, as_of: dt.date, role: str
    ) -> FeedbackRecord:
        return cls(
            answer_id=answer_id,
            rating=rating,
            question=result.question,
            as_of=as_of,
            role=role,
            status=result.status,
            interpretation=result.interpretation,
            sql=[a.sql for a in result.answers],
        )


def record(entry: FeedbackRecord, path: Path = DEFAULT_FILE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    line = entry.model_dump_json() + "\n"
    with _LOCK, path.open("a", encoding="utf-8") as out:
        out.write(line)


def read(path: Path = DEFAULT_FILE) -> list[FeedbackRecord]:
    """The current rating of each answer (the last one given); unreadable lines are skipped."""
    if not path.exists():
        return []
    latest: dict[str, FeedbackRecord] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = FeedbackRecord.model_validate_json(line)
        except ValidationError:
            continue
        latest[entry.answer_id] = entry
    return list(latest.values())


def benchmark_lines(records: Iterable[FeedbackRecord], role: str = "analyst") -> list[dict[str, Any]]:
    """Approved answers as benchmark lines: their SQL becomes the gold SQL (an
    approved refusal becomes an `expect: refuse` line). Disapproved answers have
    no gold to offer; they are for a person to fix and are left out. Only answers
    given under `role` are kept: the benchmark is asked as one role, and another
    role's row filters would make its SQL the wrong gold."""
    lines: list[dict[str, Any]] = []
    for entry in records:
        if entry.rating != "up" or entry.role != role:
            continue
        language = "en" if entry.question.isascii() else "zh"
        line: dict[str, Any] = {
            "id": f"fb-{entry.answer_id[:12]}",
            "question": entry.question,
            "as_of": entry.as_of.isoformat(),
            "tags": ["feedback", language],
        }
        if entry.status == "answered" and entry.sql:
            line["gold_sql"] = entry.sql[0] if len(entry.sql) == 1 else entry.sql
            line["order_matters"] = any(_ordered(sql) for sql in entry.sql)
            line["expect"] = "answer"
        elif entry.status in {"refused", "clarify"}:
            line.update(order_matters=False, expect="refuse")
        else:
            continue
        lines.append(line)
    return lines


def _ordered(sql: str) -> bool:
    """A top N (an order and a limit below the pipeline's row cap) is ordered; a
    grouping is sorted for display only and compares as a set."""
    try:
        tree = sqlglot.parse_one(sql)
    except sqlglot.errors.ParseError:
        return False  # unreadable here: compared as a set, the lenient choice
    limit = tree.args.get("limit")
    count = limit.expression if isinstance(limit, exp.Limit) else None
    top_n = isinstance(count, exp.Literal) and count.is_int and int(count.this) <= MAX_ROWS
    return tree.args.get("order") is not None and top_n


# -- command line -------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    feedback = sub.add_parser("feedback", help="ratings given in the chat UI")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", help="approved answers as benchmark JSONL lines")
    export.add_argument(
        "--file", type=Path, default=DEFAULT_FILE, help=f"ratings file (default {DEFAULT_FILE})"
    )
    export.add_argument("--out", type=Path, help="write here instead of standard output")
    export.add_argument("--role", default="analyst", help="keep answers given as this role (default analyst)")
    export.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    """`nlq feedback export` and `nlq eval export-feedback`: approved answers as benchmark lines."""
    records = read(args.file)
    lines = benchmark_lines(records, args.role)
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    down = sum(r.rating == "down" for r in records)
    print(f"{len(lines)} benchmark lines; {down} answers rated down to review", file=sys.stderr)
    return 0
