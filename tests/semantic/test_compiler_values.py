"""The compiler's answers on the demo warehouse equal independently
hand-written SQL, for every glossary metric of shared/spec/warehouse.md.

Each case is written by hand with slots: {dim} (the grouping expression as
`d`), {where} (filters and time range), {group}, and for nested shapes
{inner_group} / {outer_dim}; {inner_range} is the time range on `s2`."""

from __future__ import annotations

import datetime as dt
import math
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.semantic.compiler import Compiler
from nlq.semantic.errors import AccessDenied, QueryError
from nlq.semantic.loader import load_layer
from nlq.semantic.query import SemanticQuery

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"
START, END = dt.date(2026, 4, 1), dt.date(2026, 6, 30)
EAST = ("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东")

ITEMS = (
    "FROM order_items oi JOIN orders o ON o.order_id = oi.order_id "
    "JOIN users u ON u.user_id = o.user_id JOIN products p ON p.product_id = oi.product_id "
    "WHERE o.pay_time IS NOT NULL AND {where} {group}"
)
ORDERS = (
    "FROM orders o JOIN users u ON u.user_id = o.user_id WHERE o.pay_time IS NOT NULL AND {where} {group}"
)
EVENTS = "FROM events e JOIN users u ON u.user_id = e.user_id WHERE {where} {group}"
REVIEWS = (
    "FROM reviews rv JOIN products p ON p.product_id = rv.product_id JOIN orders o ON o.order_id = rv.order_id "
    "JOIN users u ON u.user_id = o.user_id WHERE {where} {group}"
)


@dataclass(frozen=True)
class Case:
    metric: str
    sql: str
    time: str
    dimension: tuple[str, str]
    filter: tuple[dict[str, Any], str]


