"""`nlq ask`: answer one question, or a JSONL batch of them, in one process."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

LLM_HELP = (
    "language model configuration YAML (default: $NLQ_LLM_CONFIG and NLQ_LLM_* variables; none: rules only)"
)


def register(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="answer a question in Chinese or English")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--batch", type=Path, help="JSONL file: one {id, question, as_of} per line")
    ask.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        help="reference date YYYY-MM-DD (default: latest date in the data)",
    )
    ask.add_argument("--role", default="analyst", help="access role (default analyst)")
    ask.add_argument("--user", help="a user of the layer's users.yaml: its role and attributes apply")
    ask.add_argument("--llm-config", type=Path, help=LLM_HELP)
    ask.add_argument(
        "--db", help="database URL or DuckDB path (default: the demo warehouse, built if missing)"
    )
    ask.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    ask.add_argument("--format", choices=["text", "json", "jsonl"], default="text")
    ask.set_defaults(handler=_run)

    chat = sub.add_parser("chat", help="a conversation on the terminal: follow-ups keep the context")
    chat.add_argument("--as-of", type=dt.date.fromisoformat, help="reference date YYYY-MM-DD")
    chat.add_argument("--role", default="analyst", help="access role (default analyst)")
    chat.add_argument("--user", help="a user of the layer's users.yaml: its role and attributes apply")
    chat.add_argument("--llm-config", type=Path, help=LLM_HELP)
    chat.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    chat.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    chat.set_defaults(handler=_chat)

    index = sub.add_parser("index", help="the value index used to link words to stored values")
    index_sub = index.add_subparsers(dest="index_command", required=True)
    refresh = index_sub.add_parser("refresh", help="rebuild it from the data now")
    refresh.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    refresh.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    refresh.set_defaults(handler=_refresh_index)


def _run(args: argparse.Namespace) -> int:
    from nlq.audit import AuditError
    from nlq.engines import ConnectorError
    from nlq.llm.settings import LLMConfigError
    from nlq.semantic.errors import QueryError
    from nlq.semantic.loader import LayerError

    if (args.question is None) == (args.batch is None):
        print("error: give a question or --batch FILE", file=sys.stderr)
        return 2
    try:
        pipeline = _pipeline(args)
    except (QueryError, ConnectorError, LayerError, AuditError, LLMConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.batch is not None:
        return _batch(pipeline, args.batch, args.as_of)
    result = pipeline.ask(args.question, as_of=args.as_of)
    if args.format in {"json", "jsonl"}:
        print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    else:
        print_text(result.to_json_dict())
    return 0 if result.status in {"answered", "clarify", "refused"} else 1


def _batch(pipeline: Any, path: Path, default_as_of: dt.date | None) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        print(f"error: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 2
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            as_of = dt.date.fromisoformat(item["as_of"]) if item.get("as_of") else default_as_of
            result = pipeline.ask(item["question"], as_of=as_of, id=item.get("id"))
            output = result.to_json_dict()
        except (ValueError, KeyError, TypeError) as error:
            output = {
                "id": None,
                "question": line,
                "status": "error",
                "message": f"line {number}: {error}",
                "interpretation": "",
                "answers": [],
                "timings_ms": {},
            }
        print(json.dumps(output, ensure_ascii=False), flush=True)
    return 0


def print_text(result: dict[str, Any]) -> None:
    from nlq.commands.query import render_table

    if result["status"] != "answered":
        print(result["message"])
        for option in result.get("options", []):
            print(f"  - {option}")
        return
    print(result["interpretation"])
    if result.get("message"):
        print(result["message"])
    for answer in result["answers"]:
        print()
        print(f"## {answer['title']}")
        print(render_table(answer["columns"], answer["rows"][:50]))
        print(answer["sql"])


def _pipeline(args: argparse.Namespace) -> Any:
    """The pipeline of `ask` and `chat`, with the configured language model, if any
    (its client built now, so a configuration error shows before the first question;
    the retrieval index only when a question needs the model)."""
    from nlq.llm.settings import build_chat_model, load_settings
    from nlq.pipeline import Pipeline

    settings = load_settings(args.llm_config)
    model = build_chat_model(settings) if settings is not None else None
    return Pipeline(
        db=args.db, semantic=args.semantic, role=args.role, user=args.user, llm=settings, chat_model=model
    )


def _chat(args: argparse.Namespace) -> int:
    from nlq.llm.settings import LLMConfigError

    try:
        pipeline = _pipeline(args)
    except LLMConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    previous = None
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("> ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            return 0
        if not line.strip():
            continue
        result, understanding = pipeline.converse(line.strip(), as_of=args.as_of, previous=previous)
        previous = understanding or previous
        print_text(result.to_json_dict())
        print()


def _refresh_index(args: argparse.Namespace) -> int:
    from nlq.pipeline import Pipeline

    index = Pipeline(db=args.db, semantic=args.semantic).value_index(refresh=True)
    for dimension, values in sorted(index.items()):
        print(f"{dimension}: {len(values)} values")
    return 0
