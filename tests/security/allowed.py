"""The rows each demo identity may see, built independently of nlq's policy code:
a DuckDB database per identity holding only those rows, in which any statement
can be run to learn what it should return for that identity.

The rule, from the demo's roles.yaml: a role with a row filter sees the orders
and users its filter keeps, and a row below them (an order's items, refunds and
reviews; a user's orders and events) only when every row it belongs to is seen.
Products, campaigns and stock are not filtered. Masked columns hold the mask."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from nlq.engines.duckdb import SETTINGS as DUCKDB_SETTINGS
from nlq.semantic.policy import MASKS

EAST = ("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东")
TABLES = (
    "users",
    "products",
    "campaigns",
    "orders",
    "order_items",
    "refunds",
    "events",
    "inventory_snapshots",
    "reviews",
)
# Each table's rows that depend on other rows: (column, parent table), the
# warehouse's foreign keys to filtered tables (warehouse.md).
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (("user_id", "users"),),
    "order_items": (("order_id", "orders"),),
    "refunds": (("order_id", "orders"),),
    "reviews": (("order_id", "orders"),),
    "events": (("user_id", "users"),),
}


@dataclass(frozen=True)
class Who:
    """A demo user, the role they ask in and what that role may do."""

    user: str
    role: str
    provinces: tuple[str, ...] | None  # None: every province
    masked: tuple[tuple[str, str, str], ...]  # (table, column, mask kind)
    raw_sql: bool

    @property
    def label(self) -> str:
        return f"{self.user}/{self.role}"


NAME_MASKS = (("users", "phone", "phone"), ("users", "user_name", "name"))
IDENTITIES = (
    Who("li.na", "admin", None, (), raw_sql=True),
    Who("chen.jie", "analyst", None, NAME_MASKS, raw_sql=True),
    Who("zhou.min", "east_manager", EAST, NAME_MASKS, raw_sql=True),
    Who(
        "sun.li",
        "marketing",
        None,
        (("users", "phone", "null"), ("users", "user_name", "null")),
        raw_sql=False,
    ),
    Who("wang.fang", "province_manager", ("浙江",), NAME_MASKS, raw_sql=False),
    Who("zhao.lei", "province_manager", ("广东",), NAME_MASKS, raw_sql=False),
)


def read_tables(warehouse: Path) -> dict[str, pa.Table]:
    con = duckdb.connect(str(warehouse), read_only=True, config=dict(DUCKDB_SETTINGS))
    try:
        return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in TABLES}
    finally:
        con.close()


def allowed_database(tables: dict[str, pa.Table], who: Who, catalog: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database named `catalog` (like the warehouse) holding only the
    rows `who` may see, with their masks applied."""
    con = duckdb.connect()
    con.execute(f"ATTACH ':memory:' AS \"{catalog}\"")
    con.execute(f'USE "{catalog}"')
    for name, table in tables.items():
        con.register(f"raw_{name}", table)
    for name in TABLES:  # parents come before their children
        conditions = list(_own_filter(name, who))
        conditions += [
            f"({column} IS NULL OR {column} IN (SELECT {column} FROM {parent}))"
            for column, parent in PARENTS.get(name, ())
        ]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM raw_{name}{where}")
    for name in tables:
        con.unregister(f"raw_{name}")
    for table, column, kind in who.masked:
        mask = MASKS[kind].replace("value", column)
        con.execute(f"UPDATE {table} SET {column} = {mask}")
    return con


def _own_filter(table: str, who: Who) -> Iterator[str]:
    if who.provinces is not None and table in {"orders", "users"}:
        listed = ", ".join(f"'{p}'" for p in who.provinces)
        yield f"province IN ({listed})"


def run(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[list[str], list[list[Any]]] | str:
    """Columns and rows of a statement, or the engine's error."""
    try:
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description or []], [list(r) for r in cursor.fetchall()]
    except duckdb.Error as error:
        return str(error).splitlines()[0]
