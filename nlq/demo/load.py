"""`nlq demo load --db URL`: copies the demo warehouse from its DuckDB file into
another engine, in bulk: Arrow -> CSV -> COPY on PostgreSQL, LOAD DATA on
MySQL/MariaDB, Parquet -> INSERT ... SELECT FROM file() on chDB, Parquet files
for Spark. Never a row-by-row INSERT.

Tables are created with the contract's types in the target dialect (through
sqlglot), with their primary keys. Databases are created when missing, with a
binary collation (C on PostgreSQL, utf8mb4_bin on MySQL): text sorts by code
point as on DuckDB, Spark and ClickHouse, so a ranking breaks ties the same way
everywhere and '天猫' never equals '天貓' or 'app' equals 'APP'."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from sqlglot import exp

from nlq.engines import ConnectorError, engine_of
from nlq.engines.urls import DatabaseURL, parse_url

COPY_CHUNK = 8 << 20


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    primary_key: list[str]
    data: pa.Table


@dataclass
class LoadReport:
    url: str
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return f"loaded {self.url} in {self.seconds:.1f} s: {counts}"


def read_source(path: Path) -> list[SourceTable]:
    """Every table of the demo warehouse (not its build stamp), as Arrow."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        from nlq.engines.duckdb import DuckDBConnector

        infos = DuckDBConnector.catalog_of(con)
        tables = []
        for info in infos:
            if info.name.startswith("_"):
                continue
            data = con.sql(exp.select("*").from_(exp.to_table(info.name)).sql("duckdb")).to_arrow_table()
            tables.append(SourceTable(info.name, list(info.columns.items()), info.primary_key, data))
        return tables
    finally:
        con.close()


def load_demo(url: str, source: Path) -> LoadReport:
    engine = engine_of(url)
    loaders = {"postgres": _load_postgres, "mysql": _load_mysql, "chdb": _load_chdb, "spark": _load_spark}
    if engine not in loaders:
        raise ConnectorError(
            f"nlq demo load writes to postgresql://, mysql://, chdb:// and spark:// URLs, not {engine} "
            "(the DuckDB warehouse is made by `nlq demo build`)",
            f"nlq demo load 支持 postgresql://、mysql://、chdb:// 和 spark:// 地址，不支持 {engine}"
            "（DuckDB 演示库请用 `nlq demo build`）",
            kind="missing",
        )
    started = time.perf_counter()
    tables = read_source(source)
    report = LoadReport(url)
    loaders[engine](url, tables)
    report.rows = {t.name: t.data.num_rows for t in tables}
    report.seconds = time.perf_counter() - started
    return report


