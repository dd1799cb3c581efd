"""The `nlq` command line. Each subcommand lives with the code it drives; this
module only wires them into one argparse tree."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

Subparsers = argparse._SubParsersAction


def _commands() -> list[Callable[[Subparsers], None]]:
    # Imported lazily so `nlq --help` stays fast and one broken extra cannot
    # take the whole CLI down.
    from nlq import feedback, signin
    from nlq.commands import ask as ask_command
    from nlq.commands import audit as audit_command
    from nlq.commands import demo as demo_cli
    from nlq.commands import eval as eval_cli
    from nlq.commands import llm as llm_cli
    from nlq.commands import query as query_command
    from nlq.commands import semantic as semantic_cli
    from nlq.commands import sql as sql_command

    return [
        demo_cli.register,
        semantic_cli.register,
        query_command.register,
        ask_command.register,
        sql_command.register,
        audit_command.register,
        eval_cli.register,
        llm_cli.register,
        feedback.register,
        signin.register,
    ]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlq", description="Natural-language analytics over a semantic layer"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for register in _commands():
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except BrokenPipeError:
        # The reader went away (`nlq ask ... | head`): not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
