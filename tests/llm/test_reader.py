"""The language model's path end to end, with scripted replies: a valid query is
answered with the warehouse's numbers, malformed JSON and a hallucinated metric
go back to the model with the error at most twice, then the rules' reading
stands; a policy is never argued with; injected SQL never runs."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from nlq.llm.reader import build_prompter
from nlq.llm.settings import LLMSettings
from nlq.pipeline import Pipeline
from tests.llm.conftest import ScriptedModel, text

AS_OF = dt.date(2026, 6, 30)
Build = Callable[..., tuple[Pipeline, ScriptedModel]]
# A question the rules cannot fully place: 剔除 and 刷单 link to nothing in the layer.
VAGUE = "上个月各渠道的流水，剔除刷单"
GMV_BY_CHANNEL_MAY = {
    "action": "query",
    "queries": [
        {
            "metrics": ["gmv"],
            "dimensions": ["channel"],
            "time_range": {"start": "2026-05-01", "end": "2026-05-31"},
        }
    ],
}


def gmv_by_channel(con: duckdb.DuckDBPyConnection, start: str, end: str) -> dict[str, float]:
    rows = con.execute(
        "SELECT o.channel, SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id)"
        " WHERE o.pay_time IS NOT NULL AND o.order_time >= ? AND o.order_time < ? GROUP BY 1",
        [start, end],
    ).fetchall()
    return {channel: float(total) for channel, total in rows}


def as_dict(rows: list[list[Any]]) -> dict[str, float]:
    return {str(r[0]): float(r[1]) for r in rows}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    return a.keys() == b.keys() and all(math.isclose(a[k], b[k], rel_tol=1e-9) for k in a)


def repair_requests(model: ScriptedModel) -> list[str]:
    """What the model was told about its earlier replies."""
    return [
        str(m.content)
        for m in model.seen[-1]
        if isinstance(m, HumanMessage) and "cannot be used" in str(m.content)
    ]


def test_unlinked_words_send_the_question_to_the_model(build: Build, con: duckdb.DuckDBPyConnection) -> None:
    pipeline, model = build([text(GMV_BY_CHANNEL_MAY)])
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "answered"
    assert len(model.seen) == 1
    assert same(as_dict(result.answers[0].rows), gmv_by_channel(con, "2026-05-01", "2026-06-01"))
    assert result.interpretation.startswith("由语言模型理解为") and "2026-05-01" in result.interpretation


def test_rules_reading_says_nothing_of_a_model(build: Build) -> None:
    pipeline, _ = build([])
    assert pipeline.ask("上个月各渠道的GMV", as_of=AS_OF).interpretation.startswith("理解为")


def test_several_queries_give_several_answers(build: Build, con: duckdb.DuckDBPyConnection) -> None:
    june = {
        "metrics": ["gmv"],
        "dimensions": ["channel"],
        "time_range": {"start": "2026-06-01", "end": "2026-06-30"},
    }
    reply = {"action": "query", "queries": [*GMV_BY_CHANNEL_MAY["queries"], june]}
    pipeline, _ = build([text(reply)])
    result = pipeline.ask("五月和六月各渠道的流水分别是多少，剔除刷单", as_of=AS_OF)
    assert result.status == "answered" and len(result.answers) == 2
    assert same(as_dict(result.answers[0].rows), gmv_by_channel(con, "2026-05-01", "2026-06-01"))
    assert same(as_dict(result.answers[1].rows), gmv_by_channel(con, "2026-06-01", "2026-07-01"))


def test_a_follow_up_shows_the_model_the_previous_queries(build: Build) -> None:
    pipeline, model = build([text(GMV_BY_CHANNEL_MAY)])
    first, understanding = pipeline.converse("上个月各渠道的GMV", as_of=AS_OF)
    assert first.status == "answered" and model.seen == []
    pipeline.converse("那剔除刷单之后呢", as_of=AS_OF, previous=understanding)
    human = str(model.seen[0][1].content)
    assert "previous question" in human and '"channel"' in human and "2026-05-31" in human


def test_a_configured_embedding_model_folder_is_used(warehouse_path: Path) -> None:
    from nlq.llm.reader import build_prompter
    from nlq.llm.retrieval import SentenceEmbedder, packaged_model_path

    folder = str(packaged_model_path())
    pipeline = Pipeline(db=warehouse_path)
    prompter = build_prompter(pipeline, LLMSettings(embedding_model=folder))
    assert prompter.index is not None and isinstance(prompter.index.embedder, SentenceEmbedder)
    assert str(prompter.index.embedder.path) == folder


def test_fully_linked_question_never_reaches_the_model(build: Build) -> None:
    pipeline, model = build([])
    result = pipeline.ask("上个月各渠道的GMV", as_of=AS_OF)
    assert result.status == "answered"
    assert model.seen == []


def test_always_mode_asks_the_model_and_its_reading_wins(
    build: Build, con: duckdb.DuckDBPyConnection
) -> None:
    # The rules read 本月 (June); the model's reply (May) is what is answered.
    pipeline, model = build([text(GMV_BY_CHANNEL_MAY)], use="always")
    result = pipeline.ask("本月各渠道的GMV", as_of=AS_OF)
    assert len(model.seen) == 1
    assert same(as_dict(result.answers[0].rows), gmv_by_channel(con, "2026-05-01", "2026-06-01"))


def test_prompt_holds_the_retrieved_slice_examples_and_the_rules_reading(build: Build) -> None:
    pipeline, model = build([text(GMV_BY_CHANNEL_MAY)])
    pipeline.ask("各渠道上个月的退款率，剔除刷单", as_of=AS_OF)
    system, human = (str(m.content) for m in model.seen[0][:2])
    listed = [line for line in system.splitlines() if line.startswith("- ") and "[" in line and "—" in line]
    names = {line[2:].split(":")[0] for line in listed}
    assert "refund_rate" in names and len(names) < len(pipeline.layer.metrics)
    assert "- channel:" in system
    assert "Q: " in system  # worked examples from the benchmark's training part
    assert "剔除" in human and '"refund_rate"' in human  # the unplaced words and the rules' proposal


def test_malformed_json_is_repaired(build: Build, con: duckdb.DuckDBPyConnection) -> None:
    pipeline, model = build(
        [text('{"action": "query", "queries": [{"metrics": ["gmv"'), text(GMV_BY_CHANNEL_MAY)]
    )
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "answered"
    assert len(model.seen) == 2
    [told] = repair_requests(model)
    assert "not valid JSON" in told or "not a JSON object" in told
    assert same(as_dict(result.answers[0].rows), gmv_by_channel(con, "2026-05-01", "2026-06-01"))


def test_hallucinated_metric_gets_two_repairs_then_the_rules_answer(
    build: Build, con: duckdb.DuckDBPyConnection
) -> None:
    invented = {"action": "query", "queries": [{"metrics": ["sales_amount_net"], "dimensions": ["channel"]}]}
    pipeline, model = build([text(invented)] * 3)
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert len(model.seen) == 3  # the first reply and two repairs, no more
    told = repair_requests(model)
    assert len(told) == 2 and all("sales_amount_net" in t and "gmv" in t for t in told)
    # The rules' reading stands: it cannot use 剔除刷单, so it asks instead of answering without it.
    assert result.status == "clarify" and not result.answers and "剔除" in result.message


def test_schema_violation_then_valid_reply(build: Build) -> None:
    wrong = {"action": "query", "queries": [{"metrics": ["gmv"], "time_grain": "fortnight"}]}
    pipeline, model = build([text(wrong), text(GMV_BY_CHANNEL_MAY)])
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "answered" and len(model.seen) == 2
    assert "time_grain" in repair_requests(model)[0]


def test_without_a_rules_reading_the_fallback_is_clarify(build: Build) -> None:
    pipeline, model = build([text("I think you want sales.")] * 3)
    result = pipeline.ask("上个月怎么样", as_of=AS_OF)
    assert len(model.seen) == 3
    assert result.status == "clarify" and result.answers == []
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message)


def test_model_clarification_is_passed_on(build: Build) -> None:
    reply = {"action": "clarify", "message": "请问想看哪个渠道的哪个指标？"}
    pipeline, _ = build([text(reply)])
    result = pipeline.ask("上个月怎么样", as_of=AS_OF)
    assert result.status == "clarify" and result.message == reply["message"]


def test_denied_metric_is_refused_without_repair(build: Build) -> None:
    reply = {"action": "query", "queries": [{"metrics": ["gross_margin"], "dimensions": ["channel"]}]}
    pipeline, model = build([text(reply)] * 3, role="marketing")
    result = pipeline.ask("各渠道赚钱的能力，剔除刷单", as_of=AS_OF)
    assert len(model.seen) == 1
    assert result.status == "refused" and result.answers == []
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.message)


def test_injected_sql_in_a_filter_value_is_only_a_value(build: Build, con: duckdb.DuckDBPyConnection) -> None:
    injected = {
        "action": "query",
        "queries": [
            {
                "metrics": ["gmv"],
                "filters": [{"dimension": "channel", "values": ["天猫'; DROP TABLE orders; --"]}],
            }
        ],
    }
    pipeline, _ = build([text(injected)])
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "answered"
    assert result.answers[0].rows == [[None]]  # no channel has that name
    assert "DROP TABLE orders; --'" in result.answers[0].sql  # quoted inside one string literal
    assert con.execute("SELECT COUNT(*) FROM orders").fetchone()[0] > 0


def test_unsafe_question_is_refused_before_the_model(build: Build) -> None:
    pipeline, model = build([text(GMV_BY_CHANNEL_MAY)], use="always")
    result = pipeline.ask("DROP TABLE orders; 然后告诉我GMV", as_of=AS_OF)
    assert result.status == "refused"
    assert model.seen == []


def test_tool_calling_structured_output(build: Build, con: duckdb.DuckDBPyConnection) -> None:
    call = AIMessage("", tool_calls=[{"name": "ModelReply", "args": GMV_BY_CHANNEL_MAY, "id": "call-1"}])
    pipeline, model = build([call], structured_output="function_calling")
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "answered" and len(model.seen) == 1
    assert same(as_dict(result.answers[0].rows), gmv_by_channel(con, "2026-05-01", "2026-06-01"))
    assert "JSON schema" not in str(model.seen[0][0].content)  # the schema travels as the tool


def test_unreachable_endpoint_falls_back_to_the_rules(warehouse_path: Path, embedder: Any) -> None:
    # A real OpenAI-compatible client against a closed local port: refused at once.
    settings = LLMSettings(
        provider="openai", model="qwen-plus", base_url="http://127.0.0.1:9/v1", api_key="k", timeout_s=5
    )
    pipeline = Pipeline(db=warehouse_path, llm=settings, embedder=embedder)
    result = pipeline.ask(VAGUE, as_of=AS_OF)
    assert result.status == "clarify" and not result.answers  # the rules' reading: 剔除刷单 is asked about
    assert pipeline.reader is not None and "Connection" in pipeline.reader.attempts[0].problem


def test_thumbs_up_feedback_becomes_an_example(build: Build, tmp_path: Path) -> None:
    feedback = tmp_path / "feedback.jsonl"
    liked = {
        "question": "双十一期间各省份的客单价",
        "rating": "up",
        "queries": [{"metrics": ["avg_spend_per_buyer"], "dimensions": ["province"]}],
    }
    disliked = {
        "question": "双十一期间各省份的笔单价",
        "rating": "down",
        "queries": [{"metrics": ["avg_order_value"], "dimensions": ["province"]}],
    }
    import json

    feedback.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (liked, disliked)), encoding="utf-8"
    )
    pipeline, model = build(
        [text(GMV_BY_CHANNEL_MAY)], feedback=feedback, examples=[feedback.with_name("none.jsonl")]
    )
    pipeline.ask("双十一期间各省份的客单价，剔除刷单", as_of=AS_OF)
    system = str(model.seen[0][0].content)
    assert "Q: 双十一期间各省份的客单价" in system
    assert "笔单价" not in system.split("Examples")[1]


@pytest.fixture()
def build(ask_with: Build) -> Build:
    return ask_with


def test_feedback_in_the_chat_uis_format(build: Build, warehouse_path: Path, tmp_path: Path) -> None:
    """Lines carry the SQL that was shown: the rules' reading becomes the example only
    when it gives that very SQL, and the last rating of an answer counts."""
    import json

    plain = Pipeline(db=warehouse_path)
    liked_q, changed_q, other_q = "本月各品类的退款率", "本月各省份的客单价", "本月各渠道的访客数"
    shown = {q: [a.sql for a in plain.ask(q, as_of=AS_OF).answers] for q in (liked_q, changed_q, other_q)}
    lines = [
        {
            "answer_id": "a1",
            "rating": "up",
            "question": liked_q,
            "as_of": "2026-06-30",
            "sql": shown[liked_q],
        },
        # Liked, but the SQL shown then is not what the rules give now: not an example.
        {
            "answer_id": "a2",
            "rating": "up",
            "question": other_q,
            "as_of": "2026-06-30",
            "sql": shown[changed_q],
        },
        {
            "answer_id": "a3",
            "rating": "up",
            "question": changed_q,
            "as_of": "2026-06-30",
            "sql": shown[changed_q],
        },
        {
            "answer_id": "a3",
            "rating": "down",
            "question": changed_q,
            "as_of": "2026-06-30",
            "sql": shown[changed_q],
        },
    ]
    feedback = tmp_path / "feedback.jsonl"
    feedback.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    pipeline, _ = build([], feedback=feedback)
    assert pipeline.llm_settings is not None
    prompter = build_prompter(pipeline, pipeline.llm_settings)
    assert prompter.examples is not None
    feedback_questions = [e.question for e in prompter.examples.examples if e.source == "feedback"]
    assert feedback_questions == [liked_q]
