"""Raw SQL under a role (nlq.semantic.rawsql.secure_sql): every table is read
through the role's view, checked by running the secured SQL on the demo
warehouse and comparing with hand-written SQL that applies the policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.pipeline import Pipeline
from nlq.semantic.errors import AccessDenied, QueryError
from nlq.semantic.guard import UnsafeQuery
from nlq.semantic.loader import load_layer
from nlq.semantic.rawsql import secure_sql

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
EAST = "('上海', '江苏', '浙江', '安徽', '福建', '江西', '山东')"
# The role's orders: in 华东, and (through orders -> users) of a user in 华东 too.
EAST_ORDERS = (
    "SELECT o.* FROM orders o LEFT JOIN users u ON u.user_id = o.user_id "
    f"WHERE o.province IN {EAST} AND (o.user_id IS NULL OR u.province IN {EAST})"
)


@pytest.fixture(scope="module")
def layer() -> Any:
    return load_layer(DEMO)[0]


def run(con: duckdb.DuckDBPyConnection, layer: Any, sql: str, role: str) -> list[tuple[Any, ...]]:
    secured = secure_sql(sql, layer, role=role, dialect="duckdb", max_rows=1000)
    return con.execute(secured.sql("duckdb")).fetchall()


def test_east_manager_reads_only_east_china_rows(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    got = run(con, layer, "SELECT SUM(amount) FROM order_items", "east_manager")
    expected = con.execute(
        f"SELECT SUM(i.amount) FROM order_items i JOIN ({EAST_ORDERS}) o USING (order_id)"
    ).fetchone()
    total = con.execute("SELECT SUM(amount) FROM order_items").fetchone()
    assert expected is not None and total is not None
    assert got[0][0] == pytest.approx(expected[0]) and got[0][0] < total[0]
    provinces = {r[0] for r in run(con, layer, "SELECT DISTINCT province FROM orders", "east_manager")}
    assert provinces and provinces <= {"上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"}
    # An alias, a self-join and a CTE do not get around the view.
    joined = run(
        con,
        layer,
        "WITH o AS (SELECT * FROM orders) SELECT COUNT(*) FROM o JOIN orders x ON x.order_id = o.order_id",
        "east_manager",
    )
    east_orders = con.execute(f"SELECT COUNT(*) FROM ({EAST_ORDERS})").fetchone()
    assert east_orders is not None and joined[0][0] == east_orders[0]


def test_analyst_sees_masked_phones_and_names(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    raw = dict(con.execute("SELECT user_id, phone FROM users").fetchall())
    rows = run(con, layer, "SELECT u.user_id, u.phone, u.user_name FROM users u LIMIT 50", "analyst")
    assert len(rows) == 50
    for user_id, phone, name in rows:
        assert phone == raw[user_id][:3] + "****" + raw[user_id][-4:]
        assert len(name) == 2 and name.endswith("*")
    star = run(con, layer, "SELECT * FROM users LIMIT 5", "analyst")
    assert all(value not in raw.values() for row in star for value in row)
    admin = run(con, layer, "SELECT user_id, phone FROM users LIMIT 5", "admin")
    assert all(raw[user_id] == phone for user_id, phone in admin)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT user_id FROM users WHERE phone LIKE '138%'",
        "SELECT user_id FROM users ORDER BY phone",
        "SELECT user_name, COUNT(*) FROM users GROUP BY user_name",
        "SELECT user_name, COUNT(*) FROM users GROUP BY 1",
        "SELECT city FROM users GROUP BY city HAVING MAX(phone) > '139'",
        "SELECT o.order_id FROM orders o JOIN users u ON u.phone = CAST(o.user_id AS VARCHAR)",
        "WITH a AS (SELECT phone AS p FROM users) SELECT * FROM a ORDER BY p",
        "SELECT * FROM (SELECT user_name AS n FROM users) t WHERE t.n = '张伟'",
        "SELECT order_id FROM orders WHERE CAST(user_id AS VARCHAR) IN (SELECT phone FROM users)",
        "SELECT user_id, ROW_NUMBER() OVER (ORDER BY phone) FROM users",
        "SELECT x FROM (SELECT phone AS x FROM users UNION ALL SELECT city FROM users) u ORDER BY x",
        "SELECT phone, COUNT(*) FROM users GROUP BY ALL",
        "SELECT user_name FROM users ORDER BY ALL",
        "SELECT DISTINCT ON (phone) user_id FROM users",
    ],
)
def test_masked_columns_cannot_filter_group_sort_or_join(layer: Any, sql: str) -> None:
    with pytest.raises(AccessDenied) as error:
        secure_sql(sql, layer, role="analyst", dialect="duckdb")
    assert "脱敏" in error.value.zh
    secure_sql(sql, layer, role="admin", dialect="duckdb")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT phone FROM users",
        "SELECT user_id FROM users WHERE birth_date > '2000-01-01'",
        "SELECT SUM(unit_cost) FROM products",
        "SELECT p.product_name, p.unit_cost FROM products p",
    ],
)
def test_hidden_columns_are_refused(layer: Any, sql: str) -> None:
    with pytest.raises(AccessDenied) as error:
        secure_sql(sql, layer, role="marketing", dialect="duckdb")
    assert "无权查看字段" in error.value.zh


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT phone FROM users",
        "SELECT user_id, COUNT(phone) OVER () AS n FROM users",
        "SELECT COUNT(DISTINCT user_name) FROM users WHERE city = '上海'",
        "SELECT city, COUNT(phone) FROM users GROUP BY ALL",
        "WITH a AS (SELECT phone AS p, city FROM users) SELECT p FROM a WHERE city = '上海' ORDER BY city",
    ],
)
def test_masked_columns_may_be_shown(layer: Any, sql: str) -> None:
    secure_sql(sql, layer, role="analyst", dialect="duckdb")


def test_star_leaves_hidden_columns_out(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    secured = secure_sql("SELECT * FROM products LIMIT 3", layer, role="marketing", dialect="duckdb")
    columns = [d[0] for d in con.execute(secured.sql("duckdb")).description]
    assert "unit_cost" not in columns and "product_name" in columns


@pytest.mark.parametrize(
    ("sql", "role", "error"),
    [
        ("SELECT * FROM information_schema.tables", "analyst", UnsafeQuery),
        ("SELECT * FROM secret_table", "admin", UnsafeQuery),
        ("SELECT nope FROM users", "analyst", QueryError),
        ("SELECT 1; SELECT 2", "admin", UnsafeQuery),
        ("DELETE FROM orders", "admin", UnsafeQuery),
        ("SELECT * FROM orders", "nobody", AccessDenied),
        ("SELECT * FROM information_schema.tables JOIN orders ON TRUE", "admin", UnsafeQuery),
        ("SELECT user_id FROM users WHERE COLUMNS('ph.*') LIKE '138%'", "analyst", UnsafeQuery),
    ],
)
def test_refusals(layer: Any, sql: str, role: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        secure_sql(sql, layer, role=role, dialect="duckdb")


def test_admin_reads_the_catalog(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(con, layer, "SELECT table_name FROM information_schema.tables", "admin")
    assert "orders" in {r[0] for r in rows}


SHADOWS = [
    "WITH {t} AS (SELECT 1 AS order_id) SELECT COUNT(*) FROM order_items",
    "WITH {T} AS (SELECT 1 AS user_id, '上海' AS province) SELECT COUNT(*) FROM orders",
    'WITH "{t}" AS (SELECT 1 AS x) SELECT COUNT(*) FROM refunds',
    "WITH RECURSIVE {t}(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM {t} WHERE n < 3) SELECT COUNT(*) FROM reviews",
    "WITH x AS (WITH {t} AS (SELECT 1 AS y) SELECT y FROM {t}) SELECT COUNT(*) FROM events, x",
]


@pytest.mark.parametrize("role", ["east_manager", "analyst", "admin"])
@pytest.mark.parametrize("template", SHADOWS)
def test_no_name_the_query_defines_may_shadow_a_table(layer: Any, template: str, role: str) -> None:
    # The row filters of the views look up parent rows by table name (EXISTS (SELECT 1 FROM
    # orders ...)): a CTE of that name would answer for the table.
    for model in layer.models:
        sql = template.format(t=model.table, T=model.table.upper())
        with pytest.raises(UnsafeQuery, match="name of a table of the semantic layer"):
            secure_sql(sql, layer, role=role, dialect="duckdb", max_rows=1000)


def test_the_cte_attack_on_row_filters_is_refused(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    attack = (
        "WITH orders AS (SELECT unnest(range(1, 300000)) AS order_id, '上海' AS province, NULL::BIGINT AS user_id)"
        " SELECT count(*), sum(amount) FROM order_items"
    )
    with pytest.raises(UnsafeQuery):
        run(con, layer, attack, "east_manager")
    # Any other name is the query's own.
    assert run(con, layer, "WITH seven AS (SELECT 7 AS x) SELECT x FROM seven", "east_manager") == [(7,)]


def test_row_cap(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    secured = secure_sql("SELECT order_id FROM orders", layer, role="admin", dialect="duckdb", max_rows=7)
    assert len(con.execute(secured.sql("duckdb")).fetchall()) == 7


def test_user_attributes_bind_the_views(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    sql = "SELECT DISTINCT o.province FROM orders o JOIN users u ON u.user_id = o.user_id"
    secured = secure_sql(
        sql, layer, role="province_manager", attributes={"province": "浙江"}, dialect="duckdb"
    )
    assert con.execute(secured.sql("duckdb")).fetchall() == [("浙江",)]
    with pytest.raises(AccessDenied) as error:
        secure_sql(sql, layer, role="province_manager", dialect="duckdb")
    assert "province" in error.value.zh


def test_a_masked_column_in_capitals_or_through_a_star_is_still_refused(
    warehouse_path: Path, tmp_path: Path
) -> None:
    pipeline = Pipeline(db=warehouse_path, role="analyst", audit=tmp_path / "audit.sqlite")
    capitals = pipeline.sql("SELECT COUNT(*) FROM users WHERE PHONE LIKE '138%'")
    star = pipeline.sql("SELECT * FROM (SELECT * FROM users) u ORDER BY ALL LIMIT 5")
    pipeline.close()
    assert capitals.status == "refused" and not capitals.answers
    assert star.status == "refused" and not star.answers


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT CASE WHEN phone LIKE '138%' THEN 1 ELSE 0 END AS x FROM users",
        "SELECT phone = '13800000000' AS hit FROM users",
        "SELECT arg_max(user_id, phone) FROM users",
        "SELECT max_by(user_id, user_name) FROM users",
        "SELECT phone FROM users UNION SELECT '13800000000'",
        "SELECT user_name FROM users INTERSECT SELECT '张三'",
        "SELECT user_name FROM users EXCEPT SELECT '张三'",
        "WITH a AS (SELECT phone AS p FROM users) SELECT CASE WHEN p > '1' THEN 1 END FROM a",
        "SELECT list_filter([phone], x -> x LIKE '138%') FROM users",
        "SELECT length(phone) FROM users",
        "SELECT substr(user_name, 1, 1) FROM users",
    ],
)
def test_a_masked_column_is_shown_as_it_is_or_not_at_all(layer: Any, sql: str) -> None:
    with pytest.raises(AccessDenied, match="only masked"):
        secure_sql(sql, layer, role="analyst", dialect="duckdb", max_rows=1000)


def test_lineage_too_deep_to_follow_is_refused_not_trusted(layer: Any) -> None:
    depth = 80
    ctes = ["c0 AS (SELECT phone AS p FROM users)"] + [
        f"c{i} AS (SELECT p FROM c{i - 1})" for i in range(1, depth)
    ]
    sql = "WITH " + ", ".join(ctes) + f" SELECT p FROM c{depth - 1} ORDER BY p"
    with pytest.raises(AccessDenied, match="cannot be traced"):
        secure_sql(sql, layer, role="analyst", dialect="duckdb", max_rows=1000)
    # The admin sees phones unmasked: nothing to trace, the same query is fine.
    secure_sql(sql, layer, role="admin", dialect="duckdb", max_rows=1000)


def _doubling(levels: int) -> str:
    """Each level reads the one below it twice: a lineage of 2^levels paths over
    `levels` CTEs, with a masked column carried along, unused, beside them."""
    ctes = ["c0 AS (SELECT province AS p, phone AS ph FROM users)"] + [
        f"c{i} AS (SELECT a.p || b.p AS p, a.ph AS ph FROM c{i - 1} AS a, c{i - 1} AS b)"
        for i in range(1, levels)
    ]
    return "WITH " + ", ".join(ctes) + f" SELECT count(*) FROM c{levels - 1} WHERE p LIKE '上海%'"


def test_a_lineage_of_exponentially_many_paths_is_checked_once_per_column(layer: Any) -> None:
    # 2^25 paths: followed one by one, the check would take hours.
    secure_sql(_doubling(25), layer, role="analyst", dialect="duckdb", max_rows=1000)
    masked = _doubling(25).replace("WHERE p LIKE", "WHERE ph LIKE")
    with pytest.raises(AccessDenied, match="only masked"):
        secure_sql(masked, layer, role="analyst", dialect="duckdb", max_rows=1000)


def test_the_masking_check_shares_the_query_time_budget(layer: Any) -> None:
    with pytest.raises(AccessDenied, match="time limit"):
        secure_sql(_doubling(8), layer, role="analyst", dialect="duckdb", max_rows=1000, deadline=0.0)
