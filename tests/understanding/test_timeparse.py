"""Every row of shared/spec/time.md, at month ends and mid-month, in Chinese
and English, and numbers that are not time."""

from __future__ import annotations

import datetime as dt

import pytest

from nlq.timeparse import Campaign, find_times

D = dt.date
END, MID, MONDAY_MID, MAY, MARCH_END, YEAR_END, LEAP = (
    D(2026, 6, 30),
    D(2026, 6, 17),
    D(2026, 6, 15),
    D(2026, 5, 20),
    D(2026, 3, 31),
    D(2025, 12, 31),
    D(2024, 2, 29),
)
CAMPAIGNS = [
    Campaign(name=f"{y}{name}", start_date=D(y, m, a), end_date=D(y, m, b))
    for y in (2024, 2025, 2026)
    for name, m, a, b in (
        ("年货节", 1, 6, 20),
        ("38女王节", 3, 1, 8),
        ("618", 6, 1, 18),
        ("双11", 11, 1, 11),
        ("双12", 12, 1, 12),
    )
    if D(y, m, a) <= END
]

CASES = [
    # phrase, as_of, start, end
    ("今天", END, END, END),
    ("today", MID, MID, MID),
    ("昨天", END, D(2026, 6, 29), D(2026, 6, 29)),
    ("yesterday", D(2026, 3, 1), D(2026, 2, 28), D(2026, 2, 28)),
    ("近7天", END, D(2026, 6, 24), END),
    ("最近三十天", MID, D(2026, 5, 19), MID),
    ("过去15天", MAY, D(2026, 5, 6), MAY),
    ("last 7 days", MARCH_END, D(2026, 3, 25), MARCH_END),
    ("past 30 days", YEAR_END, D(2025, 12, 2), YEAR_END),
    ("本周", MONDAY_MID, MONDAY_MID, MONDAY_MID),
    ("本周", END, D(2026, 6, 29), END),
    ("this week", MID, MONDAY_MID, MID),
    ("上周", MONDAY_MID, D(2026, 6, 8), D(2026, 6, 14)),
    ("last week", END, D(2026, 6, 22), D(2026, 6, 28)),
    ("近2周", END, D(2026, 6, 17), END),
    ("last 4 weeks", MID, D(2026, 5, 21), MID),
    ("本月", END, D(2026, 6, 1), END),
    ("this month", MID, D(2026, 6, 1), MID),
    ("month to date", MAY, D(2026, 5, 1), MAY),
    ("上个月", END, D(2026, 5, 1), D(2026, 5, 31)),
    ("上月", MARCH_END, D(2026, 2, 1), D(2026, 2, 28)),
    ("last month", D(2026, 1, 15), D(2025, 12, 1), D(2025, 12, 31)),
    # the two examples of time.md, then more
    ("近3个月", END, D(2026, 4, 1), END),
    ("近三个月", MONDAY_MID, D(2026, 3, 16), MONDAY_MID),
    ("近三月", END, D(2026, 4, 1), END),
    ("最近6个月", MARCH_END, D(2025, 10, 1), MARCH_END),
    ("近3个月", D(2026, 5, 31), D(2026, 3, 1), D(2026, 5, 31)),
    ("近1个月", D(2026, 3, 30), D(2026, 3, 1), D(2026, 3, 30)),
    ("last 3 months", MAY, D(2026, 2, 21), MAY),
    ("past 6 months", YEAR_END, D(2025, 7, 1), YEAR_END),
    ("近一年", END, D(2025, 7, 1), END),
    ("近2年", MONDAY_MID, D(2024, 6, 16), MONDAY_MID),
    ("past year", LEAP, D(2023, 3, 1), LEAP),
    ("本季度", END, D(2026, 4, 1), END),
    ("this quarter", MAY, D(2026, 4, 1), MAY),
    ("上季度", END, D(2026, 1, 1), MARCH_END),
    ("last quarter", D(2026, 1, 10), D(2025, 10, 1), YEAR_END),
    ("今年", MID, D(2026, 1, 1), MID),
    ("今年以来", END, D(2026, 1, 1), END),
    ("year to date", MAY, D(2026, 1, 1), MAY),
    ("去年", END, D(2025, 1, 1), YEAR_END),
    ("last year", MARCH_END, D(2025, 1, 1), YEAR_END),
    ("2025年", END, D(2025, 1, 1), YEAR_END),
    ("in 2024", END, D(2024, 1, 1), D(2024, 12, 31)),
    ("2025年3月", END, D(2025, 3, 1), D(2025, 3, 31)),
    ("March 2025", END, D(2025, 3, 1), D(2025, 3, 31)),
    ("3月", END, D(2026, 3, 1), MARCH_END),
    ("3月份", D(2026, 2, 20), D(2025, 3, 1), D(2025, 3, 31)),
    ("7月", END, D(2025, 7, 1), D(2025, 7, 31)),
    ("6月", MID, D(2026, 6, 1), MID),
    ("in march", END, D(2026, 3, 1), MARCH_END),
    ("1月到3月", END, D(2026, 1, 1), MARCH_END),
    ("1-3月", MAY, D(2026, 1, 1), MARCH_END),
    ("4月到6月", MID, D(2026, 4, 1), MID),
    ("2025年1月到3月", END, D(2025, 1, 1), D(2025, 3, 31)),
    ("from January to March", END, D(2026, 1, 1), MARCH_END),
    ("上半年", END, D(2026, 1, 1), END),
    ("上半年", MAY, D(2026, 1, 1), MAY),
    ("去年下半年", END, D(2025, 7, 1), YEAR_END),
    ("first half of 2025", END, D(2025, 1, 1), D(2025, 6, 30)),
    ("3月1日到3月15日", END, D(2026, 3, 1), D(2026, 3, 15)),
    ("3月1日至15日", END, D(2026, 3, 1), D(2026, 3, 15)),
    ("from March 1 to March 15", END, D(2026, 3, 1), D(2026, 3, 15)),
    # the year said once, after the range, is the range's (it was a second period)
    ("between Nov 12 and Dec 31, 2025", END, D(2025, 11, 12), D(2025, 12, 31)),
    ("from Dec 20 to Jan 5, 2026", END, D(2025, 12, 20), D(2026, 1, 5)),
    ("11月12日到2026年1月3日", END, D(2025, 11, 12), D(2026, 1, 3)),
    ("2026-03-01到2026-03-15", END, D(2026, 3, 1), D(2026, 3, 15)),
    ("2025年Q3", END, D(2025, 7, 1), D(2025, 9, 30)),
    ("2025年第三季度", END, D(2025, 7, 1), D(2025, 9, 30)),
    ("Q3 2025", END, D(2025, 7, 1), D(2025, 9, 30)),
    ("双11", END, D(2025, 11, 1), D(2025, 11, 11)),
    ("双十一", D(2025, 11, 5), D(2025, 11, 1), D(2025, 11, 5)),
    ("2024年双11", END, D(2024, 11, 1), D(2024, 11, 11)),
    ("去年双12", END, D(2025, 12, 1), D(2025, 12, 12)),
    ("618", END, D(2026, 6, 1), D(2026, 6, 18)),
    ("618", MAY, D(2025, 6, 1), D(2025, 6, 18)),
    ("年货节", END, D(2026, 1, 6), D(2026, 1, 20)),
    ("Singles' Day", END, D(2025, 11, 1), D(2025, 11, 11)),
    # ahead of the data, for a forecast; framed as 看一下…, 下个月 must not read as 下下个月
    ("下个月", END, D(2026, 7, 1), D(2026, 7, 31)),
    ("下下个月", END, D(2026, 8, 1), D(2026, 8, 31)),
    ("the month after next", END, D(2026, 8, 1), D(2026, 8, 31)),
    ("下下周", END, D(2026, 7, 13), D(2026, 7, 19)),
    ("下下季度", END, D(2026, 10, 1), D(2026, 12, 31)),
]


