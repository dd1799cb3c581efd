"""DuckDB, the embedded default engine. Opened read-only with external access
disabled: nlq never writes to the warehouse and a query cannot read files."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb

from connectors.base import ConnectorError, QueryResult


class DuckDBConnector:
    dialect = "duckdb"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise ConnectorError(f"DuckDB file not found: {self.path}")
        try:
            self._con = duckdb.connect(
                str(self.path), read_only=True, config={"enable_external_access": False}
            )
        except duckdb.Error as exc:
            raise ConnectorError(f"cannot open DuckDB file {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        with self._lock:
            cursor = self._con.cursor()
            timer = threading.Timer(timeout_s, cursor.interrupt) if timeout_s else None
            try:
                if timer:
                    timer.start()
                cursor.execute(sql)
                columns = [d[0] for d in cursor.description or []]
                types = [str(d[1]) for d in cursor.description or []]
                rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
            except duckdb.InterruptException as exc:
                raise ConnectorError(f"query timed out after {timeout_s:g} s") from exc
            except duckdb.Error as exc:
                raise ConnectorError(str(exc).splitlines()[0]) from exc
            finally:
                if timer:
                    timer.cancel()
                cursor.close()
        truncated = max_rows is not None and len(rows) > max_rows
        rows = rows[:max_rows] if truncated else rows
        return QueryResult(columns, [list(r) for r in rows], truncated, types)

    def tables(self) -> dict[str, dict[str, str]]:
        result = self.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
        )
        catalog: dict[str, dict[str, str]] = {}
        for table, column, dtype in result.rows:
            catalog.setdefault(table, {})[column] = dtype
        return catalog

    def data_version(self) -> str | None:
        # A checkpoint or a write by another process changes the file (and its WAL).
        parts = []
        for file in (self.path, self.path.with_name(self.path.name + ".wal")):
            if file.exists():
                stat = file.stat()
                parts.append(f"{stat.st_mtime_ns}:{stat.st_size}")
        return "/".join(parts)

    def close(self) -> None:
        self._con.close()
