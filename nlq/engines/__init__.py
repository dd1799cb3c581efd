"""Engines nlq can query, chosen by URL:

| URL | engine |
|---|---|
| `duckdb:///path.duckdb` or a bare path | DuckDB (the default, embedded) |
| `postgresql://user:pass@host:5432/db` | PostgreSQL (psycopg 3) |
| `mysql://user:pass@host:3306/db` | MySQL and MariaDB (PyMySQL) |
| `clickhouse://user:pass@host:8123/db` | a ClickHouse server (clickhouse-connect) |
| `chdb:///path/to/dir` | embedded ClickHouse (chDB) |
| `spark://local[*]?warehouse=DIR`, `spark://host:7077`, `sc://host:15002` | Spark SQL (PySpark) |

Each is one module declaring its `Engine` record (see nlq.engines.engine).
"""

from __future__ import annotations

from pathlib import Path

from nlq.engines.base import Connector, ConnectorError, QueryResult, TableInfo
from nlq.engines.engine import Engine, engine_for, engines, register, rewrite

__all__ = [
    "Connector",
    "ConnectorError",
    "Engine",
    "QueryResult",
    "TableInfo",
    "engine_for",
    "engine_of",
    "engines",
    "open_connector",
    "register",
    "rewrite",
]


def engine_of(url: str | Path) -> str:
    """The name of the engine a URL names (duckdb, postgres, mysql, clickhouse, chdb, spark, ...)."""
    return engine_for(url).name


def open_connector(url: str | Path) -> Connector:
    return engine_for(url).connect(str(url))
