"""Kept readings and plans: a question asked again skips reading and compiling,
yet answers exactly as the first time, never with another role's policies, and
a refusal is never kept as an answer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)
QUESTION = "上个月各渠道的GMV"


def test_a_repeated_question_reuses_its_plan_and_answers_alike(warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, cache=None)
    first = pipeline.ask(QUESTION, as_of=AS_OF)
    second = pipeline.ask(QUESTION, as_of=AS_OF)
    pipeline.close()
    assert first.status == second.status == "answered"
    assert (pipeline.plans.misses, pipeline.plans.hits) == (1, 1)
    assert second.answers[0].sql == first.answers[0].sql
    assert second.answers[0].rows == first.answers[0].rows
    assert second.interpretation == first.interpretation
    assert len(first.answers[0].rows) == 6  # the six channels


def test_a_plan_is_the_compiled_sql_of_its_query(warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, cache=None)
    query = pipeline.understander.understand(QUESTION, AS_OF).steps[0].query
    kept = pipeline.sql_for(query)
    again = pipeline.sql_for(query)
    fresh = pipeline.guarded_sql(query)
    other = pipeline.sql_for(query.model_copy(update={"limit": 3}))
    pipeline.close()
    assert kept == again == fresh
    assert other != kept and other.endswith("LIMIT 3")


def test_a_reading_handed_out_cannot_be_changed(warehouse_path: Path) -> None:
    # Kept readings are shared, not copied: a caller that tries to change one is refused,
    # and a change made the supported way (model_copy) leaves the kept one as it was.
    pipeline = Pipeline(db=warehouse_path, cache=None)
    understander = pipeline.understander
    first = understander.understand(QUESTION, AS_OF)
    query = first.steps[0].query
    for target, field, value in [
        (query, "limit", 1),
        (first.steps[0], "title", "x"),
        (first, "status", "refuse"),
    ]:
        with pytest.raises(ValidationError, match="frozen"):
            setattr(target, field, value)
    narrowed = query.model_copy(update={"limit": 1})
    second = understander.understand(QUESTION, AS_OF)
    pipeline.close()
    assert narrowed.limit == 1
    assert second is first and second.steps[0].query.limit is None
    assert second == understander.read(QUESTION, AS_OF, None)


def test_the_day_is_part_of_a_reading(warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, cache=None)
    june = pipeline.understander.understand(QUESTION, AS_OF).steps[0].query.time_range
    july = pipeline.understander.understand(QUESTION, dt.date(2026, 7, 15)).steps[0].query.time_range
    pipeline.close()
    assert june is not None and july is not None
    assert (june.start, july.start) == (dt.date(2026, 5, 1), dt.date(2026, 6, 1))


def test_roles_never_share_plans(warehouse_path: Path) -> None:
    analyst = Pipeline(db=warehouse_path, cache=None)
    zhejiang = analyst.for_role("province_manager", {"province": "浙江"})
    mine = analyst.ask("各省份的GMV", as_of=AS_OF)
    theirs = zhejiang.ask("各省份的GMV", as_of=AS_OF)
    analyst.close()
    assert zhejiang.plans is not analyst.plans and zhejiang.plans.hits == 0
    assert "浙江" in theirs.answers[0].sql and "浙江" not in mine.answers[0].sql
    assert [row[0] for row in theirs.answers[0].rows] == ["浙江"]
    assert len(mine.answers[0].rows) > 1


def test_a_refusal_is_not_kept(warehouse_path: Path) -> None:
    marketing = Pipeline(db=warehouse_path, role="marketing", cache=None)
    first = marketing.ask("上个月的毛利", as_of=AS_OF)
    second = marketing.ask("上个月的毛利", as_of=AS_OF)
    marketing.close()
    assert first.status == second.status == "refused"
    assert len(marketing.plans) == 0


def test_forget_drops_readings_and_plans(warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, cache=None)
    pipeline.ask(QUESTION, as_of=AS_OF)
    pipeline.forget()
    pipeline.ask(QUESTION, as_of=AS_OF)
    pipeline.close()
    assert (pipeline.plans.misses, pipeline.plans.hits) == (2, 0)
    assert pipeline.understander._first_reading.cache_info().hits == 0
