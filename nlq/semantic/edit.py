"""Changes to the semantic layer made as YAML edits: a synonym of a metric,
dimension or term, or an alias of a dimension value, written into the layer's
files with their comments, anchors and flow style kept (ruamel.yaml round
trip), so that the change reads as a small diff in review.

The files stay the source of truth: a change is written to a copy of the layer
first (`propose_copy`), checked there, and only then copied over the real files
(`save`)."""

from __future__ import annotations

import difflib
import io
import shutil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from ruamel.yaml import YAML

from nlq.semantic.loader import layer_files

ChangeKind = Literal["value_alias", "dimension_synonym", "metric_synonym", "term_synonym"]


class EditError(Exception):
    """The change cannot be written: its target is not in the layer's files."""


class LayerChange(BaseModel):
    """Add `word` as another way to say `target` (for a value alias: the value
    `value` of dimension `target`)."""

    kind: ChangeKind
    target: str
    word: str
    value: str | None = None


def _yaml() -> YAML:
    yaml = YAML()  # round trip: comments, anchors, key order and flow style survive
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long flow list
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def copy_layer(source: Path, destination: Path) -> Path:
    """A copy of the layer (a folder of YAML files, or one file) inside
    `destination`; returns the path to load it from."""
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_file():
        target = destination / source.name
        shutil.copy2(source, target)
        return target
    target = destination / source.name
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def apply_change(layer: Path, change: LayerChange) -> list[Path]:
    """Writes `change` into the layer's files at `layer`; returns the files changed."""
    changed: list[Path] = []
    yaml = _yaml()
    for path in layer_files(layer):
        document = yaml.load(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict):
            continue
        if _apply(document, change):
            buffer = io.StringIO()
            yaml.dump(document, buffer)
            path.write_text(buffer.getvalue(), encoding="utf-8")
            changed.append(path)
    if not changed:
        where = f"{change.target}={change.value}" if change.value is not None else change.target
        raise EditError(f"{change.kind}: '{where}' is not in the layer at {layer}")
    return changed


def _apply(document: dict[str, Any], change: LayerChange) -> bool:
    # Lists shared through a YAML anchor (&channels) are one object: add once.
    seen: set[int] = set()
    done = False

    def add(items: Any) -> None:
        nonlocal done
        if id(items) in seen:
            done = True
            return
        seen.add(id(items))
        if change.word not in items:
            items.append(change.word)
        done = True

    if change.kind in {"value_alias", "dimension_synonym"}:
        for model in document.get("models") or []:
            for dimension in model.get("dimensions") or []:
                if dimension.get("name") != change.target:
                    continue
                if change.kind == "dimension_synonym":
                    _ensure_list(dimension, "synonyms")
                    add(dimension["synonyms"])
                    continue
                values = dimension.get("values")
                if values is None and dimension.get("values_from_data"):
                    dimension["values"] = values = {}
                if values is None or change.value is None:
                    continue
                if change.value not in values or values[change.value] is None:
                    values[change.value] = []
                add(values[change.value])
    else:
        section = "metrics" if change.kind == "metric_synonym" else "terms"
        for item in document.get(section) or []:
            if item.get("name") == change.target:
                _ensure_list(item, "synonyms")
                add(item["synonyms"])
    return done


def _ensure_list(item: Any, key: str) -> None:
    if item.get(key) is None:
        item[key] = []


def diff(old: Path, new: Path) -> str:
    """The unified diff between two copies of a layer, paths relative to each."""
    old_files = {f.relative_to(old if old.is_dir() else old.parent): f for f in layer_files(old)}
    new_files = {f.relative_to(new if new.is_dir() else new.parent): f for f in layer_files(new)}
    chunks: list[str] = []
    for name in sorted(set(old_files) | set(new_files)):
        before = (
            old_files[name].read_text(encoding="utf-8").splitlines(keepends=True) if name in old_files else []
        )
        after = (
            new_files[name].read_text(encoding="utf-8").splitlines(keepends=True) if name in new_files else []
        )
        chunks += difflib.unified_diff(before, after, f"a/{name}", f"b/{name}")
    return "".join(chunks)


def save(proposed: Path, layer: Path) -> list[Path]:
    """Copies the files of the proposed layer that differ over the real ones."""
    written: list[Path] = []
    base = proposed if proposed.is_dir() else proposed.parent
    target_base = layer if layer.is_dir() else layer.parent
    for source in layer_files(proposed):
        target = target_base / source.relative_to(base)
        if not target.exists() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
            written.append(target)
    return written
