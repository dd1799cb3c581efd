"""The demo warehouse: the contract checker, the realism the questions rely
on (measured, not assumed), determinism, linear scale and idempotence."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from nlq.demo.warehouse import build_warehouse

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_warehouse.py"
TABLES = [
    "users",
    "products",
    "campaigns",
    "orders",
    "order_items",
    "refunds",
    "events",
    "inventory_snapshots",
    "reviews",
]
PAID_ITEMS = "FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    row = con.execute(sql).fetchone()
    assert row is not None
    return float(row[0])


@pytest.mark.skipif(not CHECKER.exists(), reason="the shared checker lies beside the project in CI only")
def test_contract_checker_passes(warehouse_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(CHECKER), str(warehouse_path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "conforms" in result.stdout


def test_sizes_at_scale_one(con: duckdb.DuckDBPyConnection) -> None:
    counts = {t: scalar(con, f"SELECT COUNT(*) FROM {t}") for t in TABLES}
    assert counts["users"] == 50_000 and counts["products"] == 1_000 and counts["orders"] == 200_000
    assert 450_000 <= counts["order_items"] <= 550_000
    assert 1_800_000 <= counts["events"] <= 2_200_000


def test_double_eleven_beats_twice_the_median_november_day(con: duckdb.DuckDBPyConnection) -> None:
    for year in (2024, 2025):
        daily = con.execute(
            f"SELECT CAST(o.order_time AS DATE) d, SUM(oi.amount) {PAID_ITEMS} "
            f"AND o.order_time >= '{year}-11-01' AND o.order_time < '{year}-12-01' GROUP BY 1"
        ).fetchall()
        values = sorted(float(v) for _, v in daily)
        median = values[len(values) // 2]
        peak = float(next(v for d, v in daily if d.day == 11))
        assert peak > 2 * median


def test_campaign_peaks_618_and_double_twelve(con: duckdb.DuckDBPyConnection) -> None:
    for day, month in (("06-18", "06"), ("12-12", "12")):
        ratio = scalar(
            con,
            f"WITH d AS (SELECT CAST(order_time AS DATE) d, COUNT(*) n FROM orders WHERE strftime(order_time, '%m') = '{month}'"
            f" AND year(order_time) = 2025 GROUP BY 1) SELECT MAX(n) FILTER (WHERE strftime(d, '%m-%d') = '{day}') / MEDIAN(n) FROM d",
        )
        assert ratio > 2


def test_beauty_buyers_are_mostly_female_and_young_phones_mostly_male(con: duckdb.DuckDBPyConnection) -> None:
    def share(category: str, condition: str) -> float:
        return scalar(
            con,
            f"SELECT AVG(CASE WHEN {condition} THEN 1 ELSE 0 END) FROM users WHERE user_id IN (SELECT o.user_id {PAID_ITEMS}"
            f" AND oi.product_id IN (SELECT product_id FROM products WHERE category = '{category}'))",
        )

    assert share("美妆", "gender = '女'") > 0.6
    assert share("手机数码", "gender = '男'") > 0.55
    everyone = scalar(
        con, "SELECT AVG(CASE WHEN age_group IN ('18-24', '25-34') THEN 1 ELSE 0 END) FROM users"
    )
    assert share("美妆", "age_group IN ('18-24', '25-34')") > everyone + 0.04


def test_top_fifth_of_products_sells_most_units(con: duckdb.DuckDBPyConnection) -> None:
    share = scalar(
        con,
        "WITH u AS (SELECT product_id, SUM(quantity) q FROM order_items GROUP BY 1),"
        " r AS (SELECT q, ROW_NUMBER() OVER (ORDER BY q DESC) rn, COUNT(*) OVER () n FROM u)"
        " SELECT SUM(q) FILTER (WHERE rn <= n * 0.2) / SUM(q) FROM r",
    )
    assert share >= 0.6


def test_every_month_has_paid_orders_in_every_channel_category_and_province(
    con: duckdb.DuckDBPyConnection,
) -> None:
    months = "SELECT DISTINCT date_trunc('month', o.order_time) m"
    assert (
        scalar(con, f"SELECT COUNT(*) FROM ({months}, o.channel FROM orders o WHERE o.pay_time IS NOT NULL)")
        == 30 * 6
    )
    categories = (
        f"{months}, p.category {PAID_ITEMS.replace('WHERE', 'JOIN products p USING (product_id) WHERE')}"
    )
    assert scalar(con, f"SELECT COUNT(*) FROM ({categories})") == 30 * 7
    provinces = scalar(con, "SELECT COUNT(DISTINCT province) FROM orders")
    assert provinces >= 20
    pairs = f"{months}, o.province FROM orders o WHERE o.pay_time IS NOT NULL"
    assert scalar(con, f"SELECT COUNT(*) FROM ({pairs})") == 30 * provinces


def test_yearly_growth_and_weekly_cycle(con: duckdb.DuckDBPyConnection) -> None:
    half = {
        year: scalar(
            con,
            f"SELECT SUM(oi.amount) {PAID_ITEMS} AND year(o.order_time) = {year} AND month(o.order_time) <= 6",
        )
        for year in (2024, 2025, 2026)
    }
    assert half[2024] < half[2025] < half[2026]
    weekend = scalar(
        con, "SELECT AVG(CASE WHEN dayofweek(order_time) IN (0, 6) THEN 1 ELSE 0 END) FROM orders"
    )
    assert weekend > 2 / 7 + 0.005


def test_refunds_concentrate_in_apparel_and_size_problems(con: duckdb.DuckDBPyConnection) -> None:
    rates = dict(
        con.execute(
            "SELECT p.category, COUNT(DISTINCT o.order_id) FILTER (WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.order_id))"
            " / COUNT(DISTINCT o.order_id) FROM orders o JOIN order_items oi USING (order_id) JOIN products p USING (product_id)"
            " WHERE o.pay_time IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert max(rates, key=lambda c: rates[c]) == "服饰"
    top_reason = con.execute(
        "SELECT r.reason FROM refunds r WHERE r.order_id IN (SELECT oi.order_id FROM order_items oi JOIN products p USING (product_id)"
        " WHERE p.category = '服饰') GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1"
    ).fetchone()
    assert top_reason == ("尺码不合适",)


def test_repeat_buyers_in_a_quarter(con: duckdb.DuckDBPyConnection) -> None:
    rate = scalar(
        con,
        "SELECT AVG(CASE WHEN n >= 2 THEN 1 ELSE 0 END) FROM (SELECT user_id, COUNT(*) n FROM orders"
        " WHERE pay_time IS NOT NULL AND order_time >= '2026-04-01' AND order_time < '2026-07-01' GROUP BY 1)",
    )
    assert 0.15 < rate < 0.6


def test_no_data_after_the_last_day(con: duckdb.DuckDBPyConnection) -> None:
    for table, column in (
        ("orders", "pay_time"),
        ("refunds", "refund_time"),
        ("events", "event_time"),
        ("reviews", "review_time"),
    ):
        assert scalar(con, f"SELECT COUNT(*) FROM {table} WHERE {column} >= TIMESTAMP '2026-07-01'") == 0
    assert scalar(con, "SELECT COUNT(*) FROM users WHERE register_date > DATE '2026-06-30'") == 0


def test_personal_data_looks_real(con: duckdb.DuckDBPyConnection) -> None:
    assert scalar(con, "SELECT COUNT(*) FROM users WHERE NOT regexp_full_match(phone, '1[3-9][0-9]{9}')") == 0
    assert scalar(con, "SELECT COUNT(*) FROM users WHERE length(user_name) NOT IN (2, 3)") == 0
    # age_group agrees with the age on the last day of data
    age = "(2026 - year(birth_date) - CASE WHEN strftime(birth_date, '%m-%d') > '06-30' THEN 1 ELSE 0 END)"
    groups = (
        f"CASE WHEN {age} < 25 THEN '18-24' WHEN {age} < 35 THEN '25-34' WHEN {age} < 45 THEN '35-44'"
        f" WHEN {age} < 55 THEN '45-54' ELSE '55+' END"
    )
    assert scalar(con, f"SELECT COUNT(*) FROM users WHERE age_group <> {groups} OR {age} < 18") == 0


def _fingerprint(path: Path) -> dict[str, str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        prints = {}
        for table in TABLES:
            rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
            prints[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        return prints
    finally:
        con.close()


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.duckdb", tmp_path / "b.duckdb", tmp_path / "c.duckdb"
    build_warehouse(first, scale=0.05, seed=7)
    build_warehouse(second, scale=0.05, seed=7)
    build_warehouse(other, scale=0.05, seed=8)
    assert _fingerprint(first) == _fingerprint(second)
    assert _fingerprint(first)["orders"] != _fingerprint(other)["orders"]


def test_scale_is_linear(tmp_path: Path) -> None:
    small = build_warehouse(tmp_path / "s.duckdb", scale=0.2, seed=1).rows
    large = build_warehouse(tmp_path / "l.duckdb", scale=0.4, seed=1).rows
    for table in ("users", "products", "orders", "order_items", "events", "inventory_snapshots"):
        assert large[table] / small[table] == pytest.approx(2.0, rel=0.1), table


def test_build_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    build_warehouse(path, scale=0.05, seed=3)
    stamp = path.stat().st_mtime_ns
    again = build_warehouse(path, scale=0.05, seed=3)
    assert again.skipped and path.stat().st_mtime_ns == stamp
    assert "up to date" in again.summary()
    rebuilt = build_warehouse(path, scale=0.05, seed=4)
    assert not rebuilt.skipped and path.stat().st_mtime_ns != stamp


def test_relationships_declared_required_hold_in_the_data(con: duckdb.DuckDBPyConnection) -> None:
    """`required: true` promises every row finds its parent (the compiler then joins inner)."""
    from nlq.semantic.loader import load_layer

    layer, _ = load_layer(Path(__file__).resolve().parents[1] / "nlq" / "demo" / "semantic")
    required = [r for r in layer.relationships if r.required]
    assert len(required) >= 6
    for rel in required:
        child, key = rel.from_.split(".")
        parent, parent_key = rel.to.split(".")
        orphans = con.execute(
            f"SELECT COUNT(*) FROM {child} c WHERE c.{key} IS NULL"
            f" OR NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{parent_key} = c.{key})"
        ).fetchone()[0]
        assert orphans == 0, rel
