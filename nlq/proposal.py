"""A proposed change to the semantic layer, checked before it is saved: written
to a copy of the layer, shown as a unified diff, validated like `nlq semantic
validate --db`, and scored on a benchmark (by default the dev benchmark)
against the current layer, question by question, so the analyst sees which
questions it fixes and which it breaks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from nlq.eval.benchmark import BenchmarkItem, load_benchmark
from nlq.eval.runner import PipelinePredictor, run_benchmark
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.semantic.edit import LayerChange, apply_change, copy_layer, diff
from nlq.semantic.loader import LayerError, load_layer
from nlq.semantic.validate import validate

DEV_BENCHMARK = Path(__file__).resolve().parents[1] / "eval" / "benchmarks" / "dev.jsonl"


class Scores(BaseModel):
    """Which benchmark questions a layer answers correctly."""

    correct: dict[str, bool]

    @property
    def accuracy(self) -> float:
        return sum(self.correct.values()) / len(self.correct) if self.correct else 0.0


class Delta(BaseModel):
    before: float
    after: float
    total: int
    fixed: list[str] = Field(default_factory=list)
    regressed: list[str] = Field(default_factory=list)


class Asked(BaseModel):
    question: str
    status_before: str
    status_after: str
    interpretation: str = ""


class Proposal(BaseModel):
    change: LayerChange
    layer: Path  # the proposed copy
    diff: str
    problems: list[str] = Field(default_factory=list)
    delta: Delta | None = None
    asked: list[Asked] = Field(default_factory=list)


def score_layer(
    layer: str | Path | None, db: str | Path | None, items: list[BenchmarkItem], workdir: Path
) -> Scores:
    """Runs the benchmark on a layer, as the analyst role, with the questions
    recorded in a throw-away audit log (they are not users' questions)."""
    pipeline = _pipeline(layer, db, workdir)
    try:
        result = run_benchmark(items, PipelinePredictor(pipeline), pipeline.connector, progress=False)
    finally:
        pipeline.close()
    return Scores(correct={r.item.id: r.verdict.correct for r in result.records})


def propose(
    change: LayerChange,
    *,
    layer: str | Path | None,
    db: str | Path | None,
    workdir: Path,
    benchmark: Path | None = DEV_BENCHMARK,
    baseline: Scores | None = None,
    questions: Sequence[str] = (),
    as_of: dt.date | None = None,
) -> Proposal:
    """Writes `change` into a copy of `layer` under `workdir` and checks it. The
    benchmark (skipped when None or when the copy does not load) is scored on
    both layers unless `baseline` already has the current one's scores;
    `questions` (those the change is meant to fix) are asked on both."""
    current = Path(layer) if layer is not None else DEMO_SEMANTIC
    copy = copy_layer(current, workdir / "proposed")
    apply_change(copy, change)
    proposal = Proposal(change=change, layer=copy, diff=diff(current, copy))
    try:
        loaded, source = load_layer(copy)
    except LayerError as error:
        proposal.problems = [str(p) for p in error.problems]
        return proposal
    pipeline = _pipeline(copy, db, workdir)
    try:
        proposal.problems = [str(p) for p in validate(loaded, source, pipeline.connector.tables())]
        if questions:
            before = _pipeline(current, db, workdir)
            try:
                for question in questions:
                    old = before.ask(question, as_of=as_of)
                    new = pipeline.ask(question, as_of=as_of)
                    proposal.asked.append(
                        Asked(
                            question=question,
                            status_before=old.status,
                            status_after=new.status,
                            interpretation=new.interpretation or new.message,
                        )
                    )
            finally:
                before.close()
    finally:
        pipeline.close()
    if benchmark is not None and not proposal.problems:
        items = load_benchmark(benchmark)
        old_scores = baseline or score_layer(current, db, items, workdir)
        new_scores = score_layer(copy, db, items, workdir)
        proposal.delta = compare(old_scores, new_scores)
    return proposal


def compare(before: Scores, after: Scores) -> Delta:
    ids = [i for i in after.correct if i in before.correct]
    return Delta(
        before=before.accuracy,
        after=after.accuracy,
        total=len(after.correct),
        fixed=[i for i in ids if after.correct[i] and not before.correct[i]],
        regressed=[i for i in ids if before.correct[i] and not after.correct[i]],
    )


def _pipeline(layer: str | Path | None, db: str | Path | None, workdir: Path) -> Pipeline:
    workdir.mkdir(parents=True, exist_ok=True)
    return Pipeline(db=db, semantic=layer, role="analyst", audit=workdir / "audit.sqlite")
