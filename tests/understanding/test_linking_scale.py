"""Typo matching looks words up by their deletions instead of scanning the
dictionary: the same readings as a scan, on a dictionary of any size."""

from __future__ import annotations

import pytest
from rapidfuzz.distance import DamerauLevenshtein

from benchmarks.linking import values
from nlq.lexicon import Entry, Lexicon
from nlq.linker import Linker


@pytest.fixture(scope="module")
def linker() -> Linker:
    names = values(5_000)
    return Linker(Lexicon(Entry("value", "city", name, "data", name) for name in names))


@pytest.mark.parametrize("window", ["安宝北", "海东", "长州珠泉", "新兴阳宜永", "福港"])
def test_the_deletion_index_finds_every_word_a_scan_finds(linker: Linker, window: str) -> None:
    limit = 1 if len(window) < 6 else 2
    scanned = [
        key
        for key in linker._words
        if abs(len(key) - len(window)) <= limit and DamerauLevenshtein.distance(window, key) <= limit
    ]
    found = linker._candidates(window, limit, limit)
    assert set(scanned) <= set(found)
    assert found == sorted(found, key=linker._words.index)  # the lexicon's order: the first reading wins
