"""The demo warehouse of shared/spec/warehouse.md: a Chinese e-commerce shop,
2024-01-01 .. 2026-06-30, generated with NumPy (vectorised, never a Python
loop over rows) and loaded into DuckDB through Arrow.

Deterministic: every table draws from its own random stream derived from the
seed, so the same seed and scale give identical tables. Scale is linear in
users, products, orders and events. Money is computed in integer cents, so
the invariants (amount = line - its share of the discount, pay = sum of
amounts = total - discount) hold exactly."""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from nlq.demo.catalog import (
    AGE_GROUPS,
    AGE_SHARES,
    AGE_TILT,
    CAMPAIGN_LIFT,
    CAMPAIGNS,
    CATEGORIES,
    CHANNEL_END,
    CHANNEL_START,
    CHANNELS,
    GIVEN,
    MEMBER_LEVELS,
    MEMBER_SHARES,
    PHONE_PREFIXES,
    REASONS,
    REVIEW_TEXTS,
    SURNAMES,
    WAREHOUSES,
)
from nlq.demo.geography import CITIES

GENERATOR_VERSION = "2"
START = dt.date(2024, 1, 1)
END = dt.date(2026, 6, 30)
DAYS = (END - START).days + 1
REFERENCE = END  # age groups are as of the last day of data
DAY = 86_400
END_SECOND = DAYS * DAY - 1  # 2026-06-30 23:59:59, in seconds since START
EPOCH = np.datetime64(START.isoformat(), "s")

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

# Orders by hour of day: quiet at night, a lunch bump and an evening peak.
HOURS = np.array(
    [
        2,
        1,
        0.6,
        0.4,
        0.3,
        0.4,
        0.8,
        1.5,
        2.5,
        3.2,
        3.6,
        3.8,
        4.2,
        3.9,
        3.6,
        3.6,
        3.8,
        4.0,
        4.5,
        5.5,
        6.5,
        7.0,
        6.0,
        4.0,
    ]
)
WEEKDAYS = np.array([0.95, 0.94, 0.96, 1.0, 1.06, 1.14, 1.1])  # Monday first
MONTHS = np.array([1.0, 0.82, 1.0, 0.96, 1.0, 1.04, 0.95, 0.96, 1.0, 1.0, 1.08, 1.1])


@dataclass(frozen=True)
class Planted:
    """A change planted in the data for "why" and "what is unusual" to find (README:
    "Planted changes"). Each draws from a stream of its own, so the rest of the
    warehouse is drawn as before."""

    what: str  # the channel, category or province
    start: dt.date
    end: dt.date
    strength: float  # the share of orders cancelled or sessions lost; the refund risk's factor


# 抖音's paid orders in September 2025: 70% of them cancelled instead (its GMV drops).
CHANNEL_DROP = Planted("抖音", dt.date(2025, 9, 1), dt.date(2025, 9, 30), 0.7)
# Orders with 美妆 in October 2025 are refunded 3.5 times as often.
REFUND_SPIKE = Planted("美妆", dt.date(2025, 10, 1), dt.date(2025, 10, 31), 3.5)
# Browsing sessions of users in 四川 lose 90% in the week of 2025-08-11 (views and carts).
TRAFFIC_DIP = Planted("四川", dt.date(2025, 8, 11), dt.date(2025, 8, 17), 0.9)


def _within(days: Ints, planted: Planted) -> npt.NDArray[np.bool_]:
    return (days >= (planted.start - START).days) & (days <= (planted.end - START).days)


@dataclass
class BuildReport:
    path: Path
    seed: int
    scale: float
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return f"{self.path} is up to date (seed {self.seed}, scale {self.scale:g}); nothing to do"
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return f"built {self.path} in {self.seconds:.1f} s (seed {self.seed}, scale {self.scale:g}): {counts}"


