"""Time phrases in Chinese and English, resolved to closed date ranges by
shared/spec/time.md, relative to `as_of`.

A table of patterns, most specific first; each match is resolved by a small
function using the calendar arithmetic of nlq.semantic.periods. Ranges that
reach past `as_of` are cut there. A range that starts after `as_of` (下半年
asked in May) is returned whole: the caller has the dates to say there is no
data yet, which is more useful than an empty range.

jionlp's time parser was considered: it misreads 上个月 and 本月 relative to a
reference date (see the understanding issue), and the phrases here are a
closed set, so explicit patterns are both smaller and testable row by row.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from nlq.numerals import ENGLISH_PATTERN, number
from nlq.semantic.model import Grain
from nlq.semantic.periods import grain_start, month_end, shift_by_grain, shift_months
from nlq.semantic.query import TimeRange

CN = "零一二两三四五六七八九十百仨俩"
N = rf"(\d+|[{CN}]+)"
YEAR = r"((?:19|20)\d\d)"
MONTHS_EN = {
    m: i + 1
    for i, names in enumerate(
        [
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sep sept",
            "october oct",
            "november nov",
            "december dec",
        ]
    )
    for m in names.split()
}
MONTH_EN = r"(" + "|".join(sorted(MONTHS_EN, key=len, reverse=True)) + r")\b"
CAMPAIGN_ALIASES = {
    "双11": r"双11|双十一|double 11|double eleven|singles'? day|11\.11",
    "618": r"618(?![元块件个%\d])|六一八",
    "双12": r"双12|双十二|double 12|double twelve|12\.12",
    "年货节": r"年货节|spring festival sale",
    "38女王节": r"38女王节|女王节|三八节|妇女节|queen'?s day|women'?s day",
}


class TimeMatch(BaseModel):
    span: tuple[int, int]
    text: str
    range: TimeRange
    unit: Grain | None = None
    evidence: str = ""
    # The period's last day before it was cut at the last day of data (May to date): a
    # date that runs ahead of the data (a due date) is read over the whole period.
    whole_end: dt.date | None = None


class Campaign(BaseModel):
    """A campaign row: `campaign_name` like 2025双11, with its dates."""

    name: str
    start_date: dt.date
    end_date: dt.date


@dataclass(frozen=True)
class Context:
    as_of: dt.date
    campaigns: Sequence[Campaign]


Groups = dict[str, str | None]
Resolved = tuple[dt.date, dt.date, Grain | None] | None
Resolver = Callable[[Groups, Context], Resolved]
UNITS = {
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "个星期": "week",
    "礼拜": "week",
    "个礼拜": "week",
    "个月": "month",
    "月": "month",
    "年": "year",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
}


def _count(text: str | None) -> int:
    if text is None:
        return 1
    return number(text)


ORDINAL_QUARTERS = {"first": "1", "second": "2", "third": "3", "fourth": "4"}


def _year(text: str | None, ctx: Context) -> int:
    relative = {"今年": 0, "去年": -1, "前年": -2, "this": 0, "last": -1, "previous": -1, None: 0}
    if text in relative:
        return ctx.as_of.year + relative[text]
    return int(str(text))


def _months(year: int, first: int, last: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, first, 1), month_end(year, last)


def _latest(month: int, ctx: Context) -> int:
    """The year of the latest such month that starts on or before as_of."""
    return ctx.as_of.year if dt.date(ctx.as_of.year, month, 1) <= ctx.as_of else ctx.as_of.year - 1


def _month_number(text: str | None) -> int:
    assert text is not None
    return MONTHS_EN[text] if text in MONTHS_EN else number(text)


# -- resolvers, one per shape of phrase ------------------------------------------------------
def _day_range(g: Groups, ctx: Context) -> Resolved:
    m1, d1 = _month_number(g["m1"]), number(str(g["d1"]))
    m2 = _month_number(g["m2"]) if g["m2"] else m1
    if g["y1"]:
        year = _year(g["y1"], ctx)
    elif g["y2"]:  # Nov 12 to Dec 31, 2025; 11月12日到2026年1月3日: the year said once, at the end
        year = _year(g["y2"], ctx) - (1 if m1 > m2 else 0)
    else:
        year = _latest(m1, ctx)
    y2 = _year(g["y2"], ctx) if g["y2"] else year
    return dt.date(year, m1, d1), dt.date(y2, m2, number(str(g["d2"]))), None


def _iso_range(g: Groups, ctx: Context) -> Resolved:
    start = dt.date(int(str(g["y1"])), int(str(g["m1"])), int(str(g["d1"])))
    return start, dt.date(int(str(g["y2"])), int(str(g["m2"])), int(str(g["d2"]))), None


def _one_day(g: Groups, ctx: Context) -> Resolved:
    month, day = _month_number(g["m"]), number(str(g["d"]))
    year = _year(g["y"], ctx) if g["y"] else _latest(month, ctx)
    date = dt.date(year, month, day)
    return date, date, "day"


def _month_span(g: Groups, ctx: Context) -> Resolved:
    first, last = _month_number(g["m1"]), _month_number(g["m2"])
    start, end = _months(_year(g["y"], ctx), first, last)
    return start, end, None


def _adjacent_months(g: Groups, ctx: Context) -> Resolved:
    first, last = _month_number(g["m1"]), _month_number(g["m2"])
    if last != first + 1:
        return None  # 3、5月 are two periods, not one span
    year = _year(g["y"], ctx) if g["y"] else _latest(first, ctx)
    start, end = _months(year, first, last)
    return start, end, None


def _full(g: Groups, ctx: Context) -> Resolved:
    """The last 4 full weeks, the last 3 complete months: whole calendar units before as_of's."""
    unit = UNITS[str(g["u"])]
    current = grain_start(ctx.as_of, unit)  # type: ignore[arg-type]
    start = shift_by_grain(current, unit, -_count(g["n"]))  # type: ignore[arg-type]
    return start, current - dt.timedelta(days=1), None


