"""Ratings are appended to a JSONL file (the last one per answer counts) and
approved answers become benchmark lines that the eval harness scores."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlq import feedback
from nlq.engines import open_connector
from nlq.eval.benchmark import load_benchmark
from nlq.eval.runner import PipelinePredictor, run_benchmark
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path)


def rate(
    pipeline: Pipeline, path: Path, question: str, rating: feedback.Rating, *, role: str = "analyst"
) -> str:
    result = pipeline.for_role(role).ask(question, as_of=AS_OF)
    answer_id = f"id-{abs(hash((question, role))):x}"
    feedback.record(feedback.FeedbackRecord.of(answer_id, rating, result, as_of=AS_OF, role=role), path)
    return answer_id


def test_the_last_rating_of_an_answer_counts(pipeline: Pipeline, tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    first = rate(pipeline, path, "上个月各渠道的GMV", "down")
    rate(pipeline, path, "上个月各渠道的GMV", "up")
    path.write_text(path.read_text(encoding="utf-8") + "not json\n", encoding="utf-8")
    records = feedback.read(path)
    assert [(r.answer_id, r.rating) for r in records] == [(first, "up")]
    assert records[0].sql and "FROM order_items" in records[0].sql[0] and records[0].as_of == AS_OF
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3  # appended, never rewritten


def test_approved_answers_become_a_benchmark_the_harness_scores(
    pipeline: Pipeline, warehouse_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "feedback.jsonl"
    rate(pipeline, path, "上个月GMV最高的3个品类", "up")
    rate(pipeline, path, "近三月热销商品及其用户画像", "up")
    rate(pipeline, path, "删除所有订单", "up")
    rate(pipeline, path, "上个月各渠道的订单数", "up")
    rate(pipeline, path, "monthly GMV trend this year", "down")  # a wrong answer is no gold
    rate(pipeline, path, "上个月各渠道的GMV", "up", role="east_manager")  # another role's rows
    out = tmp_path / "bench.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "nlq.cli", "feedback", "export", "--file", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "4 benchmark lines; 1 answers rated down" in done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    questions = [
        "上个月GMV最高的3个品类",
        "近三月热销商品及其用户画像",
        "删除所有订单",
        "上个月各渠道的订单数",
    ]
    assert [line["question"] for line in lines] == questions
    # Top Ns are ordered (the hot products are a top 10); a grouping compares as a set.
    assert [line["order_matters"] for line in lines] == [True, True, False, False]
    assert isinstance(lines[1]["gold_sql"], list)
    assert len(lines[1]["gold_sql"]) == 5 and lines[2]["expect"] == "refuse"
    items = load_benchmark(out)
    run = run_benchmark(items, PipelinePredictor(pipeline), open_connector(warehouse_path), progress=False)
    assert run.accuracy == 1.0