def build_warehouse(out: str | Path, scale: float = 1.0, seed: int = 42) -> BuildReport:
    """Builds the warehouse at `out`, unless one of the same seed, scale and
    generator version is already there. Written to a temporary file first."""
    path = Path(out)
    report = BuildReport(path, seed, scale)
    if scale <= 0:
        raise ValueError("scale must be positive")
    if _up_to_date(path, seed, scale):
        report.skipped = True
        return report
    started = time.perf_counter()
    tables = Generator(seed, scale).tables()
    with built_atomically(path) as con:
        for name, (ddl, data) in tables.items():
            report.rows[name] = _load(con, name, ddl, data)
        con.execute("CREATE TABLE _nlq_build (seed BIGINT, scale DOUBLE, generator_version VARCHAR)")
        con.execute("INSERT INTO _nlq_build VALUES (?, ?, ?)", [seed, scale, GENERATOR_VERSION])
    report.seconds = time.perf_counter() - started
    return report


@contextmanager
def built_atomically(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB file filled in a temporary file beside `path` and moved over it only
    once complete: a reader never sees half a warehouse, a failed build leaves the old one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.building")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _up_to_date(path: Path, seed: int, scale: float) -> bool:
    if not path.exists():
        return False
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT seed, scale, generator_version FROM _nlq_build").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        return False
    return row == (seed, scale, GENERATOR_VERSION)


def _load(con: duckdb.DuckDBPyConnection, name: str, ddl: str, data: pa.Table) -> int:
    """Creates the table with the contract's types and fills it from Arrow in bulk."""
    con.execute(f"CREATE TABLE {name} ({ddl})")
    con.register("incoming", data)
    columns = [c.split()[0] for c in ddl.split(", ") if not c.startswith("PRIMARY")]
    selects = []
    for column, spec in zip(
        columns, [c for c in ddl.split(", ") if not c.startswith("PRIMARY")], strict=True
    ):
        kind = spec.split()[1]
        if kind.startswith("DECIMAL"):
            selects.append(f"ROUND({column}_cents / 100.0, 2)::{kind}")
        else:
            selects.append(f"{column}::{kind}")
    con.execute(f"INSERT INTO {name} SELECT {', '.join(selects)} FROM incoming")
    con.unregister("incoming")
    return len(data)


def _pick(rng: np.random.Generator, weights: npt.ArrayLike, size: int) -> Ints:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def _timestamps(seconds: Ints) -> npt.NDArray[np.datetime64]:
    return EPOCH + seconds.astype("timedelta64[s]")


def _dates(days: Ints) -> npt.NDArray[np.datetime64]:
    return np.datetime64(START.isoformat(), "D") + days.astype("timedelta64[D]")


class Generator:
    def __init__(self, seed: int, scale: float) -> None:
        self.seed = seed
        self.n_users = max(200, round(50_000 * scale))
        self.n_products = max(140, round(1_000 * scale))
        self.n_orders = max(3_000, round(200_000 * scale))
        self.n_events = max(30_000, round(2_000_000 * scale))
        dates = [START + dt.timedelta(days=int(d)) for d in range(DAYS)]
        self.campaign_of_day = np.zeros(DAYS, dtype=np.int64)  # campaign_id, 0 for none
        self.campaign_rows: list[tuple[int, str, dt.date, dt.date]] = []
        self.day_weight = self._day_weights(dates)

    def rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, stream])

    # -- calendar ------------------------------------------------------------------------
    def _day_weights(self, dates: list[dt.date]) -> Floats:
        days = np.arange(DAYS)
        growth = 1.38 ** (days / 365.0)
        weekday = WEEKDAYS[np.array([d.weekday() for d in dates])]
        month = MONTHS[np.array([d.month - 1 for d in dates])]
        lift = np.ones(DAYS)
        for year in (2024, 2025, 2026):
            for name, m, first, last in CAMPAIGNS:
                start, end = dt.date(year, m, first), dt.date(year, m, last)
                if start > END:
                    continue
                campaign_id = len(self.campaign_rows) + 1
                self.campaign_rows.append((campaign_id, f"{year}{name}", start, end))
                a, b = (start - START).days, (end - START).days
                daily, peak = CAMPAIGN_LIFT[name]
                lift[a : b + 1] = daily
                lift[b] = peak
                self.campaign_of_day[a : b + 1] = campaign_id
        noise = self.rng(1).lognormal(0.0, 0.06, DAYS)
        weights: Floats = growth * weekday * month * lift * noise
        return weights

    def _times_of_day(self, rng: np.random.Generator, days: Ints) -> Ints:
        hours = _pick(rng, HOURS, len(days))
        return days * DAY + hours * 3600 + rng.integers(0, 3600, len(days))

    # -- tables -------------------------------------------------------------------------
    def tables(self) -> dict[str, tuple[str, pa.Table]]:
        users = self.users()
        products = self.products()
        orders, items = self.orders(users, products)
        refunds = self.refunds(orders, items)
        events = self.events(users, products, orders)
        reviews = self.reviews(orders, items)
        inventory = self.inventory(products)
        campaigns = self.campaigns()
        return {
            "users": (
                "user_id BIGINT, user_name VARCHAR, phone VARCHAR, gender VARCHAR, birth_date DATE, age_group VARCHAR, "
                "province VARCHAR, city VARCHAR, city_tier VARCHAR, member_level VARCHAR, register_date DATE, "
                "register_channel VARCHAR, PRIMARY KEY (user_id)",
                users,
            ),
            "products": (
                "product_id BIGINT, product_name VARCHAR, brand VARCHAR, category VARCHAR, sub_category VARCHAR, "
                "list_price DECIMAL(12,2), unit_cost DECIMAL(12,2), launch_date DATE, status VARCHAR, PRIMARY KEY (product_id)",
                products,
            ),
            "campaigns": (
                "campaign_id BIGINT, campaign_name VARCHAR, start_date DATE, end_date DATE, PRIMARY KEY (campaign_id)",
                campaigns,
            ),
            "orders": (
                "order_id BIGINT, user_id BIGINT, order_time TIMESTAMP, pay_time TIMESTAMP, status VARCHAR, channel VARCHAR, "
                "province VARCHAR, city VARCHAR, campaign_id BIGINT, total_amount DECIMAL(12,2), discount_amount DECIMAL(12,2), "
                "pay_amount DECIMAL(12,2), PRIMARY KEY (order_id)",
                orders,
            ),
            "order_items": (
                "order_item_id BIGINT, order_id BIGINT, product_id BIGINT, quantity INTEGER, unit_price DECIMAL(12,2), "
                "amount DECIMAL(12,2), PRIMARY KEY (order_item_id)",
                items,
            ),
            "refunds": (
                "refund_id BIGINT, order_id BIGINT, refund_time TIMESTAMP, refund_amount DECIMAL(12,2), reason VARCHAR, PRIMARY KEY (refund_id)",
                refunds,
            ),
            "events": (
                "event_id BIGINT, user_id BIGINT, session_id VARCHAR, event_time TIMESTAMP, event_type VARCHAR, product_id BIGINT, "
                "channel VARCHAR, PRIMARY KEY (event_id)",
                events,
            ),
            "inventory_snapshots": (
                "snapshot_date DATE, product_id BIGINT, warehouse VARCHAR, stock_qty INTEGER",
                inventory,
            ),
            "reviews": (
                "review_id BIGINT, order_id BIGINT, product_id BIGINT, user_id BIGINT, review_time TIMESTAMP, rating INTEGER, "
                "content VARCHAR, PRIMARY KEY (review_id)",
                reviews,
            ),
        }

    def campaigns(self) -> pa.Table:
        ids, names, starts, ends = zip(*self.campaign_rows, strict=True)
        return pa.table(
            {
                "campaign_id": list(ids),
                "campaign_name": list(names),
                "start_date": list(starts),
                "end_date": list(ends),
            }
        )

    # users ---------------------------------------------------------------------------------
    def users(self) -> pa.Table:
        rng, n = self.rng(10), self.n_users
        # 15% registered before the shop's data starts; the rest follow demand.
        early = rng.random(n) < 0.15
        days = np.where(early, rng.integers(-730, 0, n), _pick(rng, self.day_weight**0.7, n))
        days.sort()  # user ids in registration order
        self.user_register_day = days
        gender = np.where(rng.random(n) < 0.52, 1, 0)  # 1 = 女
        age = _pick(rng, AGE_SHARES, n)
        low = np.array([18, 25, 35, 45, 55])[age]
        high = np.array([24, 34, 44, 54, 72])[age]
        years = rng.integers(low, high + 1)
        reference = np.datetime64(REFERENCE.isoformat(), "D")
        birth = reference - (years * 365.25 + rng.integers(20, 340, n)).astype("timedelta64[D]")
        city = _pick(rng, [c[3] for c in CITIES], n)
        self.user_gender, self.user_age, self.user_city = gender, age, city
        # Purchase activity: a few loyal customers buy much more often (repeat buyers).
        self.user_activity = (
            rng.lognormal(0.0, 0.9, n) * np.array([1.0, 1.15, 1.5, 2.2])[_pick(rng, MEMBER_SHARES, n)]
        )
        member = _pick(rng, MEMBER_SHARES, n)
        names = np.char.add(
            np.array(SURNAMES)[rng.integers(0, len(SURNAMES), n)],
            np.array(GIVEN)[rng.integers(0, len(GIVEN), n)],
        )
        two = rng.random(n) < 0.7
        names = np.where(two, np.char.add(names, np.array(GIVEN)[rng.integers(0, len(GIVEN), n)]), names)
        phones = np.char.add(
            np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)],
            np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8),
        )
        return pa.table(
            {
                "user_id": np.arange(1, n + 1),
                "user_name": names,
                "phone": phones,
                "gender": np.array(["男", "女"])[gender],
                "birth_date": birth,
                "age_group": np.array(AGE_GROUPS)[age],
                "province": np.array([c[0] for c in CITIES])[city],
                "city": np.array([c[1] for c in CITIES])[city],
                "city_tier": np.array([c[2] for c in CITIES])[city],
                "member_level": np.array(MEMBER_LEVELS)[member],
                "register_date": _dates(days),
                "register_channel": np.array(CHANNELS)[_pick(rng, CHANNEL_START, n)],
            }
        )

    # products --------------------------------------------------------------------------------
    def products(self) -> pa.Table:
        rng, n = self.rng(20), self.n_products
        category = _pick(rng, [c.weight for c in CATEGORIES], n)
        sub = rng.integers(0, 3, n)
        # Every sub-category of every category occurs.
        category[:21] = np.repeat(np.arange(len(CATEGORIES)), 3)
        sub[:21] = np.tile(np.arange(3), len(CATEGORIES))
        names, brands, subs, medians, spreads = [], [], [], np.zeros(n), np.zeros(n)
        brand_pick = rng.integers(0, 8, n)
        series_pick = rng.integers(0, 5, n)
        for c, cat in enumerate(CATEGORIES):  # a loop over the seven categories
            mask = category == c
            sub_names = list(cat.subcategories)
            sub_of = np.array(sub_names)[sub[mask]]
            brand_of = np.array(cat.brands)[brand_pick[mask] % len(cat.brands)]
            series_of = np.array(cat.series)[series_pick[mask] % len(cat.series)]
            medians[mask] = np.array([cat.subcategories[s][0] for s in sub_names])[sub[mask]]
            spreads[mask] = np.array([cat.subcategories[s][1] for s in sub_names])[sub[mask]]
            subs.append((mask, sub_of))
            brands.append((mask, brand_of))
            names.append((mask, np.char.add(np.char.add(np.char.add(brand_of, " "), series_of), sub_of)))
        product_ids = np.arange(1, n + 1)
        brand = np.empty(n, dtype=object)
        sub_category = np.empty(n, dtype=object)
        name = np.empty(n, dtype=object)
        for (mask, values), (_, b), (_, s) in zip(names, brands, subs, strict=True):
            name[mask] = values
            brand[mask] = b
            sub_category[mask] = s
        # A model number keeps names unique and realistic: "华为 Pro手机 X1023".
        letters = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))[product_ids % 26]
        codes = np.char.add(letters, (1000 + product_ids).astype(str))
        name = np.char.add(np.char.add(name.astype(str), " "), codes)
        price_cents = np.maximum(990, (np.round(medians * rng.lognormal(0, spreads)) * 100 - 10)).astype(
            np.int64
        )
        cost_cents = np.round(price_cents * rng.uniform(0.42, 0.72, n)).astype(np.int64)
        launch = rng.integers(-900, -1, n)
        status = np.where(rng.random(n) < 0.9, "在售", "下架")
        # Pareto popularity within each category: a few products sell most units.
        popularity = np.zeros(n)
        for c in range(len(CATEGORIES)):
            mask = np.flatnonzero(category == c)
            ranks = rng.permutation(len(mask)) + 1
            popularity[mask] = 1.0 / ranks**1.2
        self.product_category, self.product_price, self.product_popularity = category, price_cents, popularity
        return pa.table(
            {
                "product_id": product_ids,
                "product_name": name,
                "brand": brand.astype(str),
                "category": np.array([c.name for c in CATEGORIES])[category],
                "sub_category": sub_category.astype(str),
                "list_price_cents": price_cents,
                "unit_cost_cents": cost_cents,
                "launch_date": _dates(launch),
                "status": status,
            }
        )

    def _products_for(self, rng: np.random.Generator, gender: Ints, age: Ints) -> Ints:
        """A product for each shopper, by what people of their gender and age buy."""
        n = len(gender)
        category = np.zeros(n, dtype=np.int64)
        for g in (0, 1):
            for a in range(len(AGE_GROUPS)):
                mask = np.flatnonzero((gender == g) & (age == a))
                weights = [(c.female if g else c.male) * AGE_TILT[c.name][a] for c in CATEGORIES]
                category[mask] = _pick(rng, weights, len(mask))
        product = np.zeros(n, dtype=np.int64)
        for c in range(len(CATEGORIES)):
            mask = np.flatnonzero(category == c)
            candidates = np.flatnonzero(self.product_category == c)
            cumulative = np.cumsum(self.product_popularity[candidates])
            chosen = np.searchsorted(cumulative, rng.random(len(mask)) * cumulative[-1])
            product[mask] = candidates[np.minimum(chosen, len(candidates) - 1)]
        return product  # index into products (product_id - 1)

    def _shoppers(self, rng: np.random.Generator, days: Ints, flatten: float = 1.0) -> Ints:
        """A registered user for each day, weighted by activity: repeat buyers."""
        eligible = np.searchsorted(self.user_register_day, days, side="right")
        cumulative = np.cumsum(self.user_activity**flatten)
        target = rng.random(len(days)) * cumulative[np.maximum(eligible, 1) - 1]
        return np.minimum(np.searchsorted(cumulative, target), np.maximum(eligible, 1) - 1)

    def _channels(self, rng: np.random.Generator, days: Ints) -> Ints:
        share = days[:, None] / DAYS
        mix = np.array(CHANNEL_START) + (np.array(CHANNEL_END) - np.array(CHANNEL_START)) * share
        return (
            (rng.random(len(days))[:, None] > np.cumsum(mix, axis=1)).sum(axis=1).clip(0, len(CHANNELS) - 1)
        )

    # orders ---------------------------------------------------------------------------------
    def orders(self, users: pa.Table, products: pa.Table) -> tuple[pa.Table, pa.Table]:
        rng, n = self.rng(30), self.n_orders
        per_day = rng.multinomial(n, self.day_weight / self.day_weight.sum())
        day = np.repeat(np.arange(DAYS), per_day)
        order_second = self._times_of_day(rng, day)
        user = self._shoppers(rng, day)
        channel = self._channels(rng, day)
        # Most orders ship to the buyer's own city.
        city = np.where(rng.random(n) < 0.9, self.user_city[user], _pick(rng, [c[3] for c in CITIES], n))
        campaign = np.where(rng.random(n) < 0.92, self.campaign_of_day[day], 0)

        lines = 1 + np.minimum(rng.poisson(1.5, n), 5)
        item_order = np.repeat(np.arange(n), lines)
        product = self._products_for(rng, self.user_gender[user][item_order], self.user_age[user][item_order])
        item_category = self.product_category[product]
        bulk = np.array([c.bulk for c in CATEGORIES])[item_category]
        quantity = 1 + np.minimum(rng.poisson(bulk), 5)
        on_sale = campaign[item_order] > 0
        factor = np.where(
            on_sale, rng.uniform(0.80, 0.92, len(product)), rng.uniform(0.92, 1.0, len(product))
        )
        unit_price = np.round(self.product_price[product] * factor).astype(np.int64)
        line = quantity * unit_price

        total = np.bincount(item_order, weights=line, minlength=n).astype(np.int64)
        rate = np.where(
            campaign > 0,
            rng.uniform(0.03, 0.15, n),
            np.where(rng.random(n) < 0.3, rng.uniform(0.01, 0.06, n), 0.0),
        )
        discount = np.floor(total * rate).astype(np.int64)
        line_discount = (line * discount[item_order]) // total[item_order]
        first_line = np.concatenate(([0], np.cumsum(lines)[:-1]))
        remainder = discount - np.bincount(item_order, weights=line_discount, minlength=n).astype(np.int64)
        line_discount[first_line] += remainder
        amount = line - line_discount
        pay = total - discount

        age = DAYS - 1 - day
        r = rng.random(n)
        unpaid_recent = np.where(age == 0, 0.3, np.where(age == 1, 0.1, 0.0))
        dropped = (
            (channel == CHANNELS.index(CHANNEL_DROP.what))
            & _within(day, CHANNEL_DROP)
            & (self.rng(31).random(n) < CHANNEL_DROP.strength)
        )
        cancelled = (r < 0.05) | dropped
        created = ~cancelled & (r < 0.05 + unpaid_recent)
        paid = ~cancelled & ~created
        refund_risk = np.maximum.reduceat(np.array([c.refund for c in CATEGORIES])[item_category], first_line)
        spiked = [c.name for c in CATEGORIES].index(REFUND_SPIKE.what)
        beauty = np.maximum.reduceat((item_category == spiked).astype(np.int64), first_line) > 0
        refund_risk = np.where(
            beauty & _within(day, REFUND_SPIKE),
            np.minimum(refund_risk * REFUND_SPIKE.strength, 0.7),
            refund_risk,
        )
        refunded = paid & (age > 3) & (rng.random(n) < refund_risk)
        stage = rng.random(n)
        status = np.select(
            [cancelled, created, refunded, paid & (age <= 2), paid & (age <= 8) & (stage < 0.7)],
            ["cancelled", "created", "refunded", "paid", "shipped"],
            "completed",
        )
        pay_second = np.minimum(order_second + rng.integers(30, 1800, n), END_SECOND)

        self.order_user, self.order_day, self.order_channel = user, day, channel
        self.order_second, self.order_pay_second, self.order_paid, self.order_status = (
            order_second,
            pay_second,
            paid,
            status,
        )
        self.order_pay, self.order_first_category = pay, item_category[first_line]
        self.item_order, self.item_product, self.item_category = item_order, product, item_category

        order_ids = np.arange(1, n + 1)
        orders = pa.table(
            {
                "order_id": order_ids,
                "user_id": user + 1,
                "order_time": _timestamps(order_second),
                "pay_time": pa.array(_timestamps(pay_second), mask=~paid),
                "status": status,
                "channel": np.array(CHANNELS)[channel],
                "province": np.array([c[0] for c in CITIES])[city],
                "city": np.array([c[1] for c in CITIES])[city],
                "campaign_id": pa.array(campaign, mask=campaign == 0),
                "total_amount_cents": total,
                "discount_amount_cents": discount,
                "pay_amount_cents": pay,
            }
        )
        items = pa.table(
            {
                "order_item_id": np.arange(1, len(product) + 1),
                "order_id": item_order + 1,
                "product_id": product + 1,
                "quantity": quantity,
                "unit_price_cents": unit_price,
                "amount_cents": amount,
            }
        )
        return orders, items

    def refunds(self, orders: pa.Table, items: pa.Table) -> pa.Table:
        rng = self.rng(40)
        full = np.flatnonzero(self.order_status == "refunded")
        partial = np.flatnonzero(
            (self.order_status == "completed") & (rng.random(len(self.order_status)) < 0.03)
        )
        order = np.concatenate([full, partial])
        order.sort()
        amount = np.where(
            self.order_status[order] == "refunded",
            self.order_pay[order],
            np.maximum(1, np.round(self.order_pay[order] * rng.uniform(0.1, 0.5, len(order)))).astype(
                np.int64
            ),
        )
        when = np.minimum(self.order_pay_second[order] + rng.integers(DAY, 15 * DAY, len(order)), END_SECOND)
        reason = np.zeros(len(order), dtype=np.int64)
        category = self.order_first_category[order]
        for c, cat in enumerate(CATEGORIES):
            mask = np.flatnonzero(category == c)
            reason[mask] = _pick(rng, cat.reasons, len(mask))
        return pa.table(
            {
                "refund_id": np.arange(1, len(order) + 1),
                "order_id": order + 1,
                "refund_time": _timestamps(when),
                "refund_amount_cents": amount,
                "reason": np.array(REASONS)[reason],
            }
        )

    # events -------------------------------------------------------------------------------------
    def events(self, users: pa.Table, products: pa.Table, orders: pa.Table) -> pa.Table:
        rng = self.rng(50)
        n_orders = len(self.order_user)
        paid = np.flatnonzero(self.order_paid)
        browse_budget = max(1, self.n_events - n_orders - len(paid))
        sessions = max(1, int(browse_budget / 2.6))
        session_day = _pick(rng, self.day_weight**0.8, sessions)
        # Browsing is far more widespread than buying: sessions favour active users only mildly.
        session_user = self._shoppers(rng, session_day, flatten=0.25)
        session_channel = self._channels(rng, session_day)
        session_start = self._times_of_day(rng, session_day)
        views_per_session = 1 + rng.poisson(1.2, sessions)
        view_session = np.repeat(np.arange(sessions), views_per_session)
        offset = np.cumsum(rng.integers(20, 180, len(view_session)))
        first = np.concatenate(([0], np.cumsum(views_per_session)[:-1]))
        offset -= np.repeat(offset[first], views_per_session)
        view_time = np.minimum(session_start[view_session] + offset, END_SECOND)
        view_user = session_user[view_session]
        view_product = self._products_for(rng, self.user_gender[view_user], self.user_age[view_user])
        carted = np.flatnonzero(rng.random(len(view_session)) < 0.16)
        cart_time = np.minimum(view_time[carted] + rng.integers(10, 600, len(carted)), END_SECOND)

        order_session = sessions + np.arange(n_orders)
        user = np.concatenate([view_user, view_user[carted], self.order_user, self.order_user[paid]])
        session = np.concatenate([view_session, view_session[carted], order_session, order_session[paid]])
        seconds = np.concatenate([view_time, cart_time, self.order_second, self.order_pay_second[paid]])
        kind = np.concatenate(
            [
                np.zeros(len(view_session), np.int64),
                np.ones(len(carted), np.int64),
                np.full(n_orders, 2, np.int64),
                np.full(len(paid), 3, np.int64),
            ]
        )
        product = np.concatenate(
            [view_product + 1, view_product[carted] + 1, np.zeros(n_orders + len(paid), np.int64)]
        )
        channel = np.concatenate(
            [
                session_channel[view_session],
                session_channel[view_session][carted],
                self.order_channel,
                self.order_channel[paid],
            ]
        )
        # The planted dip: sessions of one province's users in one week, lost with their views and carts.
        provinces = np.array([c[0] for c in CITIES])[self.user_city[session_user]]
        lost = (
            (provinces == TRAFFIC_DIP.what)
            & _within(session_day, TRAFFIC_DIP)
            & (self.rng(51).random(sessions) < TRAFFIC_DIP.strength)
        )
        browsing = np.concatenate(
            [np.ones(len(view_session) + len(carted), bool), np.zeros(n_orders + len(paid), bool)]
        )
        keep = ~(browsing & lost[np.minimum(session, sessions - 1)])
        user, session, seconds, kind, product, channel = (
            a[keep] for a in (user, session, seconds, kind, product, channel)
        )
        order = np.lexsort((kind, seconds))
        session_ids = np.char.add("S", np.char.zfill(session[order].astype(str), 9))
        return pa.table(
            {
                "event_id": np.arange(1, len(order) + 1),
                "user_id": user[order] + 1,
                "session_id": session_ids,
                "event_time": _timestamps(seconds[order]),
                "event_type": np.array(["view", "cart", "order", "pay"])[kind[order]],
                "product_id": pa.array(product[order], mask=product[order] == 0),
                "channel": np.array(CHANNELS)[channel[order]],
            }
        )

    # reviews and stock -----------------------------------------------------------------------------
    def reviews(self, orders: pa.Table, items: pa.Table) -> pa.Table:
        rng = self.rng(60)
        completed = self.order_status[self.item_order] == "completed"
        chosen = np.flatnonzero(completed & (rng.random(len(self.item_order)) < 0.35))
        order = self.item_order[chosen]
        when = self.order_pay_second[order] + rng.integers(3 * DAY, 20 * DAY, len(chosen))
        keep = when <= END_SECOND
        chosen, order, when = chosen[keep], order[keep], when[keep]
        # Categories with more refunds get lower ratings.
        risk = np.array([c.refund for c in CATEGORIES])[self.item_category[chosen]]
        score = rng.random(len(chosen)) + risk * 0.8
        rating = np.select([score < 0.55, score < 0.82, score < 0.92, score < 0.97], [5, 4, 3, 2], 1)
        texts = np.empty(len(chosen), dtype=object)
        pick = rng.integers(0, 6, len(chosen))
        for stars, options in REVIEW_TEXTS.items():
            mask = rating == stars
            texts[mask] = np.array(options)[pick[mask] % len(options)]
        by_time = np.argsort(when, kind="stable")
        return pa.table(
            {
                "review_id": np.arange(1, len(chosen) + 1),
                "order_id": order[by_time] + 1,
                "product_id": self.item_product[chosen][by_time] + 1,
                "user_id": self.order_user[order][by_time] + 1,
                "review_time": _timestamps(when[by_time]),
                "rating": rating[by_time],
                "content": texts[by_time].astype(str),
            }
        )

    def inventory(self, products: pa.Table) -> pa.Table:
        rng = self.rng(70)
        first_sunday = (6 - START.weekday()) % 7
        sundays = np.arange(first_sunday, DAYS, 7)
        n_products, n_warehouses = self.n_products, len(WAREHOUSES)
        base = 60 + 4000 * np.sqrt(self.product_popularity)
        shares = np.array([0.35, 0.3, 0.22, 0.13])
        # Stock is built up before campaigns and drawn down during them.
        campaign_soon = self.campaign_of_day[np.minimum(sundays + 7, DAYS - 1)] > 0
        level = np.where(campaign_soon, 1.25, 1.0)
        grid = level[:, None, None] * base[None, :, None] * shares[None, None, :]
        stock = np.maximum(0, np.round(grid * rng.lognormal(0, 0.25, grid.shape))).astype(np.int64)
        return pa.table(
            {
                "snapshot_date": _dates(np.repeat(sundays, n_products * n_warehouses)),
                "product_id": np.tile(np.repeat(np.arange(1, n_products + 1), n_warehouses), len(sundays)),
                "warehouse": np.tile(np.array(WAREHOUSES), len(sundays) * n_products),
                "stock_qty": stock.reshape(-1),
            }
        )
