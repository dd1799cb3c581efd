"""Which date a question's period applies to: the freight of orders *shipped* in
1997, 上个月*支付*的订单数, products *launched* this year.

A model may carry several time dimensions (ordered, paid, shipped); a metric is
dated by its own, and a question says otherwise with a verb or the date's name
written right beside its period ("shipped in 1997", "1997年发货的", "发货日期在
1997年"), or as the basis of the count (（按下单日期）). The words are the layer's (`verbs`, the label and synonyms of each time
dimension); which period they stand beside is decided here, from where they stand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from nlq.lexicon import normalise
from nlq.semantic.model import SemanticLayer

# Between a date word and the period after it: "shipped in 1997", "发货日期在1997年",
# "ordered between 1 and 5 March", "that shipped last month".
BEFORE_PERIOD = re.compile(
    r"^\s*(?:(?:in|on|during|between|from|since|before|after|within|over|at|by|of|for|was|were|is)\s+)*"
    r"(?:在|为|是|于|从|自)?\s*$"
)
# Between a period and the date word after it: "1997年发货的", "上个月内支付的", "去年已上架".
AFTER_PERIOD = re.compile(r"^\s*(?:内|里|期间|中|当中|以来)?\s*(?:都|已经|已|被|所|才|刚)?\s*$")
# A date named as the basis of the count, anywhere in a question with a period: （按下单日期）,
# 以发货日期计, based on when the orders shipped.
AS_BASIS = re.compile(
    r"(?:按照?|以|根据)\s*$|(?:based on|according to|going by)\s+(?:when\s+)?(?:(?:the|our|their|its)\s+)?(?:[a-z]+\s+)?$"
)


# A verb followed by how many times it happened (付款了2单, 支付过3次, 付款下单5次): what is
# counted.
COUNTED_AFTER = re.compile(
    r"\s*[了过]?\s*(?:下[了过]?单|购买|购物|买)?[了过]?\s*(?:至少|超过|不少于|多于|大于|满)?\s*"
    r"[\d一二两三四五六七八九十]+\s*[单笔次件]"
)
# The means of an event written between its verb and its period (signed up through douyin in
# 2025, 2025年通过抖音注册的): a value of the layer with the word that says so stands aside;
# a bare one does not (上个月微信支付 is a way to pay, not WeChat's payments).
MEANS_WORD = r"\b(?:through|thru|via|on|from|at|with)\s+|通过|经由|经|从|在|由"
MEANS = re.compile(rf"(?:{MEANS_WORD})\s*\x00\s*")
# Where a verb written around its period parts (要求…到货, or 要求...到货: normalised, … is ...).
SPLIT = "..."


@dataclass(frozen=True)
class Dating:
    """A date word beside a period: the time dimension (model.column) it names."""

    dimension: str
    start: int
    end: int
    text: str
    # Part of a longer name of the layer (customers who *ordered*): it dates the
    # question and leaves the name whole.
    within_name: bool = False


def date_words(layer: SemanticLayer) -> dict[str, str]:
    """Every word that names a time dimension, to the dimension (model.column). A word
    two dimensions share names neither: `validate` reports it."""
    found: dict[str, set[str]] = {}
    for model in layer.models:
        for time in model.time_dimensions:
            for word in (*time.verbs, time.label.zh, time.label.en, *time.synonyms):
                if word.strip():
                    found.setdefault(normalise(word), set()).add(f"{model.name}.{time.name}")
    return {word: next(iter(owners)) for word, owners in found.items() if len(owners) == 1}


def find_dating(
    text: str,
    periods: list[tuple[int, int]],
    words: dict[str, str],
    cuts: set[int],
    nouns: dict[str, tuple[str, ...]] | None = None,
    asides: list[tuple[int, int]] | None = None,
) -> list[Dating]:
    """The date words written right beside one of the question's periods, on word
    boundaries (`cuts`: 支付 is not in 支付宝); a word inside a longer one (发货 in
    发货日期) is the longer one. A Chinese verb written onto its own model's noun
    (今年付款订单: paid orders, `nouns` by dimension) says which rows, not when: the
    period dates them as usual; 今年付款的订单 is dated by the payment."""
    if not periods or not words:
        return []
    spoken = _values_aside(text, asides or [])
    found: list[Dating] = []
    for word, dimension in words.items():
        if SPLIT in word:
            found += _split_verb(text, periods, word, dimension)
            continue
        pattern = re.escape(word)
        if word.isascii():
            pattern = rf"(?<![a-z]){pattern}(?![a-z])"
        for match in re.finditer(pattern, text):
            start, end = match.span()
            if start not in cuts or end not in cuts or any(a < end and start < b for a, b in periods):
                continue
            if not word.isascii() and any(text.startswith(n, end) for n in (nouns or {}).get(dimension, ())):
                continue
            if COUNTED_AFTER.match(text, end):
                continue  # 618期间付款了2单: the verb says what is counted (paid orders), not when
            basis = AS_BASIS.search(text[:start])
            beside = any(
                (b <= start and AFTER_PERIOD.match(spoken(b, start)))
                or (end <= a and BEFORE_PERIOD.match(spoken(end, a)))
                for a, b in periods
            )
            if basis or beside:
                # The words that say it is the basis (按, based on when the) are its own.
                first = basis.start() if basis else start
                found.append(Dating(dimension, first, end, text[first:end]))
    return [
        d
        for d in found
        if not any(
            o is not d and o.start <= d.start and d.end <= o.end and o.end - o.start > d.end - d.start
            for o in found
        )
    ]


def _values_aside(text: str, asides: list[tuple[int, int]]) -> Callable[[int, int], str]:
    """The words between two places with the values written there (and the word that
    says they are the means: through, 通过) left out."""
    marked = list(text)
    for a, b in asides:
        marked[a:b] = ["\x00"] + [""] * (b - a - 1)

    def between(start: int, end: int) -> str:
        gap = "".join(marked[start:end])
        return MEANS.sub(" ", gap) if "\x00" in gap else gap

    return between


def _split_verb(text: str, periods: list[tuple[int, int]], word: str, dimension: str) -> list[Dating]:
    """A verb written around its period (要求…到货: 要求4月到货)."""
    head, _, tail = (normalise(part) for part in word.partition(SPLIT))
    found = []
    for a, b in periods:
        opening = text[:a].rstrip()
        closing = text[b:].lstrip()
        if head and tail and opening.endswith(head) and closing.startswith(tail):
            start = len(opening) - len(head)
            end = len(text) - len(closing) + len(tail)
            found.append(Dating(dimension, start, end, text[start:end]))
    return found