def _column_type(duck_type: str, dialect: str, data: pa.ChunkedArray) -> exp.DataType:
    kind = exp.DataType.build(duck_type, dialect="duckdb")
    if kind.is_type(exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
        # Microseconds, no time zone, on every engine.
        return exp.DataType.build(
            {"mysql": "DATETIME(6)", "clickhouse": "DateTime64(6)"}.get(dialect, "TIMESTAMP"), dialect=dialect
        )
    if dialect == "clickhouse" and kind.is_type(exp.DataType.Type.DATE):
        return exp.DataType.build("Date32", dialect=dialect)  # Date starts in 1970, birth dates do not
    if dialect == "mysql" and kind.is_type(exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT):
        longest = pc.max(pc.utf8_length(data)).as_py() if len(data) else 0
        return exp.DataType.build(f"VARCHAR({max(64, 2 * (longest or 0))})", dialect="mysql")
    return kind


def _create_table(table: SourceTable, dialect: str) -> exp.Create:
    definitions: list[exp.Expr] = []
    comments = dict(_comments(table))
    for name, duck_type in table.columns:
        kind = _column_type(duck_type, dialect, table.data.column(name))
        if dialect == "clickhouse":
            # Key columns are not Nullable: ClickHouse sorts by them.
            kind.set("nullable", name not in table.primary_key)
        constraints = []
        if dialect in {"mysql", "clickhouse"} and name in comments:
            constraints.append(
                exp.ColumnConstraint(
                    kind=exp.CommentColumnConstraint(this=exp.Literal.string(comments[name]))
                )
            )
        definitions.append(exp.ColumnDef(this=exp.to_identifier(name), kind=kind, constraints=constraints))
    properties: list[exp.Expr] = []
    if dialect == "clickhouse":
        order = exp.Tuple(expressions=[exp.column(c) for c in table.primary_key])
        properties = [
            exp.EngineProperty(this=exp.var("MergeTree")),
            exp.Order(expressions=[exp.Ordered(this=order, nulls_first=False)]),
        ]
    elif table.primary_key:
        definitions.append(exp.PrimaryKey(expressions=[exp.to_identifier(c) for c in table.primary_key]))
    return exp.Create(
        this=exp.Schema(this=exp.to_table(table.name), expressions=definitions),
        kind="TABLE",
        properties=exp.Properties(expressions=properties) if properties else None,
    )


def _indexes(table: SourceTable, dialect: str) -> list[str]:
    """An index on every key column that is not the table's own key (orders.user_id,
    order_items.order_id): joins and semi-joins on row stores need them."""
    statements = []
    for name, _ in table.columns:
        if name.endswith("_id") and name not in table.primary_key:
            index = exp.to_identifier(f"{table.name}_{name}_idx").sql(dialect)
            statements.append(
                f"CREATE INDEX {index} ON {exp.to_table(table.name).sql(dialect)} ({exp.to_identifier(name).sql(dialect)})"
            )
    return statements


def _comments(table: SourceTable) -> list[tuple[str | None, str]]:
    """(column or None for the table, description) of the demo catalog."""
    from nlq.demo.catalog import COLUMN_COMMENTS, TABLE_COMMENTS

    found: list[tuple[str | None, str]] = []
    if table.name in TABLE_COMMENTS:
        found.append((None, TABLE_COMMENTS[table.name]))
    for name, _ in table.columns:
        text = COLUMN_COMMENTS.get(f"{table.name}.{name}")
        if text:
            found.append((name, text))
    return found


def _drop_table(name: str) -> exp.Drop:
    return exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True)


def _csv_bytes(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


# -- PostgreSQL ------------------------------------------------------------------------------
def _load_postgres(url: str, tables: list[SourceTable]) -> None:
    from nlq.engines.postgres import driver, translate

    psycopg = driver()
    parsed = parse_url(url, {"postgresql": 5432, "postgres": 5432})
    target = parsed.database or "postgres"
    try:
        _create_database_postgres(psycopg, parsed, target)
        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), connect_timeout=5) as conn:
            for table in tables:
                conn.execute(_drop_table(table.name).sql("postgres"))
                conn.execute(_create_table(table, "postgres").sql("postgres"))
                copy = psycopg.sql.SQL("COPY {} FROM STDIN WITH (FORMAT csv)").format(
                    psycopg.sql.Identifier(table.name)
                )
                payload = _csv_bytes(table.data)
                with conn.cursor() as cursor, cursor.copy(copy) as stream:
                    for start in range(0, len(payload), COPY_CHUNK):
                        stream.write(payload[start : start + COPY_CHUNK])
                for statement in _indexes(table, "postgres"):
                    conn.execute(statement)
                for column, text in _comments(table):
                    target = psycopg.sql.Identifier(table.name)
                    if column is not None:
                        target = psycopg.sql.Identifier(table.name, column)
                    kind = "TABLE" if column is None else "COLUMN"
                    conn.execute(
                        psycopg.sql.SQL("COMMENT ON {} {} IS {}").format(
                            psycopg.sql.SQL(kind), target, psycopg.sql.Literal(text)
                        )
                    )
            conn.execute("ANALYZE")
    except psycopg.Error as error:
        raise translate(error, parsed) from error


