#!/usr/bin/env python3
"""Build the teashop example warehouse (default: teashop.duckdb beside this file): a deterministic warehouse for a
Chinese milk-tea / coffee chain (茶饮连锁).  Fixed seed, numpy + DuckDB, fast.

Run:  python build.py [out.duckdb]
"""

import os
import sys

import duckdb
import numpy as np
import pandas as pd

SEED = 20250101
OUT = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.path.join(os.path.dirname(os.path.abspath(__file__)), "teashop.duckdb")
)
START = pd.Timestamp("2025-01-01")
END = pd.Timestamp("2026-09-30")  # last day of data (as_of)
N_SALES = 300_000
N_MEMBERS = 20_000

rng = np.random.default_rng(SEED)

# ---------------------------------------------------------------- stores
CITIES = {
    "上海": ["黄浦区", "静安区", "徐汇区", "浦东新区", "杨浦区", "闵行区"],
    "杭州": ["西湖区", "上城区", "拱墅区", "滨江区"],
    "南京": ["玄武区", "鼓楼区", "秦淮区", "江宁区"],
    "苏州": ["姑苏区", "工业园区", "吴中区"],
    "北京": ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"],
    "广州": ["天河区", "越秀区", "海珠区", "番禺区"],
}
STORES_PER_CITY = {"上海": 7, "杭州": 5, "南京": 4, "苏州": 4, "北京": 6, "广州": 4}  # 30
STORE_TYPES = ["街边店", "商场店", "校园店"]

store_rows = []
sid = 1
for city, n in STORES_PER_CITY.items():
    dists = CITIES[city]
    for k in range(n):
        district = dists[k % len(dists)]
        st = STORE_TYPES[rng.choice(3, p=[0.45, 0.4, 0.15])]
        suffix = {"街边店": "店", "商场店": "商场店", "校园店": "校园店"}[st]
        name = f"{city}{district.replace('新区', '').replace('区', '')}{suffix}"
        # most stores open before 2025; a few open during the data window
        od = pd.Timestamp("2018-03-01") + pd.Timedelta(days=int(rng.integers(0, 6 * 365)))
        store_rows.append([sid, name, city, district, st, od.date()])
        sid += 1
stores = pd.DataFrame(
    store_rows, columns=["store_id", "store_name", "city", "district", "store_type", "open_date"]
)
# de-duplicate store names (two stores in the same district and type)
dup = stores.groupby("store_name").cumcount()
stores.loc[dup > 0, "store_name"] = stores.loc[dup > 0, "store_name"] + (dup[dup > 0] + 1).astype(str) + "号"
# new openings inside the window (stores 7, 12, 22, 29)
for s, d in [(7, "2025-04-18"), (12, "2025-09-06"), (22, "2026-01-10"), (29, "2026-05-20")]:
    stores.loc[stores.store_id == s, "open_date"] = pd.Timestamp(d).date()
stores["open_date"] = pd.to_datetime(stores["open_date"])

# ---------------------------------------------------------------- products
DRINKS = {
    "奶茶": (
        [
            "珍珠奶茶",
            "波波奶茶",
            "芋泥啵啵奶茶",
            "黑糖鹿丸奶茶",
            "焦糖布丁奶茶",
            "茉莉奶绿",
            "烤奶",
            "椰果奶茶",
        ],
        13.0,
    ),
    "果茶": (
        ["满杯橙子", "多肉葡萄", "芝芝莓莓", "杨枝甘露", "柠檬绿茶", "满杯红柚", "芒芒甘露", "百香果双响炮"],
        16.0,
    ),
    "咖啡": (["美式咖啡", "拿铁", "生椰拿铁", "燕麦拿铁", "卡布奇诺", "焦糖玛奇朵", "摩卡", "澳白"], 15.0),
}
SNACKS = [
    "蛋挞",
    "芝士蛋糕",
    "提拉米苏",
    "可颂",
    "鸡肉三明治",
    "麻薯",
    "曲奇饼干",
    "华夫饼",
    "肉松小贝",
    "菠萝包",
    "布朗尼",
    "瑞士卷",
]
prod_rows = []
pid = 1
for cat, (names, base) in DRINKS.items():
    for name in names:
        p = base + float(rng.integers(-3, 5))
        prod_rows.append([pid, f"{name}(中杯)", cat, "中杯", p])
        pid += 1
        prod_rows.append([pid, f"{name}(大杯)", cat, "大杯", p + 3.0])
        pid += 1