CASES = [
    Case(
        "gmv",
        "SELECT {dim} SUM(oi.amount) " + ITEMS,
        "o.order_time",
        ("gender", "u.gender"),
        ({"dimension": "category", "values": ["美妆"]}, "p.category = '美妆'"),
    ),
    Case(
        "order_count",
        "SELECT {dim} COUNT(DISTINCT o.order_id) " + ORDERS,
        "o.order_time",
        ("channel", "o.channel"),
        ({"dimension": "city_tier", "values": ["一线"]}, "u.city_tier = '一线'"),
    ),
    Case(
        "units_sold",
        "SELECT {dim} SUM(oi.quantity) " + ITEMS,
        "o.order_time",
        ("category", "p.category"),
        ({"dimension": "channel", "values": ["天猫"]}, "o.channel = '天猫'"),
    ),
    Case(
        "buyers",
        "SELECT {dim} COUNT(DISTINCT o.user_id) " + ORDERS,
        "o.order_time",
        ("member_level", "u.member_level"),
        ({"dimension": "channel", "values": ["京东"]}, "o.channel = '京东'"),
    ),
    Case(
        "avg_spend_per_buyer",
        "SELECT {dim} SUM(oi.amount) / COUNT(DISTINCT o.user_id) " + ITEMS,
        "o.order_time",
        ("province", "o.province"),
        ({"dimension": "gender", "values": ["女"]}, "u.gender = '女'"),
    ),
    Case(
        "avg_order_value",
        "SELECT {dim} SUM(oi.amount) / COUNT(DISTINCT o.order_id) " + ITEMS,
        "o.order_time",
        ("channel", "o.channel"),
        ({"dimension": "age_group", "values": ["25-34"]}, "u.age_group = '25-34'"),
    ),
    Case(
        "discount_amount",
        "SELECT {dim} SUM(o.discount_amount) " + ORDERS,
        "o.order_time",
        ("channel", "o.channel"),
        ({"dimension": "gender", "values": ["男"]}, "u.gender = '男'"),
    ),
    Case(
        "gross_profit",
        "SELECT {dim} SUM(oi.amount - oi.quantity * p.unit_cost) " + ITEMS,
        "o.order_time",
        ("category", "p.category"),
        ({"dimension": "channel", "values": ["抖音"]}, "o.channel = '抖音'"),
    ),
    Case(
        "gross_margin",
        "SELECT {dim} SUM(oi.amount - oi.quantity * p.unit_cost) / SUM(oi.amount) " + ITEMS,
        "o.order_time",
        ("category", "p.category"),
        ({"dimension": "city_tier", "values": ["二线"]}, "u.city_tier = '二线'"),
    ),
    Case(
        "refund_amount",
        "SELECT {dim} SUM(r.refund_amount) FROM refunds r JOIN orders o ON o.order_id = r.order_id WHERE {where} {group}",
        "r.refund_time",
        ("reason", "r.reason"),
        ({"dimension": "channel", "values": ["抖音"]}, "o.channel = '抖音'"),
    ),
    Case(
        "refund_rate",
        "SELECT {dim} CAST(COUNT(DISTINCT o.order_id) FILTER (WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.order_id = o.order_id)) AS DOUBLE)"
        " / COUNT(DISTINCT o.order_id) FROM orders o JOIN order_items oi ON oi.order_id = o.order_id"
        " JOIN products p ON p.product_id = oi.product_id WHERE o.pay_time IS NOT NULL AND {where} {group}",
        "o.order_time",
        ("category", "p.category"),
        ({"dimension": "channel", "values": ["天猫"]}, "o.channel = '天猫'"),
    ),
    Case(
        "repurchase_rate",
        "SELECT {outer_dim} CAST(COUNT(*) FILTER (WHERE n >= 2) AS DOUBLE) / COUNT(*) FROM ("
        "SELECT {dim} o.user_id, COUNT(DISTINCT o.order_id) AS n "
        + ORDERS.replace("{group}", "GROUP BY {inner_group} o.user_id")
        + ") t {group}",
        "o.order_time",
        ("channel", "o.channel"),
        ({"dimension": "gender", "values": ["女"]}, "u.gender = '女'"),
    ),
    Case(
        "new_users",
        "SELECT {dim} COUNT(*) FROM users u WHERE {where} {group}",
        "u.register_date",
        ("register_channel", "u.register_channel"),
        ({"dimension": "gender", "values": ["女"]}, "u.gender = '女'"),
    ),
    Case(
        "visitors",
        "SELECT {dim} COUNT(DISTINCT e.user_id) "
        + EVENTS.replace("{where}", "e.event_type = 'view' AND {where}"),
        "e.event_time",
        ("channel", "e.channel"),
        ({"dimension": "gender", "values": ["男"]}, "u.gender = '男'"),
    ),
    Case(
        "page_views",
        "SELECT {dim} COUNT(*) " + EVENTS.replace("{where}", "e.event_type = 'view' AND {where}"),
        "e.event_time",
        ("channel", "e.channel"),
        ({"dimension": "city_tier", "values": ["新一线"]}, "u.city_tier = '新一线'"),
    ),
    Case(
        "conversion_rate",
        "SELECT {dim} CAST(COUNT(DISTINCT CASE WHEN e.event_type = 'pay' THEN e.user_id END) AS DOUBLE)"
        " / COUNT(DISTINCT CASE WHEN e.event_type = 'view' THEN e.user_id END) " + EVENTS,
        "e.event_time",
        ("channel", "e.channel"),
        ({"dimension": "gender", "values": ["女"]}, "u.gender = '女'"),
    ),
    Case(
        "cart_adds",
        "SELECT {dim} COUNT(*) " + EVENTS.replace("{where}", "e.event_type = 'cart' AND {where}"),
        "e.event_time",
        ("channel", "e.channel"),
        (
            {"dimension": "member_level", "values": ["金卡会员", "钻石会员"]},
            "u.member_level IN ('金卡会员', '钻石会员')",
        ),
    ),
    Case(
        "review_count",
        "SELECT {dim} COUNT(*) " + REVIEWS,
        "rv.review_time",
        ("category", "p.category"),
        ({"dimension": "stars", "values": [5]}, "rv.rating = 5"),
    ),
    Case(
        "avg_rating",
        "SELECT {dim} AVG(rv.rating) " + REVIEWS,
        "rv.review_time",
        ("category", "p.category"),
        ({"dimension": "channel", "values": ["天猫"]}, "o.channel = '天猫'"),
    ),
    Case(
        "positive_rate",
        "SELECT {dim} CAST(COUNT(*) FILTER (WHERE rv.rating >= 4) AS DOUBLE) / COUNT(*) " + REVIEWS,
        "rv.review_time",
        ("category", "p.category"),
        ({"dimension": "gender", "values": ["男"]}, "u.gender = '男'"),
    ),
    Case(
        "stock_qty",
        "SELECT {dim} SUM(s.stock_qty) FROM inventory_snapshots s JOIN products p ON p.product_id = s.product_id"
        " WHERE s.snapshot_date = (SELECT MAX(s2.snapshot_date) FROM inventory_snapshots s2 WHERE {inner_range})"
        " AND {where} {group}",
        "s.snapshot_date",
        ("warehouse", "s.warehouse"),
        ({"dimension": "category", "values": ["母婴"]}, "p.category = '母婴'"),
    ),
]


def _range(column: str, start: dt.date | None, end: dt.date | None) -> str:
    parts = []
    if start:
        parts.append(f"{column} >= TIMESTAMP '{start}'")
    if end:
        parts.append(f"{column} < TIMESTAMP '{end + dt.timedelta(days=1)}'")
    return " AND ".join(parts) or "TRUE"


def gold(
    con: duckdb.DuckDBPyConnection,
    case: Case,
    *,
    grouped: bool = False,
    filtered: bool = False,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[Any, ...]]:
    where = [_range(case.time, start, end)]
    if filtered:
        where.append(case.filter[1])
    sql = case.sql.format(
        dim=f"{case.dimension[1]} AS d," if grouped else "",
        outer_dim="d," if grouped else "",
        inner_group="d," if grouped else "",
        group="GROUP BY d" if grouped else "",
        where=" AND ".join(where),
        inner_range=_range("s2.snapshot_date", start, end),
    )
    return [tuple(row) for row in con.execute(sql).fetchall()]


@pytest.fixture(scope="module")
def layer():  # type: ignore[no-untyped-def]
    return load_layer(DEMO)[0]


def run(
    con: duckdb.DuckDBPyConnection, layer: Any, query: dict[str, Any], role: str = "admin"
) -> list[tuple[Any, ...]]:
    compiled = Compiler(layer, role=role).compile(SemanticQuery.model_validate(query))
    return [tuple(row) for row in con.execute(compiled.sql()).fetchall()]


