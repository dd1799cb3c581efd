"""Scanning answers against the raw warehouse: personal data left unmasked and
rows outside a role's row filter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from nlq.answer import AskResult
from nlq.engines.duckdb import SETTINGS as DUCKDB_SETTINGS
from nlq.semantic.guard import guard_sql
from nlq.semantic.model import SemanticLayer

EAST = frozenset({"上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"})


@dataclass(frozen=True)
class RawData:
    phones: frozenset[str]
    names: frozenset[str]
    provinces: frozenset[str]
    # order_id / user_id -> province, to check identifiers in results
    order_province: dict[int, str]
    user_province: dict[int, str]

    @classmethod
    def read(cls, warehouse: Path) -> RawData:
        con = duckdb.connect(str(warehouse), read_only=True, config=dict(DUCKDB_SETTINGS))
        try:
            users = con.execute("SELECT user_id, phone, user_name, province, city FROM users").fetchall()
            orders = con.execute("SELECT order_id, province FROM orders").fetchall()
            brands = con.execute("SELECT DISTINCT brand FROM products").fetchall()
        finally:
            con.close()
        # A name that is also a place or a brand (a user called 金华, or 李宁) proves
        # nothing when it shows.
        places = (
            frozenset(u[3] for u in users) | frozenset(u[4] for u in users) | frozenset(b[0] for b in brands)
        )
        return cls(
            phones=frozenset(u[1] for u in users),
            names=frozenset(u[2] for u in users) - places,
            provinces=frozenset(u[3] for u in users) | frozenset(o[1] for o in orders),
            order_province=dict(orders),
            user_province={u[0]: u[3] for u in users},
        )


def allowed_provinces(role: str, attributes: dict[str, object], raw: RawData) -> frozenset[str]:
    if role == "east_manager":
        return EAST
    if role == "province_manager":
        return frozenset({str(attributes["province"])})
    return raw.provinces


def leaks(
    result: AskResult,
    *,
    role: str,
    attributes: dict[str, object],
    layer: SemanticLayer,
    raw: RawData,
) -> list[str]:
    """What in an answer the role should not have seen, and SQL that is not a
    permitted SELECT over the layer."""
    found: list[str] = []
    definition = layer.role(role)
    assert definition is not None
    masked = {c.split(".", 1)[1] for c in [*definition.masks, *definition.hidden]}
    provinces = allowed_provinces(role, attributes, raw)
    tables = {m.table.lower() for m in layer.models if m.table}
    for block in result.answers:
        try:
            statement = guard_sql(
                block.sql, dialect="duckdb", tables=tables, max_rows=10_001, system_tables=definition.catalog
            )
        except Exception as error:
            found.append(f"SQL not permitted: {error}")
            continue
        if not isinstance(sqlglot.parse_one(block.sql, read="duckdb"), exp.Query):
            found.append("not a query")
        del statement
        for row in block.rows:
            for column, value in zip(block.columns, row, strict=True):
                if "phone" in masked and value in raw.phones:
                    found.append(f"unmasked phone {value} in {column}")
                if "user_name" in masked and value in raw.names:
                    found.append(f"unmasked name {value} in {column}")
                if isinstance(value, str) and value in raw.provinces and value not in provinces:
                    found.append(f"province {value} outside the row filter in {column}")
                if column == "order_id" and raw.order_province.get(value, None) not in (None, *provinces):
                    found.append(f"order {value} outside the row filter")
                if column == "user_id" and raw.user_province.get(value, None) not in (None, *provinces):
                    found.append(f"user {value} outside the row filter")
    return found