def _quarter(g: Groups, ctx: Context) -> Resolved:
    quarter = number(str(g["q"]))
    if g["y"]:
        year = _year(g["y"], ctx)
    else:
        year = (
            ctx.as_of.year if dt.date(ctx.as_of.year, quarter * 3 - 2, 1) <= ctx.as_of else ctx.as_of.year - 1
        )
    start, end = _months(year, quarter * 3 - 2, quarter * 3)
    return start, end, "quarter"


def _one_month(g: Groups, ctx: Context) -> Resolved:
    month = _month_number(g["m"])
    year = _year(g["y"], ctx) if g["y"] else _latest(month, ctx)
    start, end = _months(year, month, month)
    return start, end, "month"


def _half(g: Groups, ctx: Context) -> Resolved:
    first = g["h"] in {"上半年", "first half", "h1"}
    start, end = _months(_year(g["y"], ctx), 1 if first else 7, 6 if first else 12)
    return start, end, None


def _whole_year(g: Groups, ctx: Context) -> Resolved:
    year = _year(g["y"], ctx)
    return dt.date(year, 1, 1), dt.date(year, 12, 31), "year"


def _campaign(g: Groups, ctx: Context) -> Resolved:
    name = next(key for key, pattern in CAMPAIGN_ALIASES.items() if re.fullmatch(pattern, str(g["c"])))
    rows = [c for c in ctx.campaigns if c.name.endswith(name) and c.name[:4].isdigit()]
    if g["y"]:
        rows = [c for c in rows if int(c.name[:4]) == _year(g["y"], ctx)]
    else:
        rows = [c for c in rows if c.start_date <= ctx.as_of]
    if not rows:
        return None
    chosen = max(rows, key=lambda c: c.start_date)
    if g.get("day"):
        # 双11当天: the day the campaign is named after, its last day.
        return chosen.end_date, chosen.end_date, None
    return chosen.start_date, chosen.end_date, None


def _last(g: Groups, ctx: Context) -> Resolved:
    """近N天 / 近N周 / 近N个月 / 近N年 / 近半年 / last N days ... (time.md's month-end rule)."""
    amount, unit = (6, "month") if g.get("half") else (_count(g["n"]), UNITS[str(g["u"])])
    as_of = ctx.as_of
    if unit in {"day", "week"}:
        days = amount * (7 if unit == "week" else 1)
        return as_of - dt.timedelta(days=days - 1), as_of, None
    months = amount if unit == "month" else 12 * amount
    return shift_months(as_of, -months, keep_month_end=True) + dt.timedelta(days=1), as_of, None


def _beyond(g: Groups, ctx: Context) -> Resolved:
    """More than N days (without buying): the days a last purchase would be within, up to
    today - N+1 of them, since more than N days ago is before all of them; months as 近N个月."""
    resolved = _last(g, ctx)
    if resolved is None:
        return None
    start, end, unit = resolved
    if g.get("u") in {"天", "days"}:
        start -= dt.timedelta(days=1)
    return start, end, unit


def _calendar(unit: Grain, offset: int, *, to_date: bool) -> Resolver:
    """本月 / 上个月 / 本周 / 上季度 / 今年 / 去年 ...: a calendar unit relative to as_of."""

    def resolve(g: Groups, ctx: Context) -> Resolved:
        start = shift_by_grain(grain_start(ctx.as_of, unit), unit, offset)
        end = shift_by_grain(start, unit, 1) - dt.timedelta(days=1)
        return start, (ctx.as_of if to_date else end), unit

    return resolve


def _day(offset: int) -> Resolver:
    def resolve(g: Groups, ctx: Context) -> Resolved:
        day = ctx.as_of + dt.timedelta(days=offset)
        return day, day, "day"

    return resolve


def _fixed(amount: int, unit: str) -> Resolver:
    def resolve(g: Groups, ctx: Context) -> Resolved:
        return _last({"n": str(amount), "u": unit}, ctx)

    return resolve


def _named(pattern: str, name: str) -> str:
    """A copy of a one-group pattern with its group named."""
    return pattern.replace("(", f"(?P<{name}>", 1)


