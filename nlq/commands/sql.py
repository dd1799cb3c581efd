"""`nlq sql`: run one SELECT typed by a person, under a role or a configured
user; every table is read through the role's view and the statement is audited."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    sql = sub.add_parser("sql", help="run one read-only SELECT through the role's policies")
    sql.add_argument("sql", help="the SQL (one SELECT over the semantic layer's tables)")
    who = sql.add_mutually_exclusive_group()
    who.add_argument("--role", default="analyst", help="access role (default analyst)")
    who.add_argument("--user", help="a user of the layer's users.yaml: its role and attributes apply")
    sql.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    sql.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    sql.add_argument("--audit", help="audit log: path or postgresql:// URL (default NLQ_AUDIT_URL or data/)")
    sql.add_argument("--format", choices=["text", "json"], default="text")
    sql.add_argument("--lang", choices=["zh", "en"], help="language of messages (default: of the SQL text)")
    sql.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from nlq.audit import AuditError
    from nlq.commands.ask import print_text
    from nlq.engines import ConnectorError
    from nlq.pipeline import Pipeline
    from nlq.semantic.errors import QueryError
    from nlq.semantic.loader import LayerError

    try:
        pipeline = Pipeline(
            db=args.db, semantic=args.semantic, role=args.role, user=args.user, audit=args.audit
        )
    except (QueryError, ConnectorError, LayerError, AuditError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    result = pipeline.sql(args.sql, language=args.lang)
    pipeline.close()
    if args.format == "json":
        print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    else:
        print_text(result.to_json_dict())
    return 0 if result.status == "answered" else 1
