"""A proposed change to the semantic layer, checked before it is saved: written
to a copy of the layer, shown as a unified diff, validated like `nlq semantic
validate --db`, and scored on the benchmarks (the dev benchmark, the blind sets
and the traps) against the current layer, with silently wrong answers counted.

Scoring a change reads every benchmark question with the new layer and compiles
its SQL: a question whose reading and SQL did not move keeps the current
layer's outcome (same SQL on the same warehouse, same rows); only the questions
the change moved are run. So the analyst sees the old and new reading of every
affected question side by side, and a try takes seconds, not a whole run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from nlq.eval.benchmark import BenchmarkItem, load_benchmark
from nlq.eval.report import outcome
from nlq.eval.runner import PipelinePredictor, run_benchmark
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.semantic.edit import (
    Change,
    EditMetric,
    LayerChange,
    NewDerivedMetric,
    NewDimension,
    NewRatioMetric,
    NewSegment,
    NewSimpleMetric,
    NewTerm,
    NewValue,
    apply_change,
    copy_layer,
    diff,
)
from nlq.semantic.errors import QueryError
from nlq.semantic.loader import LayerError, layer_files, load_layer
from nlq.semantic.model import SemanticLayer
from nlq.semantic.query import Filter, SemanticQuery
from nlq.semantic.validate import validate

BENCHMARKS_DIR = Path(__file__).resolve().parents[1] / "eval" / "benchmarks"
DEV_BENCHMARK = BENCHMARKS_DIR / "dev.jsonl"
# Benchmarks a change is scored on (paths, separated by os.pathsep); by default, for the
# demo layer, its dev benchmark, blind sets and traps.
BENCHMARKS_ENV = "NLQ_BENCHMARKS"

Verdict = Literal["better", "nothing", "worse"]


class Scored(BaseModel):
    """One benchmark question under one layer."""

    outcome: str  # correct, silently_wrong, clarified, error
    reading: str  # what decides the outcome: the reading's status, message and SQL
    said: str = ""  # the interpretation, or the message when there was no answer


class Scores(BaseModel):
    """A benchmark's questions under one layer."""

    benchmark: str
    items: dict[str, Scored] = Field(default_factory=dict)

    @property
    def correct(self) -> dict[str, bool]:
        return {k: v.outcome == "correct" for k, v in self.items.items()}

    @property
    def accuracy(self) -> float:
        return sum(self.correct.values()) / len(self.items) if self.items else 0.0

    @property
    def silently_wrong(self) -> int:
        return sum(v.outcome == "silently_wrong" for v in self.items.values())


class Moved(BaseModel):
    """A benchmark question whose reading the change moved, before and after."""

    id: str
    question: str
    before: Scored
    after: Scored


class Delta(BaseModel):
    benchmark: str
    before: float
    after: float
    total: int
    silently_before: int = 0
    silently_after: int = 0
    fixed: list[str] = Field(default_factory=list)
    regressed: list[str] = Field(default_factory=list)
    moved: list[Moved] = Field(default_factory=list)


class Asked(BaseModel):
    """A question the change is meant to fix (or typed to test it), on both layers."""

    question: str
    status_before: str
    status_after: str
    said_before: str = ""
    said_after: str = ""

    @property
    def interpretation(self) -> str:
        return self.said_after


class Proposal(BaseModel):
    change: Change
    layer: Path  # the proposed copy
    diff: str
    problems: list[str] = Field(default_factory=list)
    # A query that shows the change at work (the new metric, a filter on the new value)
    # and the SQL the proposed layer compiles it to, formatted.
    sample: SemanticQuery | None = None
    sample_sql: str = ""
    deltas: list[Delta] = Field(default_factory=list)
    asked: list[Asked] = Field(default_factory=list)
    seconds: float = 0.0  # how long the checks took

    @property
    def delta(self) -> Delta | None:
        return self.deltas[0] if self.deltas else None

    @property
    def verdict(self) -> Verdict:
        """Worse when any benchmark question is lost or newly silently wrong; better when
        one is won or a question asked now answers that did not; else nothing."""
        worse = any(d.regressed or d.silently_after > d.silently_before for d in self.deltas)
        if worse or any(a.status_before == "answered" and a.status_after != "answered" for a in self.asked):
            return "worse"
        better = any(d.fixed for d in self.deltas) or any(
            a.status_after == "answered" and a.status_before != "answered" for a in self.asked
        )
        return "better" if better else "nothing"


def benchmarks_for(layer: Path) -> list[Path]:
    """The benchmarks a change of `layer` is scored on."""
    configured = os.environ.get(BENCHMARKS_ENV)
    if configured:
        return [Path(p) for p in configured.split(os.pathsep) if p]
    if layer.resolve() != DEMO_SEMANTIC.resolve() or not BENCHMARKS_DIR.exists():
        return []  # the demo's benchmarks say nothing about another warehouse
    names = ["dev", *sorted(p.stem for p in BENCHMARKS_DIR.glob("blind-*.jsonl")), "traps"]
    return [BENCHMARKS_DIR / f"{name}.jsonl" for name in names if (BENCHMARKS_DIR / f"{name}.jsonl").exists()]


