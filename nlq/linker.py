"""Schema linking: which words of a question name metrics, dimensions, values
or terms of the semantic layer. Exact names first, then synonyms (both from
the lexicon), then fuzzy matches for typos; each link keeps its evidence.

Segmentation uses jieba with the lexicon as user dictionary, so a match must
start and end on a word boundary: 女装 (a sub-category) never yields 女 (a
gender)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from nlq.accounting import ENGLISH_KNOWN
from nlq.lexicon import Entry, Lexicon, normalise
from nlq.segmenter import Segmenter

Match = Literal["exact", "synonym", "fuzzy"]
# Common English words (the language's closed list) are never typos of a lexicon word.
ENGLISH_WORDS = ENGLISH_KNOWN | {"high", "low"}
# Characters that never start or end a fuzzy match: function words and punctuation.
FILLER = set(
    "的了吗呢吧啊呀是在和与及或各每按把被给对从到至比为有多少哪个么什怎样请帮我们你他它这那？?，,。.！!、：:；; "
)


# Words of opposite meaning, per language: a fuzzy or homophone match never joins them.
OPPOSITES: list[tuple[str, str]] = [
    *(
        (pair[0], pair[1])
        for pair in [
            "好差",
            "高低",
            "多少",
            "新老",
            "新旧",
            "买卖",
            "男女",
            "大小",
            "增减",
            "涨跌",
            "正负",
            "升降",
            "长短",
            "早晚",
            "前后",
            "上下",
            "进出",
            "入出",
            "首末",
            "盈亏",
            "赢输",
            "有无",
            "是非",
            "收支",
            "借贷",
        ]
    ),
    ("buyer", "seller"),
    ("best", "worst"),
    ("new", "old"),
    ("high", "low"),
    ("max", "min"),
    ("first", "last"),
    ("positive", "negative"),
    ("male", "female"),
    ("most", "least"),
    ("in", "out"),
    ("income", "outcome"),
]


def opposite(a: str, b: str, pairs: Sequence[tuple[str, str]] = OPPOSITES) -> bool:
    """Does turning `a` into `b` swap a word (or character) for its opposite?"""
    for x, y in pairs:
        for p, q in ((x, y), (y, x)):
            if p in a and q in b and a.replace(p, q, 1) == b:
                return True
            if len(x) > 1 and p in a.split() and q in b.split():
                return True
    return False


@dataclass(frozen=True)
class Link:
    start: int
    end: int
    text: str
    entries: tuple[Entry, ...]
    match: Match
    score: float = 1.0
    # For a typo: other words just as near that mean something else (the reader asks).
    alternatives: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.entries[0].kind

    def evidence(self) -> str:
        entry = self.entries[0]
        how = {"exact": "名称", "synonym": "同义词", "fuzzy": "近似匹配"}[self.match]
        return f"“{self.text}”→{entry.kind}:{entry.target}{'=' + str(entry.value) if entry.value is not None else ''}（{how}）"


# Verbs of the events a figure counts, and what it counts in (pieces, orders, money): one
# put for another is another figure, not a typo.
EVENT_VERBS = frozenset("买卖购售退付收发送访看浏加减增涨跌降升赚花用件笔单个次位人钱元块")


def _verb_swapped(window: str, key: str) -> bool:
    return any(
        op.tag == "replace" and window[op.src_pos] in EVENT_VERBS and key[op.dest_pos] in EVENT_VERBS
        for op in Levenshtein.editops(window, key)
    )


# "each" written before a noun, which the segmenter may fuse with it (各省, 每省).
DISTRIBUTIVE = "各每"


class Linker:
    def __init__(
        self,
        lexicon: Lexicon,
        extra_words: list[str] | None = None,
        known_words: list[str] | None = None,
        opposites: Sequence[tuple[str, str]] = (),
    ) -> None:
        """`extra_words` are segmented as words (cues); `known_words` are words the caller
        reads itself (table words), which a typo must not swallow; `opposites` are the
        layer's own pairs of words of opposite meaning, beside the language's."""
        self.lexicon = lexicon
        self.opposites: list[tuple[str, str]] = [*OPPOSITES, *opposites]
        self.tokenizer = Segmenter()
        for word in [*lexicon.words(), *(extra_words or [])]:
            if not word.isascii():
                self.tokenizer.add_word(normalise(word), freq=100_000)
        # Typo candidates by their deletions (SymSpell: two words within k edits share a
        # string reached by at most k deletions from each), and homophone extensions by
        # the word they extend: a window looks up a handful of words, never scans the
        # dictionary, which may hold 100,000 values of a real warehouse.
        self._words = [k for k in lexicon.by_key if len(k) >= 2]
        self._deletions: dict[str, list[int]] = {}
        self._extensions: dict[str, list[str]] = {}
        for index, key in enumerate(self._words):
            self._extensions.setdefault(key[:-1], []).append(key)
            if len(key) >= 4 and not key.isascii():
                self._extensions.setdefault(key[:-2], []).append(key)  # 会员登记: 会员等级
            if key.isascii() and all(e.kind == "value" for e in lexicon.by_key[key]):
                continue  # English slips are slips of names, never of values (see _fuzzy_in)
            for variant in _deletions(key, 1 if len(key) <= 4 else 2):
                self._deletions.setdefault(variant, []).append(index)
        self.known = {normalise(w) for w in [*(extra_words or []), *(known_words or [])]} | set(
            lexicon.by_key
        )

    def boundaries(self, text: str) -> set[int]:
        cuts = {0, len(text)}
        for _, start, end in self.tokenizer.spans(text):
            cuts.update((start, end))
            if end - start > 1 and text[start] in DISTRIBUTIVE:
                cuts.add(start + 1)  # 各省 is one word to jieba: 各 + the dimension 省
        return cuts

    def link(self, text: str, reserved: Sequence[tuple[int, int]] = ()) -> list[Link]:
        """Links in normalised `text`, left to right, not overlapping each other or
        the `reserved` spans (time phrases, ranking and analysis words)."""
        cuts = self.boundaries(text)
        blocked = [False] * len(text)
        for start, end in reserved:
            for i in range(start, end):
                blocked[i] = True
        links: list[Link] = []
        position = 0
        while position < len(text):
            found = (
                self._longest(text, position, cuts) if position in cuts and not blocked[position] else None
            )
            if found is None or any(blocked[found.start : found.end]):
                position += 1
                continue
            links.append(found)
            position = found.end
        for link in links:
            for i in range(link.start, link.end):
                blocked[i] = True
        links += self._fuzzy(text, blocked, cuts)
        return sorted(links, key=lambda link: link.start)

    def _longest(self, text: str, start: int, cuts: set[int]) -> Link | None:
        for end in range(min(len(text), start + self.lexicon.max_length + 3), start, -1):
            if end not in cuts:
                continue
            word = text[start:end]
            entries = list(self.lexicon.by_key.get(word, []))
            # English plurals and singulars (cities -> city, order -> orders) are kept as
            # alternatives behind any exact reading, for the understanding step to choose.
            entries += [
                e
                for form in _inflections(word)
                for e in self.lexicon.by_key.get(form, [])
                if e not in entries
            ]
            if entries:
                longer = self._homophone_extension(text, start, end)
                if longer is not None:
                    return longer
                exact = any(e.source in {"name", "label", "value", "data"} for e in entries)
                return Link(start, end, word, tuple(entries), "exact" if exact else "synonym")
        return None

    def _homophone_extension(self, text: str, start: int, end: int) -> Link | None:
        """毛利律, 会员登记: the exact word 毛利 plus one character (会员 plus two) is a
        homophone of the longer word 毛利率 (会员等级), a likelier reading than the word
        followed by stray characters."""
        if end >= len(text) or text[start:end].isascii():
            return None
        for key in self._extensions.get(text[start:end], []):
            window = text[start : start + len(key)]
            if len(window) == len(key) and key != window and _pinyin_distance(window, key) == 0:
                return Link(
                    start,
                    start + len(key),
                    window,
                    tuple(self.lexicon.by_key[key]),
                    "fuzzy",
                    1 - 1 / len(key),
                )
        return None

    def _fuzzy(self, text: str, covered: list[bool], cuts: set[int]) -> list[Link]:
        """Typos: an unlinked stretch of whole words within one edit (two for long
        words) of a lexicon word."""
        found: list[Link] = []
        for start, end in _gaps(text, covered):
            found += self._fuzzy_in(text, start, end, cuts)
        return found

    def _candidates(self, window: str, spread: int, limit: int) -> list[str]:
        """Every word within `limit` edits of `window` and `spread` of its length (and
        possibly a few more), in the lexicon's order: the first of equally good readings wins."""
        found: set[int] = set()
        for variant in _deletions(window, limit):
            found.update(self._deletions.get(variant, ()))
        keys = (self._words[index] for index in sorted(found))
        return [key for key in keys if abs(len(key) - len(window)) <= spread]

    def _fuzzy_in(self, text: str, start: int, end: int, cuts: set[int]) -> list[Link]:
        results: list[Link] = []
        i = start
        while i < end:
            best: tuple[tuple[int, int, int], int, str] | None = None
            ties: list[str] = []
            for j in range(min(end, i + self.lexicon.max_length), i + 1, -1):
                window = text[i:j]
                if window[0] in FILLER or window[-1] in FILLER or window.isdigit():
                    continue
                # A window covers whole words: never "uart" of quarter, nor 用户画 of 画像.
                if i not in cuts or j not in cuts:
                    continue
                # English typos are swaps and slips of the same length (gvm); a shorter
                # or longer word is another word (many is not man).
                english = window.isascii()
                if english and (window in ENGLISH_WORDS or window in ENGLISH_KNOWN or len(window) < 3):
                    continue  # a common word is that word, never a slip for a name
                limit = 1 if len(window) < 6 else 2
                # English slips keep the length, or drop or add one letter in a long word
                # (catgory, prodcuts): "many" is never "man".
                spread = (1 if len(window) >= 6 else 0) if english else limit
                # 会员登记 for 会员等级: a longer word said with the same sound, whatever its letters
                sounded = self._homophones.get(_sound(window), []) if not english and len(window) >= 3 else []
                candidates = self._candidates(window, spread, limit)
                for key in [*candidates, *(k for k in sounded if k not in candidates and k != window)]:
                    # English typos keep the first letter: "came" is not a slip for "name".
                    if english and key[0] != window[0]:
                        continue
                    # Nor is a common word among several a slip: "customers in" is not "customer id".
                    if english and self._common_word_changed(window, key):
                        continue
                    distance = DamerauLevenshtein.distance(window, key, score_cutoff=limit)
                    if distance > limit and key not in sounded:
                        continue
                    # A known word with a suffix after it (广东省, 食品类) is that word: it
                    # outranks every other near word (品类 is not what 食品类 means).
                    prefix = len(window) > len(key) and window.startswith(key)
                    # Nor does a slip put a word in front of a known one: 净利润率 is not a
                    # typo of 利润率 (净 says which profit), it is a word nlq does not know.
                    if not english and len(window) > len(key) and window.endswith(key):
                        continue
                    # A slip never turns a word into its opposite: 卖家 is not a typo of 买家
                    # (the same pinyin), nor 差评率 of 好评率.
                    if opposite(window, key, self.opposites):
                        continue
                    # Nor changes a number: 买过3次 is not a slip of 买过1次, the count differs.
                    if _numerals(window) != _numerals(key):
                        continue
                    # English slips are slips of names (gvm), never of values: "made" is
                    # not "male", "first-time" not "first-tier".
                    if english and all(e.kind == "value" for e in self.lexicon.by_key[key]):
                        continue
                    # Chinese typos are mostly homophones: 退款律 means 退款率, not 退款额;
                    # a two-character word is only corrected to a homophone (抖因 -> 抖音).
                    sound = _pinyin_distance(window, key)
                    if len(window) == 2 and sound:
                        continue
                    # A substitution that sounds different must keep the word's last character:
                    # 销鬘额 is 销售额, but 用户买 is 用户 + 买, not 用户名. (Omissions such as
                    # 购买用户 for 购买用户数 are fine.)
                    if sound and not english and len(window) == len(key) and window[-1] != key[-1]:
                        continue
                    # Nor is a known word with a stray word beside it a typo of another word:
                    # 5笔退款 is 5 refunds (笔 counts them), not 已退款 (a refunded status).
                    # (A word left short, 购买用户 for 购买用户数, is still one.)
                    substituted = len(window) == len(key)
                    if sound and substituted and self._holds_known_word(text, i, j, cuts):
                        continue
                    # Nor is another verb a slip: 退了多少件 (returned) is not 卖了多少件 (sold).
                    if not english and _verb_swapped(window, key):
                        continue
                    rank = (0, -1, -(j - i)) if prefix else (distance, sound, -(j - i))
                    if best is None or rank < best[0]:
                        best = (rank, j, key)
                        ties = [key]
                    elif rank == best[0] and self._reading(key) not in {self._reading(t) for t in ties}:
                        ties.append(key)
            if best is None:
                i += 1
                continue
            (distance, _, _), j, key = best
            score = 1 - distance / max(len(key), j - i)
            # Equally near words that mean different things: the reader asks which one.
            others = tuple(self.lexicon.by_key[t][0].surface for t in ties[1:])
            results.append(Link(i, j, text[i:j], tuple(self.lexicon.by_key[key]), "fuzzy", score, others))
            i = j
        return results

    @staticmethod
    def _common_word_changed(window: str, key: str) -> bool:
        words, known = window.split(), key.split()
        return len(words) > 1 and any(
            w != k and (w in ENGLISH_WORDS or w in ENGLISH_KNOWN)
            for w, k in zip(words, known + [""] * len(words), strict=False)
        )

    @cached_property
    def _homophones(self) -> dict[tuple[str, ...], list[str]]:
        """Chinese words of three characters or more by their sound (built on the first
        question with a possible typo, as pypinyin is loaded then)."""
        found: dict[tuple[str, ...], list[str]] = {}
        for key in self._words:
            if len(key) >= 3 and not key.isascii():
                found.setdefault(_sound(key), []).append(key)
        return found

    def _reading(self, key: str) -> tuple[str, str, object]:
        entry = self.lexicon.by_key[key][0]
        return entry.kind, entry.target, entry.value

    def _holds_known_word(self, text: str, start: int, end: int, cuts: set[int]) -> bool:
        """Does text[start:end] hold, as whole words, a shorter word the linker or the
        understanding knows (a lexicon word, a table word, a cue)?"""
        inner = sorted(c for c in cuts if start <= c <= end)
        return any(
            text[a:b] in self.known
            for x, a in enumerate(inner)
            for b in inner[x + 1 :]
            if b - a >= 2 and (a, b) != (start, end)
        )

    def nearest(self, word: str, limit: int = 3, cutoff: float = 0.5) -> list[tuple[str, float]]:
        """The lexicon words nearest to a word the linker left alone, best first,
        for an analyst to confirm (狗东 ~ 京东, 猫店 ~ 天猫): looser than the typo
        matching above, by characters or by sound, whichever is closer."""
        key = normalise(word)
        if len(key) < 2 or key in ENGLISH_WORDS:
            return []
        sound = _sound(key)
        scored: list[tuple[float, str]] = []
        for candidate in self._words:
            if candidate == key or candidate.isascii() != key.isascii():
                continue
            score = DamerauLevenshtein.normalized_similarity(key, candidate)
            if not key.isascii():
                score = max(score, DamerauLevenshtein.normalized_similarity(sound, _sound(candidate)))
            if score >= cutoff:
                scored.append((score, candidate))
        scored.sort(key=lambda pair: (-pair[0], len(pair[1]), pair[1]))
        return [(candidate, score) for score, candidate in scored[:limit]]