def same(value: Any, expected: Any) -> bool:
    if value is None or expected is None:
        return value is None and expected is None
    if isinstance(expected, int | float) or hasattr(expected, "as_integer_ratio"):
        return math.isclose(float(value), float(expected), rel_tol=1e-9, abs_tol=1e-9)
    return bool(value == expected)


def assert_rows(actual: Sequence[tuple[Any, ...]], expected: Sequence[tuple[Any, ...]]) -> None:
    assert len(actual) == len(expected), f"{len(actual)} rows, expected {len(expected)}"
    key = lambda row: tuple(str(v) for v in row[:-1])  # noqa: E731 — rows are keyed by their dimensions
    for got, want in zip(sorted(actual, key=key), sorted(expected, key=key), strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), f"{got} != {want}"


def test_every_glossary_metric_has_a_case(layer: Any) -> None:
    glossary = {
        "gmv",
        "order_count",
        "units_sold",
        "buyers",
        "avg_spend_per_buyer",
        "avg_order_value",
        "discount_amount",
        "gross_profit",
        "gross_margin",
        "refund_amount",
        "refund_rate",
        "repurchase_rate",
        "new_users",
        "visitors",
        "page_views",
        "conversion_rate",
        "cart_adds",
        "review_count",
        "avg_rating",
        "positive_rate",
        "stock_qty",
    }
    assert {c.metric for c in CASES} == glossary
    assert glossary <= {m.name for m in layer.metrics}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.metric)
def test_metric_matches_hand_written_sql(con: duckdb.DuckDBPyConnection, layer: Any, case: Case) -> None:
    metric = case.metric
    as_of = {"end": END}

    total = run(con, layer, {"metrics": [metric], "time_range": as_of})
    assert_rows(total, gold(con, case, end=END))
    assert total[0][0] is not None

    by_dimension = run(
        con, layer, {"metrics": [metric], "dimensions": [case.dimension[0]], "time_range": as_of}
    )
    expected = gold(con, case, grouped=True, end=END)
    assert len(expected) >= 2
    assert_rows(by_dimension, expected)

    flt = {**case.filter[0], "op": "in"}
    filtered = run(con, layer, {"metrics": [metric], "filters": [flt], "time_range": as_of})
    assert_rows(filtered, gold(con, case, filtered=True, end=END))
    assert not same(filtered[0][0], total[0][0])

    in_range = run(con, layer, {"metrics": [metric], "time_range": {"start": START, "end": END}})
    assert_rows(in_range, gold(con, case, start=START, end=END))

    yoy = run(con, layer, {"metrics": [metric], "time_range": {"start": START, "end": END}, "compare": "yoy"})
    current = gold(con, case, start=START, end=END)[0][0]
    previous = gold(con, case, start=START.replace(year=2025), end=END.replace(year=2025))[0][0]
    growth = (float(current) - float(previous)) / float(previous)
    assert_rows(yoy, [(current, previous, float(current) - float(previous), growth)])


def test_gmv_and_visitors_by_channel_in_one_query(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["gmv", "visitors"],
            "dimensions": ["channel"],
            "time_range": {"start": START, "end": END},
        },
    )
    gmv = dict(
        con.execute(
            "SELECT o.channel, SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
            " AND o.order_time >= '2026-04-01' AND o.order_time < '2026-07-01' GROUP BY 1"
        ).fetchall()
    )
    visitors = dict(
        con.execute(
            "SELECT channel, COUNT(DISTINCT user_id) FROM events WHERE event_type = 'view'"
            " AND event_time >= '2026-04-01' AND event_time < '2026-07-01' GROUP BY 1"
        ).fetchall()
    )
    assert len(rows) == 6
    assert_rows(rows, [(c, gmv[c], visitors[c]) for c in gmv])


def test_gmv_by_gender_walks_items_orders_users(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(con, layer, {"metrics": ["gmv"], "dimensions": ["gender"], "time_range": {"end": END}})
    expected = con.execute(
        "SELECT u.gender, SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) JOIN users u USING (user_id)"
        " WHERE o.pay_time IS NOT NULL GROUP BY 1"
    ).fetchall()
    assert_rows(rows, expected)
    total = con.execute(
        "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
    ).fetchone()
    assert total is not None
    assert math.isclose(sum(float(r[1]) for r in rows), float(total[0]), rel_tol=1e-9)


def test_buyers_by_category_count_each_buyer_once_per_category(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["buyers", "avg_spend_per_buyer"],
            "dimensions": ["category"],
            "time_range": {"start": START, "end": END},
        },
    )
    expected = con.execute(
        "SELECT p.category, COUNT(DISTINCT o.user_id), SUM(oi.amount) / COUNT(DISTINCT o.user_id) FROM order_items oi"
        " JOIN orders o USING (order_id) JOIN products p USING (product_id) WHERE o.pay_time IS NOT NULL"
        " AND o.order_time >= '2026-04-01' AND o.order_time < '2026-07-01' GROUP BY 1"
    ).fetchall()
    assert_rows(rows, expected)


def test_order_level_sum_cannot_be_split_by_product_category(layer: Any) -> None:
    with pytest.raises(QueryError) as error:
        Compiler(layer, role="admin").compile(
            SemanticQuery(metrics=["discount_amount"], dimensions=["category"])
        )
    assert "优惠金额" in error.value.zh and "重复计算" in error.value.zh
    assert "counted more than once" in error.value.en


