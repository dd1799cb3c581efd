"""ClickHouse: a server through clickhouse-connect (`clickhouse://user:pass@host:8123/db`)
or embedded through chDB (`chdb:///path/to/dir`, a chDB data folder).

Both run each query with `readonly = 1` (the server refuses writes), a
`max_execution_time`, a `max_memory_usage` (NLQ_CLICKHOUSE_MEMORY, 4 GiB), and
`join_use_nulls = 1`, so that an unmatched LEFT JOIN row reads NULL as on every
other engine rather than ClickHouse's default 0 or ''."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp

from nlq.engines.base import (
    ConnectorError,
    QueryResult,
    ServerVersioning,
    TableInfo,
    bad_credentials,
    ensure_read_only,
    missing_driver,
    query_failed,
    read_only_refused,
    timeout_error,
    unknown_database,
    unreachable,
)
from nlq.engines.engine import Engine
from nlq.engines.rewrites import exists_as_in, float_division
from nlq.engines.urls import DatabaseURL, parse_url
from nlq.messages import Text

if TYPE_CHECKING:
    import pyarrow as pa

    from nlq.engines.bulk import SourceTable

ENGINE = "ClickHouse"
CONNECT_TIMEOUT_S = 5
CODE = re.compile(r"Code: (\d+)")
TIMEOUT_CODES = {159, 160, 394}  # TIMEOUT_EXCEEDED, TOO_SLOW, QUERY_WAS_CANCELLED
AUTH_CODES = {192, 193, 516}  # UNKNOWN_USER, WRONG_PASSWORD, AUTHENTICATION_FAILED
UNKNOWN_DATABASE = 81
READONLY = 164
MEMORY_BYTES = int(os.environ.get("NLQ_CLICKHOUSE_MEMORY", str(4 * 1024**3)))


def query_settings(timeout_s: float | None) -> dict[str, int | float]:
    settings: dict[str, int | float] = {"join_use_nulls": 1, "max_memory_usage": MEMORY_BYTES}
    if timeout_s:
        settings["max_execution_time"] = timeout_s
    return settings


def wall_time(table: pa.Table) -> pa.Table:
    """ClickHouse tags DateTime columns with the server's time zone in Arrow; the
    warehouse's timestamps are wall-clock times, as on every other engine."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for index, kind in enumerate(table.schema.types):
        if pa.types.is_timestamp(kind) and kind.tz is not None:
            table = table.set_column(index, table.field(index).name, pc.local_timestamp(table.column(index)))
    return table


def translate(error: Exception, url: DatabaseURL, timeout_s: float | None = None) -> ConnectorError:
    text = str(error)
    found = CODE.search(text)
    code = int(found.group(1)) if found else None
    if code in TIMEOUT_CODES:
        return timeout_error(timeout_s)
    if code in AUTH_CODES:
        return bad_credentials(ENGINE, url.user or "default")
    if code == UNKNOWN_DATABASE:
        return unknown_database(ENGINE, url.database)
    if code == READONLY:
        return read_only_refused()
    if code is None and any(
        w in text.lower()
        for w in ("connection refused", "failed to establish", "timed out", "name or service not known")
    ):
        return unreachable(ENGINE, url.where, _reason(text))
    if found:
        text = text[found.start() :]
    return query_failed(text.replace("DB::Exception: ", ""))


def _reason(text: str) -> str:
    for reason in ("Connection refused", "timed out", "Name or service not known"):
        if reason.lower() in text.lower():
            return reason
    return text.strip().splitlines()[0][:200]


def _catalog_rows(columns: QueryResult, keys: QueryResult) -> list[TableInfo]:
    found: dict[str, TableInfo] = {}
    for table, column, dtype in columns.rows:
        found.setdefault(table, TableInfo(table, {})).columns[column] = str(dtype)
    for table, key in keys.rows:
        if table in found and key:
            # ClickHouse has no primary key constraint: the sorting key of a table loaded
            # by `nlq demo load` is its primary key.
            found[table].primary_key.extend(k.strip() for k in str(key).split(","))
    return list(found.values())


CATALOG_COLUMNS = (
    "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() "
    "AND table NOT LIKE '.%' ORDER BY table, position"
)
CATALOG_KEYS = "SELECT name, primary_key FROM system.tables WHERE database = currentDatabase()"


class ChDBConnector(ServerVersioning):
    """Embedded ClickHouse. chDB keeps one engine per process; a connector is a
    session on a data folder."""

    dialect = "clickhouse"

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        try:
            import chdb  # noqa: F401
        except ImportError as error:
            raise missing_driver("chDB", "clickhouse", "chdb") from error
        folder = self.folder_of(self.url)
        if folder and not Path(folder).is_dir():
            raise ConnectorError(Text("engines.chdb_folder_missing", folder=folder, url=url), kind="missing")
        self.folder = folder
        self._lock = threading.Lock()
        self._session = self._open()

    def _open(self) -> Any:
        from chdb import session

        return session.Session(self.folder) if self.folder else session.Session()

    @staticmethod
    def folder_of(url: DatabaseURL) -> str:
        """chdb:///abs/dir is /abs/dir, chdb://data/chdb the relative folder data/chdb,
        chdb:// an in-memory engine."""
        folder = "/" + url.database if url.database else ""
        return f"{url.host}{folder}" if url.host else folder

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        ensure_read_only(sql, self.dialect)
        statement = self._with_settings(sql, {**query_settings(timeout_s), "readonly": 1})
        with self._lock:
            try:
                table = self._session.query(statement, "ArrowTable")
            except Exception as error:  # chDB raises its own error type for engine errors
                translated = translate(error, self.url, timeout_s)
                if translated.kind in {"timeout", "resources"}:
                    # A cancelled query, or one stopped at its memory limit, leaves the
                    # session's result stream unusable for the next query.
                    self._session.close()
                    self._session = self._open()
                raise translated from error
        if table is None or not hasattr(table, "schema"):
            table = _empty_table()
        return QueryResult.from_arrow(wall_time(table), max_rows)

    def _with_settings(self, sql: str, settings: dict[str, int | float]) -> str:
        """The query with a SETTINGS clause, which one query cannot loosen."""
        tree = sqlglot.parse_one(sql, read=self.dialect)
        if isinstance(tree, exp.Select):
            select = tree
        else:
            assert isinstance(tree, exp.Query)  # ensure_read_only has checked it
            select = exp.select("*").from_(tree.subquery("q"))
        select.set(
            "settings",
            [
                exp.EQ(this=exp.var(name), expression=exp.Literal.number(value))
                for name, value in settings.items()
            ],
        )
        return select.sql(self.dialect)

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        return _catalog_rows(self.execute(CATALOG_COLUMNS), self.execute(CATALOG_KEYS))

    def close(self) -> None:
        with self._lock:
            self._session.close()