def _deletions(word: str, depth: int) -> set[str]:
    """`word` and every string made from it by deleting up to `depth` characters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w)) if len(w) > 1}
        found |= frontier
    return found


def _inflections(word: str) -> list[str]:
    if not word.isascii() or not re.fullmatch(r"[a-z][a-z -]*[a-z]", word) or len(word) < 3:
        return []
    if word.endswith("ies"):
        return [word[:-3] + "y"]
    if word.endswith("es"):
        return [word[:-2], word[:-1]]
    if word.endswith("s"):
        return [word[:-1]]
    return [word + "s"]


@lru_cache(maxsize=65536)
def _sound(text: str) -> tuple[str, ...]:
    # pypinyin loads its dictionaries on import (half a second): only a question
    # with a possible typo pays for it.
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text))


def _pinyin_distance(a: str, b: str) -> int:
    return int(DamerauLevenshtein.distance(_sound(a), _sound(b)))


def _gaps(text: str, covered: list[bool]) -> list[tuple[int, int]]:
    gaps: list[tuple[int, int]] = []
    start: int | None = None
    for i, used in enumerate([*covered, True]):
        if not used and start is None:
            start = i
        elif used and start is not None:
            if i - start >= 2:
                gaps.append((start, i))
            start = None
    return gaps


NUMERALS = re.compile(r"\d+|[零一二两三四五六七八九十百千万]+")


def _numerals(word: str) -> list[str]:
    return NUMERALS.findall(word)
