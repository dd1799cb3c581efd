"""The analysts' constructs (issue 24: ranks within groups, listings, running and period
arithmetic, ratios, aggregates over groups, conditions on related rows, anti-joins,
segments, cohorts, funnels) against hand-written SQL: the engine time of nlq's SQL
over the gold SQL of the blind sets written for them, on one warehouse.

    .venv/bin/python -m benchmarks.constructs --db data/bench/demo-s10.duckdb

Prints a markdown table per set (median engine ms of each, the ratio, and for a ratio
over 1.5x the median of more interleaved runs) for benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from benchmarks import engine_ratio

ROOT = Path(__file__).resolve().parents[1]
SETS = ("blind-8", "blind-9", "blind-5", "blind-4")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a demo warehouse (scale 10: data/bench/demo-s10.duckdb)")
    parser.add_argument("--sets", default=",".join(SETS), help="benchmarks of eval/benchmarks/ to time")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    for name in args.sets.split(","):
        timings = engine_ratio.measure(
            ROOT / "eval" / "benchmarks" / f"{name}.jsonl", Path(args.db), repeats=args.repeats
        )
        print(f"\n### {name}: engine time of nlq's SQL against the gold SQL\n")
        print("| id | question | gold ms | nlq ms | ratio | ratio, more runs |")
        print("|---|---|---|---|---|---|")
        ratios = []
        for timing in sorted(timings, key=lambda t: -t.execute_ratio):
            confirmed = timing.confirmed_ratio
            ratio = confirmed if confirmed is not None else timing.execute_ratio
            ratios.append(ratio)
            again = f"{confirmed:.2f}x" if confirmed is not None else ""
            print(
                f"| {timing.id} | {timing.question[:60]} | {statistics.median(timing.engine_gold_ms):.1f} "
                f"| {statistics.median(timing.engine_nlq_ms):.1f} | {timing.execute_ratio:.2f}x | {again} |"
            )
        over = sum(r > engine_ratio.SLOW_RATIO for r in ratios)
        print(
            f"\n{len(ratios)} questions answered; median ratio {statistics.median(ratios):.2f}x; over 1.5x: {over}"
        )


if __name__ == "__main__":
    main()
