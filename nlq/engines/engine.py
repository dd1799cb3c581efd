"""Engines as data. An engine is one record: the URL schemes that name it, the
sqlglot dialect nlq compiles for it, how to connect, the rewrites its dialect needs
and how to bulk-load a warehouse into it. Each module of nlq.engines that defines
`ENGINES` (a tuple of records) is an engine nlq knows; an engine written elsewhere
(a plugin, a test) is added with `register`. Nothing else in nlq names an engine:
adding one is its module and its tests."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

from nlq.engines.base import Connector, ConnectorError
from nlq.messages import Text

if TYPE_CHECKING:
    from nlq.engines.bulk import SourceTable

# A node transform applied to every query for the engine (tree.transform(rewrite)).
Rewrite = Callable[[exp.Expr], exp.Expr]
# Copies tables into the database a URL names, creating it when missing.
Loader = Callable[[str, "list[SourceTable]"], None]


@dataclass(frozen=True)
class Engine:
    name: str
    schemes: tuple[str, ...]
    dialect: str
    connect: Callable[[str], Connector]
    rewrites: tuple[Rewrite, ...] = ()
    load: Loader | None = None
    # The engine of a URL without a scheme (a file path): DuckDB.
    bare_path: bool = False


_registered: dict[str, Engine] = {}
_discovered = False
_lock = threading.Lock()


def register(engine: Engine) -> None:
    """Adds an engine (or replaces the one of the same name)."""
    with _lock:
        _registered[engine.name] = engine


def unregister(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def engines() -> list[Engine]:
    """Every engine: nlq.engines' own modules, then those registered."""
    global _discovered
    if not _discovered:
        import nlq.engines as package

        found: list[Engine] = []
        for module in pkgutil.iter_modules(package.__path__):
            found += getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "ENGINES", ())
        with _lock:
            for engine in found:
                _registered.setdefault(engine.name, engine)
            _discovered = True
    with _lock:
        return list(_registered.values())


def engine_for(url: str | Path) -> Engine:
    """The engine a URL names; a bare path is a DuckDB file."""
    text = str(url)
    found = engines()
    if "://" not in text:
        return next(e for e in found if e.bare_path)
    scheme = text.split("://", 1)[0].lower()
    for engine in found:
        if scheme in engine.schemes:
            return engine
    known = ", ".join(sorted(s for e in found for s in e.schemes))
    raise ConnectorError(Text("engines.unsupported_scheme", scheme=scheme, known=known), kind="missing")


def rewrite(tree: exp.Expr, dialect: str) -> exp.Expr:
    """`tree` with the rewrites of the engine that speaks `dialect` (none for others)."""
    for engine in engines():
        if engine.dialect == dialect:
            for step in engine.rewrites:
                tree = tree.transform(step)
            return tree
    return tree
