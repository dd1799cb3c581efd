"""The one small interface every engine implements: run a read-only query with a
row cap and a timeout, and name the sqlglot dialect to compile for."""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass, field
from typing import Any, Protocol


class ConnectorError(Exception):
    """An engine error translated into a message a user can act on."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    column_types: list[str] = field(default_factory=list)

    def json_rows(self) -> list[list[Any]]:
        """Rows with values as JSON numbers, strings or null (dates as ISO strings)."""
        return [[json_value(v) for v in row] for row in self.rows]


def json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN has no JSON form
    if isinstance(value, decimal.Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent == 0
            else float(value)
        )
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class Connector(Protocol):
    dialect: str

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult: ...

    def tables(self) -> dict[str, dict[str, str]]:
        """Catalog: table -> column -> type name."""
        ...

    def data_version(self) -> str | None:
        """Changes whenever the data may have: cached results of an older version
        are not served. None when the engine cannot tell (results then expire)."""
        ...

    def close(self) -> None: ...
