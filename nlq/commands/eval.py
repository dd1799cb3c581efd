"""`nlq eval BENCHMARK.jsonl`: execution accuracy, reports, comparison, floor."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# `nlq eval export-feedback` is `nlq feedback export` under the harness's name: the
# benchmark lines it writes are what `nlq eval` reads.
EXPORT_FEEDBACK = "export-feedback"


def register(sub: argparse._SubParsersAction) -> None:
    evaluate = sub.add_parser("eval", help="score nlq on a benchmark (execution accuracy)")
    evaluate.add_argument(
        "benchmark",
        type=Path,
        help="benchmark JSONL; or export-feedback: thumbs-up answers as benchmark lines (--file, --out, --role)",
    )
    evaluate.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    evaluate.add_argument("--semantic", help="semantic layer (default: the demo layer)")
    evaluate.add_argument("--role", default="analyst", help="access role (default analyst)")
    evaluate.add_argument(
        "--report", type=Path, default=Path("reports/eval"), help="folder for report.json and report.html"
    )
    evaluate.add_argument("--min-accuracy", type=float, help="exit 1 when accuracy is below this fraction")
    evaluate.add_argument(
        "--max-silently-wrong",
        type=int,
        help="exit 1 when more questions than this are answered wrongly (clarifications do not count)",
    )
    evaluate.add_argument(
        "--compare", type=Path, help="a previous report.json: list fixed and regressed questions"
    )
    evaluate.add_argument(
        "--predictions", type=Path, help="score saved `nlq ask --batch` output instead of asking"
    )
    evaluate.add_argument("--tag", help="only questions with this tag")
    evaluate.add_argument("--limit", type=int, help="only the first N questions")
    evaluate.add_argument(
        "--held-out",
        action="store_true",
        help="only the questions kept out of the language model's examples (nlq llm examples)",
    )
    evaluate.add_argument(
        "--llm-config", type=Path, help="let this language model read what the rules cannot place"
    )
    from nlq.feedback import DEFAULT_FILE

    evaluate.add_argument(
        "--file",
        type=Path,
        default=DEFAULT_FILE,
        help=f"export-feedback: ratings file (default {DEFAULT_FILE})",
    )
    evaluate.add_argument("--out", type=Path, help="export-feedback: write here instead of standard output")
    evaluate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if str(args.benchmark) == EXPORT_FEEDBACK:
        from nlq.feedback import export_command

        return export_command(args)
    from nlq.demo import ensure_demo
    from nlq.engines import ConnectorError, open_connector
    from nlq.eval.benchmark import BenchmarkError, load_benchmark
    from nlq.eval.report import compare, summary_text, to_json, write_reports
    from nlq.eval.runner import FilePredictor, PipelinePredictor, Predictor, run_benchmark
    from nlq.llm.settings import LLMConfigError
    from nlq.pipeline import Pipeline

    try:
        items = load_benchmark(args.benchmark)
        if args.tag:
            items = [i for i in items if args.tag in i.tags]
        if args.held_out:
            from nlq.llm.examples import in_training_part

            items = [i for i in items if not in_training_part(i.id)]
        if args.limit:
            items = items[: args.limit]
        previous = json.loads(args.compare.read_text(encoding="utf-8")) if args.compare else None
        predictor: Predictor
        if args.predictions:
            predictor = FilePredictor(args.predictions)
            connector = open_connector(ensure_demo(args.db))
        else:
            from nlq.llm.settings import load_settings

            # Only an explicit file: a benchmark run is not changed by the environment.
            settings = load_settings(args.llm_config, env={}) if args.llm_config else None
            pipeline = Pipeline(db=args.db, semantic=args.semantic, role=args.role, llm=settings)
            predictor, connector = PipelinePredictor(pipeline), pipeline.connector
    except (BenchmarkError, ConnectorError, OSError, ValueError, LLMConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    result = run_benchmark(items, predictor, connector)
    data = to_json(result)
    json_path, html_path = write_reports(result, args.report, title=f"nlq · {args.benchmark.name}")
    print(summary_text(data))
    print(f"reports: {json_path} {html_path}")
    if previous is not None:
        fixed, regressed = compare(previous, data)
        print(f"fixed ({len(fixed)}): {' '.join(fixed) or '-'}")
        print(f"regressed ({len(regressed)}): {' '.join(regressed) or '-'}")
    if args.min_accuracy is not None and result.accuracy < args.min_accuracy:
        print(f"accuracy {result.accuracy:.1%} is below the floor {args.min_accuracy:.1%}", file=sys.stderr)
        return 1
    wrong = data["outcomes"]["silently_wrong"]
    if args.max_silently_wrong is not None and wrong > args.max_silently_wrong:
        print(
            f"{wrong} silently wrong answers, more than the {args.max_silently_wrong} allowed",
            file=sys.stderr,
        )
        return 1
    return 0
