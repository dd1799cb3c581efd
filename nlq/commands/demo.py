"""`nlq demo build`: the embedded demo warehouse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nlq.demo.examples import example_names

DEFAULT_PATH = Path("data/demo.duckdb")


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="the demo warehouse")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    build = demo_sub.add_parser("build", help="build the demo warehouse (idempotent)")
    build.add_argument("--scale", type=float, default=1.0, help="size factor, linear (default 1)")
    build.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    build.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output file (default {DEFAULT_PATH}, or data/NAME.duckdb with --example)",
    )
    build.add_argument(
        "--example",
        choices=example_names(),
        help="build a curated example warehouse from its Parquet files instead "
        "(examples/NAME/data; its layer is examples/NAME/semantic)",
    )
    build.set_defaults(handler=_build)
    load = demo_sub.add_parser(
        "load", help="copy the demo warehouse into PostgreSQL, MySQL/MariaDB, chDB or Spark, in bulk"
    )
    load.add_argument("--db", required=True, help="target URL, e.g. postgresql://postgres@127.0.0.1/nlq_demo")
    load.add_argument("--scale", type=float, default=1.0, help="size factor of the warehouse (default 1)")
    load.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    load.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="an existing DuckDB demo warehouse to copy (default: built for --scale and --seed)",
    )
    load.set_defaults(handler=_load)


def _build(args: argparse.Namespace) -> int:
    from nlq.demo.warehouse import build_warehouse

    if args.example:
        import duckdb

        from nlq.demo.examples import build_example

        try:
            example = build_example(args.example, args.out)
        except (OSError, ValueError, duckdb.Error) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(example.summary())
        return 0
    report = build_warehouse(args.out or DEFAULT_PATH, scale=args.scale, seed=args.seed)
    print(report.summary())
    return 0


def _load(args: argparse.Namespace) -> int:
    from nlq.demo.load import load_demo
    from nlq.demo.warehouse import build_warehouse
    from nlq.engines import ConnectorError

    source: Path = args.source
    if source is None:
        source = DEFAULT_PATH if args.scale == 1 else DEFAULT_PATH.with_name(f"demo-s{args.scale:g}.duckdb")
        build_warehouse(source, scale=args.scale, seed=args.seed)
    elif not source.exists():
        print(f"error: {source}: no such DuckDB file", file=sys.stderr)
        return 1
    try:
        report = load_demo(args.db, source)
    except ConnectorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
