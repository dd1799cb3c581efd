"""`nlq semantic init` on the demo warehouse in PostgreSQL: the drafted layer
validates against the database and answers the dev questions that need only raw
columns and counts (new users, refund amounts, review counts, average ratings)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlq.cli import main
from nlq.engines import open_connector
from nlq.eval.benchmark import load_benchmark
from nlq.eval.runner import PipelinePredictor, run_benchmark
from nlq.pipeline import Pipeline
from nlq.semantic.bootstrap import Drafter

ROOT = Path(__file__).resolve().parents[2]
RAW_METRICS = {"refund_amount", "new_users", "review_count", "avg_rating"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def draft(engine_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("draft")
    assert main(["semantic", "init", "--db", engine_urls["postgres"], "--out", str(out)]) == 0
    return out


def test_draft_validates_against_the_database(draft: Path, engine_urls: dict[str, str]) -> None:
    assert main(["semantic", "validate", str(draft), "--db", engine_urls["postgres"]]) == 0


def test_draft_reads_keys_relationships_times_and_values(draft: Path) -> None:
    document = yaml.safe_load((draft / "models.yaml").read_text(encoding="utf-8"))
    models = {m["name"]: m for m in document["models"]}
    assert models["orders"]["primary_key"] == "order_id"  # declared
    assert models["orders"]["default_time"] == "order_time"
    assert models["users"]["default_time"] == "register_date"  # not birth_date
    relationships = {(r["from"], r["to"]) for r in document["relationships"]}
    assert ("orders.user_id", "users.user_id") in relationships  # by naming
    assert ("order_items.product_id", "products.product_id") in relationships
    # reviews -> users is implied by reviews -> orders -> users: one path per pair.
    assert ("reviews.user_id", "users.user_id") not in relationships
    gender = next(d for d in models["users"]["dimensions"] if d["name"] == "gender")
    assert set(gender["values"]) == {"男", "女"} and gender["label"]["zh"] == "性别"
    names = next(d for d in models["products"]["dimensions"] if d["name"] == "product_name")
    assert names.get("values_from_data") is True and "values" not in names
    measures = {m["name"] for m in models["refunds"]["measures"]}
    assert {"row_count", "total_refund_amount", "avg_refund_amount"} <= measures


def test_draft_answers_raw_column_questions(draft: Path, engine_urls: dict[str, str]) -> None:
    items = [
        i for i in load_benchmark(ROOT / "eval" / "benchmarks" / "dev.jsonl") if set(i.tags) & RAW_METRICS
    ]
    pipeline = Pipeline(db=engine_urls["postgres"], semantic=draft)
    try:
        run = run_benchmark(items, PipelinePredictor(pipeline), pipeline.connector, progress=False)
    finally:
        pipeline.close()
    correct = [r.item.id for r in run.records if r.verdict.correct]
    assert len(items) >= 40
    assert len(correct) >= 20, [(r.item.id, r.verdict.reason) for r in run.records if not r.verdict.correct]


def test_drafting_only_some_tables(engine_urls: dict[str, str]) -> None:
    connector = open_connector(engine_urls["postgres"])
    try:
        drafted = Drafter(connector, ["orders", "users"]).draft()
        with pytest.raises(ValueError, match="no such table: nope"):
            Drafter(connector, ["orders", "nope"])
    finally:
        connector.close()
    models = [m["name"] for m in drafted["models.yaml"]["models"]]
    assert models == ["orders", "users"]
    assert drafted["models.yaml"]["relationships"] == [{"from": "orders.user_id", "to": "users.user_id"}]
