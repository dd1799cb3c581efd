"""The arithmetic of "why did it change": how much of a metric's change between two
periods each value of a dimension explains, and how surprising its move is.

Two decompositions, chosen by the metric's kind:

- A sum or a count of rows adds up over the values of a dimension, so each value's
  contribution is its own change, and the contributions add up to the total change
  exactly (a distinct count, such as buyers over channels, may count one person under
  several values: what does not add up is reported as the overlap).
- A ratio (AOV = GMV / orders, refund rate, conversion) is a weighted mean of the
  values' own ratios, R = sum(w_i * r_i) with w_i = d_i / D. Its change splits exactly,
  value by value, into a **rate effect** (the value's own ratio moved:
  mean(w_i) * delta(r_i)) and a **mix effect** (the value's weight moved:
  delta(w_i) * (mean(r_i) - mean(R))): the symmetric (midpoint) decomposition, whose
  terms add up to the change without a residual term.

Dimensions are ranked as Adtributor does (Bhagwan et al., NSDI 2014): within a
dimension, values are taken in order of **surprise** (the Jensen-Shannon divergence
between the value's share before and after) while each explains at least
`MIN_VALUE_SHARE` of the change, until together they explain `EXPLAINED_ENOUGH` of it;
a dimension whose few values explain the change ranks by the surprise of those values.
A dimension whose values all moved in proportion explains nothing, however large its
biggest value's contribution (a two-valued gender always "explains" half)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from nlq.answer import Cell

# Adtributor's thresholds: a value must explain a tenth of the change to be named, and
# the values named must explain two thirds of it for their dimension to explain it.
MIN_VALUE_SHARE = 0.1
EXPLAINED_ENOUGH = 0.67
# An explanation names a few values: a change spread over many explains nothing.
MOST_NAMED = 3
# Named values that explain the change only about as much as they weigh moved with the
# rest: they must explain this much more of it than their share of the figure before.
CONCENTRATED = 0.25

Method = Literal["additive", "ratio", "opaque"]


@dataclass(frozen=True)
class Parts:
    """A value's figures in the two periods: for a ratio its numerator and denominator,
    else the metric itself (the denominator 1)."""

    value: Cell
    before: tuple[float, float]
    after: tuple[float, float]

    @property
    def figure_before(self) -> float | None:
        return _quotient(*self.before)

    @property
    def figure_after(self) -> float | None:
        return _quotient(*self.after)


@dataclass(frozen=True)
class Contribution:
    value: Cell
    before: float | None
    after: float | None
    change: float  # its part of the metric's change (rate + mix for a ratio)
    share: float | None  # of the total change; None when the change is nil or not additive
    surprise: float
    rate_effect: float | None = None
    mix_effect: float | None = None
    weight: float = 0.0  # its share of the figure before (of the denominator, for a ratio)


@dataclass(frozen=True)
class Explained:
    """One dimension's account of the change."""

    dimension: str
    contributions: list[Contribution]  # largest part of the change first
    named: list[Contribution] = field(default_factory=list)  # the values that explain it
    explained: float = 0.0  # the share of the change the named values explain
    surprise: float = 0.0
    overlap: float = 0.0  # what the values' parts do not add up to (a distinct count)

    @property
    def held(self) -> float:
        """The named values' share of the figure before the change."""
        return sum(c.weight for c in self.named)

    @property
    def explains(self) -> bool:
        return self.explained >= EXPLAINED_ENOUGH and self.explained - self.held >= CONCENTRATED


def decompose(dimension: str, parts: Sequence[Parts], total: Parts, method: Method) -> Explained:
    """Each value's contribution to the change from `total.before` to `total.after`."""
    before, after = total.figure_before, total.figure_after
    change = (after or 0.0) - (before or 0.0)
    ratio = method == "ratio"
    contributions = _ratio_parts(parts, total) if ratio else _additive_parts(parts, total, method)
    contributions.sort(key=lambda c: -abs(c.change))
    overlap = change - sum(c.change for c in contributions) if method != "opaque" else 0.0
    if method == "opaque" or not change:
        return Explained(dimension, contributions, overlap=overlap)
    named, explained = _named(contributions, change)
    found = Explained(dimension, contributions, named, explained, 0.0, overlap)
    surprise = sum(c.surprise for c in named) if found.explains else 0.0
    return Explained(dimension, contributions, named, explained, surprise, overlap)


def ranked(explained: Sequence[Explained]) -> list[Explained]:
    """Dimensions whose few values explain the change first, by the surprise of those values
    per value named (Adtributor's surprise, kept succinct: 美妆 alone says more than three
    of its brands together); then the rest by the share their named values explain."""
    return sorted(explained, key=lambda e: (not e.explains, -_surprise_per_value(e), -e.explained))


def _surprise_per_value(explained: Explained) -> float:
    return explained.surprise / len(explained.named) if explained.named else 0.0


def _additive_parts(parts: Sequence[Parts], total: Parts, method: Method) -> list[Contribution]:
    change = (total.figure_after or 0.0) - (total.figure_before or 0.0)
    whole_before, whole_after = total.before[0], total.after[0]
    result = []
    for part in parts:
        a, b = part.figure_before, part.figure_after
        own = (b or 0.0) - (a or 0.0)
        surprise = _surprise(_fraction(part.before[0], whole_before), _fraction(part.after[0], whole_after))
        share = own / change if change and method == "additive" else None
        weight = _fraction(part.before[0], whole_before)
        result.append(Contribution(part.value, a, b, own, share, surprise, weight=weight))
    return result


def _ratio_parts(parts: Sequence[Parts], total: Parts) -> list[Contribution]:
    ratio_before, ratio_after = total.figure_before or 0.0, total.figure_after or 0.0
    change = ratio_after - ratio_before
    mean_ratio = (ratio_before + ratio_after) / 2
    result = []
    for part in parts:
        w0, w1 = _fraction(part.before[1], total.before[1]), _fraction(part.after[1], total.after[1])
        r0, r1 = part.figure_before, part.figure_after
        # A value absent from one period has no ratio there: its own ratio stands for both.
        own0 = r0 if r0 is not None else (r1 or 0.0)
        own1 = r1 if r1 is not None else own0
        rate = (w0 + w1) / 2 * (own1 - own0)
        mix = (w1 - w0) * ((own0 + own1) / 2 - mean_ratio)
        surprise = _surprise(
            _fraction(part.before[0], total.before[0]), _fraction(part.after[0], total.after[0])
        )
        share = (rate + mix) / change if change else None
        result.append(Contribution(part.value, r0, r1, rate + mix, share, surprise, rate, mix, w0))
    return result


def _named(contributions: list[Contribution], change: float) -> tuple[list[Contribution], float]:
    named: list[Contribution] = []
    explained = 0.0
    for contribution in sorted(contributions, key=lambda c: -c.surprise):
        part = contribution.change / change
        if part < MIN_VALUE_SHARE:
            continue
        named.append(contribution)
        explained += part
        if explained >= EXPLAINED_ENOUGH or len(named) == MOST_NAMED:
            break
    return named, explained


def _surprise(p: float, q: float) -> float:
    """Jensen-Shannon divergence of a value's share before (p) and after (q)."""
    m = (p + q) / 2
    if m == 0:
        return 0.0
    return 0.5 * (_kl(p, m) + _kl(q, m))


def _kl(p: float, m: float) -> float:
    return p * math.log(p / m) if p > 0 else 0.0


def _fraction(part: float, whole: float) -> float:
    return part / whole if whole else 0.0


def _quotient(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None
