"""Runs semantic queries end to end: compile with the role's policies,
transpile to the engine's dialect, execute read-only, shape the answer."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from connectors import Connector, open_connector
from nlq.answer import AnswerBlock, Chart
from semantic_layer.compiler import CompiledQuery, Compiler
from semantic_layer.loader import load_cached
from semantic_layer.model import SemanticLayer
from semantic_layer.query import SemanticQuery

DEMO_DB = Path("data/demo.duckdb")
DEMO_SEMANTIC = Path(__file__).parent / "demo" / "semantic"
MAX_ROWS = 10_000
TIMEOUT_S = 60.0


def ensure_demo(db: str | Path | None) -> str | Path:
    """The database to use: the one given, or the demo warehouse, built if missing."""
    if db is not None:
        return db
    if not DEMO_DB.exists():
        from nlq.demo.warehouse import build_warehouse

        build_warehouse(DEMO_DB)
    return DEMO_DB


class Pipeline:
    def __init__(
        self,
        *,
        db: str | Path | None = None,
        semantic: str | Path | None = None,
        role: str | None = "analyst",
        attributes: dict[str, Any] | None = None,
    ) -> None:
        self.layer: SemanticLayer = load_cached(semantic or DEMO_SEMANTIC)
        self.connector: Connector = open_connector(ensure_demo(db))
        self.compiler = Compiler(self.layer, role=role, attributes=attributes, dialect=self.connector.dialect)

    def compile(self, query: SemanticQuery) -> CompiledQuery:
        return self.compiler.compile(query)

    def run(self, query: SemanticQuery, *, title: str = "") -> tuple[AnswerBlock, dict[str, float]]:
        started = time.perf_counter()
        compiled = self.compile(query)
        sql = compiled.sql()
        compiled_at = time.perf_counter()
        result = self.connector.execute(sql, max_rows=MAX_ROWS, timeout_s=TIMEOUT_S)
        done = time.perf_counter()
        block = AnswerBlock(
            title=title, sql=sql, columns=result.columns, rows=result.json_rows(), chart=Chart(type="table")
        )
        timings = {"compile": (compiled_at - started) * 1000, "execute": (done - compiled_at) * 1000}
        return block, timings

    def close(self) -> None:
        self.connector.close()