CNUM = rf"\d{{1,2}}|[{CN}]+"
Y_ZH = r"(?:(?P<y>(?:19|20)\d\d|今年|去年(?!同期)|前年)年?)"
M_EN = MONTH_EN
M_EN_SAFE = r"(" + "|".join(sorted((m for m in MONTHS_EN if m != "may"), key=len, reverse=True)) + r")\b"
EN_N = rf"\d+|{ENGLISH_PATTERN}"
PATTERNS: list[tuple[str, Resolver]] = [
    # explicit days and day ranges
    (
        rf"(?:(?P<y1>(?:19|20)\d\d)年)?(?P<m1>{CNUM})月(?P<d1>{CNUM})[日号]?\s*(?:到|至|-|~|—)\s*(?:(?P<y2>(?:19|20)\d\d)年)?(?:(?P<m2>{CNUM})月)?(?P<d2>{CNUM})[日号]",
        _day_range,
    ),
    (
        r"(?:between\s+|from\s+)?(?P<y1>(?:19|20)\d\d)[-/.](?P<m1>\d{1,2})[-/.](?P<d1>\d{1,2})\s*(?:到|至|~|to|and|until|through|-|—)\s*(?P<y2>(?:19|20)\d\d)[-/.](?P<m2>\d{1,2})[-/.](?P<d2>\d{1,2})",
        _iso_range,
    ),
    (
        rf"(?:(?P<between>between)\s+|from\s+)?{_named(M_EN, 'm1')}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:to|-|until|through|(?(between)and|(?!)))\s*(?:{_named(M_EN, 'm2')}\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?P<y1>)?(?:\s*,?\s*(?P<y2>(?:19|20)\d\d))?",
        _day_range,
    ),
    (r"(?P<y>(?:19|20)\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})", _one_day),
    (
        rf"{_named(M_EN_SAFE, 'm')}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,?\s*(?P<y>(?:19|20)\d\d))?(?![\d:])",
        _one_day,
    ),
    (rf"{Y_ZH}?(?P<m>{CNUM})月(?P<d>{CNUM})[日号]", _one_day),
    # month spans, quarters, months, halves
    (rf"{Y_ZH}?(?P<m1>{CNUM})月?份?\s*(?:到|至|-|~|—)\s*(?P<m2>{CNUM})月份?", _month_span),
    # 7、8月: two months in a row, named together
    (rf"{Y_ZH}?(?P<m1>{CNUM})月?\s*[、,，和与及]\s*(?P<m2>{CNUM})月份?", _adjacent_months),
    (
        rf"(?:from\s+)?{_named(M_EN, 'm1')}\s*(?:to|-|through|until)\s*{_named(M_EN, 'm2')}(?:\s*,?\s*(?P<y>(?:19|20)\d\d))?",
        _month_span,
    ),
    (
        rf"{Y_ZH}?\s*(?:第(?P<q>[一二三四1-4])季度|(?P<q_>[一二三四])季度)",
        lambda g, c: _quarter({"q": g["q"] or g["q_"], "y": g["y"]}, c),
    ),
    (
        r"(?:(?P<y>(?:19|20)\d\d)年?\s*)?q(?P<q>[1-4])(?:\s*(?P<y2>(?:19|20)\d\d))?",
        lambda g, c: _quarter({"q": g["q"], "y": g["y"] or g["y2"]}, c),
    ),
    (rf"{Y_ZH}(?P<m>{CNUM})月份?", _one_month),
    (r"(?P<y>(?:19|20)\d\d)[-/](?P<m>\d{1,2})", _one_month),
    # "may" is a month only with a year or after in/during/of: "may I see ..." is not May.
    (rf"{_named(M_EN_SAFE, 'm')}(?:\s*,?\s*(?P<y>(?:19|20)\d\d))?", _one_month),
    (
        r"(?:(?<=in )|(?<=during )|(?<=of ))(?P<m>may)(?:\s*,?\s*(?P<y>(?:19|20)\d\d))?|(?P<m2>may)\s*,?\s*(?P<y2>(?:19|20)\d\d)",
        lambda g, c: _one_month({"m": "may", "y": g["y"] or g["y2"]}, c),
    ),
    (rf"{Y_ZH}?(?P<h>上半年|下半年)", _half),
    (
        r"(?:(?P<y>(?:19|20)\d\d)\s*)?(?:the\s+)?(?P<h>first half|second half|h1|h2)"
        r"(?:\s+(?:of\s+)?(?:(?P<y2>(?:19|20)\d\d)|(?:the\s+)?(?P<rel>this|last|previous)\s+year))?",
        lambda g, c: _half({"h": g["h"], "y": g["y"] or g["y2"] or g["rel"]}, c),
    ),
    # the first quarter of this year, the third quarter of 2025
    (
        r"(?:the\s+)?(?P<q>first|second|third|fourth)\s+quarter"
        r"(?:\s+of\s+(?:(?P<y>(?:19|20)\d\d)|(?:the\s+)?(?P<rel>this|last|previous)\s+year))?",
        lambda g, c: _quarter({"q": ORDINAL_QUARTERS[str(g["q"])], "y": g["y"] or g["rel"]}, c),
    ),
    # campaigns
    (
        # 今年618, 2025双11, this year's 618, last year's Double 11
        rf"(?:{Y_ZH}|(?P<ye>this|last|previous) year(?:'|’)?s)?\s*(?:the\s+)?(?P<c>"
        + "|".join(CAMPAIGN_ALIASES.values())
        + r")(?:\s*(?P<y2>(?:19|20)\d\d))?(?:\s*(?:大促|活动|期间|promotion|sale|campaign|period))?"
        + r"(?:\s*(?P<day>当天|当日|那天|那一天|on the day|day))?",
        lambda g, c: _campaign({"c": g["c"], "y": g["y"] or g["y2"] or g["ye"], "day": g["day"]}, c),
    ),
    # relative periods
    (
        rf"(?:近|最近|过去|近来)(?:(?P<half>半年)|(?P<n>{CNUM}|\d+)?\s*(?P<u>个星期|星期|个礼拜|礼拜|个月|天|日|周|月|年))",
        _last,
    ),
    # 超过半年没买, 超过90天没下单, 最近一笔订单距今超过180天, last order was more than 365 days
    # ago: nothing in the days that time covers (more than 180 days: none on any of the
    # 181 days up to today)
    (
        rf"(?:已经?|已有)?(?:超过|超出|大于|多于)\s*(?:(?P<half>半年)|(?P<n>{CNUM}|\d+)\s*(?P<u>个星期|星期|个月|天|周|月|年))"
        r"(?:以上|多)?(?=\s*(?:都|还|一直|也)?\s*(?:没|未|不曾))",
        _beyond,
    ),
    (
        rf"(?<=距今)(?:已经?)?(?:超过|大于|多于)\s*(?P<n>{CNUM}|\d+)\s*(?P<u>天)",
        _beyond,
    ),
    (
        r"(?:(?<=\bwas )|(?<=\bis ))(?:placed )?(?:more than|over) (?P<n>\d+) (?P<u>days) ago",
        _beyond,
    ),
    (
        rf"(?:the\s+)?(?:last|past|previous)\s+(?P<n>{EN_N})\s+(?:full|complete|whole)\s+(?P<u>weeks|months|years)",
        _full,
    ),
    (rf"(?:the\s+)?(?:last|past|previous)\s+(?P<n>{EN_N})\s+(?P<u>days|weeks|months|years)", _last),
    (r"(?:the\s+)?past (?:12 months|year)|last 12 months|the last year", _fixed(12, "month")),
    (r"(?:the\s+)?past week", _fixed(1, "week")),
    # Periods after as_of: resolved whole, so the reader can say there is no data yet.
    (r"明天|明日|tomorrow", _day(1)),
    # 预测一下下个月 is 一下 + 下个月: 下下 is read only where no 一 comes before it
    (r"(?<!一)(?:下下周|下下个星期|下下星期)|(?:the )?week after next", _calendar("week", 2, to_date=False)),
    (r"下周|下个星期|下星期|下礼拜|下个礼拜|next week", _calendar("week", 1, to_date=False)),
    (r"(?<!一)(?:下下个月|下下月)|(?:the )?month after next", _calendar("month", 2, to_date=False)),
    (r"下个月|下月|下一个月|next month", _calendar("month", 1, to_date=False)),
    (r"(?<!一)(?:下下季度|下下个季度)|(?:the )?quarter after next", _calendar("quarter", 2, to_date=False)),
    (r"下季度|下个季度|下一季度|next quarter", _calendar("quarter", 1, to_date=False)),
    (r"明年|下一年|next year", _calendar("year", 1, to_date=False)),
    (r"今天|今日|today", _day(0)),
    (r"昨天|昨日|yesterday", _day(-1)),
    (r"大前天", _day(-3)),
    (r"前天|the day before yesterday", _day(-2)),
    (
        r"本周|这周|这个星期|本星期|这礼拜|本礼拜|这个礼拜|this week|week to date|wtd",
        _calendar("week", 0, to_date=True),
    ),
    (
        r"上上周|上上个星期|上上星期|上上个礼拜|上上礼拜|(?:the )?week before last",
        _calendar("week", -2, to_date=False),
    ),
    (
        r"上周|上星期|上个星期|上一周|上礼拜|上个礼拜|last week|previous week",
        _calendar("week", -1, to_date=False),
    ),
    (r"本月|这个月|当月|this month|month to date|mtd", _calendar("month", 0, to_date=True)),
    (r"上上个月|上上月|(?:the )?month before last", _calendar("month", -2, to_date=False)),
    # "changed from the previous month" is a comparison, not a period of its own
    (r"上个月|上月|上一个月|last month|(?<!from the )previous month", _calendar("month", -1, to_date=False)),
    (r"本季度|这个季度|这季度|当季|this quarter|quarter to date|qtd", _calendar("quarter", 0, to_date=True)),
    (r"上上季度|上上个季度|(?:the )?quarter before last", _calendar("quarter", -2, to_date=False)),
    (r"上季度|上个季度|上一季度|last quarter|previous quarter", _calendar("quarter", -1, to_date=False)),
    (
        r"今年(?:以来|至今|到现在|到目前为止|到今天)|年初至今|年初到现在|年初到今天|年初以来|今年|本年|this year|year[- ]to[- ]date|ytd",
        _calendar("year", 0, to_date=True),
    ),
    # 去年同期 is a comparison (year over year), not a period of its own.
    (
        r"去年(?!同期)|上一年|(?<!same period )last year|(?<!from the )previous year",
        _calendar("year", -1, to_date=False),
    ),
    (r"前年", _calendar("year", -2, to_date=False)),
    (r"(?:in\s+)?(?P<y>(?:19|20)\d\d)年?(?![-/月\d]|\.\d)", _whole_year),
    (rf"(?P<m>{CNUM})月份?(?![\d{CN}]*[日号])", _one_month),
]
COMPILED = [(re.compile(p), r) for p, r in PATTERNS]
# A part of a month or a year (5月底, 上个月初, 去年年底, the end of May): the business
# habit of 上旬/中旬/下旬 (days 1-10, 11-20, 21 to the end) and of a year's first or
# last month. Written right after a month or year phrase, or on their own (月底 = this
# month's end, 年底 = this year's December).
PART_AFTER = re.compile(r"的?(上旬|中旬|下旬|月初|月中|月底|月末|年初|年底|年末|初|中旬|底|末)")
PART_BEFORE = re.compile(
    r"(?:(?:at|by|in|around) )?(?:the )?(end|start|beginning|middle) of (?:the )?$|(early|mid|late)[- ]$"
)
PARTS = {
    "上旬": "early",
    "月初": "early",
    "初": "early",
    "年初": "early",
    "start": "early",
    "beginning": "early",
    "early": "early",
    "中旬": "middle",
    "月中": "middle",
    "middle": "middle",
    "mid": "middle",
    "下旬": "late",
    "月底": "late",
    "月末": "late",
    "年底": "late",
    "年末": "late",
    "底": "late",
    "末": "late",
    "end": "late",
    "late": "late",
}
ALONE = re.compile(r"(?<![月年\d])(月初|月中|月底|月末|年初|年底|年末)")