for name in SNACKS:
    prod_rows.append([pid, name, "小食", None, float(rng.integers(8, 19))])
    pid += 1
products = pd.DataFrame(prod_rows, columns=["product_id", "product_name", "category", "size", "price"])
assert len(products) == 60

# ---------------------------------------------------------------- members
m_ids = np.arange(1, N_MEMBERS + 1)
# join dates: 30% before 2025 (2022..2024), 70% within the window, growing
pre = rng.random(N_MEMBERS) < 0.30
pre_days = rng.integers(0, (START - pd.Timestamp("2022-01-01")).days, N_MEMBERS)
win_len = (END - START).days + 1
win_days = (np.sqrt(rng.random(N_MEMBERS)) * win_len).astype(int)  # more joins later
join = np.where(pre, (pd.Timestamp("2022-01-01") - START).days + pre_days, win_days)
join_date = START + pd.to_timedelta(join, unit="D")
members = pd.DataFrame(
    {
        "member_id": m_ids,
        "gender": np.where(rng.random(N_MEMBERS) < 0.68, "女", "男"),
        "birth_year": np.clip(np.round(rng.normal(1998, 7, N_MEMBERS)), 1960, 2008).astype(int),
        "level": rng.choice(["普通", "银卡", "金卡"], N_MEMBERS, p=[0.65, 0.25, 0.10]),
        "join_date": join_date,
    }
)
members = members.sort_values(["join_date", "member_id"]).reset_index(drop=True)
members["member_id"] = np.arange(1, N_MEMBERS + 1)  # ids in join order

# ---------------------------------------------------------------- sales
days = pd.date_range(START, END, freq="D")
doy = days.day_of_year.values
dow = days.day_of_week.values
t = np.arange(len(days)) / len(days)
week_f = np.array([0.85, 0.85, 0.9, 0.95, 1.1, 1.35, 1.3])[dow]
season_f = 1.0 + 0.30 * np.exp(-(((doy - 205) / 45.0) ** 2))  # summer peak
holiday_f = np.ones(len(days))
for a, b, f in [
    ("2025-01-28", "2025-02-04", 0.6),
    ("2026-02-16", "2026-02-23", 0.6),  # 春节 dip
    ("2025-10-01", "2025-10-07", 1.3),
    ("2026-05-01", "2026-05-05", 1.25),
    ("2025-05-01", "2025-05-05", 1.25),
]:
    holiday_f[(days >= a) & (days <= b)] *= f
trend_f = 1.0 + 0.25 * t
day_w = week_f * season_f * holiday_f * trend_f
day_w /= day_w.sum()
day_idx = rng.choice(len(days), N_SALES, p=day_w)
sale_day = days.values[day_idx]

# hour of day 8..22, lunch and afternoon-tea peaks
hours = np.arange(8, 23)
hour_w = np.array([2, 4, 5, 7, 10, 9, 10, 12, 11, 8, 7, 6, 5, 3, 2], dtype=float)
hour = rng.choice(hours, N_SALES, p=hour_w / hour_w.sum())
secs = rng.integers(0, 3600, N_SALES)
sale_time = sale_day + (hour * 3600 + secs).astype("timedelta64[s]")

# store: weight by type (商场 busiest), only if open
type_w = {"街边店": 1.0, "商场店": 1.35, "校园店": 0.8}
s_w = stores.store_type.map(type_w).values * rng.uniform(0.7, 1.3, len(stores))
s_w /= s_w.sum()
store_idx = rng.choice(len(stores), N_SALES, p=s_w)
open_arr = stores.open_date.values
bad = sale_day < open_arr[store_idx]
always = np.where(open_arr <= np.datetime64(START))[0]
while bad.any():
    store_idx[bad] = rng.choice(always, bad.sum(), p=s_w[always] / s_w[always].sum())
    bad = sale_day < open_arr[store_idx]
# 校园店 are quiet in summer / winter holidays: move part of those sales to other stores
month = pd.DatetimeIndex(sale_day).month.values
campus = stores.store_type.values[store_idx] == "校园店"
vac = np.isin(month, [1, 2, 7, 8]) & campus & (rng.random(N_SALES) < 0.6)
store_idx[vac] = rng.choice(always, vac.sum())
bad = sale_day < open_arr[store_idx]
store_idx[bad] = rng.choice(always, bad.sum())
store_id = stores.store_id.values[store_idx]
stype = stores.store_type.values[store_idx]

