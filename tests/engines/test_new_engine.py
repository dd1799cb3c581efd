"""An engine added in one file: SQLite, written here as a plugin would write it (a
connector, a bulk loader, one `Engine` record) and registered. nlq then loads the
demo warehouse into it, reads its catalog and answers questions on it with the
same rows as on DuckDB, without a line of nlq changed."""

from __future__ import annotations

import datetime as dt
import decimal
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlglot import exp

from nlq.demo.load import load_demo
from nlq.engines import (
    ConnectorError,
    Engine,
    QueryResult,
    TableInfo,
    engine_of,
    open_connector,
    register,
)
from nlq.engines.base import ServerVersioning, assemble_tables, query_failed
from nlq.engines.bulk import SourceTable, create_table, drop_table
from nlq.engines.engine import unregister
from nlq.eval.scoring import ResultSet, match_result
from nlq.pipeline import Pipeline


class SQLiteConnector(ServerVersioning):
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.path = url.removeprefix("sqlite://")
        # Read-only at the file: the database refuses writes whatever the SQL.
        self._con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        with self._lock:
            try:
                cursor = self._con.execute(sql)
                rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
            except sqlite3.Error as error:
                raise query_failed(str(error)) from error
        columns = [d[0] for d in cursor.description or []]
        return QueryResult.capped(columns, [list(r) for r in rows], max_rows, ["" for _ in columns])

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        names = [r[0] for r in self.execute("SELECT name FROM sqlite_master WHERE type = 'table'").rows]
        columns = [[t, c[1], c[2]] for t in names for c in self._con.execute(f"PRAGMA table_info('{t}')")]
        keys = [
            [t, "PRIMARY KEY", c[1], None, None]
            for t in names
            for c in self._con.execute(f"PRAGMA table_info('{t}')")
            if c[5]
        ]
        return assemble_tables(columns, keys)

    def close(self) -> None:
        self._con.close()


def load(url: str, tables: list[SourceTable]) -> None:
    con = sqlite3.connect(url.removeprefix("sqlite://"))
    try:
        for table in tables:
            con.execute(drop_table(table.name).sql("sqlite"))
            con.execute(create_table(table, "sqlite").sql("sqlite"))
            rows = [tuple(_plain(v) for v in row.values()) for row in table.data.to_pylist()]
            marks = ", ".join("?" for _ in table.columns)
            con.executemany(f"INSERT INTO {table.name} VALUES ({marks})", rows)
        con.commit()
    finally:
        con.close()


def _plain(value: object) -> object:
    """Dates and times as ISO text, decimals as floats: what SQLite stores."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return float(value) if isinstance(value, decimal.Decimal) else value


def sqlite_dates(node: exp.Expr) -> exp.Expr:
    """SQLite has no DATE_TRUNC: a period's first day is DATE(x, 'start of ...')."""
    if not isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        return node
    unit = node.args.get("unit")
    modifier = {"MONTH": "start of month", "YEAR": "start of year"}.get(unit.name.upper() if unit else "")
    arguments = [node.this.copy(), *([exp.Literal.string(modifier)] if modifier else [])]
    return exp.Anonymous(this="DATE", expressions=arguments)


SQLITE = Engine(
    name="sqlite",
    schemes=("sqlite",),
    dialect="sqlite",
    connect=SQLiteConnector,
    rewrites=(sqlite_dates,),
    load=load,
)


@pytest.fixture()
def sqlite_engine() -> Iterator[Engine]:
    register(SQLITE)
    yield SQLITE
    unregister("sqlite")


def test_an_engine_in_one_file_loads_and_answers(
    sqlite_engine: Engine, small_warehouse: Path, tmp_path: Path
) -> None:
    url = f"sqlite://{tmp_path / 'demo.sqlite'}"
    assert engine_of(url) == "sqlite"
    report = load_demo(url, small_warehouse)
    assert report.rows["orders"] > 0
    connector = open_connector(url)
    assert set(connector.tables()) >= {"orders", "order_items", "users", "products"}
    connector.close()
    on_sqlite = Pipeline(db=url, audit=tmp_path / "audit.sqlite")
    on_duckdb = Pipeline(db=small_warehouse, audit=tmp_path / "audit.sqlite")
    # Dates kept as ISO text still give the data's last day ("last month" is relative to it).
    assert on_sqlite.latest_date == on_duckdb.latest_date
    for question in [
        "各渠道的订单数",
        "GMV by category",
        "销量最高的3个品牌",
        "2025年各月的订单数",
        "上个月的客单价",
    ]:
        mine, reference = on_sqlite.ask(question), on_duckdb.ask(question)
        assert mine.status == reference.status == "answered", (question, mine.message)
        same, why = match_result(
            ResultSet(reference.answers[0].columns, reference.answers[0].rows),
            ResultSet(mine.answers[0].columns, mine.answers[0].rows),
            ordered=True,
        )
        assert same, (question, why, mine.answers[0].sql)
    # Writes are refused by the engine as by every other.
    assert on_sqlite.sql("DELETE FROM orders").status == "refused"
    on_sqlite.close()
    on_duckdb.close()


def test_an_unregistered_scheme_names_the_known_ones() -> None:
    with pytest.raises(ConnectorError) as error:
        open_connector("sqlite:///nowhere.db")
    assert "sqlite" in error.value.en and "postgresql" in error.value.en and "支持" in error.value.zh