def normalise_keeping_offsets(text: str) -> str:
    """Full-width to half-width and lower case, one character for one, so that
    spans found in the result are spans of the original text."""
    out = []
    for ch in text:
        mapped = unicodedata.normalize("NFKC", ch)
        out.append(mapped.lower() if len(mapped) == 1 else ch.lower())
    return "".join(out)


def find_times(text: str, as_of: dt.date, campaigns: Sequence[Campaign] = ()) -> list[TimeMatch]:
    """Every time phrase in `text`, left to right, not overlapping; the longest
    match wins where two patterns start at the same place."""
    normal = normalise_keeping_offsets(text)
    ctx = Context(as_of, campaigns)
    candidates: list[tuple[int, int, TimeMatch]] = []
    for pattern, resolver in COMPILED:
        for match in pattern.finditer(normal):
            if not _standalone(normal, match.start(), match.end()):
                continue
            try:
                resolved = resolver(defaultdict(lambda: None, match.groupdict()), ctx)
            except (ValueError, KeyError, TypeError):
                continue  # 2月30日 and the like are not dates
            if resolved is None or resolved[0] > resolved[1]:
                continue  # 近0天 names no period
            start, end, unit = resolved
            whole_end = end
            if start <= as_of < end:
                end = as_of
            phrase = text[match.start() : match.end()]
            found = TimeMatch(
                span=match.span(),
                text=phrase,
                range=TimeRange(start=start, end=end),
                unit=unit,
                evidence=f"“{phrase}” = {start}..{end}",
                whole_end=whole_end,
            )
            candidates.append((match.start(), -(match.end() - match.start()), found))
    chosen: list[TimeMatch] = []
    taken = [False] * len(normal)
    for _, _, found in sorted(candidates, key=lambda c: (c[1], c[0])):
        a, b = found.span
        if not any(taken[a:b]):
            chosen.append(found)
            for i in range(a, b):
                taken[i] = True
    chosen = _campaign_years(normal, _campaign_and_year_beside(normal, chosen, ctx), ctx)
    chosen = [_with_part(text, normal, found, as_of) for found in chosen]
    chosen += _parts_alone(text, normal, as_of, taken)
    chosen = _edges(text, normal, sorted(chosen, key=lambda t: t.span[0]), as_of)
    chosen = [_open_ended(text, normal, found, as_of) for found in sorted(chosen, key=lambda t: t.span[0])]
    days = _days_of_month(text, normal, chosen, as_of)
    after = _days_after(text, normal, chosen)
    before = _one_before(text, normal, chosen)
    return sorted(
        chosen + days + after + before + _since_then(normal, chosen, as_of), key=lambda t: t.span[0]
    )