def test_filter_behind_one_to_many_edge_is_a_semi_join(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    query = {
        "metrics": ["order_count", "discount_amount"],
        "filters": [{"dimension": "category", "values": ["美妆"]}],
        "time_range": {"start": START, "end": END},
    }
    compiled = Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query))
    assert "EXISTS" in compiled.sql()
    rows = [tuple(r) for r in con.execute(compiled.sql()).fetchall()]
    expected = con.execute(
        "SELECT COUNT(*), SUM(discount_amount) FROM orders o WHERE pay_time IS NOT NULL AND order_time >= '2026-04-01'"
        " AND order_time < '2026-07-01' AND EXISTS (SELECT 1 FROM order_items oi JOIN products p USING (product_id)"
        " WHERE oi.order_id = o.order_id AND p.category = '美妆')"
    ).fetchall()
    assert_rows(rows, expected)


def test_monthly_trend_with_year_over_year(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["gmv"],
            "time_grain": "month",
            "compare": "yoy",
            "time_range": {"start": "2026-01-01", "end": "2026-06-30"},
        },
    )
    monthly = dict(
        con.execute(
            "SELECT CAST(date_trunc('month', o.order_time) AS DATE), SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id)"
            " WHERE o.pay_time IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert [r[0] for r in rows] == [dt.date(2026, m, 1) for m in range(1, 7)]
    for month, current, previous, change, growth in rows:
        before = monthly[month.replace(year=2025)]
        assert same(current, monthly[month]) and same(previous, before)
        assert same(change, float(monthly[month]) - float(before))
        assert same(growth, (float(monthly[month]) - float(before)) / float(before))


def test_previous_period_of_a_calendar_month(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["order_count"],
            "compare": "pop",
            "time_range": {"start": "2026-03-01", "end": "2026-03-31"},
        },
    )
    count = lambda a, b: con.execute(  # noqa: E731
        "SELECT COUNT(*) FROM orders WHERE pay_time IS NOT NULL AND order_time >= ? AND order_time < ?",
        [a, b],
    ).fetchone()[0]
    march, february = count("2026-03-01", "2026-04-01"), count("2026-02-01", "2026-03-01")
    assert_rows(rows, [(march, february, march - february, (march - february) / february)])


def test_weekly_trend_of_new_users_and_stock(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["new_users", "stock_qty"],
            "time_grain": "week",
            "time_range": {"start": "2026-06-01", "end": "2026-06-28"},
        },
    )
    users = dict(
        con.execute(
            "SELECT CAST(date_trunc('week', register_date) AS DATE), COUNT(*) FROM users"
            " WHERE register_date BETWEEN '2026-06-01' AND '2026-06-28' GROUP BY 1"
        ).fetchall()
    )
    stock = dict(
        con.execute(
            "SELECT CAST(date_trunc('week', snapshot_date) AS DATE), SUM(stock_qty) FROM inventory_snapshots"
            " WHERE snapshot_date BETWEEN '2026-06-01' AND '2026-06-28' GROUP BY 1"
        ).fetchall()
    )
    assert [r[0] for r in rows] == sorted(users)
    assert all(r[0].weekday() == 0 for r in rows)  # weeks start on Monday
    assert_rows(rows, [(w, users[w], stock.get(w)) for w in users])


def test_a_warehouse_that_stopped_reporting_has_no_stock_now(
    warehouse_path: Path, tmp_path: Path, layer: Any
) -> None:
    """The latest snapshot is the period's, whatever the filter: a filter reads the same
    snapshot as its row of the breakdown, and a warehouse without a snapshot then has no
    stock rather than the stock of its last report."""
    db = tmp_path / "stopped.duckdb"
    shutil.copy(warehouse_path, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "DELETE FROM inventory_snapshots WHERE warehouse = '西南仓' AND snapshot_date > '2026-06-14'"
        )
        southwest = {"dimension": "warehouse", "op": "=", "values": ["西南仓"]}
        june = {"start": "2026-06-01", "end": "2026-06-30"}
        alone = run(con, layer, {"metrics": ["stock_qty"], "filters": [southwest], "time_range": june})
        by_warehouse = dict(
            run(con, layer, {"metrics": ["stock_qty"], "dimensions": ["warehouse"], "time_range": june})
        )
        weekly = run(
            con,
            layer,
            {"metrics": ["stock_qty"], "time_grain": "week", "filters": [southwest], "time_range": june},
        )
        last_report = con.execute(
            "SELECT SUM(stock_qty) FROM inventory_snapshots WHERE warehouse = '西南仓' AND snapshot_date = '2026-06-14'"
        ).fetchone()
    assert alone == [(None,)]
    assert "西南仓" not in by_warehouse and set(by_warehouse) == {"华东仓", "华南仓", "华北仓"}
    assert last_report is not None and last_report[0] > 0
    # Weeks in which it still reported keep their stock; the last two weeks have none.
    assert [(str(week), stock) for week, stock in weekly][-1] == ("2026-06-08", last_report[0])
    assert len(weekly) == 2


