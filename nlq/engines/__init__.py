"""Engines nlq can query, chosen by URL:

| URL | engine |
|---|---|
| `duckdb:///path.duckdb` or a bare path | DuckDB (the default, embedded) |
| `postgresql://user:pass@host:5432/db` | PostgreSQL (psycopg 3) |
| `mysql://user:pass@host:3306/db` | MySQL and MariaDB (PyMySQL) |
| `clickhouse://user:pass@host:8123/db` | a ClickHouse server (clickhouse-connect) |
| `chdb:///path/to/dir` | embedded ClickHouse (chDB) |
| `spark://local[*]?warehouse=DIR`, `spark://host:7077`, `sc://host:15002` | Spark SQL (PySpark) |
"""

from __future__ import annotations

from pathlib import Path

from nlq.engines.base import Connector, ConnectorError, QueryResult, TableInfo

__all__ = ["Connector", "ConnectorError", "QueryResult", "TableInfo", "engine_of", "open_connector"]

SCHEMES = {
    "duckdb": "duckdb",
    "postgresql": "postgres",
    "postgres": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "clickhouse": "clickhouse",
    "clickhouses": "clickhouse",
    "chdb": "chdb",
    "spark": "spark",
    "sc": "spark",
}


def engine_of(url: str | Path) -> str:
    """The engine a URL names: duckdb, postgres, mysql, clickhouse, chdb or spark."""
    text = str(url)
    if "://" not in text:
        return "duckdb"
    scheme = text.split("://", 1)[0].lower()
    if scheme not in SCHEMES:
        known = ", ".join(sorted(SCHEMES))
        raise ConnectorError(
            f"unsupported database URL scheme: {scheme} (known: {known})",
            f"不支持的数据库地址类型：{scheme}（支持：{known}）",
            kind="missing",
        )
    return SCHEMES[scheme]


def open_connector(url: str | Path) -> Connector:
    text = str(url)
    engine = engine_of(text)
    if engine == "postgres":
        from nlq.engines.postgres import PostgresConnector

        return PostgresConnector(text)
    if engine == "mysql":
        from nlq.engines.mysql import MySQLConnector

        return MySQLConnector(text)
    if engine == "clickhouse":
        from nlq.engines.clickhouse import ClickHouseConnector

        return ClickHouseConnector(text)
    if engine == "chdb":
        from nlq.engines.clickhouse import ChDBConnector

        return ChDBConnector(text)
    if engine == "spark":
        from nlq.engines.spark import SparkConnector

        return SparkConnector(text)
    from nlq.engines.duckdb import DuckDBConnector

    return DuckDBConnector(text.removeprefix("duckdb://"))