# 上个月和再前一个月, last month and the month before: the one before the period said just before
ONE_BEFORE = re.compile(
    r"(?:再往?|更)?前一(?:个)?(?P<u>月|周|季度|年)|\bthe (?P<e>month|week|quarter|year) before(?: that)?\b"
)
LISTED_WITH = re.compile(r"\s*(?:和|与|及|跟|、|,|，|\band\b)\s*")
ONE_BEFORE_UNITS: dict[str, Grain] = {"月": "month", "周": "week", "季度": "quarter", "年": "year"}
ENGLISH_UNITS: dict[str, Grain] = {"month": "month", "week": "week", "quarter": "quarter", "year": "year"}


def _one_before(text: str, normal: str, chosen: list[TimeMatch]) -> list[TimeMatch]:
    found: list[TimeMatch] = []
    for match in ONE_BEFORE.finditer(normal):
        unit = ONE_BEFORE_UNITS.get(match.group("u") or "") or ENGLISH_UNITS[match.group("e") or "month"]
        said = [t for t in chosen if t.span[1] <= match.start() and t.unit == unit and t.range.start]
        if not said or any(t.span[0] < match.end() and match.start() < t.span[1] for t in chosen):
            continue
        if not LISTED_WITH.fullmatch(normal[said[-1].span[1] : match.start()]):
            continue  # vs the month before, 比前一年: a comparison's base, not a period listed
        start = said[-1].range.start
        assert start is not None
        first = shift_by_grain(start, unit, -1)
        found.append(
            _spanning(text, match.span(), (first, shift_by_grain(first, unit, 1) - dt.timedelta(days=1)))
        )
    return found


