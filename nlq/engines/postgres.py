"""PostgreSQL through psycopg 3. A pool of connections (one per question running);
every statement runs in a read-only transaction with its own statement timeout
and memory for sorts and hashes (work_mem, NLQ_PG_WORK_MEM) before they spill."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

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
from nlq.engines.urls import DatabaseURL, parse_url

if TYPE_CHECKING:
    from nlq.engines.bulk import SourceTable

ENGINE = "PostgreSQL"
CONNECT_TIMEOUT_S = 5
WORK_MEM = os.environ.get("NLQ_PG_WORK_MEM", "64MB")


def driver() -> Any:
    """The driver module (the loader writes through it too), or how to install it."""
    try:
        import psycopg
    except ImportError as error:
        raise missing_driver(ENGINE, "postgres", "psycopg") from error
    return psycopg


def translate(error: Exception, url: DatabaseURL, timeout_s: float | None = None) -> ConnectorError:
    """psycopg's errors as messages a user can act on."""
    psycopg = driver()
    text = str(error)
    sqlstate = getattr(error, "sqlstate", None) or ""
    if isinstance(error, psycopg.errors.QueryCanceled) or sqlstate == "57014":
        return timeout_error(timeout_s)
    lowered = text.lower()
    if (
        sqlstate in {"28P01", "28000"}
        or "password authentication failed" in lowered
        or ("role" in lowered and "does not exist" in lowered)
        or "no pg_hba.conf entry" in lowered
    ):
        return bad_credentials(ENGINE, url.user)
    if sqlstate == "3D000" or ("database" in lowered and "does not exist" in lowered):
        return unknown_database(ENGINE, url.database)
    if sqlstate == "25006":
        return read_only_refused()
    if isinstance(error, psycopg.OperationalError):
        # psycopg puts the reason after the last "failed: ", the hint on the next line.
        first = text.strip().splitlines()[0] if text.strip() else "connection failed"
        detail = first.rsplit("failed: ", 1)[-1].strip()
        return unreachable(ENGINE, url.where, detail)
    return query_failed(text)


class PostgresConnector(ServerVersioning):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.url = parse_url(url, {"postgresql": 5432, "postgres": 5432})
        self._pool: ConnectionPool[Any] = ConnectionPool(
            self._connect, usable=lambda c: not c.closed and not c.broken, close=lambda c: c.close()
        )

    def _connect(self) -> Any:
        psycopg = driver()
        conninfo = self.url.text.replace("postgres://", "postgresql://", 1)
        try:
            connection = psycopg.connect(conninfo, connect_timeout=CONNECT_TIMEOUT_S, autocommit=False)
        except psycopg.Error as error:
            raise translate(error, self.url) from error
        # Every transaction this session opens is read-only: the server refuses writes.
        connection.read_only = True
        return connection

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        psycopg = driver()
        with self._pool.connection() as connection:
            try:
                with connection.cursor() as cursor:
                    # set_config(..., true) lasts for this transaction only.
                    milliseconds = str(int(timeout_s * 1000)) if timeout_s else "0"
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [milliseconds])
                    cursor.execute("SELECT set_config('work_mem', %s, true)", [WORK_MEM])
                    cursor.execute(sql)
                    description = cursor.description or []
                    rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
                connection.rollback()
            except psycopg.Error as error:
                _recover(connection)
                raise translate(error, self.url, timeout_s) from error
        columns = [d.name for d in description]
        types = [str(d.type_code) for d in description]
        return QueryResult.capped(columns, rows, max_rows, types)

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        columns = self.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
        )
        keys = self.execute(
            "SELECT tc.table_name, tc.constraint_type, kcu.column_name, ccu.table_name, ccu.column_name "
            "FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name "
            "AND kcu.table_schema = tc.table_schema "
            "LEFT JOIN information_schema.constraint_column_usage ccu "
            "ON ccu.constraint_name = tc.constraint_name AND tc.constraint_type = 'FOREIGN KEY' "
            "WHERE tc.table_schema = current_schema() "
            "AND tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY') ORDER BY kcu.ordinal_position"
        )
        comments = self.execute(
            "SELECT c.relname, a.attname, d.description FROM pg_catalog.pg_description d "
            "JOIN pg_catalog.pg_class c ON c.oid = d.objoid "
            "LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = d.objsubid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND d.classoid = 'pg_class'::regclass"
        )
        return assemble_tables(columns.rows, keys.rows, comments.rows)

    def close(self) -> None:
        self._pool.close()


def _recover(connection: Any) -> None:
    """Ends the failed transaction; a connection that cannot is closed (the pool then
    opens a fresh one for the next question)."""
    try:
        connection.rollback()
    except Exception:  # psycopg raises several types for a dead connection
        connection.close()


def load(url: str, tables: list[SourceTable]) -> None:
    """Arrow -> CSV -> COPY, in a database created when missing with the C collation
    (text sorts by code point, as on DuckDB, so rankings break ties the same way)."""
    from nlq.engines.bulk import COPY_CHUNK, create_table, csv_bytes, drop_table, key_indexes

    psycopg = driver()
    parsed = parse_url(url, {"postgresql": 5432, "postgres": 5432})
    target = parsed.database or "postgres"
    try:
        _create_database(psycopg, parsed, target)
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=5) as conn:
            for table in tables:
                conn.execute(drop_table(table.name).sql("postgres"))
                conn.execute(create_table(table, "postgres").sql("postgres"))
                copy = psycopg.sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(
                    psycopg.sql.Identifier(table.name)
                )
                payload = csv_bytes(table.data)
                with conn.cursor() as cursor, cursor.copy(copy) as stream:
                    for start in range(0, len(payload), COPY_CHUNK):
                        stream.write(payload[start : start + COPY_CHUNK])
                for statement in key_indexes(table, "postgres"):
                    conn.execute(statement)
                for column, text in table.comments.items():
                    described = psycopg.sql.Identifier(
                        *([table.name] if column is None else [table.name, column])
                    )
                    kind = "TABLE" if column is None else "COLUMN"
                    conn.execute(
                        psycopg.sql.SQL("COMMENT ON {} {} IS {}").format(
                            psycopg.sql.SQL(kind), described, psycopg.sql.Literal(text)
                        )
                    )
            conn.execute("ANALYZE")
    except psycopg.Error as error:
        raise translate(error, parsed) from error


def _create_database(psycopg: Any, url: DatabaseURL, name: str) -> None:
    conninfo = psycopg.conninfo.make_conninfo(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.user or "postgres",
        password=url.password or None,
        dbname="postgres",
    )
    with psycopg.connect(conninfo, connect_timeout=5, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(
                psycopg.sql.SQL(
                    "CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
                ).format(psycopg.sql.Identifier(name))
            )


ENGINES = (
    Engine(
        name="postgres",
        schemes=("postgresql", "postgres"),
        dialect="postgres",
        connect=PostgresConnector,
        load=load,
    ),
)
