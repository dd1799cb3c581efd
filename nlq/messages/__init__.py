"""Every sentence nlq says to a user, in both of its languages: one catalogue.

The sentences live as data in this package's YAML files, one file per part of nlq
(``engines.yaml`` holds the engines' errors, ``ui.yaml`` the chat page's words, ...);
a key is the file's name and the entry's name, ``engines.timeout``. Code never writes
a sentence or chooses between languages itself: it names a message and its values,
``Text("engines.timeout", seconds=30)``, and the message is worded in the reader's
language when it is shown. A value that is itself bilingual (a metric's label, another
``Text``) is worded in the same language as the sentence around it.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Protocol, runtime_checkable

import yaml

from nlq.language import Language

LANGUAGES: tuple[Language, ...] = ("zh", "en")


@runtime_checkable
class Bilingual(Protocol):
    """Anything worded in either language: a layer's ``Label``, a ``Text``."""

    def text(self, language: str) -> str: ...


class CatalogueError(KeyError):
    """A message named in code that the catalogue does not hold: a programming error."""


@cache
def catalogue() -> Mapping[str, Mapping[Language, str]]:
    """Every message, keyed ``file.name``, read once from the package's YAML files."""
    entries: dict[str, Mapping[Language, str]] = {}
    for source in sorted(resources.files(__package__).iterdir(), key=lambda f: f.name):
        if not source.name.endswith(".yaml"):
            continue
        part = source.name.removesuffix(".yaml")
        for name, wording in (yaml.safe_load(source.read_text(encoding="utf-8")) or {}).items():
            entries[f"{part}.{name}"] = {language: str(wording[language]) for language in LANGUAGES}
    return entries


def placeholders(template: str) -> set[str]:
    """The names a template fills in: ``{seconds}`` and ``{seconds:g}`` both give seconds."""
    return {
        field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template) if field
    }


class Text:
    """A message to be worded later, in whichever language the reader reads."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: object) -> None:
        if key not in catalogue():
            raise CatalogueError(f"no message '{key}' in nlq/messages")
        self.key = key
        self.params = params

    def text(self, language: str) -> str:
        chosen: Language = "zh" if language == "zh" else "en"
        values = {name: _worded(value, chosen) for name, value in self.params.items()}
        return catalogue()[self.key][chosen].format(**values)

    @property
    def en(self) -> str:
        return self.text("en")

    @property
    def zh(self) -> str:
        return self.text("zh")

    def __str__(self) -> str:
        return self.en

    def __repr__(self) -> str:
        return f"Text({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.key, self.params) == (other.key, other.params)

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))


class WordedError(Exception):
    """An error a user reads: its reason is a catalogue message, worded in the reader's
    language when it is shown (`message`), in English in logs and tracebacks."""

    def __init__(self, reason: Text) -> None:
        self.reason = reason
        super().__init__(reason.en)

    @property
    def en(self) -> str:
        return self.reason.en

    @property
    def zh(self) -> str:
        return self.reason.zh

    def message(self, language: str) -> str:
        return self.reason.text(language)


def say(key: str, language: str, /, **params: object) -> str:
    """The message `key` worded in `language` now."""
    return Text(key, **params).text(language)


def listed(items: Iterable[object], language: str) -> str:
    """Items written as a list in `language`: 天猫、京东 / Tmall, JD."""
    return say("grammar.list_separator", language).join(str(_worded(item, language)) for item in items)


def _worded(value: object, language: str) -> object:
    if isinstance(value, Bilingual) and not isinstance(value, type):
        return value.text(language)
    return value