@pytest.mark.parametrize(("phrase", "as_of", "start", "end"), CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_phrase(phrase: str, as_of: dt.date, start: dt.date, end: dt.date) -> None:
    found = find_times(
        f"看一下{phrase}的GMV" if not phrase.isascii() else f"gmv {phrase} please", as_of, CAMPAIGNS
    )
    assert [(t.range.start, t.range.end) for t in found] == [(start, end)], [t.text for t in found]


def test_spans_and_units_point_into_the_question() -> None:
    question = "近3个月天猫的GMV，和上个月比"
    found = find_times(question, END)
    assert [question[a:b] for a, b in (t.span for t in found)] == ["近3个月", "上个月"]
    assert [t.unit for t in found] == [None, "month"]
    assert find_times("ＧＭＶ　近７天", END)[0].range.start == D(2026, 6, 24)  # full-width


@pytest.mark.parametrize(
    "text",
    [
        "销量前10的商品",
        "top 5 brands",
        "618元以上的订单",
        "3个品类",
        "25-34岁的用户",
        "1-3星的评价",
        "may I see the gmv",
        "market share",
        "去年同期",
        "1000元",
        "前十名",
    ],
)
def test_numbers_that_are_not_time(text: str) -> None:
    assert find_times(text, END, CAMPAIGNS) == []


def test_time_and_ranking_numbers_in_one_question() -> None:
    found = find_times("近3个月销量前10的商品", END)
    assert [(t.text, t.range.start) for t in found] == [("近3个月", D(2026, 4, 1))]


def test_campaign_without_rows_is_not_a_time() -> None:
    assert find_times("双11的GMV", END) == []


def test_a_range_after_as_of_is_returned_whole() -> None:
    [found] = find_times("下半年", MAY)
    assert (found.range.start, found.range.end) == (D(2026, 7, 1), D(2026, 12, 31))


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("stores opened before 2020", None, D(2019, 12, 31)),
        ("2020年之前开业的门店", None, D(2019, 12, 31)),
        ("2025年以前", None, D(2024, 12, 31)),
        ("until March 2026", None, D(2026, 3, 31)),
        ("since March 2026", D(2026, 3, 1), MID),
        ("2025年以来", D(2025, 1, 1), MID),
        ("after 2025", D(2026, 1, 1), MID),
        ("2025年后开业的", D(2026, 1, 1), MID),
        # the campaign's end, then up to now: after it, to the last day of data
        ("2025年3月结束后到现在又回来买过的", D(2025, 4, 1), MID),
        ("2025年3月过完以后", D(2025, 4, 1), MID),
    ],
)
def test_a_period_open_on_one_side(phrase: str, start: dt.date | None, end: dt.date) -> None:
    [found] = find_times(phrase, MID)
    assert (found.range.start, found.range.end) == (start, end), found.evidence


