"""Exclusion and negation: 除了天猫, 不含线下门店, 美妆以外, 非会员, excluding JD,
other than 抖音, not in 美妆.

A negation is a marker and a scope: the values written right after a prefix
marker (除了 天猫、京东) or right before a postfix one (天猫和京东 以外). Those
values become an anti-condition (NOT IN). A marker whose scope holds no value
nlq can use (除了这些, customers who have not ordered) is returned unscoped: the
reader must not answer without it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from nlq.linker import Link

PREFIX = re.compile(
    r"除了|除去|除开|除(?!以)|不含|不包含|不包括|不计|不算|排除(?:掉)?|剔除(?:掉)?|去掉|去除|扣除|刨除|"
    r"(?<!是)不是|不在|不属于|非(?!常)|"
    r"\bnot (?:counting|including)\b|\bleaving out\b|\bleave out\b|\beverything (?:but|except)\b|\bbut not\b|"
    r"\bexcluding\b|\bexclude\b|\bexcept(?: for)?\b|\bother than\b|\bapart from\b|\baside from\b|"
    r"\bwithout\b|\bminus\b|\boutside(?: of)?\b|\bnot(?: in| from| on| at| the| a| an)?\b|"
    r"\bnon[- ]?|\bisn'?t\b|\baren'?t\b|\bwasn'?t\b|\bweren'?t\b|\bdon'?t\b|\bdoesn'?t\b|\bdidn'?t\b|"
    r"\bhaven'?t\b|\bhasn'?t\b|\bnever\b|(?<!有)没有|(?<!有)没(?!有)|未(?!来|知)|"
    # no purchase in the last 90 days, made no orders: nothing bought
    r"\bno(?=\s+(?:paid\s+|single\s+)?(?:purchases?|orders?)\b)|"
    # got no review, with no refund: nothing of it (no more than, no later than: bounds)
    r"\b(?:got|had|has|have|with|received|left|gave)\s+no(?=\s+(?!more\b|less\b|later\b|earlier\b|fewer\b|longer\b)[a-z])"
)
# Markers that say "did not happen" rather than "leave out a value": they never scope a
# value (未发货 is not the complement of one status), so the reader asks instead.
UNSCOPED = re.compile(r"^(?:没有|没|未|never|no|\w+n'?t)$")
POSTFIX = re.compile(r"以外|之外|除外")
# What may stand between a marker and its values, or between two values of one scope.
# "did not come through the APP", "not bought on 京东": a verb and a preposition may stand between.
ENGLISH_GAP = re.compile(r"^\s*(?:[a-z]+\s+){0,2}(?:through|via|from|in|on|at|by|with)\s+(?:the\s+)?$")
JOINERS = re.compile(
    r"^(?:\s|[、,，/和与及或跟]|and|or|the|of|in|from|on|at|的|是|属于|在|掉|已经|已|这些|那些)*$"
)


@dataclass
class Negations:
    negated: set[int] = field(default_factory=set)  # starts of the value links negated
    markers: list[tuple[int, int, str]] = field(default_factory=list)  # every marker found
    unscoped: list[str] = field(default_factory=list)  # markers with no value to negate

    @property
    def spans(self) -> list[tuple[int, int]]:
        return [(a, b) for a, b, _ in self.markers]


def find_negations(text: str, links: Sequence[Link], taken: Sequence[tuple[int, int]]) -> Negations:
    """Markers outside the `taken` spans (times, comparisons, cues) and the links
    (不想要了 is a refund reason, not a negation), each with the value links it scopes."""
    covered = [False] * len(text)
    for start, end in [*taken, *((x.start, x.end) for x in links)]:
        for i in range(start, end):
            covered[i] = True
    found = Negations()
    ordered = sorted(links, key=lambda x: x.start)
    for pattern, forward in ((PREFIX, True), (POSTFIX, False)):
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(covered[start:end]):
                continue
            scope = (
                [] if UNSCOPED.match(match.group(0)) else _scope(text, ordered, start, end, forward=forward)
            )
            found.markers.append((start, end, match.group(0)))
            if scope:
                found.negated.update(x.start for x in scope)
            else:
                found.unscoped.append(match.group(0).strip())
            for i in range(start, end):
                covered[i] = True
    _fused(text, ordered, covered, found)
    return found


def _fused(text: str, links: Sequence[Link], covered: list[bool], found: Negations) -> None:
    """不 or 非 written onto a value whose first character a marker would share: 不在售
    is the value 在售 negated, and the link (在售) hides the marker (不在) from the scan."""
    for link in links:
        before = link.start - 1
        if link.kind == "value" and before >= 0 and text[before] in "不非" and not covered[before]:
            found.markers.append((before, link.start, text[before]))
            found.negated.add(link.start)
            covered[before] = True


def _scope(text: str, links: Sequence[Link], start: int, end: int, *, forward: bool) -> list[Link]:
    """The run of value links next to the marker, joined only by separators; a
    dimension word inside the run (天猫渠道, 美妆品类) belongs to it."""
    run: list[Link] = []
    sequence = links if forward else list(reversed(links))
    edge = end if forward else start
    for link in sequence:
        if (forward and link.start < edge) or (not forward and link.end > edge):
            continue
        gap = text[edge : link.start] if forward else text[link.end : edge]
        if not JOINERS.match(gap) and not (forward and not run and ENGLISH_GAP.match(gap)):
            break
        if link.kind not in {"value", "dimension"}:
            break
        run.append(link)
        edge = link.end if forward else link.start
    return [x for x in run if x.kind == "value"]
