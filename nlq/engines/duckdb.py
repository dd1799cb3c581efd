"""DuckDB, the embedded default engine. Opened read-only with external access
disabled: nlq never writes to the warehouse and a query cannot read files."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import duckdb

from nlq.engines.base import (
    ConnectorError,
    QueryResult,
    TableInfo,
    assemble_tables,
    query_failed,
    timeout_error,
)
from nlq.engines.engine import Engine
from nlq.engines.watchdog import Watchdog
from nlq.messages import Text

# DuckDB's compressed materialization narrows join keys (orders.order_id to INTEGER)
# behind a cast, and the join's key range then no longer reaches the probe side's
# scan: a campaign's orders joined to their items read all 122 row groups of
# order_items at scale 30 instead of 4 (40-70 ms against 4-15 ms for a hundred dev
# questions; 10% less engine time over all of them, a few small ones up to 1.2x slower).
#
# What one process may spend on queries: a statement that would grow past it (a recursive
# s || s, a cross join) fails with its own error instead of taking the machine, and the
# next question runs. NLQ_DUCKDB_MEMORY / NLQ_DUCKDB_TEMP / NLQ_DUCKDB_THREADS set other limits. Every
# connection to a file must use the same settings (DuckDB refuses a second one otherwise).
SETTINGS: dict[str, str | bool] = {
    "enable_external_access": False,
    "disabled_optimizers": "compressed_materialization",
    "memory_limit": os.environ.get("NLQ_DUCKDB_MEMORY", "4GB"),
    "max_temp_directory_size": os.environ.get("NLQ_DUCKDB_TEMP", "2GB"),
    "threads": os.environ.get("NLQ_DUCKDB_THREADS", str(os.cpu_count() or 1)),
}
# How long a question that failed for memory waits before each further try.
MEMORY_RETRY_WAITS_S = (0.5, 1.5)


class DuckDBConnector:
    dialect = "duckdb"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ConnectorError(Text("engines.duckdb_file_missing", path=self.path), kind="missing")
        self._lock = threading.Lock()
        self._con = self._open()
        self._watchdog = Watchdog()

    def _open(self) -> duckdb.DuckDBPyConnection:
        try:
            return duckdb.connect(str(self.path), read_only=True, config=dict(SETTINGS))
        except duckdb.Error as exc:
            raise ConnectorError(
                Text("engines.duckdb_cannot_open", path=self.path, detail=exc), kind="unreachable"
            ) from exc

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        # The memory limit is the database's, shared by the questions running side by
        # side: one that fails for memory while a neighbour holds it all (a runaway
        # statement, stopped at the limit) gets another try once that has let go.
        for wait_s in MEMORY_RETRY_WAITS_S:
            try:
                return self._execute(sql, max_rows, timeout_s)
            except duckdb.OutOfMemoryException:
                time.sleep(wait_s)
        try:
            return self._execute(sql, max_rows, timeout_s)
        except duckdb.OutOfMemoryException as exc:
            raise query_failed(str(exc)) from exc

    def _execute(self, sql: str, max_rows: int | None, timeout_s: float | None) -> QueryResult:
        # A cursor per question: questions run side by side, none waits behind a slow one.
        with self._lock:
            con = self._con
        cursor = con.cursor()
        try:
            with self._watchdog.watch(timeout_s, cursor.interrupt):
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description or []]
                types = [str(d[1]) for d in cursor.description or []]
                rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except duckdb.InterruptException as exc:
            raise timeout_error(timeout_s) from exc
        except duckdb.OutOfMemoryException:
            raise
        except duckdb.FatalException as exc:
            # The database is unusable after a fatal error: the next question gets a
            # fresh one (the file is read-only, nothing is lost).
            self._reopen(con)
            raise query_failed(str(exc)) from exc
        except duckdb.Error as exc:
            if "invalidated" in str(exc):
                self._reopen(con)
            raise query_failed(str(exc)) from exc
        finally:
            cursor.close()
        return QueryResult.capped(columns, rows, max_rows, types)

    def _reopen(self, broken: duckdb.DuckDBPyConnection) -> None:
        with self._lock:
            if self._con is not broken:
                return  # another question reopened it already
            self._con = self._open()
        with contextlib.suppress(duckdb.Error):
            broken.close()

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        with self._lock:
            con = self._con
        cursor = con.cursor()
        try:
            return self.catalog_of(cursor)
        finally:
            cursor.close()

    @staticmethod
    def catalog_of(con: duckdb.DuckDBPyConnection) -> list[TableInfo]:
        columns = con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        ).fetchall()
        constraints = con.execute(
            "SELECT table_name, constraint_type, constraint_column_names, referenced_table, "
            "referenced_column_names FROM duckdb_constraints() "
            "WHERE schema_name = 'main' AND constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')"
        ).fetchall()
        keys: list[list[Any]] = []
        for table, kind, names, ref_table, ref_names in constraints:
            for i, name in enumerate(names):
                keys.append([table, kind, name, ref_table, ref_names[i] if ref_names else None])
        return assemble_tables([list(r) for r in columns], keys)

    def data_version(self) -> str | None:
        # A checkpoint or a write by another process changes the file (and its WAL).
        parts = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            if file.exists():
                stat = file.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        return "/".join(parts)

    def close(self) -> None:
        self._watchdog.close()
        self._con.close()


ENGINES = (
    Engine(
        name="duckdb",
        schemes=("duckdb",),
        dialect="duckdb",
        connect=lambda url: DuckDBConnector(url.removeprefix("duckdb://")),
        bare_path=True,
    ),
)
