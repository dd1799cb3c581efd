"""Engines nlq can query, chosen by URL."""

from __future__ import annotations

from pathlib import Path

from connectors.base import Connector, ConnectorError, QueryResult

__all__ = ["Connector", "ConnectorError", "QueryResult", "open_connector"]


def open_connector(url: str | Path) -> Connector:
    """`duckdb:///path.duckdb`, or a bare path to a DuckDB file."""
    text = str(url)
    if text.startswith("duckdb://"):
        text = text.removeprefix("duckdb://")
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ConnectorError(f"unsupported database URL scheme: {scheme}")
    from connectors.duckdb import DuckDBConnector

    return DuckDBConnector(text)
