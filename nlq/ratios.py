"""Ratios asked on the fly and averages over periods, where no governed metric names
them: "discount per order", 平均每单优惠, 人均买了多少件, "GMV / units sold" divide
one governed metric by another over the same rows; 日均GMV, "average orders per day"
average a metric over the days (weeks, months) of the period.

What a "per" noun counts comes from the layer: a noun that names a metric (per
visitor, 每个访客) is that metric; the generic nouns (单/笔/order, 件/unit, 人/buyer)
are the layer's `reading.words` for orders, units and buyers. A noun that names a
dimension (per category, 每个品类) is a grouping, not a ratio, and is left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nlq.semantic.model import Grain

Generic = Literal["orders", "units", "buyers"]

# 平均每单, 每笔订单, 人均, 每位顾客, 每件: the noun after 每 that a ratio divides by.
PER_ZH = re.compile(
    r"人均|(?:平均|平均下来)?每(?:一)?(?:个|位|名|笔|张)?"
    r"(?P<noun>订单|单|笔|件|人|用户|买家|顾客|客户|会员|[\u4e00-\u9fff]{2,4}?)"
)
PER_EN = re.compile(r"\bper[\s-]+(?:paid\s+|each\s+|single\s+|one\s+)?(?P<noun>[a-z]+)")
# 日均, 月均, 平均每天, average daily, average ... per day: a metric averaged over the buckets.
AVERAGE_ZH = re.compile(r"(?P<unit>日|周|月)均|平均(?:每|一)(?:个)?(?P<each>天|日|周|星期|月)")
AVERAGE_EN = re.compile(
    r"\b(?:average|mean)\s+(?P<adjective>daily|weekly|monthly)\b|"
    r"\b(?P<before>daily|weekly|monthly)\s+average\b|"
    r"\b(?:average[ds]?|mean)\b.{0,60}?\b(?:per|a|each)\s+(?P<noun>day|week|month)\b"
)
ZH_GENERIC: dict[str, Generic] = {
    "订单": "orders",
    "单": "orders",
    "笔": "orders",
    "件": "units",
    "人": "buyers",
    "用户": "buyers",
    "买家": "buyers",
    "顾客": "buyers",
    "客户": "buyers",
    "会员": "buyers",
}
EN_GENERIC: dict[str, Generic] = {
    **dict.fromkeys(["order", "orders", "purchase", "purchases", "transaction", "transactions"], "orders"),
    **dict.fromkeys(["unit", "units", "item", "items", "piece", "pieces"], "units"),
    **dict.fromkeys(
        [
            "buyer",
            "buyers",
            "customer",
            "customers",
            "person",
            "people",
            "head",
            "shopper",
            "shoppers",
            "user",
        ],
        "buyers",
    ),
}
GRAINS: dict[str, Grain] = {
    "日": "day",
    "天": "day",
    "day": "day",
    "daily": "day",
    "周": "week",
    "星期": "week",
    "week": "week",
    "weekly": "week",
    "月": "month",
    "month": "month",
    "monthly": "month",
}


@dataclass(frozen=True)
class Per:
    """A "per" phrase: its span, and the noun it divides by with that noun's span."""

    start: int
    end: int
    noun: str
    noun_start: int
    generic: Generic | None


@dataclass(frozen=True)
class Averaged:
    """日均, average per day: the grain the metric is averaged over, and the words."""

    start: int
    end: int
    grain: Grain


def find_per(text: str) -> list[Per]:
    """The "per" phrases of a question, except those that average over time (日均)."""
    averaged = find_averaged(text)
    found = []
    for match in PER_ZH.finditer(text):
        if match.group(0) == "人均":
            found.append(Per(match.start(), match.end(), "人", match.start(), "buyers"))
            continue
        noun = match.group("noun")
        if noun in GRAINS:
            continue
        found.append(Per(match.start(), match.end(), noun, match.start("noun"), ZH_GENERIC.get(noun)))
    for match in PER_EN.finditer(text):
        noun = match.group("noun")
        if noun in GRAINS:
            continue
        found.append(Per(match.start(), match.end(), noun, match.start("noun"), EN_GENERIC.get(noun)))
    if averaged is None:
        return found
    return [p for p in found if p.end <= averaged.start or averaged.end <= p.start]


def find_averaged(text: str) -> Averaged | None:
    for pattern in (AVERAGE_ZH, AVERAGE_EN):
        match = pattern.search(text)
        if match is not None:
            word = next(g for g in match.groups() if g)
            return Averaged(match.start(), match.end(), GRAINS[word])
    return None


def divided(text: str, left_end: int, right_start: int) -> bool:
    """GMV / units sold, 成交额除以销量: the words between two metrics divide them."""
    return re.fullmatch(r"\s*(?:/|÷|除以|divided by|over)\s*", text[left_end:right_start]) is not None


def ratio_of(text: str, left_start: int, left_end: int, right_start: int, right_end: int) -> int | None:
    """加购次数和浏览量的比值, the ratio of cart adds to page views: the first metric
    divided by the second, asked as their ratio; the end of the words that ask it."""
    between = text[left_end:right_start]
    after = RATIO_AFTER.match(text, right_end)
    if after is not None and re.fullmatch(r"\s*(?:和|与|跟|同|比)\s*", between):
        return after.end()
    if RATIO_BEFORE.search(text[:left_start]) and re.fullmatch(r"\s*(?:to|and|versus|vs\.?)\s*", between):
        return right_end
    return None


RATIO_AFTER = re.compile(r"\s*(?:的)?(?:比值|比率|之比|比例)")
RATIO_BEFORE = re.compile(r"\bratio (?:of|between)\s+$")
