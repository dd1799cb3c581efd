"""The demo warehouse against its contract (the spec's warehouse.md, restated here so
that the project checks itself with nothing beside it): every table and column,
every value set, every invariant the generator guarantees. CI also runs the shared
checker when it is present (tests/test_demo_warehouse.py)."""

from __future__ import annotations

import duckdb
import pytest

COLUMNS = {
    "users": "user_id user_name phone gender birth_date age_group province city city_tier member_level "
    "register_date register_channel",
    "products": "product_id product_name brand category sub_category list_price unit_cost launch_date status",
    "campaigns": "campaign_id campaign_name start_date end_date",
    "orders": "order_id user_id order_time pay_time status channel province city campaign_id total_amount "
    "discount_amount pay_amount",
    "order_items": "order_item_id order_id product_id quantity unit_price amount",
    "refunds": "refund_id order_id refund_time refund_amount reason",
    "events": "event_id user_id session_id event_time event_type product_id channel",
    "inventory_snapshots": "snapshot_date product_id warehouse stock_qty",
    "reviews": "review_id order_id product_id user_id review_time rating content",
}
CHANNELS = {"天猫", "京东", "抖音", "微信小程序", "APP", "线下门店"}
VALUE_SETS: dict[tuple[str, str], set[object]] = {
    ("users", "gender"): {"男", "女"},
    ("users", "age_group"): {"18-24", "25-34", "35-44", "45-54", "55+"},
    ("users", "city_tier"): {"一线", "新一线", "二线", "三线及以下"},
    ("users", "member_level"): {"普通会员", "银卡会员", "金卡会员", "钻石会员"},
    ("orders", "channel"): CHANNELS,
    ("events", "channel"): CHANNELS,
    ("users", "register_channel"): CHANNELS,
    ("orders", "status"): {"created", "paid", "shipped", "completed", "cancelled", "refunded"},
    ("products", "category"): {"手机数码", "服饰", "美妆", "家居", "食品", "母婴", "运动户外"},
    ("products", "status"): {"在售", "下架"},
    ("refunds", "reason"): {"质量问题", "尺码不合适", "不想要了", "发货太慢", "描述不符"},
    ("events", "event_type"): {"view", "cart", "order", "pay"},
    ("inventory_snapshots", "warehouse"): {"华东仓", "华南仓", "华北仓", "西南仓"},
    ("reviews", "rating"): {1, 2, 3, 4, 5},
}
SUB_CATEGORIES = {
    "手机数码": {"手机", "耳机", "平板"},
    "服饰": {"女装", "男装", "童装"},
    "美妆": {"护肤", "彩妆", "香水"},
    "家居": {"家纺", "厨具", "收纳"},
    "食品": {"零食", "饮料", "生鲜"},
    "母婴": {"奶粉", "纸尿裤", "玩具"},
    "运动户外": {"运动鞋", "健身器材", "户外装备"},
}
# Each counts the rows that break an invariant of the contract.
BROKEN = {
    "pay_time is set exactly for paid statuses": "SELECT COUNT(*) FROM orders WHERE (pay_time IS NOT NULL) "
    "<> (status IN ('paid', 'shipped', 'completed', 'refunded'))",
    "pay_amount is the sum of the order's item amounts": "SELECT COUNT(*) FROM orders o JOIN (SELECT order_id, "
    "SUM(amount) AS s FROM order_items GROUP BY 1) i USING (order_id) WHERE abs(o.pay_amount - i.s) > 0.011",
    "total - discount = pay": "SELECT COUNT(*) FROM orders WHERE abs(total_amount - discount_amount - pay_amount) > 0.011",
    "every order has items": "SELECT COUNT(*) FROM orders o WHERE NOT EXISTS "
    "(SELECT 1 FROM order_items i WHERE i.order_id = o.order_id)",
    "a refunded order has exactly one full refund": "SELECT COUNT(*) FROM orders o WHERE o.status = 'refunded' "
    "AND (SELECT COUNT(*) FROM refunds r WHERE r.order_id = o.order_id "
    "AND abs(r.refund_amount - o.pay_amount) <= 0.011) <> 1",
    "no refund of an unpaid order": "SELECT COUNT(*) FROM refunds r JOIN orders o USING (order_id) "
    "WHERE o.pay_time IS NULL",
    "a paid order has its user's pay event at pay_time": "SELECT COUNT(*) FROM orders o WHERE o.pay_time IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM events e WHERE e.user_id = o.user_id AND e.event_type = 'pay' "
    "AND e.event_time = o.pay_time)",
    "orders lie in 2024-01-01..2026-06-30": "SELECT COUNT(*) FROM orders WHERE order_time < TIMESTAMP '2024-01-01' "
    "OR order_time >= TIMESTAMP '2026-07-01'",
    "every order's user exists": "SELECT COUNT(*) FROM orders o LEFT JOIN users u USING (user_id) "
    "WHERE u.user_id IS NULL",
    "every item's product exists": "SELECT COUNT(*) FROM order_items i LEFT JOIN products p USING (product_id) "
    "WHERE p.product_id IS NULL",
    "stock is counted on Sundays": "SELECT COUNT(*) FROM inventory_snapshots WHERE dayofweek(snapshot_date) <> 0",
    "a city lies in one province and tier": "SELECT COUNT(*) FROM (SELECT city FROM users GROUP BY city "
    "HAVING COUNT(DISTINCT province) > 1 OR COUNT(DISTINCT city_tier) > 1)",
    "ratings are 1..5": "SELECT COUNT(*) FROM reviews WHERE rating NOT BETWEEN 1 AND 5",
}


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_every_table_has_its_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    have = {
        r[0]
        for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    assert set(COLUMNS[table].split()) <= have


@pytest.mark.parametrize(("table", "column"), sorted(VALUE_SETS))
def test_every_value_set_is_taken_exactly(con: duckdb.DuckDBPyConnection, table: str, column: str) -> None:
    got = {
        r[0]
        for r in con.execute(f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
    }
    assert got == VALUE_SETS[(table, column)]


def test_sub_categories_belong_to_their_categories(con: duckdb.DuckDBPyConnection) -> None:
    pairs = con.execute("SELECT DISTINCT category, sub_category FROM products").fetchall()
    found: dict[str, set[str]] = {}
    for category, sub in pairs:
        found.setdefault(category, set()).add(sub)
    assert found == SUB_CATEGORIES


def test_one_campaign_of_each_kind_a_year(con: duckdb.DuckDBPyConnection) -> None:
    names = {r[0] for r in con.execute("SELECT campaign_name FROM campaigns").fetchall()}
    for year in (2024, 2025):
        for campaign in ("年货节", "38女王节", "618", "双11", "双12"):
            assert f"{year}{campaign}" in names


def test_real_places(con: duckdb.DuckDBPyConnection) -> None:
    provinces, cities = con.execute(
        "SELECT COUNT(DISTINCT province), COUNT(DISTINCT city) FROM users"
    ).fetchone()
    assert provinces >= 20 and cities >= 60


@pytest.mark.parametrize("invariant", sorted(BROKEN))
def test_invariant_holds(con: duckdb.DuckDBPyConnection, invariant: str) -> None:
    row = con.execute(BROKEN[invariant]).fetchone()
    assert row is not None and row[0] == 0, f"{invariant}: {row[0] if row else '?'} rows break it"


def test_paid_orders_in_each_of_the_thirty_months(con: duckdb.DuckDBPyConnection) -> None:
    row = con.execute(
        "SELECT COUNT(DISTINCT date_trunc('month', order_time)) FROM orders WHERE pay_time IS NOT NULL"
    ).fetchone()
    assert row is not None and row[0] == 30
