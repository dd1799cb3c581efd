"""What can be asked: the metrics with their 口径 and the dimensions with their
values, as a searchable list for the UI's sidebar (and any other front end)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from nlq.lexicon import normalise
from nlq.messages import Text, say
from nlq.semantic.model import SemanticLayer

Language = Literal["zh", "en"]
# Yuan is written as its word in Chinese (元), by the layer's own symbol in English.
YUAN = {
    "¥": "catalogue.yuan_sign",
    "￥": "catalogue.yuan_fullwidth_sign",
    "CNY": "catalogue.yuan_cny",
    "RMB": "catalogue.yuan_rmb",
}


class CatalogueEntry(BaseModel):
    kind: Literal["metric", "dimension", "time"]
    name: str
    label: str
    definition: str = ""  # a metric's 口径, a dimension's description
    synonyms: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)  # a dimension's named values
    value_words: list[str] = Field(default_factory=list)  # their synonyms: found by search, not shown
    model: str = ""
    unit: str = ""

    def text(self) -> str:
        """Everything a search may match."""
        words = [self.name, self.label, self.definition, *self.synonyms, *self.values, *self.value_words]
        return normalise(" ".join([*words, self.model]))


def _unit(symbol: str) -> Text | str:
    """金额（元）: yuan is written as its word in Chinese; other currencies by their symbol."""
    return Text(YUAN[symbol]) if symbol in YUAN else symbol


def catalogue(layer: SemanticLayer, language: Language, role: str | None = None) -> list[CatalogueEntry]:
    """Metrics first, then dimensions and time dimensions, in the layer's order;
    what the role may not use is left out."""
    access = layer.role(role) if role else None
    denied = set(access.deny_metrics) if access else set()
    allowed = access.metrics if access else "*"
    hidden = set(access.hidden) if access else set()
    entries: list[CatalogueEntry] = []
    for metric in layer.metrics:
        if metric.name in denied or (allowed != "*" and metric.name not in allowed):
            continue
        entries.append(
            CatalogueEntry(
                kind="metric",
                name=metric.name,
                label=metric.label.text(language),
                definition=metric.description,
                synonyms=list(metric.synonyms),
                unit=say(
                    f"catalogue.unit_{metric.format}", language, unit=_unit(layer.currency_of(metric.name))
                ),
            )
        )
    seen: set[str] = set()
    for model in layer.models:
        if access is not None and access.models != "*" and model.name not in access.models:
            continue
        model_label = model.label.text(language)
        for dimension in model.dimensions:
            # A conformed dimension (channel on orders and events) is one concept: listed once.
            if dimension.name in seen or f"{model.name}.{dimension.name}" in hidden:
                continue
            seen.add(dimension.name)
            entries.append(
                CatalogueEntry(
                    kind="dimension",
                    name=dimension.name,
                    label=dimension.label.text(language),
                    definition=dimension.description,
                    synonyms=list(dimension.synonyms),
                    values=list(dimension.values),
                    value_words=[w for words in dimension.values.values() for w in words],
                    model=model_label,
                )
            )
        for time in model.time_dimensions:
            if time.name in seen:
                continue
            seen.add(time.name)
            entries.append(
                CatalogueEntry(
                    kind="time",
                    name=time.name,
                    label=time.label.text(language),
                    definition=time.description,
                    synonyms=list(time.synonyms),
                    model=model_label,
                )
            )
    return entries


def search(entries: list[CatalogueEntry], query: str) -> list[CatalogueEntry]:
    """Entries matching every word of the query (in name, label, 口径, synonyms or values)."""
    words = normalise(query).split()
    return [e for e in entries if all(w in e.text() for w in words)]
