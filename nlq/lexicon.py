"""The words a question can use, built from the semantic layer (names,
labels, synonyms, value dictionaries, terms) and from the data (values of
dimensions marked `values_from_data`)."""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from nlq.semantic.model import SemanticLayer

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
            # on-sale and on sale, add-to-cart and add to cart: one word either way; and
            # any two of its words joined (repeat-purchase rate).
            spaced = entry.key.replace("-", " ")
            joined = [spaced[:i] + "-" + spaced[i + 1 :] for i, ch in enumerate(spaced) if ch == " "]
            for key in dict.fromkeys([entry.key, spaced, entry.key.replace(" ", "-"), *joined]):
                if key and entry not in self.by_key[key]:
                    self.by_key[key].append(entry)
        self.max_length = max((len(k) for k in self.by_key), default=0)

    @classmethod
    def from_layer(
        cls,
        layer: SemanticLayer,
        data_values: dict[str, list[str]] | None = None,
        spellings: Mapping[str, str] | None = None,
    ) -> Lexicon:
        """`spellings` are pinyin spellings of data values known beforehand (see
        `spellings`); the others are spelled here."""
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
        known = spellings or {}
        for dimension_name, values in (data_values or {}).items():
            entries += [Entry("value", dimension_name, value, "data", value) for value in values]
            spelled = {**_spelled(v for v in values if v not in known), **known}
            entries += [
                Entry("value", dimension_name, spelled[v], "alias", v) for v in values if v in spelled
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


def spellings(data_values: dict[str, list[str]]) -> dict[str, str]:
    """Shanghai for 上海, Huawei for 华为: English questions name Chinese places and
    brands in pinyin. Only short all-Chinese values, where the spelling is the name.
    Worth keeping with the values: pypinyin's dictionaries take half a second to load."""
    return _spelled(v for values in data_values.values() for v in values)


def _spelled(values: Iterable[str]) -> dict[str, str]:
    chinese = [v for v in values if 2 <= len(v) <= 4 and all("\u4e00" <= ch <= "\u9fff" for ch in v)]
    if not chinese:
        return {}
    from pypinyin import lazy_pinyin

    return {value: "".join(lazy_pinyin(value)) for value in chinese}


def _typed(value: str, kind: str) -> str | int | float:
    if kind != "number":
        return value
    try:
        return int(value)
    except ValueError:
        return float(value)
