"""`nlq llm prompt` shows what a question would send to the model, without one;
`nlq llm examples` builds worked examples only from correct answers of the
benchmark's training part."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlq.cli import main
from nlq.llm.examples import in_training_part


def test_prompt_shows_the_slice_and_the_question(
    warehouse_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "llm",
            "prompt",
            "各渠道上个月的退款率，剔除刷单",
            "--db",
            str(warehouse_path),
            "--as-of",
            "2026-06-30",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "--- system" in out and "--- human" in out
    assert "- refund_rate:" in out and "- channel:" in out
    assert "2026-05-01" in out  # the rules' reading of 上个月, offered to the model


def test_examples_come_from_correct_training_answers(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    benchmark = tmp_path / "bench.jsonl"
    ids = [f"t-{n}" for n in range(40)]
    train = next(i for i in ids if in_training_part(i))
    held = next(i for i in ids if not in_training_part(i))
    wrong = next(i for i in ids if in_training_part(i) and i != train)
    gold = "SELECT COUNT(*) FROM orders WHERE pay_time IS NOT NULL AND order_time >= '2026-06-01' AND order_time < '2026-07-01'"
    lines = [
        {"id": train, "question": "本月的订单数", "as_of": "2026-06-30", "gold_sql": gold},
        {"id": held, "question": "本月订单量", "as_of": "2026-06-30", "gold_sql": gold},
        # The rules answer this one, but the gold says otherwise: not an example.
        {"id": wrong, "question": "本月的GMV", "as_of": "2026-06-30", "gold_sql": gold},
    ]
    benchmark.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    out = tmp_path / "examples.jsonl"
    assert main(["llm", "examples", str(benchmark), "--db", str(warehouse_path), "--out", str(out)]) == 0
    [example] = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert example["question"] == "本月的订单数" and example["source"] == train
    assert example["queries"][0]["metrics"] == ["order_count"]
