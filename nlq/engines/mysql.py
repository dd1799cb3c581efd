"""MySQL and MariaDB through PyMySQL. A pool of connections (one per question
running); each session is read-only, with in-memory temporary tables capped
(NLQ_MYSQL_TMP_TABLE) and recursive queries stopped after NLQ_MAX_RECURSION steps,
and every statement gets the server's statement time limit (max_statement_time on
MariaDB, max_execution_time on MySQL)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from nlq.engines.base import (
    ConnectorError,
    QueryResult,
    ServerVersioning,
    TableInfo,
    assemble_tables,
    bad_credentials,
    missing_driver,
    query_failed,
    read_only_refused,
    timeout_error,
    unknown_database,
    unreachable,
)
from nlq.engines.engine import Engine
from nlq.engines.pool import ConnectionPool
from nlq.engines.rewrites import float_division, mysql_dates_and_filters
from nlq.engines.urls import DatabaseURL, parse_url
from nlq.messages import Text

if TYPE_CHECKING:
    import pyarrow as pa

    from nlq.engines.bulk import SourceTable

ENGINE = "MySQL"
CONNECT_TIMEOUT_S = 5
ACCESS_DENIED = {1044, 1045, 1698}
UNREACHABLE = {2002, 2003, 2005, 2006, 2013}
UNKNOWN_DATABASE = 1049
READ_ONLY = 1792
TIMEOUTS = {1969, 3024}  # MariaDB max_statement_time, MySQL max_execution_time
RECURSION_LIMITS = {1931, 3636}  # MariaDB's warning, MySQL's error
MAX_RECURSION = int(os.environ.get("NLQ_MAX_RECURSION", "100000"))
TMP_TABLE_BYTES = int(os.environ.get("NLQ_MYSQL_TMP_TABLE", str(64 * 1024 * 1024)))


def driver() -> Any:
    """The driver module (the loader writes through it too), or how to install it."""
    try:
        import pymysql
    except ImportError as error:
        raise missing_driver(ENGINE, "mysql", "pymysql") from error
    return pymysql


def connect(url: DatabaseURL, *, local_infile: bool = False) -> Any:
    """A PyMySQL connection for a mysql:// URL (the loader writes through one too)."""
    pymysql = driver()
    try:
        return pymysql.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 3306,
            user=url.user or "root",
            password=url.password,
            database=url.database or None,
            charset="utf8mb4",
            connect_timeout=CONNECT_TIMEOUT_S,
            autocommit=True,
            local_infile=local_infile,
        )
    except pymysql.Error as error:
        raise translate(error, url) from error


def translate(error: Exception, url: DatabaseURL, timeout_s: float | None = None) -> ConnectorError:
    code = error.args[0] if error.args and isinstance(error.args[0], int) else None
    detail = str(error.args[1]) if len(error.args) > 1 else str(error)
    if code in TIMEOUTS:
        return timeout_error(timeout_s)
    if code in RECURSION_LIMITS:
        return _recursion_stopped()
    if code in ACCESS_DENIED:
        return bad_credentials(ENGINE, url.user or "root")
    if code == UNKNOWN_DATABASE:
        return unknown_database(ENGINE, url.database)
    if code == READ_ONLY:
        return read_only_refused()
    if code in UNREACHABLE:
        return unreachable(ENGINE, url.where or "127.0.0.1:3306", detail)
    return query_failed(detail)