class ClickHouseConnector(ServerVersioning):
    """A ClickHouse server over HTTP (clickhouse-connect keeps a connection pool)."""

    dialect = "clickhouse"

    def __init__(self, url: str) -> None:
        self.url = parse_url(url, {"clickhouse": 8123, "clickhouses": 8443})
        try:
            import clickhouse_connect
        except ImportError as error:
            raise missing_driver(ENGINE, "clickhouse", "clickhouse-connect") from error
        try:
            self._client = clickhouse_connect.get_client(
                host=self.url.host or "localhost",
                port=self.url.port or 8123,
                username=self.url.user or "default",
                password=self.url.password,
                database=self.url.database or "default",
                secure=self.url.scheme == "clickhouses",
                connect_timeout=CONNECT_TIMEOUT_S,
                # readonly = 2: no writes, but per-query settings (the timeout) still apply.
                settings={"readonly": 2, "join_use_nulls": 1},
            )
        except Exception as error:  # clickhouse-connect wraps transport errors in its own types
            raise translate(error, self.url) from error

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        ensure_read_only(sql, self.dialect)
        try:
            table: Any = self._client.query_arrow(sql, settings=query_settings(timeout_s))
        except Exception as error:
            raise translate(error, self.url, timeout_s) from error
        return QueryResult.from_arrow(wall_time(table), max_rows)

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        return _catalog_rows(self.execute(CATALOG_COLUMNS), self.execute(CATALOG_KEYS))

    def close(self) -> None:
        self._client.close()


def _empty_table() -> pa.Table:
    import pyarrow as pa

    return pa.table({})


def load_chdb(url: str, tables: list[SourceTable]) -> None:
    """Parquet files -> INSERT ... SELECT FROM file(), into a chDB data folder."""
    from chdb import session

    from nlq.engines.bulk import drop_table, scratch

    folder = ChDBConnector.folder_of(parse_url(url))
    if not folder:
        raise ConnectorError(Text("engines.chdb_load_needs_folder"), kind="missing")
    Path(folder).mkdir(parents=True, exist_ok=True)
    chdb = session.Session(folder)
    try:
        with scratch() as files:
            for table in tables:
                chdb.query(drop_table(table.name).sql("clickhouse"))
                chdb.query(_create_table(table).sql("clickhouse"))
                path = files / f"{table.name}.parquet"
                import pyarrow.parquet as pq

                pq.write_table(table.data, path)
                source = exp.Anonymous(
                    this="file", expressions=[exp.Literal.string(str(path)), exp.var("Parquet")]
                )
                chdb.query(exp.insert(exp.select("*").from_(source), table.name).sql("clickhouse"))
    except Exception as error:  # chDB raises its own error type
        raise translate(error, parse_url(url)) from error
    finally:
        chdb.close()


def _create_table(table: SourceTable) -> exp.Create:
    """A MergeTree ordered by the table's key; key columns are not Nullable (ClickHouse
    sorts by them), every other column is."""
    from nlq.engines.bulk import create_table

    def type_of(duck_type: str, data: pa.ChunkedArray, kind: exp.DataType) -> exp.DataType:
        if kind.is_type(exp.DataType.Type.TIMESTAMP):
            kind = exp.DataType.build("DateTime64(6)", dialect="clickhouse")
        elif kind.is_type(exp.DataType.Type.DATE):
            kind = exp.DataType.build(
                "Date32", dialect="clickhouse"
            )  # Date starts in 1970, birth dates do not
        return kind

    create = create_table(table, "clickhouse", type_of=type_of, comments_inline=True, primary_key=False)
    for definition in create.this.expressions:
        definition.args["kind"].set("nullable", definition.name not in table.primary_key)
    order = exp.Tuple(expressions=[exp.column(c) for c in table.primary_key])
    create.set(
        "properties",
        exp.Properties(
            expressions=[
                exp.EngineProperty(this=exp.var("MergeTree")),
                exp.Order(expressions=[exp.Ordered(this=order, nulls_first=False)]),
            ]
        ),
    )
    return create


CLICKHOUSE_REWRITES = (exists_as_in, float_division)
ENGINES = (
    Engine(
        name="clickhouse",
        schemes=("clickhouse", "clickhouses"),
        dialect="clickhouse",
        connect=ClickHouseConnector,
        rewrites=CLICKHOUSE_REWRITES,
    ),
    Engine(
        name="chdb",
        schemes=("chdb",),
        dialect="clickhouse",
        connect=ChDBConnector,
        rewrites=CLICKHOUSE_REWRITES,
        load=load_chdb,
    ),
)
