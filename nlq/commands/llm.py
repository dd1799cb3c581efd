"""`nlq llm`: build the worked examples from a benchmark, and show the prompt a
question would get (the retrieved slice of the layer and the nearest examples)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    llm = sub.add_parser("llm", help="the language-model path: examples and prompts")
    llm_sub = llm.add_subparsers(dest="llm_command", required=True)

    examples = llm_sub.add_parser(
        "examples",
        help="question -> query examples from a benchmark's training part (rules' answers that score correct)",
    )
    examples.add_argument("benchmark", type=Path, help="benchmark JSONL with gold SQL")
    examples.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    examples.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    examples.add_argument("--out", type=Path, required=True, help="examples JSONL to write")
    examples.set_defaults(handler=_examples)

    prompt = llm_sub.add_parser("prompt", help="print the messages a question would send to the model")
    prompt.add_argument("question")
    prompt.add_argument("--as-of", type=dt.date.fromisoformat, help="reference date YYYY-MM-DD")
    prompt.add_argument("--llm-config", type=Path, help="model configuration YAML (default: $NLQ_LLM_CONFIG)")
    prompt.add_argument("--db", help="database URL or DuckDB path (default: the demo warehouse)")
    prompt.add_argument("--semantic", help="semantic layer folder or file (default: the demo layer)")
    prompt.set_defaults(handler=_prompt)


def _examples(args: argparse.Namespace) -> int:
    from nlq.eval.benchmark import BenchmarkError, load_benchmark
    from nlq.eval.runner import PipelinePredictor, run_benchmark
    from nlq.llm.examples import Example, in_training_part
    from nlq.pipeline import Pipeline

    try:
        items = [i for i in load_benchmark(args.benchmark) if i.expect == "answer" and in_training_part(i.id)]
    except (BenchmarkError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    pipeline = Pipeline(db=args.db, semantic=args.semantic)
    run = run_benchmark(items, PipelinePredictor(pipeline), pipeline.connector)
    written = 0
    lines = []
    for record in run.records:
        if not record.verdict.correct:
            continue
        item = record.item
        understanding = pipeline.understander.understand(item.question, item.as_of or pipeline.latest_date)
        # A step fed by an earlier answer's rows cannot be shown as a query on its own.
        if understanding.status != "answer" or any(s.feed is not None for s in understanding.steps):
            continue
        example = Example(
            question=item.question,
            as_of=item.as_of,
            queries=[s.query for s in understanding.steps],
            source=item.id,
        )
        lines.append(json.dumps(example.model_dump(mode="json", exclude_defaults=True), ensure_ascii=False))
        written += 1
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{written} examples from {len(items)} training questions -> {args.out}")
    return 0


def _prompt(args: argparse.Namespace) -> int:
    from nlq.llm.reader import build_prompter
    from nlq.llm.settings import LLMConfigError, LLMSettings, load_settings
    from nlq.pipeline import Pipeline

    try:
        settings = load_settings(args.llm_config) or LLMSettings(structured_output="prompt")
    except LLMConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Only the prompt is built: no model is constructed or called.
    pipeline = Pipeline(db=args.db, semantic=args.semantic)
    prompter = build_prompter(pipeline, settings)
    as_of = args.as_of or pipeline.latest_date
    rules = pipeline.understander.understand(args.question, as_of)
    for message in prompter.messages(args.question, as_of, rules, None):
        print(f"--- {message.type}")
        print(message.content)
    return 0
