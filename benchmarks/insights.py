"""Why it changed and what is unusual, end to end: every governed query an analysis
runs (the totals, one per dimension searched, the top pair; or each metric's daily
series), with the engine, the result cache off. Reported per question and over all
of them, as p50 / p95 / max over the rounds.

    .venv/bin/python -m benchmarks.insights --db data/bench/demo-s10.duckdb [--repeats 5]"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from benchmarks.figures import spread_cells, table
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)
QUESTIONS = [
    "为什么2025年9月GMV下降了",  # a sum over every dimension, and the top pair
    "2025年10月退款率为什么上升了",  # a ratio: numerator and denominator per dimension
    "what drove the change in AOV last month?",
    "上个月买家数为什么变化了",  # a distinct count
    "2025年9月各渠道订单数有没有异常",  # a daily series per channel
    "最近有什么异常",  # the four headline metrics
]


def measure(db: Path, repeats: int) -> dict[str, list[float]]:
    pipeline = Pipeline(db=db, cache=None)
    for question in QUESTIONS:  # once to warm the engine's file cache and the readings
        pipeline.ask(question, as_of=AS_OF)
    times: dict[str, list[float]] = {q: [] for q in QUESTIONS}
    for _ in range(repeats):
        for question in QUESTIONS:
            pipeline.forget()
            started = time.perf_counter()
            result = pipeline.ask(question, as_of=AS_OF)
            times[question].append((time.perf_counter() - started) * 1000)
            assert result.status == "answered", (question, result.message)
    return times


def report(db: Path, repeats: int) -> str:
    times = measure(db, repeats)
    rows = [[q, *spread_cells(t)] for q, t in times.items()]
    rows.append(["all of them", *spread_cells([x for t in times.values() for x in t])])
    return table(["question", "p50 (ms)", "p95 (ms)", "max (ms)"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(report(args.db, args.repeats))


if __name__ == "__main__":
    main()
