"""Bands a question defines over a figure of each person: 1次、2次、3-4次、5次及以上;
1, 2-3, 4-5, 6 or more orders; exactly 1, exactly 2, 3 or more; under ¥500, ¥500 to
¥2,000, over ¥2,000.

A band list is three or more bands written one after another, in increasing order and
not overlapping, each a number, a range or an open end. Each is labelled by its bounds
as analysts write them (1, 2-3, 6+, <500, 500-2000, >2000), in either language. Whether the figure is an amount
of money or a number of times is read from the units written with them; what it is a
figure of, and whose, is the reader's."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal, overload

from nlq.comparisons import amount
from nlq.semantic.query import Band

Kind = Literal["money", "count", "days"]

NUMBER = r"[$¥￥]?\s*(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s*(?:k|万|千)(?![a-z]))?"
UNIT = r"(?:\s*(?:元|块钱|块|次|单|笔|个|天|(?:yuan|rmb|dollars?|(?:paid\s+)?(?:orders?|purchases?)|times?|days?)\b))?"
MONEY_UNIT = re.compile(r"[$¥￥元块]|yuan|rmb|dollar")
COUNT_UNIT = re.compile(r"[次单笔]|\b(?:orders?|times?|purchases?)\b")
DAYS_UNIT = re.compile(r"天|\bdays?\b")
# 500元（含）: the bound included, as a band's low bound is anyway
INCLUDED = r"(?:\s*[（(]\s*(?:含|包含|inclusive|incl\.?|included)\s*[)）])?"
# (1k inclusive, 5k exclusive), (yuan), （不含2000）: a note in brackets on the bounds or the unit
BOUND_NOTE = re.compile(
    r"\s*[（(][^（()）]*?(?:inclusive|exclusive|incl\b|excl\b|含|yuan|rmb|元)[^（()）]*[)）]", re.IGNORECASE
)
EXCLUSIVE = re.compile(r"exclusive|\bexcl\b|不含|不包含|不包括", re.IGNORECASE)
AT = rf"(?P<at>{NUMBER}){UNIT}"
LOW = rf"(?P<low>{NUMBER}){UNIT}{INCLUDED}"
HIGH = rf"(?P<high>{NUMBER}){UNIT}"
# Each form of one band, its bounds named: (low, high, low strict, high strict).
FORMS = [
    # 1000 to under 5000, 1000到不足5000: the high bound left out
    (
        rf"(?:between\s+)?{LOW}\s*(?:-|–|~|到|至|\bto\b)\s*(?:under|below|less than|不到|不足|低于|小于)\s*{HIGH}",
        "range_below",
    ),
    (rf"(?:between\s+)?{LOW}\s*(?:-|–|~|到|至|\bto\b|\band\b)\s*{HIGH}", "range"),
    (rf"{LOW}\s*(?:及以上|以上|或以上|或更多|\+|\bor more\b|\bor above\b|\band above\b|\band up\b)", "from"),
    (rf"(?:at least|no less than|不少于|至少|不低于)\s*{LOW}", "from"),
    (rf"(?:more than|over|above|greater than|超过|大于|高于|多于)\s*{LOW}", "above"),
    (rf"(?:under|below|less than|fewer than|低于|不到|少于|小于|不足|不满|未满|不够)\s*{HIGH}", "below"),
    (rf"{HIGH}\s*(?:及以下|以下|或以下|以内|内|\bor less\b|\bor fewer\b|\band below\b|\band under\b)", "to"),
    (rf"(?:within|in the last|in the past)\s*{HIGH}", "to"),
    (rf"(?:at most|no more than|不超过|至多|最多)\s*{HIGH}", "to"),
    (rf"(?:exactly|just|only|正好|恰好|只)?\s*{AT}", "at"),
]
SEPARATOR = r"\s*(?:,|，|、|/|;|；|\band\b|\bor\b|和|或)\s*(?:and\s+|or\s+)?"
# Words that may follow the first band before the rest (exactly 1 paid order that year, 2, ...).
TRAILING = r"(?:\s+(?!and\b|or\b)[a-z]+){0,2}"
# 买过1次、买过2次: a verb of buying said before each band
VERB = r"(?:(?:买过?|购买过?|下过单?|下单|消费过?)\s*)?"
ITEM = VERB + "(?:" + "|".join(f"(?:{form})" for form, _ in FORMS) + ")"
# Three or more bands one after another (names are reused by each form: matched one by one).
LIST = re.compile(
    r"(?<![\d.a-z])(?:"
    + re.sub(r"\(\?P<\w+>", "(?:", ITEM)
    + r")"
    + TRAILING
    + r"(?:"
    + SEPARATOR
    + r"(?:"
    + re.sub(r"\(\?P<\w+>", "(?:", ITEM)
    + r")){2,}"
)
COMPILED = [(re.compile(rf"\s*{VERB}(?:{form})", re.IGNORECASE), shape) for form, shape in FORMS]
SPLIT = re.compile(SEPARATOR)
TIMES_WORDS = {"once": "1", "twice": "2", "thrice": "3"}
TIMES_WORD = re.compile(r"\b(?:once|twice|thrice)\b", re.IGNORECASE)
FOLLOWING = re.compile(TRAILING)


@dataclass(frozen=True)
class BandList:
    start: int
    end: int
    text: str
    kind: Kind | None  # from the units written: None when no unit says
    bands: list[Band]

    def as_written(self) -> list[Band]:
        """The bands labelled in the asker's words (30天内, 31-90天, 180天以上): what a
        band of days reads as, where 0-30 and 180+ would be the analyst's shorthand."""
        return [b.model_copy(update={"label": w}) for b, w in zip(self.bands, self.written, strict=True)]

    @property
    def written(self) -> list[str]:
        found = _read(self.text, keep_text=True)
        assert found is not None
        return [w for _, w in found]