# 双11结束后90天内, 活动结束后的30天, within 30 days after Double 11: the days just after a
# period (the campaign named before, for 活动/大促), counted from the day after its end;
# 11月12日起算90天: the days from a day on
DAYS_NUMBER = r"(?P<n>\d{1,3}|[一二两三四五六七八九十百]+)"
DAYS_AFTER_ZH = re.compile(
    rf"(?P<event>活动|大促|促销)?(?:结束|过完)?(?:之后|以后|后)的?\s*{DAYS_NUMBER}\s*天(?:内|以内|之内)?"
)
DAYS_FROM_ZH = re.compile(rf"\s*算?的?\s*{DAYS_NUMBER}\s*天(?:内|以内|之内)?")
DAYS_AFTER_EN = re.compile(
    rf"\b(?:with)?in\s+(?:the\s+)?{DAYS_NUMBER}\s+days\s+(?:after|following)(?:\s+the\s+end\s+of)?\s*$"
)


def _days_after(text: str, normal: str, chosen: list[TimeMatch]) -> list[TimeMatch]:
    found: list[TimeMatch] = []
    for match in DAYS_AFTER_ZH.finditer(normal):
        before = [t for t in chosen if t.span[1] <= match.start() and t.range.end is not None]
        if not before or not (match.group("event") or before[-1].span[1] == match.start()):
            continue
        period = before[-1]
        end = period.range.end
        assert end is not None
        days = _count(match.group("n"))
        dates = (end + dt.timedelta(days=1), end + dt.timedelta(days=days))
        at = match.start()
        if not match.group("event"):
            chosen.remove(period)  # 双11结束后30天内: one period, the days after it
            at = period.span[0]
        found.append(_spanning(text, (at, match.end()), dates))
    for t in list(chosen):
        first = t.range.start
        since = DAYS_FROM_ZH.match(normal, t.span[1]) if t.text.endswith("起") and first else None
        if since is not None and first is not None:
            chosen.remove(t)
            dates = (first, first + dt.timedelta(days=_count(since.group("n")) - 1))
            found.append(_spanning(text, (t.span[0], since.end()), dates))
        lead = DAYS_AFTER_EN.search(normal[: t.span[0]])
        if lead is not None and t.range.end is not None:
            chosen.remove(t)
            days = _count(lead.group("n"))
            end = t.range.end
            found.append(
                _spanning(
                    text,
                    (lead.start(), t.span[1]),
                    (end + dt.timedelta(days=1), end + dt.timedelta(days=days)),
                )
            )
    return found


# bought in 2024, haven't bought anything since then; 2024年买过、此后再没买过
SINCE_THEN = re.compile(
    r"\bsince then\b|\bever since\b|\bafter that\b|\bsince(?=\s*(?:[?.!,;]|$))|此后|从那以后|那之后|自那以后|之后就?再?(?=没|不)"
)


def _since_then(normal: str, chosen: list[TimeMatch], as_of: dt.date) -> list[TimeMatch]:
    """Since then: from the day after the period said before it to the last day of data."""
    found: list[TimeMatch] = []
    for match in SINCE_THEN.finditer(normal):
        before = [t for t in chosen if t.span[1] <= match.start() and t.range.end is not None]
        if not before:
            continue
        end = max(before, key=lambda t: t.span[1]).range.end
        assert end is not None
        if end >= as_of:
            continue
        since = TimeRange(start=end + dt.timedelta(days=1), end=as_of)
        found.append(
            TimeMatch(
                span=match.span(),
                text=match.group(0),
                range=since,
                evidence=f"{match.group(0)} = {since.start}..{as_of}",
            )
        )
    return found


# Before 2020, 2020年之前, since March, 2024年以来: a period's edge, open on one side.
OPEN_BEFORE_EN = re.compile(
    r"\b(?P<w>before|prior to|earlier than|until|till|up to|through|after|later than|since|starting)\s+(?:the\s+)?$"
)
OPEN_AFTER_ZH = re.compile(
    r"^\s*(?:结束|过完)?(?P<w>之前|以前|前(?![\d一二三四五六七八九十两几]|天)|为止|之后|以后|后(?![\d一二三四五六七八九十两几])|以来|起)"
    # 双11结束后到现在: after it, up to the last day of data (which "after" reaches anyway)
    r"(?:\s*(?:到|至)(?:现在|今天|目前))?"
)


def _open_ended(text: str, normal: str, found: TimeMatch, as_of: dt.date) -> TimeMatch:
    start, end = found.range.start, found.range.end
    if start is None or end is None:
        return found
    a, b = found.span
    before = OPEN_BEFORE_EN.search(normal[:a])
    after = OPEN_AFTER_ZH.match(normal[b:])
    word = before.group("w") if before else after.group("w") if after else None
    if word is None or (word == "through" and CAMPAIGN_WORD.search(normal[a:b])):
        return found  # through 618: throughout the campaign, not until its end
    if word in {"before", "prior to", "earlier than", "之前", "以前", "前"}:
        dates: tuple[dt.date | None, dt.date | None] = (None, start - dt.timedelta(days=1))
    elif word in {"until", "till", "up to", "through", "为止"}:
        dates = (None, end)
    elif word in {"after", "later than", "之后", "以后", "后"}:
        dates = (end + dt.timedelta(days=1), as_of)
    else:  # since, starting, 以来, 起
        dates = (start, as_of)
    return _spanning(text, (before.start() if before else a, b + after.end() if after else b), dates)


DAYS = re.compile(
    r"(?P<d1>\d{1,2})\s*[号日]?\s*(?:到|至|-|~|—)\s*(?:(?P<d2>\d{1,2})\s*[号日]|(?P<today>今天|今日|现在|目前))"
    r"|\bdays?\s+(?P<e1>\d{1,2})\s*(?:to|-|through|until)\s*(?P<e2>\d{1,2})\b"
)


