"""Bands a question defines (nlq.bands): what is a list of bands and what is not."""

from __future__ import annotations

import pytest

from nlq.bands import find_bands
from nlq.lexicon import normalise


def bands(text: str) -> list[tuple[str, float | None, float | None, bool, bool]] | None:
    found = find_bands(normalise(text))
    if found is None:
        return None
    return [(b.label, b.low, b.high, b.low_strict, b.high_strict) for b in found.bands]


def test_counts_ranges_and_open_ends() -> None:
    assert bands("bucket buyers by paid orders: 1, 2-3, 4-5, 6 or more") == [
        ("1", 1, 1, False, False),
        ("2-3", 2, 3, False, False),
        ("4-5", 4, 5, False, False),
        ("6+", 6, None, False, False),
    ]
    assert bands("买1次、2次、3到4次、5次及以上的用户") == [
        ("1", 1, 1, False, False),
        ("2", 2, 2, False, False),
        ("3-4", 3, 4, False, False),
        ("5+", 5, None, False, False),
    ]


def test_money_with_strict_bounds_and_thousands() -> None:
    found = find_bands(normalise("spend bands: under ¥500, ¥500 to ¥2,000, and over ¥2,000"))
    assert found is not None and found.kind == "money"
    assert bands("under ¥500, ¥500 to ¥2,000, and over ¥2,000") == [
        ("<500", None, 500, False, True),
        ("500-2000", 500, 2000, False, False),
        (">2000", 2000, None, True, False),
    ]


def test_a_shared_bound_goes_to_the_later_band() -> None:
    assert bands("500元以下、500-2000元、2000元以上") == [
        ("<500", None, 500, False, True),
        ("500-2000", 500, 2000, False, True),
        ("2000+", 2000, None, False, False),
    ]


def test_notes_in_brackets_on_the_bounds_and_the_unit() -> None:
    text = "bucket by total spend: under 1k, 1k-5k (1k inclusive, 5k exclusive), 5k+ (yuan). how many"
    assert bands(text) == [
        ("<1000", None, 1000, False, True),
        ("1000-5000", 1000, 5000, False, True),
        ("5000+", 5000, None, False, False),
    ]
    found = find_bands(normalise(text))
    assert found is not None and found.kind == "money" and found.text.endswith("(yuan)")


@pytest.mark.parametrize(
    "text",
    [
        "GMV of 2023, 2024 and 2025",
        "2024-01-01到2024-03-31的GMV",
        "1月、2月、3月的GMV",
        "top 3 brands, 5 categories and 10 products",
        "3-5, 2, 7 orders",  # not in increasing order
        "1, 2 orders",  # two are a comparison of two values, not bands
    ],
)
def test_what_is_not_a_list_of_bands(text: str) -> None:
    assert find_bands(normalise(text)) is None


def test_bands_said_with_a_colloquial_word_for_bands() -> None:
    assert [b[0] for b in bands("按500以下、500-2000、2000以上分个档") or []] == ["<500", "500-2000", "2000+"]
    # once and twice are numbers of times
    assert bands("ordered just once, 2-3 times, and 4 or more times") == [
        ("1", 1, 1, False, False),
        ("2-3", 2, 3, False, False),
        ("4+", 4, None, False, False),
    ]


def test_days_in_whole_steps_keep_the_shared_bound_in_the_range() -> None:
    # 91-180天 then 180天以上: written in whole steps (31 after 30), 180 is the range's
    assert bands("0-30天、31-90天、91-180天、180天以上") == [
        ("0-30", 0, 30, False, False),
        ("31-90", 31, 90, False, False),
        ("91-180", 91, 180, False, False),
        (">180", 180, None, True, False),
    ]
    found = find_bands(normalise("30天内、31-90天、91-180天、180天以上"))
    assert found is not None and found.kind == "days"
    # labelled as the asker wrote them
    assert [b.label for b in found.as_written()] == ["30天内", "31-90天", "91-180天", "180天以上"]
    assert found.bands[0].high == 30 and found.bands[0].low is None
