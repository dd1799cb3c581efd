"""`nlq audit tail|export`: read the audit log."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from pathlib import Path

from nlq.audit import STATUSES


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="the audit log of every question and SQL statement")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)

    tail = audit_sub.add_parser("tail", help="the newest records")
    tail.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    tail.add_argument("--user", help="only this user's records")
    tail.add_argument("--status", choices=STATUSES)
    tail.add_argument("--format", choices=["text", "jsonl"], default="text")
    tail.add_argument("--audit", help="audit log: path or postgresql:// URL (default NLQ_AUDIT_URL or data/)")
    _administrator(tail)
    tail.set_defaults(handler=_tail)

    export = audit_sub.add_parser("export", help="every record, oldest first, as JSONL or CSV")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.add_argument("--since", type=dt.datetime.fromisoformat, help="only records from this time (ISO)")
    export.add_argument(
        "--audit", help="audit log: path or postgresql:// URL (default NLQ_AUDIT_URL or data/)"
    )
    _administrator(export)
    export.set_defaults(handler=_export)


def _administrator(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as",
        dest="reader",
        required=True,
        metavar="USER",
        help="who reads the log: a user of the layer whose role is an administrator's (admin: true)",
    )
    parser.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")


def _refused(args: argparse.Namespace) -> str | None:
    """Why this reader may not read the audit log, or None when they may."""
    from nlq.identity import Identity
    from nlq.pipeline import DEMO_SEMANTIC
    from nlq.semantic.errors import QueryError
    from nlq.semantic.loader import LayerError, load_cached

    try:
        layer = load_cached(args.semantic or DEMO_SEMANTIC)
        reader = Identity.of(layer, user=args.reader)
    except (QueryError, LayerError) as error:
        return str(error)
    if not reader.may_administer(layer):
        return f"{args.reader} ({reader.role}) may not read the audit log: it is for administrators"
    return None


def _tail(args: argparse.Namespace) -> int:
    from nlq.audit import AuditError, open_audit

    refused = _refused(args)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    try:
        log = open_audit(args.audit)
        records = log.recent(args.limit, user=args.user, status=args.status)
    except AuditError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for record in reversed(records):
        if args.format == "jsonl":
            print(json.dumps(record.model_dump(mode="json"), ensure_ascii=False))
            continue
        when = record.time.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        who = f"{record.user or '-'}/{record.role or '-'}"
        if record.signed_in_role:
            who += f" (as {record.signed_in_role})"
        detail = record.error or f"{record.rows} rows"
        print(
            f"{record.id:>6} {when} {who:<24} {record.kind:<8} {record.status:<8} "
            f"{record.duration_ms:8.1f} ms  {record.question[:60]!r}  {detail[:80]}"
        )
    log.close()
    return 0


def _export(args: argparse.Namespace) -> int:
    from nlq.audit import AuditError, export, open_audit

    refused = _refused(args)
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    try:
        log = open_audit(args.audit)
        out = sys.stdout if args.out is None else args.out.open("w", encoding="utf-8", newline="")
    except (AuditError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    with out if args.out is not None else contextlib.nullcontext(out):
        count = export(log, out, args.format, args.since)
    log.close()
    print(f"{count} records", file=sys.stderr)
    return 0
