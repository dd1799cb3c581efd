"""Suggestions from unanswered questions, layer edits as YAML, and the proof
that a suggested synonym fixes its question without moving any other
dev-benchmark result (the real benchmark, through the runner, on a copy)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlq import feedback
from nlq.audit import AuditRecord, open_audit
from nlq.eval.benchmark import load_benchmark
from nlq.eval.runner import PipelinePredictor, run_benchmark
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.proposal import DEV_BENCHMARK, propose, score_layer
from nlq.semantic.edit import EditError, LayerChange, apply_change, copy_layer, diff, save
from nlq.semantic.loader import load_layer
from nlq.suggest import Unanswered, from_audit, from_feedback, report, suggest

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    return Pipeline(db=warehouse_path, audit=tmp_path_factory.mktemp("audit") / "audit.sqlite")


def audit_with(path: Path, *records: tuple[str, str]) -> Path:
    log = open_audit(path)
    for question, status in records:
        log.append(AuditRecord(question=question, status=status, user="chen.jie", role="analyst"))
    log.close()
    return path


def test_unlinked_words_are_grouped_most_frequent_first_with_the_nearest_layer_word(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    log = open_audit(
        audit_with(
            tmp_path / "audit.sqlite",
            ("上个月的客单", "clarify"),
            ("上个月的营收", "clarify"),
            ("上个月的客单", "clarify"),
            ("今年的客单", "clarify"),
            ("上个月的GMV", "answered"),  # answered: not a problem
            ("删除所有订单", "refused"),  # the safety screen: not a vocabulary problem
        )
    )
    questions = from_audit(log)
    log.close()
    assert [q.source for q in questions] == ["refused", "clarify", "clarify", "clarify", "clarify"]
    found = suggest(questions, pipeline.understander, AS_OF)
    assert [(s.word, s.count) for s in found] == [("客单", 3), ("营收", 1)]
    first = found[0]
    assert first.questions == ["今年的客单", "上个月的客单"]  # each once, newest first
    assert first.fix is not None and first.fix.near == "客单价"
    assert first.fix.change == LayerChange(kind="metric_synonym", target="avg_spend_per_buyer", word="客单")
    assert "“客单”接近“客单价”" in first.fix.describe("zh")
    assert "'客单' is near '客单价'" in first.fix.describe("en")


def test_an_unknown_value_nickname_is_suggested_as_an_alias_of_the_conformed_dimension(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    ratings = tmp_path / "feedback.jsonl"
    for i, question in enumerate(["上个月狗东的GMV", "狗东上个月订单数"]):
        answer = pipeline.ask(question, as_of=AS_OF)
        feedback.record(
            feedback.FeedbackRecord.of(f"a{i}", "down", answer, as_of=AS_OF, role="analyst"), ratings
        )
    found = suggest(from_feedback(feedback.read(ratings)), pipeline.understander, AS_OF)
    assert [(s.word, s.count, s.sources) for s in found] == [("狗东", 2, {"thumbs_down": 2})]
    fix = found[0].fix
    assert fix is not None and fix.near == "京东"
    # channel (orders and events share it) rather than users.register_channel
    assert fix.change == LayerChange(kind="value_alias", target="channel", value="京东", word="狗东")
    assert "-> “狗东”接近“京东”" in report(found, "zh")


def test_a_word_near_nothing_gets_no_fix_and_linked_questions_that_now_answer_drop_out(
    pipeline: Pipeline,
) -> None:
    found = suggest(
        [
            Unanswered(question="上个月的动销率", source="clarify"),
            Unanswered(question="上个月的成交额", source="clarify"),  # answers with every word placed now
            Unanswered(question="上个月的情况", source="clarify"),  # no metric: no synonym helps
        ],
        pipeline.understander,
        AS_OF,
    )
    assert [(s.word, s.fixes) for s in found] == [("动销率", []), ("", [])]
    text = report(found, "en")
    assert "nothing near in the layer" in text and "(every word linked)" in text


def test_a_change_is_written_into_a_copy_keeping_comments_and_anchors(tmp_path: Path) -> None:
    copy = copy_layer(DEMO_SEMANTIC, tmp_path)
    changed = apply_change(copy, LayerChange(kind="value_alias", target="channel", value="京东", word="狗东"))
    assert [p.name for p in changed] == ["models.yaml"]
    text = diff(DEMO_SEMANTIC, copy)
    removed = [line for line in text.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in text.splitlines() if line.startswith("+") and not line.startswith("+++")]
    # One line changed, in the anchored value list that channel and register_channel share.
    assert removed == ["-          京东: [JD, JD.com, 京东商城, Jingdong]"]
    assert added == ["+          京东: [JD, JD.com, 京东商城, Jingdong, 狗东]"]
    layer, _ = load_layer(copy)
    for name in ("channel", "register_channel"):
        values = next(d.values for m in layer.models for d in m.dimensions if d.name == name)
        assert values["京东"][-1] == "狗东"
    # The original is untouched until saved.
    assert "狗东" not in (DEMO_SEMANTIC / "models.yaml").read_text(encoding="utf-8")
    real = copy_layer(DEMO_SEMANTIC, tmp_path / "real")
    assert [p.name for p in save(copy, real)] == ["models.yaml"]
    assert diff(copy, real) == ""
    with pytest.raises(EditError, match="no_such_metric"):
        apply_change(copy, LayerChange(kind="metric_synonym", target="no_such_metric", word="x"))


def test_a_suggested_synonym_fixes_its_question_and_changes_no_other_dev_result(
    pipeline: Pipeline, warehouse_path: Path, tmp_path: Path
) -> None:
    items = load_benchmark(DEV_BENCHMARK)
    # The benchmark's own gold for 上个月的客单价, asked the way users did: 上个月的客单.
    gold = next(i for i in items if i.question == "上个月的客单价")
    asked = gold.model_copy(update={"id": "wb-1", "question": "上个月的客单"})
    before = run_benchmark([asked], PipelinePredictor(pipeline), pipeline.connector, progress=False).records[
        0
    ]
    assert before.result.status == "clarify" and not before.verdict.correct

    found = suggest([Unanswered(question=asked.question, source="clarify")], pipeline.understander, AS_OF)
    assert found[0].fix is not None
    proposal = propose(
        found[0].fix.change,
        layer=DEMO_SEMANTIC,
        db=warehouse_path,
        workdir=tmp_path,
        benchmarks=[DEV_BENCHMARK],
        questions=found[0].questions,
        as_of=asked.as_of,
    )
    assert proposal.problems == []
    assert (
        "+    synonyms: [人均消费, 人均成交额, ARPPU, spend per buyer, average spend per customer, average spend, avg spend, spend per customer, 客单]"
        in (proposal.diff)
    )
    assert [(a.status_before, a.status_after) for a in proposal.asked] == [("clarify", "answered")]
    # The whole dev benchmark, run on both layers: nothing fixed, nothing broken.
    assert proposal.delta is not None
    assert proposal.delta.total == len(items)
    assert (proposal.delta.fixed, proposal.delta.regressed) == ([], [])
    assert proposal.delta.after == proposal.delta.before
    assert proposal.delta.silently_after == proposal.delta.silently_before
    # Only the questions whose reading the synonym moved were run again; none of dev's did.
    assert proposal.delta.moved == []
    assert proposal.verdict == "better"  # the question asked now answers

    after = score_layer(proposal.layer, warehouse_path, [asked], tmp_path / "after")
    assert after.correct == {"wb-1": True}


def test_the_cli_prints_the_suggestions_from_the_audit_log_and_feedback(
    warehouse_path: Path, tmp_path: Path
) -> None:
    audit = audit_with(tmp_path / "audit.sqlite", ("上个月的客单", "clarify"), ("上个月的客单", "refused"))
    ratings = tmp_path / "feedback.jsonl"
    entry = feedback.FeedbackRecord(
        answer_id="x",
        rating="down",
        question="上个月狗东的GMV",
        as_of=AS_OF,
        role="analyst",
        status="answered",
    )
    feedback.record(entry, ratings)
    command = [sys.executable, "-m", "nlq.cli", "semantic", "suggest", "--from-audit", "--audit", str(audit)]
    command += ["--feedback", str(ratings), "--db", str(warehouse_path)]
    shown = subprocess.run([*command, "--format", "json"], capture_output=True, text=True, check=True)
    data = json.loads(shown.stdout)
    assert [(s["word"], s["count"], s["sources"]) for s in data] == [
        ("客单", 2, {"refused": 1, "clarify": 1}),
        ("狗东", 1, {"thumbs_down": 1}),
    ]
    assert data[1]["fixes"][0]["change"] == {
        "kind": "value_alias",
        "target": "channel",
        "word": "狗东",
        "value": "京东",
    }
    text = subprocess.run([*command, "--lang", "en"], capture_output=True, text=True, check=True).stdout
    assert "'客单' is near '客单价': add it as a synonym of metric avg_spend_per_buyer?" in text
    missing = subprocess.run(
        [sys.executable, "-m", "nlq.cli", "semantic", "suggest"], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "--from-audit" in missing.stderr and "Traceback" not in missing.stderr


def test_eval_export_feedback_is_feedback_export(tmp_path: Path) -> None:
    ratings = tmp_path / "feedback.jsonl"
    feedback.record(
        feedback.FeedbackRecord(
            answer_id="a1",
            rating="up",
            question="上个月的GMV",
            as_of=AS_OF,
            role="analyst",
            status="answered",
            sql=["SELECT 1"],
        ),
        ratings,
    )
    outputs = []
    for command in (["eval", "export-feedback"], ["feedback", "export"]):
        out = tmp_path / f"{command[0]}.jsonl"
        subprocess.run(
            [sys.executable, "-m", "nlq.cli", *command, "--file", str(ratings), "--out", str(out)],
            check=True,
            capture_output=True,
        )
        outputs.append(out.read_text(encoding="utf-8"))
    assert outputs[0] == outputs[1]
    line = json.loads(outputs[0])
    assert (line["question"], line["gold_sql"], line["expect"]) == ("上个月的GMV", "SELECT 1", "answer")
