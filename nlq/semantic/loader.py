"""Reads a semantic layer from YAML files, remembering where every value was
written so that each problem can name its file and line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nlq.semantic.model import METRIC_TYPES, SemanticLayer

Path_ = tuple[str | int, ...]
SECTIONS = ("models", "relationships", "metrics", "terms", "funnels", "cohorts", "roles", "users")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f" -> {self.fix}" if self.fix else ""
        return f"{self.file}:{self.line}: {self.message}{fix}"


class LayerError(Exception):
    """The layer cannot be loaded: every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class SourceMap:
    """Where each element of the merged document was written."""

    locations: dict[Path_, tuple[str, int]] = field(default_factory=dict)

    def locate(self, path: Iterable[str | int]) -> tuple[str, int]:
        key = tuple(path)
        while key:
            if key in self.locations:
                return self.locations[key]
            key = key[:-1]
        return self.locations.get((), ("<semantic layer>", 0))

    def problem(self, path: Iterable[str | int], message: str, fix: str = "") -> Problem:
        file, line = self.locate(path)
        return Problem(file, line, message, fix)


# libyaml's parser where PyYAML was built with it (the wheels are): the same nodes and
# marks, several times faster than the pure-Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def layer_files(path: Path) -> list[Path]:
    """The YAML files of a layer (a folder or one file); LayerError when there are none."""
    if not path.exists():
        raise LayerError(
            [
                Problem(
                    str(path),
                    0,
                    "no semantic layer here",
                    "pass a layer folder or YAML file (nlq semantic init drafts one)",
                )
            ]
        )
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"})
        if not found:
            raise LayerError([Problem(str(path), 0, "the folder holds no .yaml file of a layer")])
        return found
    return [path]


def _record(node: yaml.Node, path: Path_, file: str, source: SourceMap) -> Any:
    """Converts a composed YAML node to Python data, recording each node's line."""
    source.locations.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        data: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            data[key] = _record(value_node, (*path, str(key)), file, source)
        return data
    if isinstance(node, yaml.SequenceNode):
        return [_record(item, (*path, i), file, source) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # A constructor holds no state between scalars once it has built one: a fresh one
    # each time (not a whole loader) costs nothing and stays safe across threads.
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def read_documents(path: Path) -> tuple[dict[str, Any], SourceMap, list[Problem]]:
    """Merges the sections of every YAML file under `path` into one document."""
    merged: dict[str, Any] = {}
    source = SourceMap()
    problems: list[Problem] = []
    files = layer_files(path)
    if not files:
        return (
            merged,
            source,
            [
                Problem(
                    str(path), 0, "no semantic layer files found", "point to a .yaml file or a folder of them"
                )
            ],
        )
    source.locations[()] = (str(files[0]), 1)
    for file in files:
        name = str(file)
        try:
            node = yaml.compose(file.read_text(encoding="utf-8"), Loader=_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark else 0
            problems.append(
                Problem(name, line, f"not valid YAML: {getattr(exc, 'problem', exc)}", "fix the YAML syntax")
            )
            continue
        if node is None:
            continue
        if not isinstance(node, yaml.MappingNode):
            problems.append(
                Problem(
                    name,
                    node.start_mark.line + 1,
                    "a layer file must be a mapping",
                    f"use top-level keys {', '.join(SECTIONS)}",
                )
            )
            continue
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            if key in SECTIONS:
                if not isinstance(value_node, yaml.SequenceNode):
                    problems.append(
                        Problem(
                            name,
                            value_node.start_mark.line + 1,
                            f"'{key}' must be a list",
                            f"write '{key}:' followed by '- ' items",
                        )
                    )
                    continue
                items = merged.setdefault(key, [])
                offset = len(items)
                source.locations.setdefault((key,), (name, key_node.start_mark.line + 1))
                for i, item in enumerate(value_node.value):
                    items.append(_record(item, (key, offset + i), name, source))
            else:
                merged[key] = _record(value_node, (key,), name, source)
    return merged, source, problems


def _pydantic_problems(error: ValidationError, source: SourceMap) -> list[Problem]:
    problems = []
    for item in error.errors():
        # Discriminated unions add the tag as a path element; it is not in the YAML.
        loc = [p for p in item["loc"] if not (isinstance(p, str) and p in METRIC_TYPES)]
        where = ".".join(str(p) for p in loc)
        message = item["msg"].removeprefix("Value error, ")
        fix = {
            "missing": "add this field",
            "extra_forbidden": "remove it or check its spelling",
            "literal_error": "use one of the allowed values",
            "union_tag_invalid": "set type to simple, ratio, derived, per_entity or semi_additive",
        }.get(item["type"], "")
        problems.append(source.problem(loc, f"{where}: {message}", fix))
    return problems


def load_layer(path: str | Path) -> tuple[SemanticLayer, SourceMap]:
    """Loads and type-checks a layer; raises LayerError with every problem found."""
    document, source, problems = read_documents(Path(path))
    if problems:
        raise LayerError(problems)
    try:
        layer = SemanticLayer.model_validate(document)
    except ValidationError as exc:
        raise LayerError(_pydantic_problems(exc, source)) from None
    return layer, source


@lru_cache(maxsize=8)
def _cached(path: str, stamp: tuple[tuple[str, float], ...]) -> SemanticLayer:
    return load_layer(path)[0]


def load_cached(path: str | Path) -> SemanticLayer:
    """A loaded layer, reused until one of its files changes."""
    files = layer_files(Path(path))
    stamp = tuple((str(f), f.stat().st_mtime) for f in files)
    return _cached(str(path), stamp)
