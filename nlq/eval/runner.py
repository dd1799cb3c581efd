"""Runs a benchmark in one process: predict, run the gold SQL, score. A failure
in one question is recorded on it and the run goes on."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from tqdm import tqdm

from nlq.answer import AskResult
from nlq.engines import Connector, ConnectorError, rewrite
from nlq.eval.benchmark import BenchmarkItem
from nlq.eval.scoring import ResultSet, Verdict, score, score_forecast

PREVIEW_ROWS = 10
GOLD_DIALECT = "duckdb"


def transpile_gold(sql: str, source: str, target: str) -> str:
    """Gold SQL for another engine: sqlglot's transpilation, nothing hand-made. A
    derived table gets a name where it has none (DuckDB allows that; PostgreSQL
    before 16 and MySQL do not)."""
    if source == target:
        return sql
    tree = sqlglot.parse_one(sql, read=source)
    for index, subquery in enumerate(tree.find_all(exp.Subquery)):
        if not subquery.alias and isinstance(subquery.parent, exp.From | exp.Join):
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"derived_{index}")))
    return rewrite(tree, target).sql(dialect=target)


class Predictor(Protocol):
    def __call__(self, item: BenchmarkItem) -> AskResult: ...


class PipelinePredictor:
    """Asks nlq itself."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        # Loading the segmenter and the value index is start-up cost, measured on its
        # own (benchmarks/), not part of any one question's latency.
        _ = pipeline.understander

    def __call__(self, item: BenchmarkItem) -> AskResult:
        result: AskResult = self.pipeline.ask(item.question, as_of=item.as_of, id=item.id)
        return result


class FilePredictor:
    """Predictions made earlier: the JSONL output of `nlq ask --batch --format jsonl`."""

    def __init__(self, path: str | Path) -> None:
        self.results: dict[str, AskResult] = {}
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                result = AskResult.model_validate(json.loads(line))
                if result.id is not None:
                    self.results[result.id] = result

    def __call__(self, item: BenchmarkItem) -> AskResult:
        if item.id not in self.results:
            return AskResult(
                id=item.id, question=item.question, status="error", message="no prediction for this question"
            )
        return self.results[item.id]


@dataclass
class QuestionRecord:
    item: BenchmarkItem
    result: AskResult
    verdict: Verdict
    wall_ms: float
    gold_previews: list[ResultSet | str] = field(
        default_factory=list
    )  # a result, or the error of the gold SQL


@dataclass
class RunResult:
    records: list[QuestionRecord]

    @property
    def accuracy(self) -> float:
        return sum(r.verdict.correct for r in self.records) / len(self.records) if self.records else 0.0


def run_benchmark(
    items: Iterable[BenchmarkItem],
    predictor: Predictor,
    connector: Connector,
    *,
    timeout_s: float = 60.0,
    progress: bool = True,
    gold_dialect: str = GOLD_DIALECT,
) -> RunResult:
    """Gold SQL is written in `gold_dialect` and transpiled by sqlglot to the engine's."""
    items = list(items)
    gold_cache: dict[str, ResultSet | str] = {}
    records: list[QuestionRecord] = []
    bar = tqdm(items, desc="eval", unit="q", disable=not progress or not sys.stderr.isatty(), file=sys.stderr)
    for item in bar:
        records.append(_run_one(item, predictor, connector, gold_cache, timeout_s, gold_dialect))
        bar.set_postfix(accuracy=f"{sum(r.verdict.correct for r in records) / len(records):.1%}")
    return RunResult(records)


def _forecast_days(result: AskResult) -> list[str]:
    """The days an answer forecasts: those of a block with a forecast column."""
    return [
        str(row[block.columns.index("day")])[:10]
        for block in result.answers
        if "day" in block.columns and any(c.role == "forecast" for c in block.typed_columns)
        for row in block.rows
    ]


def _run_one(
    item: BenchmarkItem,
    predictor: Predictor,
    connector: Connector,
    gold_cache: dict[str, ResultSet | str],
    timeout_s: float,
    gold_dialect: str,
) -> QuestionRecord:
    started = time.perf_counter()
    try:
        result = predictor(item)
    except Exception as error:  # a crash in one question must not end the run
        result = AskResult(
            id=item.id, question=item.question, status="error", message=f"{type(error).__name__}: {error}"
        )
    wall_ms = (time.perf_counter() - started) * 1000
    answers = [ResultSet(a.columns, a.rows) for a in result.answers]
    ran_sql = any(a.sql for a in result.answers)
    golds: list[ResultSet | str] = []
    for sql in item.golds:
        if sql not in gold_cache:
            try:
                executed = connector.execute(
                    transpile_gold(sql, gold_dialect, connector.dialect), timeout_s=timeout_s
                )
                gold_cache[sql] = ResultSet(executed.columns, executed.json_rows())
            except (ConnectorError, SqlglotError) as error:
                gold_cache[sql] = f"gold SQL failed: {error}"
        golds.append(gold_cache[sql])
    failed_gold = next((g for g in golds if isinstance(g, str)), None)
    if failed_gold is not None:
        verdict = Verdict(False, failed_gold)
    elif result.status == "error":
        verdict = Verdict(False, f"error: {result.message}")
    elif item.expect == "forecast":
        as_of = item.as_of.isoformat() if item.as_of else ""  # none pinned: the data's last day
        period = (item.period[0].isoformat(), item.period[1].isoformat()) if item.period else None
        verdict = score_forecast(
            status=result.status, forecast_days=_forecast_days(result), as_of=as_of, period=period
        )
    else:
        verdict = score(
            expect=item.expect,
            status=result.status,
            answers=answers,
            ran_sql=ran_sql,
            golds=[g for g in golds if isinstance(g, ResultSet)],
            ordered=item.order_matters,
        )
    return QuestionRecord(item, result, verdict, wall_ms, golds)