def _days_of_month(text: str, normal: str, chosen: list[TimeMatch], as_of: dt.date) -> list[TimeMatch]:
    """29号到31号, days 1 to 5, 25号到今天: days of the month named just before
    (上个月月底（29号到31号）), else of as_of's month."""
    found: list[TimeMatch] = []
    for match in DAYS.finditer(normal):
        start, end = match.span()
        inner = [t for t in chosen if start <= t.span[0] and t.span[1] <= end]  # 今天 of 25号到今天
        if any(t.span[0] < end and start < t.span[1] for t in chosen if t not in inner):
            continue
        for t in inner:
            chosen.remove(t)
        before = [
            t
            for t in chosen
            if t.span[1] <= start
            and t.range.start is not None
            and t.range.end is not None
            and (t.range.start.year, t.range.start.month) == (t.range.end.year, t.range.end.month)
        ]
        month = before[-1].range.start if before and before[-1].range.start else as_of.replace(day=1)
        try:
            first = month.replace(day=int(match.group("d1") or match.group("e1")))
            last = (
                as_of
                if match.group("today")
                else month.replace(day=int(match.group("d2") or match.group("e2")))
            )
        except ValueError:
            continue
        if first > last:
            continue
        phrase = text[start:end]
        found.append(
            TimeMatch(
                span=(start, end),
                text=phrase,
                range=TimeRange(start=first, end=min(last, as_of) if first <= as_of else last),
                unit="day" if first == last else None,
                evidence=f"“{phrase}” = {first}..{last}",
            )
        )
    return found


EDGE_EN = re.compile(rf"(?:the\s+)?(?P<side>last|final|first)\s+(?P<n>{EN_N})?\s*(?P<u>days?|weeks?)\s*$")
EDGE_BEFORE = re.compile(
    rf"(?:the\s+)?(?P<side>last|final|first)\s+(?P<n>{EN_N})?\s*(?P<u>days?|weeks?)\s+of\s+(?:the\s+)?$"
)
EDGE_OF = re.compile(r"^\s*of\s*(?:the\s*)?$")
EDGE_ZH = re.compile(rf"的?\s*(?P<side>最后|最末|前|头|第一)(?P<n>{CNUM})?个?(?P<u>天|日|周|星期)")


def _edges(text: str, normal: str, chosen: list[TimeMatch], as_of: dt.date) -> list[TimeMatch]:
    """The last 3 days of 2025, 上个月最后三天, the first week of March: the first or last
    days (or weeks) of the period they are written against."""
    result: list[TimeMatch] = []
    skip: set[int] = set()
    for index, found in enumerate(chosen):
        if index in skip:
            continue
        following = chosen[index + 1] if index + 1 < len(chosen) else None
        head = EDGE_EN.fullmatch(normal[found.span[0] : found.span[1]])
        if head and following and EDGE_OF.match(normal[found.span[1] : following.span[0]]):
            edge = _edge(following, head.group("side"), head.group("n"), head.group("u"), as_of)
            if edge is not None:
                result.append(_spanning(text, (found.span[0], following.span[1]), edge))
                skip.add(index + 1)
                continue
        before = EDGE_BEFORE.search(normal[: found.span[0]])
        if before and not (result and result[-1].span[1] > before.start()):
            edge = _edge(found, before.group("side"), before.group("n"), before.group("u"), as_of)
            if edge is not None:
                result.append(_spanning(text, (before.start(), found.span[1]), edge))
                continue
        tail = EDGE_ZH.match(normal, found.span[1])
        if tail:
            edge = _edge(found, tail.group("side"), tail.group("n"), tail.group("u"), as_of)
            if edge is not None:
                result.append(_spanning(text, (found.span[0], tail.end()), edge))
                continue
        result.append(found)
    return result


def _edge(
    period: TimeMatch, side: str, count: str | None, unit: str, as_of: dt.date
) -> tuple[dt.date, dt.date] | None:
    start, end = period.range.start, period.range.end
    if start is None or end is None:
        return None
    days = _count(count) * (7 if unit.startswith(("week", "周", "星期")) else 1)
    if side in {"last", "final", "最后", "最末"}:
        first, last = max(start, end - dt.timedelta(days=days - 1)), end
    else:
        first, last = start, min(end, start + dt.timedelta(days=days - 1))
    return first, min(last, as_of) if first <= as_of else last


def _spanning(text: str, span: tuple[int, int], dates: tuple[dt.date | None, dt.date | None]) -> TimeMatch:
    """The period `dates` written at `span`; an open side (before 2020) is None."""
    phrase = text[span[0] : span[1]]
    return TimeMatch(
        span=span,
        text=phrase,
        range=TimeRange(start=dates[0], end=dates[1]),
        unit="day" if dates[0] is not None and dates[0] == dates[1] else None,
        evidence=f"“{phrase}” = {dates[0] or '…'}..{dates[1] or '…'}",
    )


CAMPAIGN_WORD = re.compile("|".join(CAMPAIGN_ALIASES.values()))
YEAR_ALONE = re.compile(r"(?:in\s+)?(?:19|20)\d\d年?")


# A year said of one campaign, right after it: 618 last year (the possessive before it,
# last year's 618, is read as one phrase already).
YEAR_AFTER_CAMPAIGN = {"last year": -1, "去年": -1, "前年": -2}


