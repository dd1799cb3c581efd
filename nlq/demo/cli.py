"""`nlq demo build`: the embedded demo warehouse."""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_PATH = Path("data/demo.duckdb")


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="the demo warehouse")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True)
    build = demo_sub.add_parser("build", help="build the demo warehouse (idempotent)")
    build.add_argument("--scale", type=float, default=1.0, help="size factor, linear (default 1)")
    build.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    build.add_argument("--out", type=Path, default=DEFAULT_PATH, help=f"output file (default {DEFAULT_PATH})")
    build.set_defaults(handler=_build)


def _build(args: argparse.Namespace) -> int:
    from nlq.demo.warehouse import build_warehouse

    report = build_warehouse(args.out, scale=args.scale, seed=args.seed)
    print(report.summary())
    return 0
