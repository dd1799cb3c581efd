"""Analysis words: ranking (前N, 最高, top, bottom), comparison (同比, 环比),
share (占比), trend grain (每月, 趋势), distribution and profile (分布, 画像).

Each cue is found by a table of patterns over the normalised question and
keeps its span, so the linker does not mistake it for a metric or a value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nlq.numerals import ENGLISH_PATTERN, number
from nlq.semantic.model import Grain

CueKind = Literal[
    "top",
    "bottom",
    "yoy",
    "pop",
    "share",
    "grain",
    "trend",
    "distribution",
    "profile",
    "hot",
    "detail",
    "compare",
    "count",
    "sort",
    "sort_asc",
    "rank",
    "nth",
    "cumulative",
    "moving",
    "latest",
    "earliest",
    "why",
    "anomaly",
    "forecast",
    "stock_alert",
]

CN_NUMBER = r"[零一二两三四五六七八九十百仨俩]+"
NUMBER = rf"(\d+|{CN_NUMBER}|{ENGLISH_PATTERN})"


@dataclass(frozen=True)
class Cue:
    kind: CueKind
    start: int
    end: int
    text: str
    number: int | None = None
    grain: Grain | None = None


# (kind, pattern, grain). Patterns run on normalised (lower-case, half-width) text.
# 最近10笔退款, the 10 most recent refunds, last 5 orders: the newest rows, not a period.
LATEST_PATTERN = (
    rf"(?:最近|最新|最后|近)的?\s*{NUMBER}\s*(?:笔|条|个(?!月|星期|礼拜|季度|小时|钟头|工作日|自然)|单|次|位|款|件|张)|"
    # 最近下的5笔订单, 最后发生的10笔退款: a short verb between the word and the number
    rf"(?:最近|最新|最后)[\u4e00-\u9fff]{{1,3}}的\s*{NUMBER}\s*(?:笔|条|单|次|张)|"
    rf"\b(?:most recent|latest|newest|last)\s+{NUMBER}\b(?!\s*(?:full\s+|calendar\s+|complete\s+)?"
    r"(?:days?|weeks?|months?|quarters?|years?|hours?|mins?|minutes?|weekends?|business days?)\b)|"
    rf"\b{NUMBER}\s+(?:most recent|latest|newest)\b|"
    # newest first, 从新到旧: the newest rows first, however many
    r"\b(?:newest|latest|most recent|most recently \w+) first\b|"
    # their most recent order: the one newest row
    r"(?:\b(?:their|his|her|its|my)|'s)\s+(?:most recent|latest|newest|last)\s+"
    r"(?!(?:full\s+|calendar\s+|complete\s+)?(?:days?|weeks?|months?|quarters?|years?|hours?|time|week-?ends?|snapshot)\b)"
    r"(?=[a-z]+\b(?<!s\b))(?P<one>)|"
    r"(?:从新到旧|由新到旧|从近到远|按时间倒序)(?:排(?:列|序)?)?"
)
LATEST = re.compile(LATEST_PATTERN)
# 7日移动平均, 近3个月滚动平均, 7-day rolling average: a window, whose length is no period
MOVING_PATTERN = (
    rf"(?:(?:近|最近|过去)?{NUMBER}\s*(?:日|天|个月|月|周)的?)?(?:移动平均|滑动平均|滚动平均|均线|移动均值|滚动均值)"
    # （含当月）: the window ends with the bucket itself, as every moving average here does
    r"(?:\s*[（(]?(?:含|包含|包括)?当(?:月|天|日|周)(?:(?:加|和|及|\+)(?:上)?(?:前|之前)(?:\d+|[一二两三四五六七八九十])?个?(?:月|天|日|周))?[）)]?)?|"
    r"(?:(\d+)[- ](?:day|week|month)s?\s+)?(?:moving|rolling|trailing)\s+(?:average|mean|avg)|"
    r"\btrailing\s+(\d+)[- ](?:day|week|month)s?\s+(?:average|mean|avg)"
)
MOVING = re.compile(MOVING_PATTERN)

# Fixed-width look-behinds for the ranking words before a unit (best week, 最高的一天).
RANKED_BEFORE = (
    "(?:" + "|".join(f"(?<={w})" for w in ("最高的", "最好的", "最多的", "最低的", "最差的", "最少的")) + ")"
)
RANKED_BEFORE_EN = (
    "(?:"
    + "|".join(f"(?<={w} )" for w in ("best", "worst", "busiest", "biggest", "highest", "lowest", "top"))
    + ")"
)
PATTERNS: list[tuple[CueKind, str, Grain | None]] = [
    ("latest", LATEST_PATTERN, None),
    # 按下单时间从早到晚, oldest first: the rows in the order they happened
    (
        "earliest",
        r"(?:从早到晚|由早到晚|从旧到新|由旧到新|按(?:时间|日期|月份?|季度|年份?|周)的?(?:先后|顺序|正序)+)(?:排(?:列|序)?|列)?|"
        r"\b(?:oldest|earliest) first\b|\bin chronological order\b|\bchronologically\b|"
        # show the quarters in order, in month order: the buckets of time as they came
        r"\bin (?:date|time|month|quarter|week|year) order\b|\b(?:months|quarters|weeks|years|days) in order\b",
        None,
    ),
    # 库存不足的商品, 哪些商品快断货了, running out of stock: items whose stock runs out soonest.
    (
        "stock_alert",
        r"库存不足|库存不够|库存告急|库存预警|库存紧张|快断货|要断货|会断货|断货|快缺货|缺货|快卖完|快卖光|快卖断|卖断|"
        r"需要补货|该补货|补货|可售天数|撑得住|撑不住|够不够卖|不够卖|"
        r"\bat risk of (?:running out|selling out|a stock-?out)\b|"
        r"\blow (?:on )?stock\b|\bstock (?:warnings?|alerts?)\b|\brunning (?:low|out)\b|\brun out\b|\bout of stock\b|\bstock[- ]?outs?\b|"
        r"\bsell(?:ing)? out\b|\bsold out\b|"
        r"\brestock(?:ing)?\b|\breorder(?:ing)?\b|\bdays of cover\b",
        None,
    ),
    # 预测下个月的销量, forecast GMV for Q3: a figure of days that have not happened yet.
    (
        "forecast",
        r"预测|预计|预估|推测|估计|会是多少|会有多少|能卖多少|会卖多少|能达到多少|能到多少|能做多少|能做到多少|大概多少|大概能|"
        r"\bforecast(?:s|ed|ing)?\b|\bpredict(?:s|ed|ion|ions)?\b|\bproject(?:s|ed|ion|ions)?\b|\bexpect(?:ed)?\b|\boutlook\b|\bwill\b|\bgoing to be\b",
        None,
    ),
    # 最近有什么异常, 哪天的订单数不正常, unusual days: the days a metric left its usual range.
    (
        "anomaly",
        r"异常值?|不太?正常|不大正常|正常吗|正不正常|是否正常|反常|离群|不太?对劲|奇怪|古怪|"
        r"\banomal(?:y|ies|ous)\b|\bunusual\b|\boutliers?\b|\babnormal(?:ly)?\b|\bweird\b|\bstrange\b|"
        r"\banything off\b|\b(?:look|looks|looked|seem|seems|seemed) off\b",
        None,
    ),
    # 为什么GMV下降了, 哪个品类拖后腿, what drove the rise: an explanation of a change, not a figure.
    (
        "why",
        # 原因 alone is a dimension's word (退款原因): the reason of a change is asked for
        r"为什么|为啥|为何|(?:什么|啥|主要|看看|找找?|分析|查查?|拆(?:一下|解)?)原因|原因(?:呢|何在)|(?<=[，,。？?\s])原因是什么|靠什么|靠的是什么|归因|怎么回事|拖后腿|拖累|拉低|拉高|"
        r"是什么导致|导致(?=[^，,。？?]{0,8}(?:下降|上升|增长|下滑|变化|减少|增加|变少|变多))|驱动|带起来|带动|拉动|主要来自|来自哪|"
        r"(?:主要)?(?:是)?(?:谁|哪些?[个家类款]?)(?:贡献|带来|造成)|"
        r"贡献了?(?=[^，,。？?]{0,4}(?:增长|下降|下滑|上涨|上升|变化|提升|减少|增量|降幅|涨幅))|"
        r"什么情况|怎么了|\bwhy\b|\bwhat (?:drove|drives|caused|causes|is driving|was driving|explains|led to|is behind|was behind)\b|"
        r"\b(?:explain|explains|explained|attribut(?:e|ion))\b|\bdrivers?\b|"
        r"\breasons? (?:for|behind)\b|\broot cause|\bcontribut(?:ed|ing|es)? (?:the )?most to\b|"
        r"\bbehind (?:it|that|this|the)\b|\bresponsible\b|\bdrove\b|\bcom(?:e|es|ing) from\b|\bcontribut(?:e|ed|es|ion)\b|\bdriving\b|\bdragg(?:ed|ing) down\b|\bheld back\b|\bpulled down\b",
        None,
    ),
    # 累计GMV by month, running total: a sum along the time buckets (with no buckets, a total).
    (
        "cumulative",
        r"累计(?:数|值|额|量)?|累积(?:数|值)?|running total|cumulative(?:ly)?|year[- ]to[- ]date|\bytd\b",
        None,
    ),
    # 7日移动平均, 3个月移动平均, 7日均线, rolling average: a window over the buckets, not a
    # bucket of its own; its length and unit are read by the reader.
    ("moving", MOVING_PATTERN, None),
    # 排第二的品类, 第3名, the third-largest: the Nth of a ranking.
    (
        "nth",
        rf"(?:排名?)?倒数第\s*{NUMBER}\s*(?:名|位)?|排(?:名)?第\s*{NUMBER}\s*(?:名|位)?|"
        rf"第\s*{NUMBER}\s*(?:名|高|大|多|低|少|小)|"
        r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)"
        r"[- ](?:largest|biggest|highest|most|best(?:[- ]?sel+(?:ing|ers?))?|top|greatest|smallest|lowest|least|worst|fewest|weakest)\b|"
        r"\b(second)[- ](?:to[- ])?last\b|"
        r"\b(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)"
        r"\s+from\s+the\s+(?:bottom|top)\b|"
        r"\b(?:came|finished|ranked|placed)\s+(second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|2nd|3rd|4th|5th|6th|7th|8th|9th|10th)\b|"
        rf"\b(?:number|no\.)\s*{NUMBER}\b(?!\s*(?:of|orders?|items?|units?|%))|"
        # the #2 brand: a place, not an id (order #196910 has more digits)
        r"#\s*(\d{1,2})(?=\s+[a-z])",
        None,
    ),
    # 各省GMV排名, 四川排第几, where does 美妆 rank: a rank column, not the top N (排名前3).
    (
        "rank",
        r"(?:里|中)?能?排(?:到|在)第几(?:位|名)?|排名第几|排个?名次|排个名|排名(?!前|第?\s*\d|第?[一二三四五六七八九十])|排第几|排在第几|第几(?:名|位)?|名次|"
        r"\brank(?:ing|ings|ed|s)?\b(?!\s+(?:top|first|\d))|\b(?:place[ds]?|stand[s]?|stood)\b(?=\s+among)",
        None,
    ),
    (
        "sort",
        r"(?:从高到低|由高到低|从大到小|由大到小|从多到少|从贵到便宜|由贵到便宜|从贵到低)(?:排(?:列|序)?)?|降序|倒序|descending|"
        r"\b(?:highest|largest|biggest|most expensive|priciest|dearest|best|most)\s+(?:[a-z]+\s+){0,2}?first\b|"
        r"(?:from )?(?:highest|largest|biggest|most) to (?:lowest|smallest|least)|high to low",
        None,
    ),
    (
        "sort_asc",
        r"(?:从低到高|由低到高|从小到大|由小到大|从少到多|从便宜到贵|由便宜到贵)(?:排(?:列|序)?)?|升序|ascending|"
        r"\b(?:lowest|smallest|cheapest|least expensive|worst|least|fewest)\s+(?:[a-z]+\s+){0,2}?first\b|"
        r"(?:from )?(?:lowest|smallest|least) to (?:highest|largest|biggest|most)|low to high",
        None,
    ),
    ("top", rf"(?:前|top\s*|排名前|最高的|最多的|最大的|最贵的)\s*{NUMBER}(?:名|个|款|位|大|家)?", None),
    ("top", rf"{NUMBER}\s*(?:个|款|名)?(?:最高|最多|最好|最畅销|最热销)", None),
    ("top", rf"{NUMBER}\s+(?:largest|biggest|highest|most expensive|priciest)\b", None),
    ("bottom", rf"{NUMBER}\s+(?:smallest|lowest|cheapest|least expensive|worst)\b", None),
    ("bottom", rf"(?:worst|lowest|(?<!at )least|smallest|weakest)\s+{NUMBER}\b", None),
    ("top", rf"(?:best|highest|biggest|largest|strongest|leading)\s+{NUMBER}\b", None),
    # 卖得最好的5款, 最高的3个: the number written after a ranking word.
    ("count", rf"(?<=[好多高低少差销底后])的\s*{NUMBER}\s*(?:个|款|家|位|名|种|大|条|笔)", None),
    # 哪3个, which 3, the 5 brands: a count of the ranked, its direction said elsewhere.
    ("count", rf"(?:哪|which\s+|the\s+)\s*{NUMBER}\s*(?:个|款|家|位|名|种|大)?(?=\s*[^\d\s%万亿千])", None),
    (
        "bottom",
        rf"(?:后|倒数|bottom\s*|最低的|最少的|最小的|最差的|最便宜的)\s*{NUMBER}(?:名|个|款|位)?",
        None,
    ),
    (
        "bottom",
        r"最低|最少|最差|最便宜|最弱|垫底|倒数|bottom|lowest|cheapest|least expensive|(?<!at )least|worst|fewest|weakest|smallest",
        None,
    ),
    (
        "hot",
        r"热销|畅销|爆款|卖得最好|卖得最多|卖的最好|卖的最多|买得最多|买的最多|购买最多|best[- ]?sel+(?:ing|ers?)|top[- ]?sel+ing|hottest",
        None,
    ),
    (
        "top",
        r"最高|最多|最好|最大|最贵|最畅销|最赚钱|最强|第一|峰值|高峰|top|peak|highest|most expensive|priciest|most|best|largest|biggest|leading|strongest|busiest|排名|排行|榜",
        None,
    ),
    (
        "yoy",
        r"同比|比去年同期|较去年同期|去年同期|同期相比|(?:the )?same period (?:of )?last year|(?:compared (?:with|to)|vs\.?|versus|than) (?:the )?year before|year[- ]over[- ]year|year[- ]on[- ]year|yoy|vs\.? last year|compared (?:with|to) last year",
        None,
    ),
    (
        "pop",
        r"环比上一?个?(?:月|周|季度|季|年|期)|环比|比上月|较上月|"
        r"(?:chang\w*|grew|growth|increase\w*|decrease\w*|drop\w*|rose|fell) from (?:the )?(?:previous|prior) (?:month|week|quarter|day|period)|比上周|较上周|比上个月|(?:比|较|相比|对比)(?:前一|上一)个?(?:月|周|天|日|季度)|(?:compared (?:with|to)|vs\.?|versus|than) (?:the )?(?:previous|prior|(?:month|week|quarter|day) before)|month[- ]over[- ]month|mom|week[- ]over[- ]week|wow|period[- ]over[- ]period|previous period|sequential",
        None,
    ),
    (
        "share",
        r"占比|比例|比重|份额|占多少|占几成|占(?=[^，,。？?]{1,15}?(?:多少|几成|百分之几))|贡献度|share|proportion|percentage|percent of|what %|what percent(?![a-z])|% of|fraction|mix",
        None,
    ),
    # the best week, 最高的一天: the buckets of a unit ranked (the ranking word stays a cue)
    ("grain", rf"{RANKED_BEFORE}(?:一)?(?:天|日)|{RANKED_BEFORE_EN}day\b", "day"),
    ("grain", rf"{RANKED_BEFORE}(?:一)?周|{RANKED_BEFORE_EN}week\b", "week"),
    ("grain", rf"{RANKED_BEFORE}(?:一)?个?月|{RANKED_BEFORE_EN}month\b", "month"),
    (
        "grain",
        r"每天|每日|按天|按日|逐日|日度|每一天|单日|单天|哪一?天|哪一?日|daily|by day|per day|each day|single day|which days?|what days?",
        "day",
    ),
    (
        "grain",
        r"每周|按周|逐周|周度|每个星期|单周|哪一?周|weekly|by week|per week|each week|single week|which weeks?",
        "week",
    ),
    (
        "grain",
        r"每月|每个月|按月|逐月|月度|分月|各月|月份|单月|哪个月|哪些月|monthly|by month|per month|each month|single month|which months?",
        "month",
    ),
    ("grain", r"每季度|按季度|逐季|季度|各季度|quarterly|by quarter|per quarter", "quarter"),
    ("grain", r"每年|按年|逐年|年度|各年|yearly|annually|by year|per year", "year"),
    ("trend", r"趋势|走势|变化趋势|曲线|trend|over time|evolution", None),
    (
        "distribution",
        r"分布|构成|结构|distribution|distributed|breakdown|break (?:(?:them|it|that|those|this) )?down|split(?: (?:between|into|across|among))?",
        None,
    ),
    (
        "profile",
        r"用户画像|买家画像|人群画像|画像|人群特征|(?:都|大多)?是(?:些)?什么样的人|"
        r"(?:their |the )?(?:buyer|customer|user)s?'? profiles?|profile|demographics|\blooks? like\b",
        None,
    ),
    (
        "compare",
        r"放在一起(?:对比|比较)?|放一起(?:对比|比较)?|放一行(?:对比|比较)?|对比|比较|相比|vs\.?|versus|"
        r"compared? (?:to|with)|side by side|并排|差别|差异|区别|有什么不同|有何不同|"
        r"\bdiffer(?:s|ed|ences?)?(?: between| across| among| by)?\b",
        None,
    ),
    (
        "detail",
        r"(?:列出来|列出|列一下|列举|罗列|明细|清单)(?:\s*(?:前)?(\d+)(?:个|条|笔)?)?|list(?: all| the)?(?: (\d+))?\b|show (?:me )?(?:all|the (?:(\d+) )?(?=most|least|top|latest|biggest|largest|cheapest|priciest))",
        None,
    ),
]
COMPILED = [(kind, re.compile(pattern), grain) for kind, pattern, grain in PATTERNS]
# An Nth counted from the bottom: 倒数第二, the second-lowest, second to last.
FROM_THE_BOTTOM = re.compile(
    r"倒数|第\s*\S+?\s*[低少小]|smallest|lowest|(?<!at )least|worst|fewest|weakest|last|bottom"
)


def from_the_bottom(cue: Cue) -> bool:
    return bool(FROM_THE_BOTTOM.search(cue.text))


def find_cues(
    text: str, taken: list[tuple[int, int]] | None = None, cuts: set[int] | None = None
) -> list[Cue]:
    """Cues left to right; an earlier pattern wins an overlap, so `前10` beats `最高`.
    With word boundaries (`cuts`), a cue must start and end on them: 各年 is not a
    grain inside 各年龄段."""
    used = [False] * len(text)
    for start, end in taken or []:
        for i in range(start, end):
            used[i] = True
    cues: list[Cue] = []
    for kind, pattern, grain in COMPILED:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(used[start:end]) or not _whole_words(text, start, end):
                continue
            if cuts is not None and (start not in cuts or end not in cuts):
                continue
            digits = next((g for g in match.groups() if g), None)
            count = number(digits) if digits else None
            if count is None and match.groupdict().get("one") is not None:
                count = 1  # their most recent order: one row
            cues.append(Cue(kind, start, end, match.group(0), count, grain))
            for i in range(start, end):
                used[i] = True
    return sorted(cues, key=lambda cue: cue.start)


def _whole_words(text: str, start: int, end: int) -> bool:
    """An English cue must not be part of a longer word (`most` in `almost`)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    word = re.compile(r"[a-z]")
    return not (word.match(text[start]) and word.match(before)) and not (
        word.match(text[end - 1]) and word.match(after)
    )