def test_open_words_that_belong_to_another_phrase_stay_there() -> None:
    # 前3天 is the first days of last month; the week before last is a week.
    assert [(t.range.start, t.range.end) for t in find_times("上个月前3天", MID)] == [
        (D(2026, 5, 1), D(2026, 5, 3))
    ]
    assert [(t.range.start, t.range.end) for t in find_times("the week before last", MID)] == [
        (D(2026, 6, 1), D(2026, 6, 7))
    ]


def test_a_period_cut_at_the_last_day_of_data_keeps_its_whole_end() -> None:
    [found] = find_times("June 2026", MID)
    assert (found.range.end, found.whole_end) == (MID, END)


def test_two_days_joined_by_and_are_two_days() -> None:
    # only "between" makes "A and B" a range
    found = find_times("sales on Nov 11 and Dec 12", END, CAMPAIGNS)
    assert [(t.range.start, t.range.end) for t in found] == [
        (D(2025, 11, 11), D(2025, 11, 11)),
        (D(2025, 12, 12), D(2025, 12, 12)),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a year after a campaign is its year, not a whole year besides
        (
            "shopped during 618 last year but didn't come back for this year's 618",
            [(D(2025, 6, 1), D(2025, 6, 18)), (D(2026, 6, 1), D(2026, 6, 18))],
        ),
        ("双11去年的GMV", [(D(2025, 11, 1), D(2025, 11, 11))]),
        # the year named before the campaign and apart from it stays a period of its own
        ("GMV of 618 this year vs last year", None),
        # 今年到现在: this year to date, one phrase
        ("今年到现在却一单都没买", [(D(2026, 1, 1), END)]),
    ],
)
def test_a_year_said_right_after_a_campaign(text: str, expected: list[tuple[D, D]] | None) -> None:
    found = [(t.range.start, t.range.end) for t in find_times(text, END, CAMPAIGNS)]
    if expected is None:
        assert len(found) == 3
    else:
        assert found == expected
