"""`nlq query`: run a semantic query given as flags or JSON, for analysts
and scripts (no natural language involved)."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nlq.demo.catalog import CATEGORIES, CHANNELS

CONDITION = re.compile(r"^\s*([\w.]+)\s*(!=|>=|<=|=|>|<|~|\^)\s*(.*)$")
OPS = {"=": "in", "!=": "not_in", "~": "contains", "^": "starts_with"}
# The help's examples name the demo's own values (天猫, 京东, 手机), so that they can be tried on it.
PHONES = next(iter(CATEGORIES[0].subcategories))


def register(sub: argparse._SubParsersAction) -> None:
    query = sub.add_parser(
        "query", help="run a semantic query (metrics, dimensions, filters) without natural language"
    )
    query.add_argument(
        "-m", "--metric", action="append", default=[], help="metric name(s), comma separated; repeatable"
    )
    query.add_argument("--by", action="append", default=[], help="dimension(s) to group by, comma separated")
    query.add_argument(
        "--grain", choices=["day", "week", "month", "quarter", "year"], help="group by time at this grain"
    )
    query.add_argument("--from", dest="start", help="first day, YYYY-MM-DD")
    query.add_argument("--to", dest="end", help="last day, YYYY-MM-DD (included)")
    query.add_argument(
        "--where",
        action="append",
        default=[],
        help=f"dimension filter: channel={','.join(CHANNELS[:2])} | status!=cancelled | name~{PHONES} | x>3",
    )
    query.add_argument("--having", action="append", default=[], help="metric filter: gmv>10000")
    query.add_argument(
        "--order", action="append", default=[], help="order by a result column: gmv:desc or channel:asc"
    )
    query.add_argument("--limit", type=int)
    query.add_argument("--compare", choices=["yoy", "pop"], help="year over year, or previous period")
    query.add_argument(
        "--share", action="append", default=[], help="add share-of-total columns for these metrics"
    )
    query.add_argument(
        "--rank", action="append", default=[], help="add rank columns (1 = largest) for these metrics"
    )
    query.add_argument("--json", help="the whole semantic query as JSON (a file path, or - for stdin)")
    who = query.add_mutually_exclusive_group()
    who.add_argument("--role", default="analyst", help="access role (default analyst)")
    who.add_argument("--user", help="a user of the layer's users.yaml: its role and attributes apply")
    query.add_argument(
        "--audit", help="audit log: path or postgresql:// URL (default NLQ_AUDIT_URL or data/)"
    )
    query.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    query.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    query.add_argument("--dialect", help="print the SQL for this sqlglot dialect instead of running it")
    query.add_argument(
        "--plan",
        action="store_true",
        help="print the compiler's plan (its nodes after the rewrites) instead of running it",
    )
    query.add_argument("--format", choices=["text", "json"], default="text")
    query.set_defaults(handler=_run)


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _query_document(args: argparse.Namespace) -> dict[str, Any]:
    if args.json:
        text = sys.stdin.read() if args.json == "-" else Path(args.json).read_text(encoding="utf-8")
        loaded: dict[str, Any] = json.loads(text)
        return loaded
    document: dict[str, Any] = {"metrics": _split(args.metric), "dimensions": _split(args.by)}
    if args.grain:
        document["time_grain"] = args.grain
    if args.start or args.end:
        document["time_range"] = {"start": args.start, "end": args.end}
    filters = []
    for text in args.where:
        match = CONDITION.match(text)
        if not match:
            raise ValueError(f"cannot read filter '{text}': write dimension=value[,value]")
        dimension, op, value = match.groups()
        values = [v.strip() for v in value.split(",")] if op in {"=", "!="} else [value.strip()]
        filters.append({"dimension": dimension, "op": OPS.get(op, op), "values": values})
    document["filters"] = filters
    having = []
    for text in args.having:
        match = CONDITION.match(text)
        if not match or match.group(2) in {"~", "^"}:
            raise ValueError(f"cannot read metric filter '{text}': write metric>number")
        having.append({"metric": match.group(1), "op": match.group(2), "value": float(match.group(3))})
    document["metric_filters"] = having
    document["order_by"] = [
        {"field": item.split(":")[0], "desc": not item.endswith(":asc")} for item in args.order
    ]
    if args.limit:
        document["limit"] = args.limit
    if args.compare:
        document["compare"] = args.compare
    document["share"] = _split(args.share)
    document["rank"] = _split(args.rank)
    return document


def _run(args: argparse.Namespace) -> int:
    from nlq.audit import AuditError
    from nlq.engines import ConnectorError
    from nlq.pipeline import Pipeline
    from nlq.semantic.errors import QueryError
    from nlq.semantic.loader import LayerError
    from nlq.semantic.query import SemanticQuery

    try:
        query = SemanticQuery.model_validate(_query_document(args))
        started = time.perf_counter()
        pipeline = Pipeline(
            db=args.db,
            semantic=args.semantic,
            role=None if args.user else args.role,
            user=args.user,
            audit=args.audit,
        )
        if args.plan:
            print(pipeline.compiler.explain(query))
            return 0
        if args.dialect:
            print(pipeline.compile(query).sql(args.dialect, pretty=True))
            return 0
        result = pipeline.answer(query, language="en")
        if result.status != "answered":
            print(f"error: {result.message}", file=sys.stderr)
            return 1
        block = result.answers[0]
        timings = {"compile": result.timings_ms.compile, "execute": result.timings_ms.execute}
        timings["total"] = (time.perf_counter() - started) * 1000
    except (ValueError, OSError) as error:
        message = _validation_message(error) if isinstance(error, ValidationError) else str(error)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except (QueryError, ConnectorError, LayerError, AuditError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps({**block.model_dump(mode="json"), "timings_ms": timings}, ensure_ascii=False))
        return 0
    print(block.sql)
    print()
    print(render_table(block.columns, block.rows))
    return 0


def _validation_message(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())


def render_table(columns: list[str], rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, float):
            return f"{value:,.4f}" if abs(value) < 1 else f"{value:,.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max([_width(c), *(_width(r[i]) for r in text)]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)) for row in text]
    lines.append(f"({len(rows)} rows)")
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
