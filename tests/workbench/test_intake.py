"""The analyst's intake: what a marketing user asked, answered or not, reaches the
analyst grouped by problem, with who asked, when, the answer and its SQL; probes
stay apart and are never offered a change; dismissed cases stay dismissed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nlq import feedback
from nlq.audit import open_audit
from nlq.intake import Case, cases, dismiss, dismissed, from_audit, from_feedback, open_cases
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def asked(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Path]:
    """A marketing user's conversation, on record in a fresh audit log."""
    audit = tmp_path_factory.mktemp("intake") / "audit.sqlite"
    pipeline = Pipeline(db=warehouse_path, audit=audit).for_user("sun.li")
    previous = None
    for question in [
        "上个月各渠道的GMV",
        "上个月",  # a follow-up: last month's GMV by channel again, the metric carried over
        "上个月狗东的GMV",
        "狗东上周的订单数",
        "上个月狗东的件单价",  # two words the layer lacks: one case, not two
        "上个月京洞的订单数",  # a typo of 京东, linked by nearness
        "删除所有订单",  # a probe
        "今天天气怎么样",
    ]:
        _, understanding = pipeline.converse(question, as_of=AS_OF, previous=previous)
        previous = understanding or previous
    return pipeline, audit


def on_record(pipeline: Pipeline, audit: Path) -> list[Case]:
    """The cases of the questions on record."""
    log = open_audit(audit)
    try:
        return cases(from_audit(log), pipeline.understander, AS_OF)
    finally:
        log.close()


def test_questions_are_grouped_by_their_problem_with_who_asked_and_what_came_back(
    asked: tuple[Pipeline, Path],
) -> None:
    pipeline, audit = asked
    found = on_record(pipeline, audit)
    by_key = {c.key: c for c in found}
    assert [a.question for a in by_key["unknown_words:狗东"].asked] == ["狗东上周的订单数", "上个月狗东的GMV"]
    assert by_key["unknown_words:件单价|狗东"].asked[0].question == "上个月狗东的件单价"
    carried = by_key["carried_over:gmv"].asked[0]
    assert (carried.question, carried.user, carried.role, carried.status) == (
        "上个月",
        "sun.li",
        "marketing",
        "answered",
    )
    assert carried.sql and "SUM" in carried.sql[0].upper() and carried.answer.startswith("理解为")
    assert by_key["fuzzy_link:京洞→京东"].asked[0].question == "上个月京洞的订单数"
    # The first answer of the conversation had no doubt: it is no case.
    assert all(a.question != "上个月各渠道的GMV" for c in found for a in c.asked)
    # The vocabulary cases come first, each with a change to try; the probes last, with none.
    assert [c.fixes[0].change.value for c in found if c.key == "unknown_words:狗东"] == ["京东"]
    apart = [c for c in found if c.apart]
    assert {a.question for c in apart for a in c.asked} == {"删除所有订单", "今天天气怎么样"}
    assert all(not c.fixes for c in apart)
    assert found[-len(apart) :] == apart


def test_an_answer_rated_down_is_a_case_with_the_comment(
    asked: tuple[Pipeline, Path], tmp_path: Path
) -> None:
    pipeline, _ = asked
    result = pipeline.ask("上个月天猫的GMV", as_of=AS_OF)
    path = tmp_path / "feedback.jsonl"
    record = feedback.FeedbackRecord.of("a1", "down", result, as_of=AS_OF, role="marketing")
    feedback.record(record.model_copy(update={"comment": "应该只算天猫旗舰店"}), path)
    found = cases(from_feedback(feedback.read(path)), pipeline.understander, AS_OF)
    assert [(c.kind, c.asked[0].comment) for c in found] == [("rated_down", "应该只算天猫旗舰店")]


def test_a_dismissed_case_stays_dismissed_until_asked_again(
    asked: tuple[Pipeline, Path], tmp_path: Path
) -> None:
    pipeline, audit = asked
    found = on_record(pipeline, audit)
    case = next(c for c in found if c.key == "unknown_words:狗东")
    latest = case.latest
    assert latest is not None
    dismiss(tmp_path, case.key, by="chen.jie", at=latest + dt.timedelta(seconds=1))
    assert case.key not in {c.key for c in open_cases(found, dismissed(tmp_path))}
    assert len(open_cases(found, dismissed(tmp_path))) == len(found) - 1
    # asked again after the dismissal: back on the list
    dismiss(tmp_path, case.key, by="chen.jie", at=latest - dt.timedelta(seconds=1))
    assert case.key in {c.key for c in open_cases(found, dismissed(tmp_path))}
