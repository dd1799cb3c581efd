"""The reader knows only what the layer says: a copy of the demo layer with every
metric and dimension renamed answers every dev question as the demo layer does.
A name of the demo written into the reader's code would make it differ."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from nlq.eval.benchmark import load_benchmark
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.semantic.loader import load_layer

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 6, 30)


def renamed(layer: dict[str, Any]) -> dict[str, Any]:
    """The layer with metric `x` named `m_x` and dimension `y` named `d_y` (reading the
    same column), every reference to them renamed too."""
    metrics = {m["name"]: f"m_{m['name']}" for m in layer["metrics"]}
    dimensions = {
        d["name"]: f"d_{d['name']}" for model in layer["models"] for d in model.get("dimensions", [])
    }

    def metric_expr(text: str) -> str:
        return re.sub(r"[A-Za-z_]\w*", lambda m: metrics.get(m.group(0), m.group(0)), text)

    def dimension_ref(name: str) -> str:
        model, _, column = name.rpartition(".")
        return f"{model}.{dimensions.get(column, column)}" if model else dimensions.get(name, name)

    for model in layer["models"]:
        for dimension in model.get("dimensions", []):
            segment = dimension.get("segment")
            if segment is None:
                dimension.setdefault("expr", dimension["name"])
            elif "population" in segment:
                segment["population"] = metrics[segment["population"]]
            dimension["name"] = dimensions[dimension["name"]]
        model["detail"] = [dimension_ref(c) for c in model.get("detail", [])]
    for metric in layer["metrics"]:
        metric["name"] = metrics[metric["name"]]
        for key in ("numerator", "denominator"):
            if key in metric:
                metric[key] = metrics[metric[key]]
        if metric.get("type") == "derived":
            metric["expr"] = metric_expr(metric["expr"])
    for funnel in layer.get("funnels", []):
        funnel["metric"], funnel["step"] = metrics[funnel["metric"]], dimension_ref(funnel["step"])
    for cohort in layer.get("cohorts", []):
        cohort["metric"], cohort["cohort"] = metrics[cohort["metric"]], dimension_ref(cohort["cohort"])
    for term in layer.get("terms", []):
        for flt in term.get("filters", []):
            flt["dimension"] = dimension_ref(flt["dimension"])
    for role in layer.get("roles", []):
        for key in ("deny_metrics",):
            role[key] = [metrics.get(m, m) for m in role.get(key, [])]
        if isinstance(role.get("metrics"), list):
            role["metrics"] = [metrics.get(m, m) for m in role["metrics"]]
    reading = layer["reading"]
    reading["best_selling"] = metrics[reading["best_selling"]]
    reading["ranked_item"] = dimension_ref(reading["ranked_item"])
    reading["profile"] = {
        "metric": metrics[reading["profile"]["metric"]],
        "dimensions": [dimension_ref(d) for d in reading["profile"]["dimensions"]],
    }
    reading["words"] = {word: metrics[name] for word, name in reading["words"].items()}
    reading["clarify"] = [metrics[name] for name in reading["clarify"]]
    return layer


@pytest.fixture(scope="module")
def pipelines(warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Pipeline, Pipeline]:
    layer, _ = load_layer(DEMO_SEMANTIC)
    document = renamed(layer.model_dump(mode="json", by_alias=True, exclude_defaults=True))
    folder = tmp_path_factory.mktemp("renamed")
    (folder / "layer.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    demo = Pipeline(db=warehouse_path, cache=None)
    other = Pipeline(db=warehouse_path, semantic=folder, cache=None)
    return demo, other


def test_the_renamed_layer_is_valid(pipelines: tuple[Pipeline, Pipeline]) -> None:
    _, other = pipelines
    assert other.layer.metric("m_gmv") is not None and other.layer.metric("gmv") is None


def test_every_dev_question_reads_the_same_under_other_names(pipelines: tuple[Pipeline, Pipeline]) -> None:
    demo, other = pipelines
    differences = []
    for item in load_benchmark(ROOT / "eval" / "benchmarks" / "dev.jsonl"):
        as_of = item.as_of or AS_OF
        a, b = demo.ask(item.question, as_of=as_of), other.ask(item.question, as_of=as_of)
        if a.status != b.status or not _same_rows([x.rows for x in a.answers], [x.rows for x in b.answers]):
            differences.append(f"{item.id} {item.question}: {a.status} vs {b.status}")
    assert differences == []


def _same_rows(a: Any, b: Any) -> bool:
    """Equal, floats to the last few bits: a mean of doubles (平均次月留存率) may be summed
    in another order by the engine's threads from one run to the next."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same_rows(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
