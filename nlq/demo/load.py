"""`nlq demo load --db URL`: copies the demo warehouse from its DuckDB file into
another engine, in bulk, through the engine's own loader (`Engine.load`: COPY on
PostgreSQL, LOAD DATA on MySQL/MariaDB, Parquet files on chDB and Spark). Tables
keep the contract's types, their primary keys and the demo catalog's descriptions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from sqlglot import exp

from nlq.engines import ConnectorError, engine_for
from nlq.engines.bulk import SourceTable
from nlq.messages import Text


@dataclass
class LoadReport:
    url: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return f"loaded {self.url} in {self.seconds:.1f} s: {counts}"


def read_source(path: Path) -> list[SourceTable]:
    """Every table of the demo warehouse (not its build stamp), as Arrow."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        from nlq.engines.duckdb import DuckDBConnector

        infos = DuckDBConnector.catalog_of(con)
        tables = []
        for info in infos:
            if info.name.startswith("_"):
                continue
            data = con.sql(exp.select("*").from_(exp.to_table(info.name)).sql("duckdb")).to_arrow_table()
            tables.append(
                SourceTable(
                    info.name,
                    list(info.columns.items()),
                    info.primary_key,
                    data,
                    _comments(info.name, list(info.columns)),
                )
            )
        return tables
    finally:
        con.close()


def load_demo(url: str, source: Path) -> LoadReport:
    engine = engine_for(url)
    if engine.load is None:
        raise ConnectorError(Text("engines.demo_load_unsupported", engine=engine.name), kind="missing")
    started = time.perf_counter()
    tables = read_source(source)
    report = LoadReport(url)
    engine.load(url, tables)
    report.rows = {t.name: t.data.num_rows for t in tables}
    report.seconds = time.perf_counter() - started
    return report


def _comments(table: str, columns: list[str]) -> dict[str | None, str]:
    """The demo catalog's descriptions of a table (key None) and its columns."""
    from nlq.demo.catalog import COLUMN_COMMENTS, TABLE_COMMENTS

    found: dict[str | None, str] = {}
    if table in TABLE_COMMENTS:
        found[None] = TABLE_COMMENTS[table]
    prefix = f"{table}."
    found.update(
        {name.removeprefix(prefix): text for name, text in COLUMN_COMMENTS.items() if name.startswith(prefix)}
    )
    return found