class MySQLConnector(ServerVersioning):
    dialect = "mysql"

    def __init__(self, url: str) -> None:
        self.url = parse_url(url, {"mysql": 3306, "mariadb": 3306})
        self._mariadb = False
        self._pool: ConnectionPool[Any] = ConnectionPool(
            self._connect, usable=lambda c: bool(c.open), close=lambda c: c.close()
        )

    def _connect(self) -> Any:
        pymysql = driver()
        connection = connect(self.url)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                self._mariadb = "mariadb" in str(cursor.fetchone()[0]).lower()
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
                cursor.execute(
                    "SET SESSION tmp_table_size = %s, max_heap_table_size = %s", [TMP_TABLE_BYTES] * 2
                )
                recursion = "max_recursive_iterations" if self._mariadb else "cte_max_recursion_depth"
                cursor.execute(f"SET SESSION {recursion} = %s", [MAX_RECURSION])
        except pymysql.Error as error:
            connection.close()
            raise translate(error, self.url) from error
        return connection

    def _limit_statement(self, cursor: Any, timeout_s: float | None) -> None:
        if self._mariadb:
            cursor.execute("SET SESSION max_statement_time = %s", [float(timeout_s or 0)])
        else:
            cursor.execute("SET SESSION max_execution_time = %s", [int((timeout_s or 0) * 1000)])

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        pymysql = driver()
        with self._pool.connection() as connection:
            try:
                with connection.cursor() as cursor:
                    self._limit_statement(cursor, timeout_s)
                    cursor.execute(sql)
                    description = cursor.description or []
                    rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
                    if cursor.warning_count:
                        _refuse_cut_short(connection.show_warnings())
            except pymysql.Error as error:
                raise translate(error, self.url, timeout_s) from error
        columns = [d[0] for d in description]
        types = [str(d[1]) for d in description]
        return QueryResult.capped(columns, rows, max_rows, types)

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        columns = self.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position"
        )
        keys = self.execute(
            "SELECT kcu.table_name, CASE WHEN kcu.constraint_name = 'PRIMARY' THEN 'PRIMARY KEY' "
            "ELSE 'FOREIGN KEY' END, kcu.column_name, kcu.referenced_table_name, kcu.referenced_column_name "
            "FROM information_schema.key_column_usage kcu WHERE kcu.table_schema = DATABASE() "
            "AND (kcu.constraint_name = 'PRIMARY' OR kcu.referenced_table_name IS NOT NULL) "
            "ORDER BY kcu.ordinal_position"
        )
        comments = self.execute(
            "SELECT table_name, column_name, column_comment FROM information_schema.columns "
            "WHERE table_schema = DATABASE() AND column_comment <> '' UNION ALL "
            "SELECT table_name, NULL, table_comment FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_comment <> ''"
        )
        return assemble_tables(columns.rows, keys.rows, comments.rows)

    def close(self) -> None:
        self._pool.close()


def _refuse_cut_short(warnings: Any) -> None:
    """MariaDB stops a recursive query at its limit and returns the rows it has, with
    a warning: an answer from part of the rows is refused, never shown."""
    if any(code in RECURSION_LIMITS for _, code, _ in warnings or ()):
        raise _recursion_stopped()


def _recursion_stopped() -> ConnectorError:
    return ConnectorError(Text("engines.recursion_stopped", limit=MAX_RECURSION), kind="resources")


def load(url: str, tables: list[SourceTable]) -> None:
    """CSV files -> LOAD DATA, in a database created when missing with a binary
    collation (text sorts by code point, and '天猫' never equals '天貓' or 'app' 'APP')."""
    from nlq.engines.bulk import create_table, csv_bytes, drop_table, key_indexes, scratch

    pymysql = driver()
    parsed = parse_url(url, {"mysql": 3306, "mariadb": 3306})
    database = parsed.database or "nlq_demo"
    server = DatabaseURL(parsed.scheme, parsed.host, parsed.port, parsed.user, parsed.password, "")
    conn = connect(server, local_infile=True)
    quoted = exp.to_identifier(database).sql("mysql")
    try:
        with conn.cursor() as cursor, scratch() as folder:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
            cursor.execute(f"USE {quoted}")
            for table in tables:
                name = exp.to_identifier(table.name).sql("mysql")
                cursor.execute(drop_table(table.name).sql("mysql"))
                create = create_table(table, "mysql", type_of=_column_type, comments_inline=True)
                cursor.execute(create.sql("mysql") + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin")
                path = folder / f"{table.name}.csv"
                path.write_bytes(csv_bytes(table.data))
                variables = [f"@c{i}" for i in range(len(table.columns))]
                # An empty unquoted field is a NULL (the demo has no empty strings).
                assignments = ", ".join(
                    f"{exp.to_identifier(column).sql('mysql')} = NULLIF({var}, '')"
                    for (column, _), var in zip(table.columns, variables, strict=True)
                )
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {name} "
                    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
                    f"LINES TERMINATED BY '\\n' ({', '.join(variables)}) SET {assignments}",
                    [str(path)],
                )
                for statement in key_indexes(table, "mysql"):
                    cursor.execute(statement)
                cursor.execute(f"ANALYZE TABLE {name}")
    except pymysql.Error as error:
        raise translate(error, parsed) from error
    finally:
        conn.close()


def _column_type(duck_type: str, data: pa.ChunkedArray, kind: exp.DataType) -> exp.DataType:
    """Microsecond DATETIME; VARCHAR as long as twice the longest value (an index needs a length)."""
    if kind.is_type(exp.DataType.Type.TIMESTAMP):
        return exp.DataType.build("DATETIME(6)", dialect="mysql")
    if kind.is_type(exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
        import pyarrow.compute as pc

        longest = pc.max(pc.utf8_length(data)).as_py() if len(data) else 0
        return exp.DataType.build(f"VARCHAR({max(64, 2 * (longest or 0))})", dialect="mysql")
    return kind


ENGINES = (
    Engine(
        name="mysql",
        schemes=("mysql", "mariadb"),
        dialect="mysql",
        connect=MySQLConnector,
        rewrites=(mysql_dates_and_filters, float_division),
        load=load,
    ),
)
