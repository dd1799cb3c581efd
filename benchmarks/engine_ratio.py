"""End-to-end answer time against the hand-written gold SQL on the same DuckDB
in the same run: the ratio is the figure. Also the engine time of nlq's SQL
against the gold SQL, to find compiled SQL that is slower than it should be."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from nlq.eval.benchmark import BenchmarkItem, load_benchmark
from nlq.pipeline import Pipeline


@dataclass
class Timing:
    id: str
    question: str
    # New to the process: read, compiled and guarded afresh.
    first_ms: list[float] = field(default_factory=list)
    # Asked again: the reading and the plan are kept, the SQL runs again (no result cache).
    again_ms: list[float] = field(default_factory=list)
    gold_ms: list[float] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)
    # A new question's time by stage, as the answer reports it: understand, compile
    # (with guard and transpile), execute.
    first_stages: list[tuple[float, float, float]] = field(default_factory=list)
    # The engine alone: nlq's final SQL and the gold SQL, each run the same way and
    # interleaved, after the rounds.
    engine_nlq_ms: list[float] = field(default_factory=list)
    engine_gold_ms: list[float] = field(default_factory=list)
    # A question over SLOW_RATIO measured again with more runs: a scheduling hiccup
    # in a few of five short runs can double a median, a slower plan does it every time.
    confirm_nlq_ms: list[float] = field(default_factory=list)
    confirm_gold_ms: list[float] = field(default_factory=list)

    @property
    def first_ratio(self) -> float:
        return statistics.median(self.first_ms) / statistics.median(self.gold_ms)

    @property
    def again_ratio(self) -> float:
        return statistics.median(self.again_ms) / statistics.median(self.gold_ms)

    @property
    def execute_ratio(self) -> float:
        return statistics.median(self.engine_nlq_ms) / statistics.median(self.engine_gold_ms)

    @property
    def confirmed_ratio(self) -> float | None:
        if not self.confirm_nlq_ms:
            return None
        return statistics.median(self.confirm_nlq_ms) / statistics.median(self.confirm_gold_ms)


def measure(benchmark: Path, db: Path, *, repeats: int = 3) -> list[Timing]:
    """Each question answered by nlq as new, then again, and its gold SQL run,
    interleaved so all three see the same machine state; one warm-up round first
    (the engine's buffers, not nlq's plans: those are dropped before each first ask)."""
    pipeline = Pipeline(db=db, cache=None)
    items = [i for i in load_benchmark(benchmark) if i.expect == "answer" and i.golds]
    timings = {item.id: Timing(item.id, item.question) for item in items}
    for round_ in range(repeats + 1):
        for item in items:
            pipeline.forget()
            first = _answer(pipeline, item)
            again = _answer(pipeline, item)
            gold = _gold(pipeline, item)
            if round_ == 0 or first is None or again is None:
                continue
            timing = timings[item.id]
            timing.first_ms.append(first[0])
            timing.again_ms.append(again[0])
            timing.gold_ms.append(gold)
            timing.sql = first[1]
            timing.first_stages.append(first[2])
    measured = [t for t in timings.values() if t.first_ms]
    for timing in measured:
        item = next(i for i in items if i.id == timing.id)
        for _ in range(ENGINE_REPEATS):
            timing.engine_nlq_ms.append(_run(pipeline, timing.sql))
            timing.engine_gold_ms.append(_run(pipeline, item.golds))
        if timing.execute_ratio > SLOW_RATIO:
            for _ in range(CONFIRM_REPEATS):
                timing.confirm_nlq_ms.append(_run(pipeline, timing.sql))
                timing.confirm_gold_ms.append(_run(pipeline, item.golds))
    pipeline.close()
    return measured


# Engine-only runs per question, and for one that looks slow.
ENGINE_REPEATS = 5
CONFIRM_REPEATS = 21
# Compiled SQL slower than its gold SQL by more than this is listed, with its reason.
SLOW_RATIO = 1.5


def _answer(
    pipeline: Pipeline, item: BenchmarkItem
) -> tuple[float, list[str], tuple[float, float, float]] | None:
    started = time.perf_counter()
    result = pipeline.ask(item.question, as_of=item.as_of)
    elapsed = (time.perf_counter() - started) * 1000
    if result.status != "answered":
        return None
    stages = result.timings_ms
    return elapsed, [a.sql for a in result.answers], (stages.understand, stages.compile, stages.execute)


def _gold(pipeline: Pipeline, item: BenchmarkItem) -> float:
    return _run(pipeline, item.golds)


def _run(pipeline: Pipeline, statements: list[str]) -> float:
    started = time.perf_counter()
    for sql in statements:
        pipeline.connector.execute(sql)
    return (time.perf_counter() - started) * 1000
