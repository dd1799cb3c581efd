"""`nlq semantic validate PATH [--db URL]` and `nlq semantic suggest --from-audit`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    semantic = sub.add_parser("semantic", help="the semantic layer")
    semantic_sub = semantic.add_subparsers(dest="semantic_command", required=True)
    validate = semantic_sub.add_parser("validate", help="check a semantic layer; one line per problem")
    validate.add_argument("path", type=Path, help="a layer YAML file or a folder of them")
    validate.add_argument("--db", help="check tables and columns against this database too")
    validate.set_defaults(handler=_validate)
    init = semantic_sub.add_parser("init", help="draft a semantic layer from a database's catalog")
    init.add_argument("--db", required=True, help="database URL or DuckDB path")
    init.add_argument("--tables", nargs="+", help="only these tables (default: all)")
    init.add_argument("--out", type=Path, required=True, help="folder for the drafted YAML files")
    init.set_defaults(handler=_init)
    suggest = semantic_sub.add_parser(
        "suggest", help="words of unanswered questions and the synonyms that would place them"
    )
    suggest.add_argument(
        "--from-audit", action="store_true", help="questions refused or clarified in the audit log"
    )
    suggest.add_argument(
        "--audit", help="audit log: path or postgresql:// URL (default NLQ_AUDIT_URL or data/)"
    )
    suggest.add_argument(
        "--feedback",
        type=Path,
        help="also answers rated down in this ratings file (e.g. data/feedback.jsonl)",
    )
    suggest.add_argument("--semantic", help="semantic layer (default: the demo layer)")
    suggest.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    suggest.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the report")
    suggest.add_argument("--format", choices=["text", "json"], default="text")
    suggest.set_defaults(handler=_suggest)


def _validate(args: argparse.Namespace) -> int:
    from nlq.engines import ConnectorError, open_connector
    from nlq.semantic.data_checks import check_data
    from nlq.semantic.loader import LayerError, load_layer
    from nlq.semantic.validate import validate

    if not args.path.exists():
        print(f"{args.path}: no such file or folder", file=sys.stderr)
        return 1
    try:
        layer, source = load_layer(args.path)
    except LayerError as error:
        print("\n".join(str(p) for p in error.problems))
        return 1
    if not args.db:
        problems = validate(layer, source)
    else:
        try:
            connector = open_connector(args.db)
            try:
                problems = validate(layer, source, connector.tables())
                # The rows are read once the layer matches the catalog.
                problems = problems or check_data(layer, source, connector)
            finally:
                connector.close()
        except ConnectorError as error:
            print(f"cannot read the database: {error}", file=sys.stderr)
            return 1
    for problem in problems:
        print(problem)
    if not problems:
        print(
            f"{args.path}: valid ({len(layer.models)} models, {len(layer.metrics)} metrics, {len(layer.roles)} roles)"
        )
    return 1 if problems else 0


def _init(args: argparse.Namespace) -> int:
    from nlq.engines import ConnectorError, open_connector
    from nlq.semantic.bootstrap import write_draft

    try:
        connector = open_connector(args.db)
        try:
            written = write_draft(connector, args.out, args.tables)
        finally:
            connector.close()
    except (ConnectorError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"drafted {', '.join(str(p) for p in written)}; check it with: nlq semantic validate {args.out} --db URL"
    )
    return 0


def _suggest(args: argparse.Namespace) -> int:
    import json

    from nlq import feedback, suggest
    from nlq.audit import AuditError, open_audit
    from nlq.engines import ConnectorError
    from nlq.pipeline import Pipeline
    from nlq.semantic.loader import LayerError

    if not args.from_audit and args.feedback is None:
        print(
            "error: say where the questions come from: --from-audit and/or --feedback FILE", file=sys.stderr
        )
        return 2
    questions: list[suggest.Unanswered] = []
    try:
        if args.from_audit:
            log = open_audit(args.audit)
            try:
                questions += suggest.from_audit(log)
            finally:
                log.close()
        if args.feedback is not None:
            questions += suggest.from_feedback(feedback.read(args.feedback))
        # Re-reading the questions asks nothing of the database: keep them off the audit log.
        pipeline = Pipeline(db=args.db, semantic=args.semantic, audit=_scratch_audit())
    except (AuditError, ConnectorError, LayerError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    found = suggest.suggest(questions, pipeline.understander, pipeline.latest_date)
    pipeline.close()
    if args.format == "json":
        print(json.dumps([s.model_dump(mode="json") for s in found], ensure_ascii=False, indent=2))
    else:
        print(suggest.report(found, args.lang))
    return 0


def _scratch_audit() -> Path:
    import tempfile

    return Path(tempfile.mkdtemp(prefix="nlq-suggest-")) / "audit.sqlite"