def _create_database_postgres(psycopg: Any, url: DatabaseURL, name: str) -> None:
    admin = DatabaseURL(url.scheme, url.host, url.port, url.user, url.password, "postgres")
    conninfo = psycopg.conninfo.make_conninfo(
        host=admin.host or "127.0.0.1",
        port=admin.port or 5432,
        user=admin.user or "postgres",
        password=admin.password or None,
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


# -- MySQL / MariaDB -----------------------------------------------------------------------------
def _load_mysql(url: str, tables: list[SourceTable]) -> None:
    from nlq.engines.mysql import connect, driver, translate

    pymysql = driver()
    parsed = parse_url(url, {"mysql": 3306, "mariadb": 3306})
    database = parsed.database or "nlq_demo"
    server = DatabaseURL(parsed.scheme, parsed.host, parsed.port, parsed.user, parsed.password, "")
    conn = connect(server, local_infile=True)
    quoted = exp.to_identifier(database).sql("mysql")
    try:
        with conn.cursor() as cursor, _scratch() as folder:
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS {quoted} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
            )
            cursor.execute(f"USE {quoted}")
            for table in tables:
                cursor.execute(_drop_table(table.name).sql("mysql"))
                cursor.execute(
                    _create_table(table, "mysql").sql("mysql")
                    + " DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
                )
                path = folder / f"{table.name}.csv"
                path.write_bytes(_csv_bytes(table.data))
                variables = [f"@c{i}" for i in range(len(table.columns))]
                # An empty unquoted field is a NULL (the demo has no empty strings).
                assignments = ", ".join(
                    f"{exp.to_identifier(name).sql('mysql')} = NULLIF({var}, '')"
                    for (name, _), var in zip(table.columns, variables, strict=True)
                )
                cursor.execute(
                    f"LOAD DATA LOCAL INFILE %s INTO TABLE {exp.to_identifier(table.name).sql('mysql')} "
                    "CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
                    f"LINES TERMINATED BY '\\n' ({', '.join(variables)}) SET {assignments}",
                    [str(path)],
                )
                for statement in _indexes(table, "mysql"):
                    cursor.execute(statement)
                cursor.execute(f"ANALYZE TABLE {exp.to_identifier(table.name).sql('mysql')}")
    except pymysql.Error as error:
        raise translate(error, parsed) from error
    finally:
        conn.close()


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="nlq-load-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- chDB ----------------------------------------------------------------------------------------
def _load_chdb(url: str, tables: list[SourceTable]) -> None:
    from chdb import session

    from nlq.engines.clickhouse import ChDBConnector

    folder = ChDBConnector.folder_of(parse_url(url))
    if not folder:
        raise ConnectorError(
            "chdb:// needs a data folder to load into: chdb:///path/to/dir",
            "chdb:// 需要指定数据目录：chdb:///路径",
            kind="missing",
        )
    Path(folder).mkdir(parents=True, exist_ok=True)
    chdb = session.Session(folder)
    try:
        with _scratch() as scratch:
            for table in tables:
                chdb.query(_drop_table(table.name).sql("clickhouse"))
                chdb.query(_create_table(table, "clickhouse").sql("clickhouse"))
                path = scratch / f"{table.name}.parquet"
                pq.write_table(table.data, path)
                source = exp.Anonymous(
                    this="file", expressions=[exp.Literal.string(str(path)), exp.var("Parquet")]
                )
                insert = exp.insert(exp.select("*").from_(source), table.name)
                chdb.query(insert.sql("clickhouse"))
    except Exception as error:  # chDB raises its own error type
        from nlq.engines.clickhouse import translate

        raise translate(error, parse_url(url)) from error
    finally:
        chdb.close()


# -- Spark -----------------------------------------------------------------------------------------
def _load_spark(url: str, tables: list[SourceTable]) -> None:
    from nlq.engines.spark import DEFAULT_WAREHOUSE, parse_spark_url

    master, options = parse_spark_url(url)
    if not master.startswith("local") and "warehouse" not in options:
        raise ConnectorError(
            "loading into a Spark cluster is not supported: use spark://local[*]?warehouse=DIR",
            "不支持向 Spark 集群导入：请使用 spark://local[*]?warehouse=目录",
            kind="missing",
        )
    warehouse = Path(options.get("warehouse", str(DEFAULT_WAREHOUSE)))
    warehouse.mkdir(parents=True, exist_ok=True)
    for table in tables:
        final = warehouse / f"{table.name}.parquet"
        tmp = final.with_name(f".{final.name}.tmp")
        # Microsecond timestamps without a time zone: Spark reads them as TIMESTAMP_NTZ.
        pq.write_table(table.data, tmp, coerce_timestamps="us")
        tmp.replace(final)