# member: ~45% of sales; pick among members already joined
join_sorted = members.join_date.values
n_joined = np.searchsorted(join_sorted, sale_day, side="right")
is_member = (rng.random(N_SALES) < 0.45) & (n_joined > 0)
# skew to frequent buyers: power distribution over the joined members
pick = (rng.random(N_SALES) ** 1.6 * n_joined).astype(int)
member_id = np.where(is_member, pick + 1, 0)

# channel by store type, delivery grows over time
ch_p = {"街边店": [0.50, 0.32, 0.18], "商场店": [0.62, 0.18, 0.20], "校园店": [0.55, 0.10, 0.35]}
u = rng.random(N_SALES)
ch = np.empty(N_SALES, dtype=object)
grow = 0.06 * (day_idx / len(days))
for st, (p0, p1, _p2) in ch_p.items():
    m = stype == st
    p_dine = p0 - grow[m]
    p_del = p1 + grow[m]
    ch[m] = np.where(u[m] < p_dine, "堂食", np.where(u[m] < p_dine + p_del, "外卖", "小程序自提"))
channel = ch

pay = rng.choice(["微信", "支付宝", "现金"], N_SALES, p=[0.62, 0.33, 0.05])
pay = np.where((channel != "堂食") & (pay == "现金"), "微信", pay)  # cash only at the counter

order = np.argsort(sale_time, kind="stable")
sale_time, store_id, member_id, channel, pay, month_s = (
    sale_time[order],
    store_id[order],
    member_id[order],
    channel[order],
    pay[order],
    month[order],
)
sale_ids = np.arange(1, N_SALES + 1)

# ---------------------------------------------------------------- sale items
n_items = rng.choice([1, 2, 3, 4], N_SALES, p=[0.55, 0.28, 0.12, 0.05])
n_items = np.where(channel == "外卖", np.minimum(n_items + (rng.random(N_SALES) < 0.4), 5), n_items)
item_sale = np.repeat(np.arange(N_SALES), n_items)
n_lines = len(item_sale)
item_month = month_s[item_sale]

cat = products.category.values
base_pop = rng.uniform(0.5, 1.5, len(products))
base_pop[products["size"].values == "大杯"] *= 0.8
item_prod = np.empty(n_lines, dtype=np.int64)
for mth in range(1, 13):
    m = item_month == mth
    if not m.any():
        continue
    summer = np.exp(-(((mth - 7.5) / 1.8) ** 2))  # Jun..Sep
    winter = np.exp(-((min(abs(mth - 1), abs(mth - 13), abs(mth - 12)) / 1.6) ** 2))  # Nov..Feb
    cw = {"奶茶": 1.0, "果茶": 0.55 + 1.1 * summer, "咖啡": 0.6 + 0.8 * winter - 0.15 * summer, "小食": 0.35}
    w = base_pop * np.array([cw[c] for c in cat])
    item_prod[m] = rng.choice(len(products), m.sum(), p=w / w.sum())
qty = rng.choice([1, 2, 3], n_lines, p=[0.82, 0.14, 0.04])
unit_price = products.price.values[item_prod]
# price rise of ¥1 on drinks from 2026-03-01
late = sale_time[item_sale] >= np.datetime64("2026-03-01")
unit_price = unit_price + np.where(late & (cat[item_prod] != "小食"), 1.0, 0.0)
line_amount = np.round(qty * unit_price, 2)

gross = np.bincount(item_sale, weights=line_amount, minlength=N_SALES)

# discounts: member level discount, plus coupons on some 小程序 orders
lvl = members.level.values
m_level = np.where(member_id > 0, lvl[np.maximum(member_id - 1, 0)], "")
rate = np.select([m_level == "金卡", m_level == "银卡"], [0.12, 0.05], 0.0)
rate = np.where((channel == "小程序自提") & (rng.random(N_SALES) < 0.3), rate + 0.10, rate)
discount = np.round(gross * rate, 2)
amount = np.round(gross - discount, 2)

sales = pd.DataFrame(
    {
        "sale_id": sale_ids,
        "store_id": store_id,
        "member_id": pd.array(np.where(member_id > 0, member_id, 0), dtype="Int64"),
        "sale_time": pd.to_datetime(sale_time),
        "channel": channel.astype(str),
        "payment": pay.astype(str),
        "discount": discount,
        "amount": amount,
    }
)
sales.loc[member_id == 0, "member_id"] = pd.NA

