"""The words a question can use, built from the semantic layer (names,
labels, synonyms, value dictionaries, terms) and from the data (values of
dimensions marked `values_from_data`)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from semantic_layer.model import SemanticLayer

Kind = Literal["metric", "dimension", "value", "term"]
Source = Literal["name", "label", "synonym", "value", "alias", "data"]


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, one space between words."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class Entry:
    kind: Kind
    target: str  # metric, dimension or term name
    surface: str  # the word as written in the layer or the data
    source: Source
    value: str | int | float | None = None  # the stored value, for kind == "value"

    @property
    def key(self) -> str:
        return normalise(self.surface)


class Lexicon:
    def __init__(self, entries: Iterable[Entry]) -> None:
        self.by_key: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            if entry.key and entry not in self.by_key[entry.key]:
                self.by_key[entry.key].append(entry)
        self.max_length = max((len(k) for k in self.by_key), default=0)

    @classmethod
    def from_layer(cls, layer: SemanticLayer, data_values: dict[str, list[str]] | None = None) -> Lexicon:
        entries: list[Entry] = []
        for metric in layer.metrics:
            entries += _named("metric", metric.name, metric.label.zh, metric.label.en, metric.synonyms)
        for model in layer.models:
            for dimension in model.dimensions:
                entries += _named(
                    "dimension", dimension.name, dimension.label.zh, dimension.label.en, dimension.synonyms
                )
                for value, aliases in dimension.values.items():
                    stored: str | int | float = _typed(value, dimension.type)
                    # A bare number ("5" stars) is far more often a count or a top-N than this value.
                    if not value.isdigit():
                        entries.append(Entry("value", dimension.name, value, "value", stored))
                    entries += [Entry("value", dimension.name, alias, "alias", stored) for alias in aliases]
        for term in layer.terms:
            entries += _named("term", term.name, term.label.zh, term.label.en, term.synonyms)
        for dimension_name, values in (data_values or {}).items():
            entries += [Entry("value", dimension_name, value, "data", value) for value in values]
            entries += [
                Entry("value", dimension_name, spelled, "alias", value)
                for value in values
                if (spelled := _romanised(value))
            ]
        return cls(entries)

    def lookup(self, text: str) -> list[Entry]:
        return self.by_key.get(normalise(text), [])

    def words(self) -> list[str]:
        """Every surface, for the segmenter's user dictionary."""
        return sorted({e.surface for entries in self.by_key.values() for e in entries})


def _named(kind: Kind, name: str, zh: str, en: str, synonyms: list[str]) -> list[Entry]:
    entries = [
        Entry(kind, name, name, "name"),
        Entry(kind, name, zh, "label"),
        Entry(kind, name, en, "label"),
    ]
    return entries + [Entry(kind, name, s, "synonym") for s in synonyms]


def _romanised(value: str) -> str | None:
    """Shanghai for 上海, Huawei for 华为: English questions name Chinese places and
    brands in pinyin. Only short all-Chinese values, where the spelling is the name."""
    if not 2 <= len(value) <= 4 or not all("\u4e00" <= ch <= "\u9fff" for ch in value):
        return None
    from pypinyin import lazy_pinyin  # half a second of dictionaries: only questions pay for it

    return "".join(lazy_pinyin(value))


def _typed(value: str, kind: str) -> str | int | float:
    if kind != "number":
        return value
    try:
        return int(value)
    except ValueError:
        return float(value)
