"""Comparisons of a metric with a number: GMV超过100万, 退款率不高于5%, at least 10k
orders, 订单数在1000到2000之间, 3.5万以上.

A comparison is a typed token: its operator (every negated and bounded form is
folded into one of >, >=, <, <=, =), its amount (digits or Chinese numerals, with a
magnitude: 万, 亿, 千, k, million) and whether the amount was a percentage. Which
metric it constrains is decided by the reader, from where it stands in the question.

Chinese 以上/以下 include the number (the legal and business convention); 超过 and
低于 do not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nlq.numerals import ENGLISH

Operator = Literal[">", ">=", "<", "<=", "="]

CN_DIGITS = "零〇一二两三四五六七八九十百千万亿点"
MAGNITUDES = {
    "万": 1e4,
    "亿": 1e8,
    "千": 1e3,
    "百": 1e2,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
}
EN_WORDS: dict[str, float] = {
    **ENGLISH,
    "a": 1,
    "an": 1,
    "a hundred": 100,
    "half a": 0.5,
    "a half": 0.5,
}
# An English number word counts only with a magnitude after it (two million, half a million).
EN_NUMBER = (
    r"(?:" + "|".join(sorted(EN_WORDS, key=len, reverse=True)) + r")(?=\s+(?:million|thousand|billion)\b)"
)
# An amount: 100, 1,200, $50, 3.5万, 一百万, 两千, 1.2k, 10 million, 11%, 百分之五, 45 bucks.
AMOUNT = (
    r"(?:[$¥￥€£]\s*)?(?P<{n}>(?:百分之)?(?:\d[\d,]*(?:\.\d+)?|["
    + CN_DIGITS
    + r"]+|"
    + EN_NUMBER
    + r")(?:成(?![本交]))?"
    r"(?:\s*(?:万|亿|千)|\s*(?:k|mn|m|million|thousand|billion|bn|b)(?![a-z]))?(?:\s*(?:%|个百分点|percent))?)"
    r"\s*(?:元|块钱|块|美元|rmb|¥|yuan|dollars?|bucks|usd|euros?|单|笔|件|人|次|个?百分点)?"
)
# A number of things counted (5个, 3名): a top-N, not a bound.
COUNTED = r"(?!\s*(?:个|名|款|位|家|大|种|类))"


def _amount(name: str) -> str:
    return AMOUNT.replace("{n}", name)


STRICT_ABOVE = r"超过|大于|高于|多于|不止|突破|(?<![买去经通超看到下付退评用来做])过|破|crossed|crossing|topped|more than|greater than|higher than|larger than|bigger than|over|above|exceeding|exceeds|exceeded|>"
INCLUSIVE_ABOVE = r"不少于|不低于|不小于|至少|起码|最少|(?<![圆充])满(?=\s*\d)|>=|≥|at least|no less than|not less than|no fewer than|not fewer than|minimum of"
STRICT_BELOW = r"低于|少于|小于|不到|不足|less than|fewer than|lower than|smaller than|below|under|<"
INCLUSIVE_BELOW = r"不超过|不大于|不高于|不多于|至多|最多|<=|≤|at most|no more than|not more than|no greater than|up to|maximum of"

# A number of times said in a word.
TIMES_WORDS = {"once": 1, "twice": 2, "thrice": 3}
REPEATED = "|".join(TIMES_WORDS)
COUNT_WORDS = "one|two|three|four|five|six|seven|eight|nine|ten"
BUYING = r"(?:买过|买了|购买过|购买了|下过单|下了单|下过|下了|消费过)"
# what a count of a person's buying is of: their orders, purchases, times
ORDER_NOUN = r"\s+(?:paid\s+|completed\s+)?(?:orders?|purchases?|times|transactions?)\b"
# "both ends included" after a range says what a range already means.
INCLUSIVE = r"(?:\s*[（(]?\s*(?:含两端|包含两端|包括两端|含|inclusive|both inclusive|included)\s*[)）]?)?"
PATTERNS: list[tuple[str, Operator | None]] = [
    # between A and B: two bounds, both included
    (rf"(?:在|介于)?\s*{_amount('low')}\s*(?:到|至|~|-|—|和)\s*{_amount('high')}\s*之间{INCLUSIVE}", None),
    (rf"between\s+{_amount('low')}\s+and\s+{_amount('high')}{INCLUSIVE}", None),
    (rf"(?:{INCLUSIVE_BELOW})\s*{_amount('value')}{COUNTED}", "<="),
    (rf"(?:{INCLUSIVE_ABOVE})\s*{_amount('value')}{COUNTED}", ">="),
    # 至少买过3次: a buying verb between the bound and the number (the count is of orders)
    (rf"(?:{INCLUSIVE_ABOVE})\s*{BUYING}\s*{_amount('value')}{COUNTED}", ">="),
    (rf"(?:{STRICT_ABOVE})\s*{BUYING}\s*{_amount('value')}{COUNTED}", ">"),
    # 库存为0, 等于100, exactly 12: an amount that is not a date (为2024年 is a period)
    (rf"(?:等于|(?:为|是)(?=\s*\d))\s*{_amount('value')}(?!\s*(?:年|月|日|号|季|周|天|[/-]\d))", "="),
    (rf"(?:equal to|equals|exactly)\s+{_amount('value')}", "="),
    (rf"\bexactly\s+(?P<value>{COUNT_WORDS}|a\s+single)\b(?={ORDER_NOUN})", "="),
    # 只下过一单, only ever placed one order, a single paid order: exactly that many
    # (只买过一次 is left to the layer's words: a segment's value where it has one)
    (rf"(?:只|仅|就只)\s*{BUYING}\s*(?P<value>\d+|[一二两三四五六七八九十])\s*(?:单|笔)", "="),
    (
        rf"\b(?:only|just)\s+(?:ever\s+)?(?:(?:placed|made|had|bought|ordered)\s+)?"
        rf"(?P<value>{COUNT_WORDS}|\d+|a\s+single)(?={ORDER_NOUN})",
        "=",
    ),
    (rf"\b(?P<value>a\s+single)(?={ORDER_NOUN})", "="),
    # at least twice, more than once, twice or more: a number of times in a word
    (rf"(?:{INCLUSIVE_ABOVE})\s*(?P<value>{REPEATED})\b", ">="),
    (rf"(?:{STRICT_ABOVE})\s*(?P<value>{REPEATED})\b", ">"),
    (rf"(?:{INCLUSIVE_BELOW})\s*(?P<value>{REPEATED})\b", "<="),
    (rf"\b(?P<value>{REPEATED})\s+or\s+more\b", ">="),
    # at least one refund, more than two orders: a count in a word, before what it counts
    # (one more order is an additional one: not a bound)
    (
        rf"(?:{INCLUSIVE_ABOVE})\s*(?P<value>{COUNT_WORDS})\b(?!\s+(?:more|other|another|of|hundred|thousand|million|billion|percent)\b)",
        ">=",
    ),
    (
        rf"(?:{STRICT_ABOVE})\s*(?P<value>{COUNT_WORDS})\b(?!\s+(?:more|other|another|of|hundred|thousand|million|billion|percent)\b)",
        ">",
    ),
    (
        rf"(?:{INCLUSIVE_BELOW})\s*(?P<value>{COUNT_WORDS})\b(?!\s+(?:more|other|another|of|hundred|thousand|million|billion|percent)\b)",
        "<=",
    ),
    (
        rf"(?:{STRICT_BELOW})\s*(?P<value>{COUNT_WORDS})\b(?!\s+(?:more|other|another|of|hundred|thousand|million|billion|percent)\b)",
        "<",
    ),
    (rf"(?:{STRICT_ABOVE})\s*{_amount('value')}", ">"),
    (rf"(?:{STRICT_BELOW})\s*{_amount('value')}", "<"),
    # 3个及以上: a counter before 以上 still bounds (5个 alone is a top-N)
    (
        rf"{_amount('value')}\s*(?:个|种|款|家|位|名|类)?\s*(?:及|或|and|or)?\s*(?:以上|之上|or more|or above|and above|and up|\+)",
        ">=",
    ),
    (
        rf"{_amount('value')}\s*(?:及|或|and|or)?\s*(?:以下|之下|以内|or less|or below|and below|and under)",
        "<=",
    ),
]
COMPILED = [(re.compile(p), op) for p, op in PATTERNS]
# 最多/最少 bound a number only when it is an amount, not a count of things ranked:
# 最多0.1 and 最少1000单 are bounds, 最多的5个 a ranking.
RANKING_WORDS = re.compile(r"^(?:最多|最少)\s*\d+\s*(?:个|名|款|位|家)?$")


@dataclass(frozen=True)
class Comparison:
    start: int
    end: int
    text: str
    op: Operator
    value: float
    percent: bool  # written as a percentage: compared with a ratio as a fraction


def find_comparisons(text: str, taken: list[tuple[int, int]] | None = None) -> list[Comparison]:
    """Every comparison in normalised `text`, left to right, outside the `taken` spans."""
    used = [False] * len(text)
    for start, end in taken or []:
        for i in range(start, end):
            used[i] = True
    found: list[Comparison] = []
    for pattern, op in COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(used[start:end]) or not _whole(text, start, end):
                continue
            if (
                op is not None
                and match.group(0).startswith(("最多", "最少"))
                and not _bound_amount(match.group(0)[2:])
            ):
                continue
            if op == "=" and _any_at_all(text, match):
                continue
            parsed = _parsed(match, op)
            if parsed is None:
                continue
            found += parsed
            for i in range(start, end):
                used[i] = True
    return sorted(found, key=lambda c: c.start)


def _parsed(match: re.Match[str], op: Operator | None) -> list[Comparison] | None:
    text = match.group(0).rstrip()
    start = match.start()
    end = start + len(text)
    if op is None:
        low, high = amount(match.group("low")), amount(match.group("high"))
        if low is None or high is None or (_year(match.group("low")) and _year(match.group("high"))):
            return None  # between 2024 and 2025 is a period
        percent = "%" in text or "百分" in text or "percent" in text
        if percent and not _percent_written(match.group("low")):
            low = (low[0] / 100, True)  # 5到10% means 5% to 10%
        return [
            Comparison(start, end, text, ">=", low[0], percent),
            Comparison(start, end, text, "<=", high[0], percent),
        ]
    said = match.group("value")
    value = (1.0, False) if said.endswith("single") else amount(said)
    if value is None:
        return None
    return [Comparison(start, end, text, op, value[0], value[1])]


def _any_at_all(text: str, match: re.Match[str]) -> bool:
    """never placed a single order, not a single refund: after a negation, "a single" is
    any at all, not exactly one."""
    said = match.groupdict().get("value") or ""
    before = text[max(0, match.start() - 30) : match.start()]
    return (
        said.endswith("single")
        and re.search(r"(?:\b(?:never|not|no|without)\b|n't)[^,.;?]*$", before) is not None
    )


def _year(text: str) -> bool:
    return bool(re.fullmatch(r"\s*(?:19|20)\d\d\s*", text))


def _percent_written(text: str) -> bool:
    return "%" in text or "百分" in text or "percent" in text


def _bound_amount(text: str) -> bool:
    """最多0.1, 最少1000单 and 最多3.5万 bound a metric; 最多5 (个) ranks."""
    return bool(re.search(r"[.%万亿千kmb元块单件笔人次成]|百分", text))


def amount(text: str) -> tuple[float, bool] | None:
    """The number an amount means, and whether it was a percentage (then a fraction)."""
    text = text.strip().replace(",", "")
    if re.fullmatch(rf"(?:\d+(?:\.\d+)?|[{CN_DIGITS}]+)成", text):  # 三成 = 30%
        tenths = _number(text[:-1])
        return (tenths / 10, True) if tenths is not None else None
    percent = _percent_written(text)
    text = re.sub(r"\s*(?:%|个百分点|百分点|percent)$", "", text).replace("百分之", "")
    scale = 1.0
    unit = re.search(r"\s*(万|亿|千|thousand|million|billion|mn|bn|k|m|b)$", text)
    if unit and not re.fullmatch(rf"[{CN_DIGITS}]+", text):
        scale = MAGNITUDES[unit.group(1)]
        text = text[: unit.start()].strip()
    value = _number(text)
    if value is None:
        return None
    value *= scale
    return (value / 100, True) if percent else (value, False)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        pass
    if text in EN_WORDS:
        return float(EN_WORDS[text])
    if text in TIMES_WORDS:
        return float(TIMES_WORDS[text])
    if not text or any(ch not in CN_DIGITS for ch in text):
        return None
    # cn2an compiles its patterns on import: only a question with a Chinese numeral pays.
    import cn2an

    try:
        return float(cn2an.cn2an(text.replace("〇", "零"), "smart"))
    except (ValueError, KeyError):
        return None


def _whole(text: str, start: int, end: int) -> bool:
    """English words and numbers are matched whole (no `over` in `overall`, no 2 in 2025)."""
    word = re.compile(r"[a-z0-9]")
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not (word.match(text[start]) and word.match(before)) and not (
        word.match(text[end - 1]) and word.match(after)
    )