def test_share_of_total_and_top_n(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["gmv"],
            "dimensions": ["category"],
            "share": ["gmv"],
            "order_by": [{"field": "gmv", "desc": True}],
            "limit": 3,
            "time_range": {"end": END},
        },
    )
    everything = con.execute(
        "SELECT p.category, SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) JOIN products p USING (product_id)"
        " WHERE o.pay_time IS NOT NULL GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    total = sum(float(v) for _, v in everything)
    assert [r[0] for r in rows] == [c for c, _ in everything[:3]]
    for (_, gmv, share), (_, expected) in zip(rows, everything[:3], strict=True):
        assert same(gmv, expected) and same(share, float(expected) / total)


def test_metric_filter_keeps_matching_groups(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    by_province = run(
        con, layer, {"metrics": ["order_count"], "dimensions": ["province"], "time_range": {"end": END}}
    )
    threshold = sorted(r[1] for r in by_province)[len(by_province) // 2]
    rows = run(
        con,
        layer,
        {
            "metrics": ["order_count"],
            "dimensions": ["province"],
            "time_range": {"end": END},
            "metric_filters": [{"metric": "order_count", "op": ">=", "value": threshold}],
        },
    )
    assert_rows(rows, [r for r in by_province if r[1] >= threshold])


def test_analyst_sees_masked_personal_data(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(con, layer, {"metrics": [], "dimensions": ["phone", "user_name"], "limit": 5}, role="analyst")
    assert len(rows) == 5
    raw = {phone for (phone,) in con.execute("SELECT phone FROM users").fetchall()}
    ends = {(phone[:3], phone[-4:]) for phone in raw}
    for phone, name in rows:
        assert len(phone) == 11 and phone[3:7] == "****" and phone not in raw
        assert (phone[:3], phone[-4:]) in ends
        assert name.endswith("*") and len(name) == 2
    admin = run(con, layer, {"metrics": [], "dimensions": ["phone"], "limit": 1}, role="admin")
    assert admin[0][0].isdigit()


@pytest.mark.parametrize(
    "query",
    [
        {"metrics": ["order_count"], "dimensions": ["phone"]},
        {
            "metrics": ["order_count"],
            "filters": [{"dimension": "phone", "op": "=", "values": ["13800001234"]}],
        },
        {"metrics": [], "dimensions": ["users.city", "phone"], "order_by": [{"field": "phone"}]},
        {"metrics": ["gmv"], "dimensions": ["user_name"], "order_by": [{"field": "gmv", "desc": True}]},
    ],
)
def test_masked_columns_cannot_group_filter_or_sort(layer: Any, query: dict[str, Any]) -> None:
    with pytest.raises(AccessDenied) as error:
        Compiler(layer, role="analyst").compile(SemanticQuery.model_validate(query))
    assert "脱敏" in error.value.zh and "masked" in error.value.en
    Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query))


def test_east_manager_sees_east_china_only(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {"metrics": ["gmv"], "dimensions": ["province"], "time_range": {"end": END}},
        role="east_manager",
    )
    assert rows and {r[0] for r in rows} <= set(EAST)
    total = run(
        con, layer, {"metrics": ["gmv", "new_users"], "time_range": {"end": END}}, role="east_manager"
    )
    placeholders = ", ".join("?" * len(EAST))
    expected_gmv = con.execute(
        "SELECT SUM(oi.amount) FROM order_items oi JOIN orders o USING (order_id) JOIN users u USING (user_id)"
        f" WHERE o.pay_time IS NOT NULL AND o.province IN ({placeholders}) AND u.province IN ({placeholders})",
        [*EAST, *EAST],
    ).fetchone()[0]
    expected_users = con.execute(
        f"SELECT COUNT(*) FROM users WHERE province IN ({placeholders}) AND register_date <= '2026-06-30'",
        list(EAST),
    ).fetchone()[0]
    assert_rows(total, [(expected_gmv, expected_users)])


def test_denied_metrics_hidden_columns_and_unknown_roles(layer: Any) -> None:
    with pytest.raises(AccessDenied) as error:
        Compiler(layer, role="marketing").compile(SemanticQuery(metrics=["gross_margin"]))
    assert "毛利率" in error.value.zh
    with pytest.raises(AccessDenied):
        Compiler(layer, role="marketing").compile(
            SemanticQuery(metrics=["order_count"], dimensions=["phone"])
        )
    with pytest.raises(AccessDenied):
        Compiler(layer, role="intruder")
    with pytest.raises(AccessDenied):
        Compiler(layer, role=None)


def test_derived_metric_combines_facts_of_different_time_dimensions(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    rows = run(
        con,
        layer,
        {"metrics": ["net_gmv", "gmv", "refund_amount"], "time_range": {"start": START, "end": END}},
    )
    gmv = gold(con, CASES[0], start=START, end=END)[0][0]
    refunds = gold(con, next(c for c in CASES if c.metric == "refund_amount"), start=START, end=END)[0][0]
    assert_rows(rows, [(gmv - refunds, gmv, refunds)])


def test_model_defined_by_sql(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    (tmp_path / "layer.yaml").write_text(
        """
models:
  - name: big_orders
    sql: SELECT order_id, channel, order_time, pay_amount FROM orders WHERE pay_amount >= 1000 AND pay_time IS NOT NULL
    primary_key: order_id
    label: {zh: 大额订单, en: big orders}
    default_time: order_time
    time_dimensions: [{name: order_time, label: {zh: 下单时间, en: order time}}]
    dimensions: [{name: channel, label: {zh: 渠道, en: channel}}]
    measures: [{name: n, agg: count}, {name: amount, agg: sum, expr: pay_amount}]
metrics:
  - {name: big_order_count, measure: big_orders.n, label: {zh: 大额订单数, en: big orders}}
  - {name: big_order_amount, measure: big_orders.amount, label: {zh: 大额订单金额, en: big order amount}}
roles:
  - {name: admin, label: {zh: 管理员, en: admin}}
""",
        encoding="utf-8",
    )
    custom = load_layer(tmp_path / "layer.yaml")[0]
    rows = run(con, custom, {"metrics": ["big_order_count", "big_order_amount"], "dimensions": ["channel"]})
    expected = con.execute(
        "SELECT channel, COUNT(*), SUM(pay_amount) FROM orders WHERE pay_amount >= 1000 AND pay_time IS NOT NULL GROUP BY 1"
    ).fetchall()
    assert_rows(rows, expected)


def test_filter_through_a_shared_parent_is_a_semi_join(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    # refunds -> orders -> order_items -> products: up, then down. Fine in a filter...
    rows = run(
        con,
        layer,
        {
            "metrics": ["refund_amount"],
            "filters": [{"dimension": "category", "values": ["运动户外"]}],
            "time_range": {"start": START, "end": END},
        },
    )
    expected = con.execute(
        "SELECT SUM(r.refund_amount) FROM refunds r WHERE r.refund_time >= '2026-04-01' AND r.refund_time < '2026-07-01'"
        " AND EXISTS (SELECT 1 FROM order_items oi JOIN products p USING (product_id) WHERE oi.order_id = r.order_id"
        " AND p.category = '运动户外')"
    ).fetchall()
    assert_rows(rows, expected)
    # ... but never for grouping: a sum of refunds by product category would double count.
    with pytest.raises(QueryError):
        Compiler(layer, role="admin").compile(
            SemanticQuery(metrics=["refund_amount"], dimensions=["category"])
        )


def test_listing_without_a_metric(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "dimensions": ["products.product_name", "list_price"],
            "filters": [{"dimension": "category", "values": ["美妆"]}],
            "order_by": [{"field": "list_price", "desc": True}, {"field": "product_name", "desc": False}],
            "limit": 5,
        },
    )
    expected = con.execute(
        "SELECT product_name, list_price FROM products WHERE category = '美妆' ORDER BY list_price DESC, product_name LIMIT 5"
    ).fetchall()
    assert [tuple(r) for r in rows] == [tuple(r) for r in expected]


def test_listing_rows_with_a_condition_on_their_metric(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    rows = run(
        con,
        layer,
        {
            "metrics": ["refund_amount"],
            "dimensions": ["order_id", "channel"],
            "metric_filters": [{"metric": "refund_amount", "op": ">", "value": 1000}],
            "time_range": {"start": "2026-05-01", "end": "2026-05-31"},
        },
    )
    expected = con.execute(
        "SELECT o.order_id, o.channel, SUM(r.refund_amount) FROM refunds r JOIN orders o USING (order_id)"
        " WHERE r.refund_time >= '2026-05-01' AND r.refund_time < '2026-06-01' GROUP BY 1, 2 HAVING SUM(r.refund_amount) > 1000"
    ).fetchall()
    assert len(expected) > 10
    assert_rows(rows, expected)


def test_users_of_reviews_are_reached_directly_and_count_alike(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    """reviews -> orders -> users is the declared path; `same: {user_id: user_id}` lets
    the compiler join users on reviews.user_id, with the same answer."""
    query = {"metrics": ["avg_rating", "review_count"], "dimensions": ["member_level", "channel"]}
    compiled = Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query)).sql()
    assert "users.user_id = reviews.user_id" in compiled
    expected = con.execute(
        "SELECT u.member_level, o.channel, AVG(r.rating), COUNT(*) FROM reviews r "
        "JOIN users u ON u.user_id = r.user_id JOIN orders o ON o.order_id = r.order_id GROUP BY 1, 2"
    ).fetchall()
    assert_rows(run(con, layer, query), [(*row[:2], row[2], row[3]) for row in expected])
    without_channel = Compiler(layer, role="admin").compile(
        SemanticQuery(metrics=["avg_rating"], dimensions=["member_level"])
    )
    assert "orders" not in without_channel.sql()


def _without_promises(layer: Any) -> Any:
    """The demo layer with no `complete` or `required_when` relationship: every fact in a
    pass of its own, every optional join a LEFT JOIN."""
    plain = [r.model_copy(update={"complete": False, "required_when": None}) for r in layer.relationships]
    return layer.model_copy(update={"relationships": plain})


def _passes_over_orders(sql: str) -> int:
    return sql.count("orders AS orders")


THIS_YEAR = {"start": "2026-01-01", "end": "2026-06-30"}


@pytest.mark.parametrize(
    "query",
    [
        {"metrics": ["avg_spend_per_buyer"], "filters": [{"dimension": "gender", "values": ["女"]}]},
        {"metrics": ["gmv", "buyers"], "dimensions": ["channel"], "time_range": THIS_YEAR},
        # The category of an item is the item's own: buyers by category walk orders back
        # to their items, which the pass over items already holds.
        {"metrics": ["avg_spend_per_buyer"], "dimensions": ["category"], "time_range": THIS_YEAR},
        {
            "metrics": ["avg_spend_per_buyer"],
            "dimensions": ["city_tier"],
            "filters": [{"dimension": "category", "values": ["美妆", "服饰"]}],
        },
    ],
)
def test_a_distinct_count_rides_along_with_a_finer_fact_and_counts_alike(
    con: duckdb.DuckDBPyConnection, layer: Any, query: dict[str, Any]
) -> None:
    """Every order has items (`complete`): buyers are counted in the pass over the items
    that GMV makes, one scan instead of two, with the same numbers."""
    plain = _without_promises(layer)
    semantic = SemanticQuery.model_validate(query)
    one_pass = Compiler(layer, role="admin").compile(semantic).sql()
    two_passes = Compiler(plain, role="admin").compile(semantic).sql()
    # counted distinct in that pass, or per buyer first (optimizer.entity_first, by a buyer's city tier)
    counted = "COUNT(DISTINCT orders.user_id)" in one_pass or "orders.user_id AS entity" in one_pass
    assert _passes_over_orders(one_pass) == 1 and counted
    assert _passes_over_orders(two_passes) == 2
    rows = run(con, layer, query)
    assert len(rows) >= 1 and all(value is not None for row in rows for value in row)
    assert_rows(rows, run(con, plain, query))


def test_what_would_change_a_distinct_count_keeps_it_in_its_own_pass(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    # A count of the model's own key is a COUNT(*) in its own pass: it stays there.
    own_key = Compiler(layer, role="admin").compile(SemanticQuery(metrics=["gmv", "order_count"])).sql()
    assert _passes_over_orders(own_key) == 2 and "COUNT(*) AS order_count" in own_key
    # A row policy on products hides items of other products, not their orders: buyers
    # counted over visible items would be fewer than over visible orders.
    roles = [
        r.model_copy(update={"row_filters": {**r.row_filters, "products": "category = '美妆'"}})
        if r.name == "admin"
        else r
        for r in layer.roles
    ]
    limited = layer.model_copy(update={"roles": roles})
    query = {"metrics": ["gmv", "buyers"], "dimensions": ["channel"], "time_range": THIS_YEAR}
    sql = Compiler(limited, role="admin").compile(SemanticQuery.model_validate(query)).sql()
    assert _passes_over_orders(sql) == 2
    buyers = {row[0]: row[2] for row in run(con, limited, query)}
    every_buyer = {row[0]: row[2] for row in run(con, layer, query)}
    assert buyers == every_buyer


def test_a_fact_whose_rows_always_have_their_parent_joins_it_inner(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    """events -> products is required when event_type IN ('view', 'cart'): cart adds
    and page views by product join products inner; payments (no product) stay LEFT."""
    ranked = {
        "metrics": ["cart_adds"],
        "dimensions": ["product_name"],
        "order_by": [{"field": "cart_adds"}],
        "limit": 5,
        "time_range": {"start": "2026-06-01", "end": "2026-06-30"},
    }
    both = {"metrics": ["cart_adds", "page_views"], "dimensions": ["category"], "time_range": THIS_YEAR}
    payers = {"metrics": ["payers"], "dimensions": ["category"], "time_range": THIS_YEAR}
    plain = _without_promises(layer)
    for query, join in [
        (ranked, "INNER JOIN products"),
        (both, "INNER JOIN products"),
        (payers, "LEFT JOIN products"),
    ]:
        sql = Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query)).sql()
        assert join in sql
        assert (
            "LEFT JOIN products"
            in Compiler(plain, role="admin").compile(SemanticQuery.model_validate(query)).sql()
        )
        assert_rows(run(con, layer, query), run(con, plain, query))
    assert [row[0] for row in run(con, layer, payers)] == [None]  # payments are of no product
    top = run(con, layer, ranked)
    assert len(top) == 5 and top[0][1] >= top[-1][1] > 0


PINNED_SHARES = [
    ({"metrics": ["gmv"], "dimensions": ["category"], "share": ["gmv"]}, {"category": "美妆"}, "admin"),
    (
        {"metrics": ["order_count"], "dimensions": ["channel"], "share": ["order_count"]},
        {"channel": "天猫"},
        "admin",
    ),
    (
        {
            "metrics": ["gmv", "units_sold"],
            "dimensions": ["category", "channel"],
            "share": ["gmv", "units_sold"],
        },
        {"category": "母婴", "channel": "抖音"},
        "east_manager",
    ),
    (
        {"metrics": ["page_views"], "dimensions": ["channel"], "share": ["page_views"]},
        {"channel": "京东"},
        "admin",
    ),
]


@pytest.mark.parametrize(("query", "pinned", "role"), PINNED_SHARES, ids=lambda v: str(v)[:40])
def test_a_share_of_pinned_values_is_their_row_of_the_shares_of_all_values(
    con: duckdb.DuckDBPyConnection, layer: Any, query: dict[str, Any], pinned: dict[str, str], role: str
) -> None:
    query = {**query, "time_range": {"start": START, "end": END}}
    everything = run(con, layer, query, role=role)
    names = query["dimensions"]
    expected = [row for row in everything if dict(zip(names, row, strict=False)) == pinned]
    assert len(expected) == 1 and len(everything) > 1
    focus = [{"dimension": name, "values": [value]} for name, value in pinned.items()]
    compiled = Compiler(layer, role=role).compile(SemanticQuery.model_validate({**query, "focus": focus}))
    sql = compiled.sql()
    # One pass of conditional aggregates: nothing grouped, no window over the groups.
    assert "GROUP BY" not in sql and "OVER" not in sql and "FILTER" in sql
    names = [c.name for c in compiled.columns]
    rows = [dict(zip(names, row, strict=True)) for row in con.execute(sql).fetchall()]
    # the whole each pinned value is a part of is shown beside its share
    for row in rows:
        for metric in query["share"]:
            assert same(float(row[f"{metric}_all"]) * row[f"{metric}_share"], row[metric])
    shown = [tuple(v for k, v in row.items() if not k.endswith("_all")) for row in rows]
    assert_rows(shown, expected)


def test_a_pinned_value_without_rows_has_no_row(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    for metric in ("gmv", "order_count"):
        query = {
            "metrics": [metric],
            "dimensions": ["channel"],
            "share": [metric],
            "focus": [{"dimension": "channel", "values": ["没有这个渠道"]}],
            "time_range": {"start": START, "end": END},
        }
        assert run(con, layer, query) == []


def test_a_pinned_share_that_does_not_add_up_is_of_the_whole_own_figure(
    con: duckdb.DuckDBPyConnection, layer: Any
) -> None:
    # A buyer of two categories counts in both, so the groups' buyers add up to more than
    # the buyers: 美妆 buyers' share of all buyers is over the buyers themselves (it was
    # over the sum of every category's buyers, a third of the true share); orders likewise.
    sql = {
        "buyers": "COUNT(DISTINCT o.user_id) FILTER (WHERE p.category = '美妆'), COUNT(DISTINCT o.user_id)",
        "order_count": "COUNT(DISTINCT o.order_id) FILTER (WHERE p.category = '美妆'),"
        " COUNT(DISTINCT o.order_id)",
    }
    for metric, figures in sql.items():
        focused = {
            "metrics": [metric],
            "dimensions": ["category"],
            "share": [metric],
            "time_range": {"start": START, "end": END},
            "focus": [{"dimension": "category", "values": ["美妆"]}],
        }
        part, whole = con.execute(
            f"SELECT {figures} FROM orders o JOIN order_items i ON i.order_id = o.order_id"
            " JOIN products p ON p.product_id = i.product_id WHERE o.pay_time IS NOT NULL"
            " AND o.order_time >= DATE '2026-04-01' AND o.order_time < DATE '2026-07-01'"
        ).fetchone()
        assert_rows(run(con, layer, focused), [("美妆", part, whole, part / whole)])
        # each age group's share of 美妆 buyers, within the age group: over its own buyers
        within = {**focused, "dimensions": ["age_group", "category"], "share_within": ["age_group"]}
        rows = run(con, layer, within)
        assert len(rows) == 5 and all(0 < r[4] < 1 and same(r[3] * r[4], r[2]) for r in rows)


def test_rows_grouped_by_their_own_key_are_not_aggregated(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    week = {"start": dt.date(2026, 6, 24), "end": dt.date(2026, 6, 30)}
    query = {
        "metrics": ["refund_amount"],
        "dimensions": ["refund_id", "reason"],
        "time_range": week,
        "order_by": [{"field": "refund_amount", "desc": True}],
        "limit": 5,
    }
    compiled = Compiler(layer, role="admin").compile(SemanticQuery.model_validate(query))
    assert "GROUP BY" not in compiled.sql() and "SUM(" not in compiled.sql()
    expected = con.execute(
        "SELECT refund_id, reason, refund_amount FROM refunds WHERE refund_time >= '2026-06-24'"
        " AND refund_time < '2026-07-01' ORDER BY refund_amount DESC, refund_id LIMIT 5"
    ).fetchall()
    assert [tuple(r) for r in con.execute(compiled.sql()).fetchall()] == [tuple(r) for r in expected]
    # A count is not a value of the row: still counted, one per refund.
    counted = run(con, layer, {**query, "metrics": ["refund_amount", "refund_count"], "limit": None})
    assert len(counted) > 5 and {row[-1] for row in counted} == {1}


def test_a_question_may_date_metrics_by_another_time(con: duckdb.DuckDBPyConnection, layer: Any) -> None:
    # GMV of the orders *paid* in May: order items reach orders.pay_time many-to-one.
    query = {
        "metrics": ["gmv"],
        "time_range": {"start": "2026-05-01", "end": "2026-05-31"},
        "time_dimension": "orders.pay_time",
    }
    expected = con.execute(
        "SELECT SUM(i.amount) FROM order_items i JOIN orders o USING (order_id) WHERE o.pay_time IS NOT NULL"
        " AND o.pay_time >= TIMESTAMP '2026-05-01' AND o.pay_time < TIMESTAMP '2026-06-01'"
    ).fetchall()
    assert_rows(run(con, layer, query), expected)


@pytest.mark.parametrize(
    ("metric", "time", "words"),
    [
        ("gmv", "refunds.refund_time", "不能按退款时间统计时间"),  # refunds hang below orders: no path
        ("stock_qty", "orders.order_time", "快照"),  # a snapshot keeps its snapshot date
    ],
)
def test_a_time_its_rows_cannot_reach_is_refused(layer: Any, metric: str, time: str, words: str) -> None:
    query = SemanticQuery(
        metrics=[metric], time_range={"start": "2026-05-01", "end": "2026-05-31"}, time_dimension=time
    )
    with pytest.raises(QueryError) as error:
        Compiler(layer, role="admin").compile(query)
    assert words in error.value.zh
