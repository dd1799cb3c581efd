"""The harness on a real DuckDB file: a crash or a broken gold SQL is recorded
and the run goes on; reports, comparison, floor and saved predictions."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from nlq.answer import AnswerBlock, AskResult
from nlq.commands.eval import register
from nlq.engines import open_connector
from nlq.eval.benchmark import BenchmarkError, BenchmarkItem, load_benchmark
from nlq.eval.report import compare, to_json, write_reports
from nlq.eval.runner import FilePredictor, run_benchmark

ITEMS = [
    {
        "id": "zh-1",
        "question": "各渠道订单数",
        "gold_sql": "SELECT channel, COUNT(*) FROM orders GROUP BY 1",
        "tags": ["zh", "dimension"],
    },
    {
        "id": "en-1",
        "question": "total revenue",
        "gold_sql": "SELECT SUM(amount) FROM orders",
        "tags": ["en", "gmv"],
    },
    {"id": "zh-2", "question": "会崩溃的问题", "gold_sql": "SELECT 1", "tags": ["zh"]},
    {"id": "zh-3", "question": "gold 写错了", "gold_sql": "SELECT nope FROM orders", "tags": ["zh"]},
    {"id": "ref-1", "question": "drop table orders", "expect": "refuse", "tags": ["en", "refuse"]},
]


@pytest.fixture()
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE orders AS SELECT * FROM (VALUES (1, '天猫', 10.5), (2, '京东', 20.0), (3, '天猫', 30.25)) t(order_id, channel, amount)"
    )
    con.close()
    return path


class Scripted:
    """A test double for the question parser: fixed answers per question id."""

    def __init__(self, *, wrong_total: bool = False) -> None:
        self.wrong_total = wrong_total

    def __call__(self, item: BenchmarkItem) -> AskResult:
        if item.id == "zh-2":
            raise RuntimeError("boom")
        if item.expect == "refuse":
            return AskResult(id=item.id, question=item.question, status="refused", message="只读")
        rows = {
            "zh-1": [["京东", 1], ["天猫", 2]],
            "en-1": [[60.75 if not self.wrong_total else 61.0]],
            "zh-3": [[1]],
        }[item.id]
        columns = ["c", "n"] if item.id == "zh-1" else ["v"]
        answer = AnswerBlock(sql="SELECT ...", columns=columns, rows=rows)
        return AskResult(id=item.id, question=item.question, status="answered", answers=[answer])


def items() -> list[BenchmarkItem]:
    return [BenchmarkItem.model_validate(i) for i in ITEMS]


def test_run_records_failures_and_goes_on(database: Path) -> None:
    run = run_benchmark(items(), Scripted(), open_connector(database), progress=False)
    verdicts = {r.item.id: (r.verdict.correct, r.verdict.reason) for r in run.records}
    assert (
        verdicts["zh-1"] == (True, "") and verdicts["en-1"] == (True, "") and verdicts["ref-1"] == (True, "")
    )
    assert not verdicts["zh-2"][0] and "RuntimeError: boom" in verdicts["zh-2"][1]
    assert not verdicts["zh-3"][0] and verdicts["zh-3"][1].startswith("gold SQL failed")
    assert run.accuracy == pytest.approx(3 / 5)


def test_reports(database: Path, tmp_path: Path) -> None:
    run = run_benchmark(items(), Scripted(wrong_total=True), open_connector(database), progress=False)
    json_path, html_path = write_reports(run, tmp_path / "report")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["correct"] == 2 and data["total"] == 5
    assert data["by_language"] == {"en": {"correct": 1, "total": 2}, "zh": {"correct": 1, "total": 3}}
    assert set(data["latency_ms"]) == {"understand", "compile", "execute", "total"}
    question = next(q for q in data["questions"] if q["id"] == "en-1")
    assert question["gold_results"][0]["rows"] == [[60.75]] and question["predicted_results"][0]["rows"] == [
        [61.0]
    ]
    assert "no predicted column" in question["reason"]
    page = html_path.read_text(encoding="utf-8")
    assert "<meta charset='utf-8'>" in page and "40.0%" in page and "p95" in page
    assert "会崩溃的问题" in page and "SELECT SUM(amount) FROM orders" in page
    assert "<script" not in page and "http" not in page  # self-contained


def test_html_escapes_sql(database: Path, tmp_path: Path) -> None:
    hostile = [
        BenchmarkItem(
            id="zh-3", question="<b>?</b>", gold_sql="SELECT '<script>x</script>' AS s", tags=["zh"]
        )
    ]
    result = run_benchmark(hostile, Scripted(), open_connector(database), progress=False)
    page = write_reports(result, tmp_path / "r")[1].read_text(encoding="utf-8")
    assert "<script>x" not in page and "&lt;script&gt;x" in page and "&lt;b&gt;?&lt;/b&gt;" in page


def test_compare_lists_fixed_and_regressed(database: Path) -> None:
    before = to_json(
        run_benchmark(items(), Scripted(wrong_total=True), open_connector(database), progress=False)
    )
    after = to_json(run_benchmark(items(), Scripted(), open_connector(database), progress=False))
    assert compare(before, after) == (["en-1"], [])
    assert compare(after, before) == ([], ["en-1"])


def test_saved_predictions(database: Path, tmp_path: Path) -> None:
    saved = tmp_path / "predictions.jsonl"
    scripted = Scripted()
    lines = [scripted(i).model_dump_json() for i in items() if i.id != "zh-2"]
    saved.write_text("\n".join(lines), encoding="utf-8")
    run = run_benchmark(items(), FilePredictor(saved), open_connector(database), progress=False)
    missing = next(r for r in run.records if r.item.id == "zh-2")
    assert missing.verdict.reason == "error: no prediction for this question"
    assert run.accuracy == pytest.approx(3 / 5)


def test_cli_floor_and_comparison(database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    bench = tmp_path / "bench.jsonl"
    bench.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS), encoding="utf-8")
    saved = tmp_path / "predictions.jsonl"
    saved.write_text(
        "\n".join(Scripted()(i).model_dump_json() for i in items() if i.id != "zh-2"), encoding="utf-8"
    )
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    common = [
        "eval",
        str(bench),
        "--db",
        str(database),
        "--predictions",
        str(saved),
        "--report",
        str(tmp_path / "rep"),
    ]
    args = parser.parse_args([*common, "--min-accuracy", "0.5"])
    assert args.handler(args) == 0
    assert "accuracy 60.0% (3/5)" in capsys.readouterr().out
    args = parser.parse_args(
        [*common, "--min-accuracy", "0.9", "--compare", str(tmp_path / "rep" / "report.json")]
    )
    assert args.handler(args) == 1
    captured = capsys.readouterr()
    assert (
        "below the floor" in captured.err
        and "fixed (0): -" in captured.out
        and "regressed (0): -" in captured.out
    )
    args = parser.parse_args(
        ["eval", str(tmp_path / "missing.jsonl"), "--db", str(database), "--predictions", str(saved)]
    )
    assert args.handler(args) == 2 and "cannot read" in capsys.readouterr().err


def test_benchmark_file_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text('{"id": "a", "question": "q", "gold_sql": "SELECT 1"}\n{not json}\n', encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r"b.jsonl:2: not valid JSON"):
        load_benchmark(path)
    path.write_text('{"id": "a", "question": "q"}\n', encoding="utf-8")
    with pytest.raises(BenchmarkError, match=r":1: question a expects an answer but has no gold_sql"):
        load_benchmark(path)


class Asking(Scripted):
    """Asks back on one question and answers another wrongly."""

    def __call__(self, item: BenchmarkItem) -> AskResult:
        if item.id == "zh-1":
            return AskResult(id=item.id, question=item.question, status="clarify", message="哪个渠道？")
        if item.id == "ref-1":  # an answer where a refusal was expected is silently wrong too
            answer = AnswerBlock(sql="SELECT 1", columns=["n"], rows=[[1]])
            return AskResult(id=item.id, question=item.question, status="answered", answers=[answer])
        return super().__call__(item)


def test_silently_wrong_answers_are_counted_apart_from_clarifications(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = run_benchmark(items(), Asking(wrong_total=True), open_connector(database), progress=False)
    data = to_json(run)
    # en-1 wrong total, zh-3 wrong gold (answered), ref-1 answered: 3 silently wrong;
    # zh-1 asked back: a clarification; zh-2 crashed: an error.
    assert data["outcomes"] == {"correct": 0, "silently_wrong": 3, "clarified": 1, "error": 1}
    outcome = {q["id"]: q["outcome"] for q in data["questions"]}
    assert outcome["zh-1"] == "clarified" and outcome["ref-1"] == "silently_wrong"

    import argparse

    bench = tmp_path / "bench.jsonl"
    bench.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS), encoding="utf-8")
    saved = tmp_path / "predictions.jsonl"
    saved.write_text(
        "\n".join(Asking(wrong_total=True)(i).model_dump_json() for i in items() if i.id != "zh-2"),
        encoding="utf-8",
    )
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    common = ["eval", str(bench), "--db", str(database), "--predictions", str(saved)]
    args = parser.parse_args([*common, "--report", str(tmp_path / "r"), "--max-silently-wrong", "3"])
    assert args.handler(args) == 0
    assert "silently wrong 3, clarified or refused instead 1, errors 1" in capsys.readouterr().out
    args = parser.parse_args([*common, "--report", str(tmp_path / "r"), "--max-silently-wrong", "2"])
    assert args.handler(args) == 1
    assert "3 silently wrong answers, more than the 2 allowed" in capsys.readouterr().err
