"""`nlq semantic validate PATH [--db URL]`."""

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


def _validate(args: argparse.Namespace) -> int:
    from connectors import ConnectorError, open_connector
    from semantic_layer.loader import LayerError, load_layer
    from semantic_layer.validate import validate

    if not args.path.exists():
        print(f"{args.path}: no such file or folder", file=sys.stderr)
        return 1
    try:
        layer, source = load_layer(args.path)
    except LayerError as error:
        print("\n".join(str(p) for p in error.problems))
        return 1
    catalog = None
    if args.db:
        try:
            connector = open_connector(args.db)
            catalog = connector.tables()
            connector.close()
        except ConnectorError as error:
            print(f"cannot read the database catalog: {error}", file=sys.stderr)
            return 1
    problems = validate(layer, source, catalog)
    for problem in problems:
        print(problem)
    if not problems:
        print(
            f"{args.path}: valid ({len(layer.models)} models, {len(layer.metrics)} metrics, {len(layer.roles)} roles)"
        )
    return 1 if problems else 0


def _init(args: argparse.Namespace) -> int:
    from connectors import ConnectorError, open_connector
    from semantic_layer.bootstrap import write_draft

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