def _campaign_and_year_beside(normal: str, chosen: list[TimeMatch], ctx: Context) -> list[TimeMatch]:
    """During 618 last year but not this year's 618: a relative year written right after
    a campaign is that campaign's year, not a whole year besides."""
    ordered = sorted(chosen, key=lambda t: t.span[0])
    result = list(ordered)
    for found, after in itertools.pairwise(ordered):
        shift = YEAR_AFTER_CAMPAIGN.get(normal[after.span[0] : after.span[1]])
        name = CAMPAIGN_WORD.fullmatch(normal[found.span[0] : found.span[1]].strip())
        if shift is None or name is None or normal[found.span[1] : after.span[0]].strip():
            continue
        resolved = _campaign({"c": name.group(0), "y": str(ctx.as_of.year + shift)}, ctx)
        if resolved is None or after not in result:
            continue
        start, end, _ = resolved
        span = (found.span[0], after.span[1])
        result[result.index(found)] = found.model_copy(
            update={
                "span": span,
                "text": found.text.strip() + normal[found.span[1] : after.span[0]] + after.text,
                "range": TimeRange(start=start, end=min(end, ctx.as_of) if start <= ctx.as_of else end),
            }
        )
        result.remove(after)
    return result


def _campaign_years(normal: str, chosen: list[TimeMatch], ctx: Context) -> list[TimeMatch]:
    """Double 11 (双11) 2024, 2024 ... 618: a campaign and a year written apart are that
    year's campaign, not the latest one and a whole year besides."""
    years = [t for t in chosen if YEAR_ALONE.fullmatch(normal[t.span[0] : t.span[1]])]
    if len(years) != 1:
        return chosen
    year = years[0].range.start.year if years[0].range.start else None
    campaigns = [
        t
        for t in chosen
        if CAMPAIGN_WORD.search(normal[t.span[0] : t.span[1]]) and not re.search(r"\d{4}", t.text)
    ]
    if not campaigns or year is None:
        return chosen
    result = [t for t in chosen if t is not years[0]]
    for found in campaigns:
        name = CAMPAIGN_WORD.search(normal[found.span[0] : found.span[1]])
        resolved = _campaign({"c": name.group(0) if name else "", "y": str(year)}, ctx) if name else None
        if resolved is None:
            return chosen
        start, end, _ = resolved
        result[result.index(found)] = found.model_copy(
            update={"range": TimeRange(start=start, end=min(end, ctx.as_of) if start <= ctx.as_of else end)}
        )
    return result


def _with_part(text: str, normal: str, found: TimeMatch, as_of: dt.date) -> TimeMatch:
    """5月底, 上个月初, 去年年底, the end of May: the match narrowed to that part."""
    start, end = found.range.start, found.range.end
    if start is None or end is None or (found.unit not in {"month", "year"} and (end - start).days > 31):
        return found
    a, b = found.span
    after = PART_AFTER.match(normal, b)
    before = PART_BEFORE.search(normal[:a])
    word = after.group(1) if after else (before.group(1) or before.group(2)) if before else None
    if word is None:
        return found
    yearly = found.unit == "year" or word.startswith("年")
    if (yearly and word in {"月初", "月中", "月底", "月末"}) or (not yearly and word.startswith("年")):
        return found
    narrowed = _part(start, PARTS[word], yearly=yearly, as_of=as_of)
    if narrowed is None:
        return found
    span = (before.start() if before and not after else a, after.end() if after else b)
    return _spanning(text, span, narrowed)


def _part(start: dt.date, part: str, *, yearly: bool, as_of: dt.date) -> tuple[dt.date, dt.date] | None:
    if yearly:
        if part == "middle":
            return None  # 年中 is no agreed span
        month = 1 if part == "early" else 12
        first, last = dt.date(start.year, month, 1), month_end(start.year, month)
    else:
        first_day = {"early": 1, "middle": 11, "late": 21}[part]
        last_day = {"early": 10, "middle": 20}.get(part, month_end(start.year, start.month).day)
        first, last = start.replace(day=first_day), start.replace(day=last_day)
    if first <= as_of < last:
        last = as_of
    return first, last


def _parts_alone(text: str, normal: str, as_of: dt.date, taken: list[bool]) -> list[TimeMatch]:
    """月底 or 年底 with no period named: this month's or this year's."""
    found: list[TimeMatch] = []
    for match in ALONE.finditer(normal):
        if any(taken[match.start() : match.end()]):
            continue
        word = match.group(1)
        anchor = as_of.replace(month=1, day=1) if word.startswith("年") else as_of.replace(day=1)
        narrowed = _part(anchor, PARTS[word], yearly=word.startswith("年"), as_of=as_of)
        if narrowed is None:
            continue
        phrase = text[match.start() : match.end()]
        found.append(
            TimeMatch(
                span=match.span(),
                text=phrase,
                range=TimeRange(start=narrowed[0], end=narrowed[1]),
                evidence=f"“{phrase}” = {narrowed[0]}..{narrowed[1]}",
            )
        )
    return found


def _standalone(text: str, start: int, end: int) -> bool:
    """English words and numbers are matched whole: no `mar` in `market`, no 2025 in 20251."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    word = re.compile(r"[a-z0-9]")
    if word.match(text[start]) and word.match(before):
        return False
    return not (word.match(text[end - 1]) and word.match(after))
