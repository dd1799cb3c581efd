"""Northwind, the second example warehouse: built from the repository's own Parquet
files by `nlq demo build --example northwind`, its curated layer validated against
the data, and questions answered with the same code as the demo. Every expected
value is computed here by hand-written SQL over the built file."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from nlq.cli import main
from nlq.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
SEMANTIC = ROOT / "examples" / "northwind" / "semantic"
AS_OF = dt.date(1998, 5, 6)

REVENUE = "SUM(od.unit_price * od.quantity * (1 - od.discount))"
LINES = (
    "FROM order_details od JOIN orders o USING (order_id) JOIN products p USING (product_id) "
    "JOIN categories c USING (category_id) JOIN customers cu ON cu.customer_id = o.customer_id "
    "JOIN employees e ON e.employee_id = o.employee_id"
)
ORDERS = "FROM orders o JOIN shippers s ON s.shipper_id = o.ship_via"
LAST_YEAR = "o.order_date BETWEEN DATE '1997-01-01' AND DATE '1997-12-31'"
LAST_MONTH = "BETWEEN DATE '1998-04-01' AND DATE '1998-04-30'"

# (question, SQL of the expected rows, whether the answer's row order matters)
CASES = [
    ("上个月销售额是多少", f"SELECT {REVENUE} {LINES} WHERE o.order_date {LAST_MONTH}", False),
    (
        "revenue by category last year",
        f"SELECT c.category_name, {REVENUE} {LINES} WHERE {LAST_YEAR} GROUP BY 1",
        False,
    ),
    ("去年德国的销售额", f"SELECT {REVENUE} {LINES} WHERE {LAST_YEAR} AND cu.country = 'Germany'", False),
    (
        "每个销售员去年的销售额",
        f"SELECT e.first_name || ' ' || e.last_name, {REVENUE} {LINES} WHERE {LAST_YEAR} GROUP BY 1",
        False,
    ),
    (
        "去年各物流公司的延迟发货订单数",
        f"SELECT s.company_name, COUNT(*) {ORDERS} WHERE {LAST_YEAR} AND o.shipped_date > o.required_date "
        "GROUP BY 1",
        False,
    ),
    (
        "average order value last quarter",
        f"SELECT {REVENUE} / COUNT(DISTINCT o.order_id) {LINES} "
        "WHERE o.order_date BETWEEN DATE '1998-01-01' AND DATE '1998-03-31'",
        False,
    ),
    (
        "乳制品库存",
        "SELECT SUM(p.units_in_stock) FROM products p JOIN categories c USING (category_id) "
        "WHERE c.category_name = 'Dairy Products'",
        False,
    ),
    ("orders shipped last month", f"SELECT COUNT(*) FROM orders o WHERE o.shipped_date {LAST_MONTH}", False),
    # A date word beside the period dates the facts by that time dimension.
    (
        "freight of orders shipped in 1997",
        "SELECT SUM(freight) FROM orders WHERE shipped_date BETWEEN DATE '1997-01-01' AND DATE '1997-12-31'",
        False,
    ),
    (
        "1997年发货的订单的销售额",
        f"SELECT {REVENUE} {LINES} WHERE o.shipped_date BETWEEN DATE '1997-01-01' AND DATE '1997-12-31'",
        False,
    ),
    (
        "要求1998年5月到货的订单数",  # due dates run past the last day of data: the whole month
        "SELECT COUNT(*) FROM orders WHERE required_date BETWEEN DATE '1998-05-01' AND DATE '1998-05-31'",
        False,
    ),
    # A comparison written against a row's attribute is a condition on each row.
    (
        "revenue of products with a list price above 50 in 1997",
        f"SELECT {REVENUE} {LINES} WHERE {LAST_YEAR} AND p.unit_price > 50",
        False,
    ),
    (
        "目录单价在35到45之间的商品有几个",
        "SELECT COUNT(*) FROM products WHERE unit_price BETWEEN 35 AND 45",
        False,
    ),
    (
        "orders with freight over $500 - how many are there?",
        "SELECT COUNT(*) FROM orders WHERE freight > 500 AND order_date <= DATE '1998-05-06'",
        False,
    ),
    (
        "1997年运费超过1000的收货国家",  # each country's total, not each order's freight
        "SELECT ship_country, SUM(freight) FROM orders WHERE order_date BETWEEN DATE '1997-01-01' "
        "AND DATE '1997-12-31' GROUP BY 1 HAVING SUM(freight) > 1000",
        False,
    ),
    # Orders reach an employee's manager: the employees table in another role.
    (
        "1997年向Andrew Fuller汇报的员工一共做了多少销售额",
        f"SELECT {REVENUE} {LINES} JOIN employees m ON m.employee_id = e.reports_to "
        f"WHERE {LAST_YEAR} AND m.first_name = 'Andrew' AND m.last_name = 'Fuller'",
        False,
    ),
    (
        "Freight by shipper for customers in Germany",
        f"SELECT s.company_name, SUM(o.freight) {ORDERS} JOIN customers cu ON cu.customer_id = o.customer_id "
        "WHERE cu.country = 'Germany' AND o.order_date <= DATE '1998-05-06' GROUP BY 1",
        False,
    ),
    (
        "top 5 customers by revenue",
        f"SELECT cu.company_name, {REVENUE} {LINES} WHERE o.order_date <= DATE '1998-05-06' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
        True,
    ),
]


@pytest.fixture(scope="module")
def northwind(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("northwind") / "northwind.duckdb"
    assert main(["demo", "build", "--example", "northwind", "--out", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def pipeline(northwind: Path, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    audit = tmp_path_factory.mktemp("audit") / "audit.sqlite"
    return Pipeline(db=northwind, semantic=SEMANTIC, audit=audit, cache=None)


@pytest.fixture(scope="module")
def con(northwind: Path, pipeline: Pipeline) -> Iterator[duckdb.DuckDBPyConnection]:
    # Opened after the pipeline, with its settings: DuckDB refuses a second connection
    # to one file with other settings.
    from nlq.engines.duckdb import SETTINGS

    connection = duckdb.connect(str(northwind), read_only=True, config=dict(SETTINGS))
    try:
        yield connection
    finally:
        connection.close()


def test_build_makes_one_table_per_parquet_file(northwind: Path) -> None:
    files = sorted(p.stem for p in (ROOT / "examples" / "northwind" / "data").glob("*.parquet"))
    with duckdb.connect(str(northwind), read_only=True) as connection:
        tables = sorted(r[0] for r in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall())
        counts = {
            t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone() for t in ("orders", "order_details")
        }
    assert tables == files
    assert counts == {"orders": (830,), "order_details": (2155,)}


def test_layer_validates_against_the_data(northwind: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["semantic", "validate", str(SEMANTIC), "--db", str(northwind)]) == 0
    assert "valid" in capsys.readouterr().out


def _rows(rows: list[list[object]] | list[tuple[object, ...]], ordered: bool) -> list[tuple[object, ...]]:
    out = [tuple(float(v) if isinstance(v, int | float) else str(v) for v in row) for row in rows]
    return out if ordered else sorted(out, key=str)


def _same(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> bool:
    if len(got) != len(want):
        return False
    for a, b in zip(got, want, strict=True):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-6):
                    return False
            elif x != y:
                return False
    return True


@pytest.mark.parametrize(("question", "sql", "ordered"), CASES, ids=[c[0] for c in CASES])
def test_answers_match_hand_written_sql(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection, question: str, sql: str, ordered: bool
) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "answered", (result.status, result.message)
    assert result.answers, result.interpretation
    got = _rows(result.answers[0].rows, ordered)
    want = _rows(con.execute(sql).fetchall(), ordered)
    assert _same(got, want), (result.interpretation, result.answers[0].sql, got, want)


def test_a_metric_with_no_time_counts_rows_as_they_stand(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = pipeline.ask("各品类分别有多少个商品", as_of=AS_OF)
    assert result.status == "answered", result.message
    assert "当前现状" in result.interpretation
    expected = dict(
        con.execute(
            "SELECT c.category_name, COUNT(*) FROM products p JOIN categories c USING (category_id) GROUP BY 1"
        ).fetchall()
    )
    [answer] = result.answers
    assert {row[0]: row[1] for row in answer.rows} == expected
    # Asked for a period or by month, it says it has no date instead of ignoring the words.
    for question in ["上个月的商品数", "number of products by month"]:
        asked = pipeline.ask(question, as_of=AS_OF)
        assert asked.status == "clarify" and not asked.answers, question


def test_how_many_groups_meet_a_condition(pipeline: Pipeline, con: duckdb.DuckDBPyConnection) -> None:
    result = pipeline.ask("1997年销售额超过1万的客户有几个", as_of=AS_OF)
    assert result.status == "answered", result.message
    expected = con.execute(
        "SELECT COUNT(*) FROM (SELECT o.customer_id FROM orders o JOIN order_details d USING (order_id)"
        " WHERE o.order_date BETWEEN DATE '1997-01-01' AND DATE '1997-12-31' GROUP BY 1"
        " HAVING SUM(d.unit_price * d.quantity * (1 - d.discount)) > 10000)"
    ).fetchone()[0]
    assert result.answers[0].rows == [[expected]] and expected > 0


@pytest.mark.parametrize(
    "question",
    [
        "orders placed in 1997 but shipped in 1998",  # two dates, one period each
        "How many French customers bought products from French suppliers?",  # 法国 of suppliers: unknown
        "units sold by category, just for products from US suppliers",
        "What fraction of orders placed in 1997 were shipped late?",  # a share of nothing it can split
    ],
)
def test_what_cannot_be_read_is_asked_about(pipeline: Pipeline, question: str) -> None:
    result = pipeline.ask(question, as_of=AS_OF)
    assert result.status == "clarify" and not result.answers, (result.interpretation, question)


def test_a_metric_is_not_dated_by_a_time_its_rows_cannot_reach(pipeline: Pipeline) -> None:
    result = pipeline.ask("1993年入职的员工卖了多少商品", as_of=AS_OF)
    # order lines reach the employee, so hire dates can date them; the catalogue cannot
    assert result.status == "answered" or result.status == "clarify"
    stock = pipeline.ask("1997年发货的库存", as_of=AS_OF)
    assert stock.status != "answered", stock.interpretation