def score_layer(
    layer: str | Path | None, db: str | Path | None, items: list[BenchmarkItem], workdir: Path, name: str = ""
) -> Scores:
    """Runs the benchmark on a layer, as the analyst role, with the questions
    recorded in a throw-away audit log (they are not users' questions)."""
    pipeline = _pipeline(layer, db, workdir)
    try:
        return _run(pipeline, items, name)
    finally:
        pipeline.close()


def rescore(pipeline: Pipeline, items: list[BenchmarkItem], baseline: Scores) -> Scores:
    """The benchmark on a changed layer (`pipeline` reads with it): the questions it
    reads as before keep their outcome; the others are run."""
    scores = Scores(benchmark=baseline.benchmark)
    moved: list[BenchmarkItem] = []
    for item in items:
        kept = baseline.items.get(item.id)
        if kept is not None and kept.reading == reading(pipeline, item):
            scores.items[item.id] = kept
        else:
            moved.append(item)
    scores.items.update(_run(pipeline, moved, baseline.benchmark).items)
    return scores


class ScoreStore:
    """Scores kept on disk by what decides them: the bytes of the layer's files, of the
    benchmark, and the warehouse file's identity. A change tried is scored on its copy;
    once approved as it was tried, the live layer has the same bytes, so the next try
    finds its baseline here instead of running every question again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, layer: Path, benchmark: Path, db: str | Path | None) -> Scores | None:
        path = self.folder / f"{_key(layer, benchmark, db)}.json"
        try:
            return Scores.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, layer: Path, benchmark: Path, db: str | Path | None, scores: Scores) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{_key(layer, benchmark, db)}.json"
        scratch = path.with_suffix(".tmp")
        scratch.write_text(scores.model_dump_json(), encoding="utf-8")
        scratch.replace(path)


def _key(layer: Path, benchmark: Path, db: str | Path | None) -> str:
    digest = hashlib.sha256()
    base = layer if layer.is_dir() else layer.parent
    for file in sorted(layer_files(layer)):
        digest.update(str(file.relative_to(base)).encode() + b"\0" + file.read_bytes() + b"\0")
    digest.update(benchmark.read_bytes())
    if db is not None and Path(db).exists():
        stat = Path(db).stat()
        digest.update(f"{Path(db).resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    else:
        digest.update(str(db).encode())
    return digest.hexdigest()[:32]


def baseline(
    layer: Path, db: str | Path | None, benchmark: Path, workdir: Path, store: ScoreStore | None = None
) -> Scores:
    """The layer's scores on a benchmark, from the store when it has them."""
    found = store.get(layer, benchmark, db) if store is not None else None
    if found is None:
        found = score_layer(layer, db, load_benchmark(benchmark), workdir, benchmark.stem)
        if store is not None:
            store.put(layer, benchmark, db, found)
    return found


def reading(pipeline: Pipeline, item: BenchmarkItem) -> str:
    """What decides a question's outcome on a warehouse: how it is read and the SQL
    each part compiles to."""
    understood = pipeline.understander.read(item.question, item.as_of or pipeline.latest_date, None)
    parts: list[str] = []
    for step in understood.steps:
        try:
            parts.append(pipeline.sql_for(step.query))
        except QueryError as error:
            parts.append(f"error: {error}")
    return json.dumps(
        [understood.status, understood.message, understood.options, parts, understood.sql], ensure_ascii=False
    )


def propose(
    change: Change,
    *,
    layer: str | Path | None,
    db: str | Path | None,
    workdir: Path,
    benchmarks: Sequence[Path] | None = None,
    baselines: dict[str, Scores] | None = None,
    questions: Sequence[str] = (),
    as_of: dt.date | None = None,
    store: ScoreStore | None = None,
) -> Proposal:
    """Writes `change` into a copy of `layer` under `workdir` and checks it. The
    benchmarks (by default `benchmarks_for(layer)`; skipped when the copy does not
    load or validate) are scored on both layers unless `baselines` has the current
    one's scores by benchmark name (else they come from `store`, or are run);
    `questions` (those the change is meant to fix, or typed to test it) are asked on
    both."""
    started = time.perf_counter()
    current = Path(layer) if layer is not None else DEMO_SEMANTIC
    copy = copy_layer(current, workdir / "proposed")
    apply_change(copy, change)
    proposal = Proposal(change=change, layer=copy, diff=diff(current, copy))
    try:
        loaded, source = load_layer(copy)
    except LayerError as error:
        proposal.problems = [str(p) for p in error.problems]
        proposal.seconds = time.perf_counter() - started
        return proposal
    pipeline = _pipeline(copy, db, workdir)
    try:
        proposal.problems = [str(p) for p in validate(loaded, source, pipeline.connector.tables())]
        proposal.sample = sample_query(change, loaded)
        if proposal.sample is not None:
            try:
                proposal.sample_sql = pipeline.compile(proposal.sample).sql(pretty=True)
            except QueryError as error:
                proposal.sample_sql = f"-- {error}"
    finally:
        pipeline.close()
    proposal.asked = compare_questions(current, copy, db, workdir, questions, as_of)
    if not proposal.problems:
        pipeline = _pipeline(copy, db, workdir)
        try:
            for path in benchmarks_for(current) if benchmarks is None else benchmarks:
                items = load_benchmark(path)
                before = (baselines or {}).get(path.stem) or baseline(current, db, path, workdir, store)
                after = rescore(pipeline, items, before)
                if store is not None:
                    store.put(copy, path, db, after)
                proposal.deltas.append(compare(before, after, items))
        finally:
            pipeline.close()
    proposal.seconds = time.perf_counter() - started
    return proposal


