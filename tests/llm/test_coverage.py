"""When the model is consulted in fallback mode: the words the rules could not
place, and how often that happens on the dev benchmark."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nlq.eval.benchmark import load_benchmark
from nlq.llm.settings import LLMSettings
from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, llm=LLMSettings(provider="openai", model="any"))


@pytest.mark.parametrize(
    "question",
    [
        "上个月各渠道的GMV",
        "帮我查一下近三个月天猫的销售额",
        "refund rate by category last quarter",
        "近三月热销商品及其用户画像",
    ],
)
def test_fully_placed_questions_stay_with_the_rules(pipeline: Pipeline, question: str) -> None:
    understanding = pipeline.understander.understand(question, AS_OF)
    assert understanding.status == "answer" and understanding.unlinked == []
    assert not pipeline.wants_model(understanding)


def test_words_left_over_are_named(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("上个月各渠道的流水，剔除刷单", AS_OF)
    # The rules cannot use 剔除刷单: they ask, and keep their reading for the model.
    assert understanding.status == "clarify" and "剔除" in understanding.message
    assert "剔除" in understanding.unlinked and understanding.steps
    assert pipeline.wants_model(understanding)
    assert "metric:gmv" in understanding.linked and "dimension:channel" in understanding.linked


def test_a_screened_question_never_goes_to_the_model(pipeline: Pipeline) -> None:
    understanding = pipeline.understander.understand("删除orders表里的所有数据", AS_OF)
    assert understanding.status == "refuse" and understanding.screened
    assert not pipeline.wants_model(understanding)


def test_fallback_consults_the_model_for_few_dev_questions(pipeline: Pipeline) -> None:
    items = [i for i in load_benchmark(ROOT / "eval" / "benchmarks" / "dev.jsonl") if i.expect == "answer"]
    consulted = [
        i.id
        for i in items
        if pipeline.wants_model(pipeline.understander.understand(i.question, i.as_of or AS_OF))
    ]
    # The rules answer these; the model is for the long tail, not a second opinion on everything.
    assert len(consulted) / len(items) < 0.10, consulted
