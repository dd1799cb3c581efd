"""nlq's own work per question, without the engine: understanding the question
and compiling (plus guarding and transpiling) its semantic queries, repeated
over the dev benchmark."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from nlq.eval.benchmark import load_benchmark
from nlq.pipeline import Pipeline
from nlq.semantic.errors import QueryError


@dataclass
class Sample:
    id: str
    understand_ms: float
    compile_ms: float

    @property
    def total_ms(self) -> float:
        return self.understand_ms + self.compile_ms


def measure(benchmark: Path, db: Path, *, repeats: int = 5) -> list[Sample]:
    """Every question read and compiled afresh each round: the kept readings and
    plans (Understander.understand, Pipeline.sql_for) would make rounds after the
    first nearly free."""
    pipeline = Pipeline(db=db, cache=None)
    items = [i for i in load_benchmark(benchmark) if i.expect == "answer"]
    understander = pipeline.understander  # built once, as in a running service
    samples: list[Sample] = []
    for _ in range(repeats):
        for item in items:
            as_of = item.as_of or pipeline.latest_date
            started = time.perf_counter()
            understanding = understander.read(item.question, as_of, None)
            understood = time.perf_counter()
            for step in understanding.steps:
                with contextlib.suppress(QueryError):
                    pipeline.guarded_sql(step.query)
            done = time.perf_counter()
            samples.append(Sample(item.id, (understood - started) * 1000, (done - understood) * 1000))
    pipeline.close()
    return samples