def sample_query(change: Change, layer: SemanticLayer) -> SemanticQuery | None:
    """A query that uses what the change adds or changes, on the changed layer."""
    metric = next(iter(layer.reading.clarify), None) or (layer.metrics[0].name if layer.metrics else None)
    if isinstance(change, NewSimpleMetric | NewRatioMetric | NewDerivedMetric):
        return SemanticQuery(metrics=[change.name])
    if isinstance(change, EditMetric):
        return SemanticQuery(metrics=[change.metric])
    if isinstance(change, LayerChange) and change.kind == "metric_synonym":
        return SemanticQuery(metrics=[change.target])
    if metric is None:
        return None
    if isinstance(change, NewValue):
        return SemanticQuery(
            metrics=[metric], filters=[Filter(dimension=change.dimension, values=[change.value])]
        )
    if isinstance(change, LayerChange) and change.kind == "value_alias" and change.value is not None:
        return SemanticQuery(
            metrics=[metric], filters=[Filter(dimension=change.target, values=[change.value])]
        )
    if isinstance(change, NewTerm) and change.filters:
        return SemanticQuery(
            metrics=[metric],
            filters=[Filter(dimension=f.dimension, op=f.op, values=list(f.values)) for f in change.filters],
        )
    if isinstance(change, NewDimension | NewSegment):
        return SemanticQuery(metrics=[metric], dimensions=[f"{change.model}.{change.name}"])
    return None


def compare_questions(
    current: Path,
    proposed: Path,
    db: str | Path | None,
    workdir: Path,
    questions: Sequence[str],
    as_of: dt.date | None,
) -> list[Asked]:
    """Each question asked on the current layer and on the proposed one."""
    if not questions:
        return []
    before, after = _pipeline(current, db, workdir), _pipeline(proposed, db, workdir)
    try:
        asked: list[Asked] = []
        for question in dict.fromkeys(questions):
            old, new = before.ask(question, as_of=as_of), after.ask(question, as_of=as_of)
            asked.append(
                Asked(
                    question=question,
                    status_before=old.status,
                    status_after=new.status,
                    said_before=_said(old.interpretation, old.message),
                    said_after=_said(new.interpretation, new.message),
                )
            )
        return asked
    finally:
        before.close()
        after.close()


def compare(before: Scores, after: Scores, items: Sequence[BenchmarkItem] = ()) -> Delta:
    ids = [i for i in after.items if i in before.items]
    questions = {item.id: item.question for item in items}
    return Delta(
        benchmark=after.benchmark,
        before=before.accuracy,
        after=after.accuracy,
        total=len(after.items),
        silently_before=before.silently_wrong,
        silently_after=after.silently_wrong,
        fixed=[i for i in ids if after.correct[i] and not before.correct[i]],
        regressed=[i for i in ids if before.correct[i] and not after.correct[i]],
        moved=[
            Moved(id=i, question=questions.get(i, ""), before=before.items[i], after=after.items[i])
            for i in ids
            if before.items[i].reading != after.items[i].reading
        ],
    )


def _run(pipeline: Pipeline, items: list[BenchmarkItem], name: str) -> Scores:
    scores = Scores(benchmark=name)
    if not items:
        return scores
    result = run_benchmark(items, PipelinePredictor(pipeline), pipeline.connector, progress=False)
    for record in result.records:
        answer = record.result
        scores.items[record.item.id] = Scored(
            outcome=outcome(record),
            reading=reading(pipeline, record.item),
            said=_said(answer.interpretation, answer.message),
        )
    return scores


def _said(interpretation: str, message: str) -> str:
    return " ".join(part for part in (interpretation, message) if part)


def _pipeline(layer: str | Path | None, db: str | Path | None, workdir: Path) -> Pipeline:
    workdir.mkdir(parents=True, exist_ok=True)
    return Pipeline(db=db, semantic=layer, role="analyst", audit=workdir / "audit.sqlite")
