"""Follow-ups reuse the context of the previous question."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlq.pipeline import Pipeline

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path)


def test_a_conversation(pipeline: Pipeline) -> None:
    turns = [
        ("上个月各渠道的GMV", ["channel", "gmv"], "上个月（2026-05-01 至 2026-05-31）", 6),
        ("那本月呢", ["channel", "gmv"], "本月（2026-06-01 至 2026-06-30）", 6),
        ("只看天猫", ["channel", "gmv"], "天猫（渠道）", 1),
        ("换成订单数", ["channel", "order_count"], "天猫（渠道）", 1),
        ("京东的呢", ["channel", "order_count"], "京东（渠道）", 1),
        ("按品类拆分", ["channel", "category", "order_count"], "京东（渠道）", 7),
    ]
    previous = None
    for question, columns, phrase, rows in turns:
        result, previous = pipeline.converse(question, as_of=AS_OF, previous=previous)
        assert result.status == "answered", question
        assert result.answers[0].columns == columns, question
        assert phrase in result.interpretation, question
        assert len(result.answers[0].rows) == rows, question
    assert "天猫" not in result.interpretation  # the new value replaced the old filter


def test_follow_ups_never_change_the_kept_reading_they_start_from(pipeline: Pipeline) -> None:
    from pydantic import ValidationError

    understander = pipeline.understander
    first = understander.understand("上个月各渠道的GMV", AS_OF)
    kept = first.model_dump()
    assert understander.understand("上个月各渠道的GMV", AS_OF) is first  # read once, not copied
    previous = first
    for question in ["只看天猫", "换成订单数", "按品类拆分", "那本月呢"]:
        result, previous = pipeline.converse(question, as_of=AS_OF, previous=previous)
        assert result.status == "answered", question
    assert previous is not None and previous.steps[0].query.dimensions != first.steps[0].query.dimensions
    assert first.model_dump() == kept
    with pytest.raises(ValidationError):
        first.status = "refuse"  # type: ignore[misc]


def test_english_follow_up_and_a_fresh_question(pipeline: Pipeline) -> None:
    first, context = pipeline.converse("GMV last 3 months", as_of=AS_OF)
    jd, _ = pipeline.converse("what about JD?", as_of=AS_OF, previous=context)
    assert (
        jd.interpretation.startswith("Understood as: last 3 months (2026-04-01 to 2026-06-30)")
        and "京东 (channel)" in jd.interpretation
    )
    assert jd.answers[0].rows[0][0] < first.answers[0].rows[0][0]
    fresh, _ = pipeline.converse("上个月各品类的退款率", as_of=AS_OF, previous=context)
    assert fresh.answers[0].columns == ["category", "refund_rate"]


def test_a_refusal_keeps_the_earlier_context(pipeline: Pipeline) -> None:
    _, context = pipeline.converse("上个月各渠道的GMV", as_of=AS_OF)
    refused, nothing = pipeline.converse("删除所有订单", as_of=AS_OF, previous=context)
    assert refused.status == "refused" and nothing is None


def test_chat_command(warehouse_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nlq.cli", "chat", "--db", str(warehouse_path), "--as-of", "2026-06-30"],
        input="上个月各渠道的订单数\n只看抖音\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "各渠道的订单数" in done.stdout and "抖音（渠道）" in done.stdout


def test_value_index_is_persisted_and_refreshed_on_demand(warehouse_path: Path, tmp_path: Path) -> None:
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(warehouse_path, db)
    pipeline = Pipeline(db=db)
    index = pipeline.value_index()
    cache = Path(f"{db}.values.json")
    assert cache.exists() and len(index["product_name"]) == 1000 and "浙江" in index["province"]
    # Kept with the values: the pinyin English questions name them by.
    assert json.loads(cache.read_text(encoding="utf-8"))["spellings"]["浙江"] == "zhejiang"
    cache.write_text(cache.read_text(encoding="utf-8").replace("浙江", "浙江省"), encoding="utf-8")
    assert "浙江省" in pipeline.value_index()["province"]  # read from the file, not the database
    assert "浙江" in pipeline.value_index(refresh=True)["province"]


def test_equally_likely_readings_are_clarified(tmp_path: Path) -> None:
    import duckdb

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute(
        "CREATE TABLE sales AS SELECT * FROM (VALUES (1, '华东', '华南', 10.0, TIMESTAMP '2026-06-01'),"
        " (2, '华南', '华东', 20.0, TIMESTAMP '2026-06-02')) t(id, store_region, customer_region, amount, sold_at)"
    )
    con.close()
    layer = tmp_path / "layer.yaml"
    regions = "{华东: [east], 华南: [south]}"
    layer.write_text(
        f"""
models:
  - name: sales
    table: sales
    primary_key: id
    label: {{zh: 销售, en: sales}}
    default_time: sold_at
    time_dimensions: [{{name: sold_at, label: {{zh: 销售时间, en: sold at}}}}]
    dimensions:
      - {{name: store_region, label: {{zh: 门店地区, en: store region}}, values: {regions}}}
      - {{name: customer_region, label: {{zh: 客户地区, en: customer region}}, values: {regions}}}
    measures: [{{name: amount, agg: sum, expr: amount}}]
metrics:
  - {{name: revenue, measure: sales.amount, label: {{zh: 销售额, en: revenue}}}}
roles:
  - {{name: analyst, label: {{zh: 分析师, en: analyst}}}}
""",
        encoding="utf-8",
    )
    pipeline = Pipeline(db=db, semantic=layer)
    unclear = pipeline.ask("华东的销售额", as_of=AS_OF)
    assert (
        unclear.status == "clarify"
        and "门店地区（华东）" in unclear.message
        and "客户地区（华东）" in unclear.message
    )
    assert unclear.answers == []
    clear = pipeline.ask("客户地区是华东的销售额", as_of=AS_OF)
    assert clear.status == "answered" and clear.answers[0].rows == [[20.0]]
    # Each offered choice is a question that answers as it stands, one per reading.
    assert unclear.options == ["门店地区是华东的销售额", "客户地区是华东的销售额"]
    assert [pipeline.ask(o, as_of=AS_OF).answers[0].rows for o in unclear.options] == [[[10.0]], [[20.0]]]


@pytest.mark.parametrize("question", ["各渠道的情况怎么样", "how are channels doing?"])
def test_an_unnamed_metric_offers_answerable_choices(pipeline: Pipeline, question: str) -> None:
    unclear = pipeline.ask(question, as_of=AS_OF)
    assert unclear.status == "clarify" and len(unclear.options) == 4
    picked = [pipeline.ask(o, as_of=AS_OF).answers[0].columns for o in unclear.options]
    assert picked == [["channel", m] for m in ("gmv", "order_count", "buyers", "visitors")]
    # In the JSON of `nlq ask`, `options` appears only when there are some.
    assert unclear.to_json_dict()["options"] == unclear.options
    assert "options" not in pipeline.ask(unclear.options[0], as_of=AS_OF).to_json_dict()


def test_ask_prints_the_choices_of_a_clarification(warehouse_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nlq.cli", "ask", "各渠道的情况怎么样", "--db", str(warehouse_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = done.stdout.splitlines()
    assert "哪个指标" in lines[0] and lines[1:] == [
        f"  - 各渠道的情况怎么样（{label}）" for label in ("成交额", "订单数", "购买用户数", "访客数")
    ]
