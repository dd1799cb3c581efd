"""The one small interface every engine implements: run a read-only query with a
row cap and a timeout, list the catalog, and name the sqlglot dialect to compile for."""

from __future__ import annotations

import datetime as dt
import decimal
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from nlq.messages import Text, WordedError

if TYPE_CHECKING:  # only the Arrow engines (Spark, ClickHouse) hand over tables: pyarrow is theirs to import
    import pyarrow as pa

LOG = logging.getLogger(__name__)
ErrorKind = Literal["auth", "unreachable", "timeout", "missing", "read_only", "driver", "query", "resources"]


class ConnectorError(WordedError):
    """An engine error translated into a message a user can act on, in English and
    Chinese. `kind` says what went wrong (bad credentials, unreachable host, ...)."""

    def __init__(self, reason: Text, *, kind: ErrorKind = "query") -> None:
        super().__init__(reason)
        self.kind = kind


def timeout_error(timeout_s: float | None) -> ConnectorError:
    seconds = f"{timeout_s:g}" if timeout_s else "?"
    return ConnectorError(Text("engines.timeout", seconds=seconds), kind="timeout")


def missing_driver(engine: str, extra: str, package: str) -> ConnectorError:
    return ConnectorError(
        Text("engines.missing_driver", engine=engine, extra=extra, package=package), kind="driver"
    )


def unreachable(engine: str, where: str, detail: str) -> ConnectorError:
    return ConnectorError(
        Text("engines.unreachable", engine=engine, where=where, detail=detail), kind="unreachable"
    )


def bad_credentials(engine: str, user: str) -> ConnectorError:
    return ConnectorError(Text("engines.bad_credentials", engine=engine, user=user), kind="auth")


def unknown_database(engine: str, name: str) -> ConnectorError:
    return ConnectorError(Text("engines.unknown_database", engine=engine, name=name), kind="missing")


def read_only_refused() -> ConnectorError:
    """The server refused a write because the session is read-only, as nlq opens it."""
    return ConnectorError(Text("engines.read_only_session"), kind="read_only")


# What an engine's error says, in nlq's words: an engine's text can echo the values a
# query read (a failed cast quotes the value), so it is logged, never shown.
ENGINE_ERRORS: list[tuple[tuple[str, ...], ErrorKind, str]] = [
    (
        ("out of memory", "memory limit", "max_temp_directory_size", "cannot allocate", "memoryerror"),
        "resources",
        "engines.out_of_memory",
    ),
    (
        ("invalidated", "fatal", "connection reset", "server closed", "lost connection", "gone away"),
        "unreachable",
        "engines.connection_lost",
    ),
    (
        (
            "timeout",
            "canceling statement",
            "interrupted",
            "max_execution_time",
            "query execution was interrupted",
        ),
        "timeout",
        "engines.query_stopped",
    ),
    (
        (
            "conversion",
            "could not convert",
            "invalid input syntax",
            "division by zero",
            "out of range",
            "overflow",
        ),
        "query",
        "engines.value_not_computable",
    ),
    (
        ("does not exist", "not found", "binder error", "unknown column", "no such", "referenced"),
        "query",
        "engines.unknown_table_or_column",
    ),
]


def query_failed(detail: str) -> ConnectorError:
    """An engine error as one of nlq's own messages (the engine's text is logged only)."""
    text = detail.casefold()
    LOG.warning("engine error: %s", detail.strip()[:500])
    for needles, kind, key in ENGINE_ERRORS:
        if any(n in text for n in needles):
            return ConnectorError(Text(key), kind=kind)
    return ConnectorError(Text("engines.query_failed"), kind="query")


def ensure_read_only(sql: str, dialect: str) -> None:
    """For engines without a read-only session (Spark, embedded ClickHouse): only one
    query statement may run. The pipeline's guard checks far more; this keeps the
    connector itself from writing whoever calls it."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        raise query_failed(f"cannot parse the query: {error}") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ConnectorError(Text("engines.single_read_only_query"), kind="read_only")


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False
    column_types: list[str] = field(default_factory=list)

    @classmethod
    def capped(
        cls, columns: list[str], rows: Sequence[Sequence[Any]], max_rows: int | None, types: list[str]
    ) -> QueryResult:
        """At most `max_rows` rows out of up to one more fetched: the extra row only
        tells that the cap cut the result."""
        truncated = max_rows is not None and len(rows) > max_rows
        kept = rows[:max_rows] if truncated else rows
        return cls(columns, [list(r) for r in kept], truncated, types)

    def json_rows(self) -> list[list[Any]]:
        """Rows with values as JSON numbers, strings or null (dates as ISO strings)."""
        return [[json_value(v) for v in row] for row in self.rows]

    @classmethod
    def from_arrow(cls, table: pa.Table, max_rows: int | None) -> QueryResult:
        truncated = max_rows is not None and table.num_rows > max_rows
        if truncated:
            table = table.slice(0, max_rows)
        columns = [list(c.to_pylist()) for c in table.columns]
        rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
        return cls(list(table.column_names), rows, truncated, [str(t) for t in table.schema.types])


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

    def table_info(self) -> list[TableInfo]:
        """Tables with their declared keys, for drafting a semantic layer."""
        ...

    def close(self) -> None: ...


class ServerVersioning:
    """Database servers change under nlq without telling: no cheap, reliable data
    version, so cached results of their queries expire after a time to live."""

    def data_version(self) -> str | None:
        return None


@dataclass(frozen=True)
class TableInfo:
    """What `nlq semantic init` reads of a table: its columns with types, its primary
    key and its foreign keys (column -> (table, column)) where the engine declares them."""

    name: str
    columns: dict[str, str]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: dict[str, tuple[str, str]] = field(default_factory=dict)
    comment: str = ""  # the table's description, where the engine keeps one
    column_comments: dict[str, str] = field(default_factory=dict)


def assemble_tables(
    columns: list[list[Any]], keys: list[list[Any]], comments: list[list[Any]] | None = None
) -> list[TableInfo]:
    """TableInfo from rows (table, column, type), (table, PRIMARY KEY | FOREIGN KEY,
    column, referenced table, referenced column), as information_schema gives them,
    and (table, column or NULL for the table, comment)."""
    found: dict[str, TableInfo] = {}
    for table, column, dtype in columns:
        found.setdefault(table, TableInfo(table, {})).columns[column] = str(dtype)
    for table, kind, column, ref_table, ref_column in keys:
        info = found.get(table)
        if info is None:
            continue
        if kind == "PRIMARY KEY" and column not in info.primary_key:
            info.primary_key.append(column)
        elif kind == "FOREIGN KEY" and ref_table:
            info.foreign_keys[column] = (ref_table, ref_column)
    for table, column, text in comments or []:
        info = found.get(table)
        if info is None or not text:
            continue
        if column is None:
            found[table] = TableInfo(
                info.name, info.columns, info.primary_key, info.foreign_keys, str(text), info.column_comments
            )
        else:
            info.column_comments[column] = str(text)
    return list(found.values())