def find_bands(text: str) -> BandList | None:
    """The first list of three or more bands in normalised `text`, or None."""
    # once, twice: numbers of times written as words, kept at their places in the text
    text = TIMES_WORD.sub(lambda m: TIMES_WORDS[m.group(0).lower()].ljust(len(m.group(0))), text)
    # 1k-5k (1k inclusive, 5k exclusive), 5k+ (yuan): notes on the bounds, read apart
    spoken = BOUND_NOTE.sub(lambda m: " " * len(m.group(0)), text)
    for match in LIST.finditer(spoken):
        bands = _read(match.group(0))
        if bands is None or not _ascending(bands):
            continue
        end = match.end()
        note = BOUND_NOTE.match(text, end)
        end = note.end() if note else end  # 5k+ (yuan)
        written = text[match.start() : end]
        if EXCLUSIVE.search(written):
            # the high bound of each range left out, as the note says
            bands = [
                b.model_copy(update={"high_strict": True})
                if b.low is not None and b.high is not None and b.low != b.high
                else b
                for b in bands
            ]
        return BandList(match.start(), end, written, _kind(written), bands)
    return None


@overload
def _read(text: str) -> list[Band] | None: ...
@overload
def _read(text: str, *, keep_text: Literal[True]) -> list[tuple[Band, str]] | None: ...
def _read(text: str, *, keep_text: bool = False) -> list[Band] | list[tuple[Band, str]] | None:
    bands: list[Band] = []
    words: list[str] = []
    at = 0
    while at < len(text):
        if len(bands) == 1:
            at = FOLLOWING.match(text, at).end()  # type: ignore[union-attr]  # always matches
        separator = SPLIT.match(text, at) if bands else None
        if separator is not None:
            at = separator.end()
        band = None
        for pattern, shape in COMPILED:
            found = pattern.match(text, at)
            if found is not None and found.end() > at:
                band = _band(found, shape)
                if band is not None:
                    at = found.end()
                    words.append(found.group(0).strip())
                    break
        if band is None:
            break
        bands.append(band)
    if len(bands) < 3:
        return None
    return list(zip(bands, words, strict=True)) if keep_text else bands


def _band(found: re.Match[str], shape: str) -> Band | None:
    def number(group: str) -> float | None:
        value = amount(re.sub(r"[$¥￥\s]", "", found.group(group)))
        return None if value is None or value[1] else value[0]

    if shape in {"range", "range_below"}:
        low, high = number("low"), number("high")
        if low is None or high is None or low > high:
            return None
        return _labelled(Band(label="", low=low, high=high, high_strict=shape == "range_below"))
    if shape == "at":
        value = number("at")
        return None if value is None else _labelled(Band(label="", low=value, high=value))
    if shape in {"from", "above"}:
        value = number("low")
        return None if value is None else _labelled(Band(label="", low=value, low_strict=shape == "above"))
    value = number("high")
    return None if value is None else _labelled(Band(label="", high=value, high_strict=shape == "below"))


def _labelled(band: Band) -> Band:
    """The band named by its bounds, as analysts label them: 1, 2-3, 6+, >2000, <500, <=500."""
    low, high = band.low, band.high
    if low is not None and high is not None:
        label = _plain(low) if low == high else f"{_plain(low)}-{_plain(high)}"
    elif low is not None:
        label = f">{_plain(low)}" if band.low_strict else f"{_plain(low)}+"
    else:
        assert high is not None
        label = f"<{_plain(high)}" if band.high_strict else f"<={_plain(high)}"
    return band.model_copy(update={"label": label})


def _plain(value: float) -> str:
    """A band's bound as analysts write it in a label: 6, 2000, 2.5."""
    return f"{value:g}" if value < 1e15 else str(value)


def _ascending(bands: list[Band]) -> bool:
    """Each band after the one before it, none overlapping; only the first may be open
    below and only the last open above. Two bands that share a bound (500以下、500-2000)
    put it in the later one, as 500 and up reads; but where the others are written in
    whole steps (31-90天、91-180天、180天以上), each range holds its high bound, and an
    open end after one starts past it."""
    pairs = list(itertools.pairwise(bands))
    stepped = any(
        b.high is not None and a.low is not None and a.low == b.high + 1 and b.high == int(b.high)
        for b, a in pairs
    )
    for index, (before, after) in enumerate(pairs):
        if before.high is None or after.low is None or after.low < before.high:
            return False
        if after.low == before.high and not (before.high_strict or after.low_strict):
            if stepped and before.low is not None and after.high is None:
                bands[index + 1] = _labelled(after.model_copy(update={"low_strict": True}))
            else:
                bands[index] = _labelled(before.model_copy(update={"high_strict": True}))
    return True


def _kind(text: str) -> Kind | None:
    if MONEY_UNIT.search(text):
        return "money"
    if COUNT_UNIT.search(text):
        return "count"
    if DAYS_UNIT.search(text):
        return "days"
    return None