sale_items = pd.DataFrame(
    {
        "sale_item_id": np.arange(1, n_lines + 1),
        "sale_id": sale_ids[item_sale],
        "product_id": products.product_id.values[item_prod],
        "qty": qty,
        "unit_price": unit_price,
        "line_amount": line_amount,
    }
)

# ---------------------------------------------------------------- staff
SURN = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高")
GIVEN = list("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玲婷雪琳晨宇浩然欣怡子涵")
staff_rows = []
stid = 1
for _, s in stores.iterrows():
    n = int(rng.integers(5, 10))
    for k in range(n):
        name = SURN[rng.integers(len(SURN))] + "".join(
            GIVEN[i] for i in rng.integers(len(GIVEN), size=rng.integers(1, 3))
        )
        role = "店长" if k == 0 else "店员"
        lo = s.open_date - pd.Timedelta(days=30)
        hd = lo + pd.Timedelta(days=int(rng.integers(0, max(31, (END - lo).days - 10))))
        if k == 0:
            hd = lo + pd.Timedelta(days=int(rng.integers(0, 60)))
        staff_rows.append([stid, int(s.store_id), name, role, hd.date()])
        stid += 1
staff = pd.DataFrame(staff_rows, columns=["staff_id", "store_id", "name", "role", "hire_date"])
staff["hire_date"] = pd.to_datetime(staff["hire_date"])

# ---------------------------------------------------------------- store targets (no date)
avg_month = pd.Series(amount).groupby(store_id).sum() / 21.0
store_targets = pd.DataFrame(
    {
        "store_id": stores.store_id.values,
        "monthly_target": [
            float(np.round(avg_month.get(s, 50000) * rng.uniform(0.95, 1.25), -3)) for s in stores.store_id
        ],
    }
)

# ---------------------------------------------------------------- write
if os.path.exists(OUT):
    os.remove(OUT)
con = duckdb.connect(OUT)
con.execute("""
CREATE TABLE stores (store_id INTEGER PRIMARY KEY, store_name VARCHAR NOT NULL, city VARCHAR NOT NULL,
  district VARCHAR NOT NULL, store_type VARCHAR NOT NULL, open_date DATE NOT NULL);
CREATE TABLE products (product_id INTEGER PRIMARY KEY, product_name VARCHAR NOT NULL, category VARCHAR NOT NULL,
  size VARCHAR, price DECIMAL(10,2) NOT NULL);
CREATE TABLE members (member_id INTEGER PRIMARY KEY, gender VARCHAR NOT NULL, birth_year INTEGER NOT NULL,
  level VARCHAR NOT NULL, join_date DATE NOT NULL);
CREATE TABLE sales (sale_id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES stores(store_id),
  member_id INTEGER REFERENCES members(member_id), sale_time TIMESTAMP NOT NULL, channel VARCHAR NOT NULL,
  payment VARCHAR NOT NULL, discount DECIMAL(10,2) NOT NULL, amount DECIMAL(10,2) NOT NULL);
CREATE TABLE sale_items (sale_item_id INTEGER PRIMARY KEY, sale_id INTEGER NOT NULL REFERENCES sales(sale_id),
  product_id INTEGER NOT NULL REFERENCES products(product_id), qty INTEGER NOT NULL,
  unit_price DECIMAL(10,2) NOT NULL, line_amount DECIMAL(10,2) NOT NULL);
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES stores(store_id),
  name VARCHAR NOT NULL, role VARCHAR NOT NULL, hire_date DATE NOT NULL);
CREATE TABLE store_targets (store_id INTEGER PRIMARY KEY REFERENCES stores(store_id), monthly_target DECIMAL(12,2) NOT NULL);
""")
for name, df in [
    ("stores", stores),
    ("products", products),
    ("members", members),
    ("sales", sales),
    ("sale_items", sale_items),
    ("staff", staff),
    ("store_targets", store_targets),
]:
    con.register("df_tmp", df)
    con.execute(f"INSERT INTO {name} SELECT * FROM df_tmp")
    con.unregister("df_tmp")
for name in ["stores", "products", "members", "sales", "sale_items", "staff", "store_targets"]:
    print(name, con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
print("sale_time range", con.execute("SELECT MIN(sale_time), MAX(sale_time) FROM sales").fetchone())
con.close()
