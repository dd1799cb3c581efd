"""How long the analyst waits to try a change (`python -m benchmarks.workbench`):
the first score of a layer on the benchmarks (once per layer version, kept on
disk), then trying each of four changes (an alias, a ratio metric, a value, a
口径 edit) on the dev benchmark alone and on dev + blind + traps, repeated, with
p50 / p95 / max. Scale 1, the demo layer on a copy, no other load wanted."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nlq.pipeline import DEMO_SEMANTIC
from nlq.proposal import BENCHMARKS_DIR, ScoreStore, baseline, benchmarks_for, propose
from nlq.semantic.edit import Change, EditMetric, LayerChange, NewRatioMetric, NewValue, copy_layer
from nlq.semantic.model import Label

CHANGES: list[Change] = [
    LayerChange(kind="value_alias", target="channel", value="京东", word="狗东"),
    NewRatioMetric(
        name="price_per_unit",
        label=Label(zh="件单价", en="price per unit"),
        numerator="gmv",
        denominator="units_sold",
        synonyms=["件单价"],
    ),
    NewValue(dimension="channel", value="拼多多", aliases=["PDD"]),
    EditMetric(metric="gmv", description="已支付订单的订单明细金额之和（按下单时间计）。"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="data/demo.duckdb")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nlq-wb-bench-") as scratch:
        root = Path(scratch)
        layer = copy_layer(DEMO_SEMANTIC, root / "layer")
        store = ScoreStore(root / "scores")
        sets = {"dev": [BENCHMARKS_DIR / "dev.jsonl"], "dev + blind + traps": benchmarks_for(DEMO_SEMANTIC)}
        started = time.perf_counter()
        for path in sets["dev + blind + traps"]:
            baseline(layer, args.db, path, root / "work", store)
        first = time.perf_counter() - started
        print(f"first score of the layer, {len(sets['dev + blind + traps'])} benchmarks: {first:.1f} s")
        for name, benchmarks in sets.items():
            spent: list[float] = []
            for round_ in range(args.rounds):
                for index, change in enumerate(CHANGES):
                    work = root / f"try-{name[:3]}-{round_}-{index}"
                    proposal = propose(
                        change, layer=layer, db=args.db, workdir=work, benchmarks=benchmarks, store=store
                    )
                    assert not proposal.problems, proposal.problems
                    spent.append(proposal.seconds)
            spent.sort()
            p95 = spent[min(len(spent) - 1, round(0.95 * (len(spent) - 1)))]
            questions = sum(1 for b in benchmarks for line in b.read_text().splitlines() if line.strip())
            print(
                f"try a change on {name} ({questions} questions), {len(spent)} tries: "
                f"p50 {statistics.median(spent):.2f} s, p95 {p95:.2f} s, max {spent[-1]:.2f} s"
            )


if __name__ == "__main__":
    main()
