"""What users asked that nlq could not answer, and what to add to the semantic
layer about it: questions refused or clarified (from the audit log) or rated
down (from the feedback file), grouped by the words the linker could not place,
each with the nearest word of the layer as a suggested synonym or value alias.
Shared by `nlq semantic suggest --from-audit` and the workbench page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from nlq.accounting import NOUNS
from nlq.audit import AuditLog
from nlq.feedback import FeedbackRecord
from nlq.language import Language
from nlq.lexicon import Entry, normalise
from nlq.messages import Text, say
from nlq.semantic.edit import LayerChange
from nlq.understand import Understander, Understanding

Source = Literal["refused", "clarify", "thumbs_down"]
# Suggestions drawn from a lexicon word this close (0-1, characters or pinyin).
CUTOFF = 0.5
# Which reading of a word the fix is about, when the nearest word has several.
_PREFERENCE = {"value": 0, "metric": 1, "dimension": 2, "term": 3}
_KIND_OF_CHANGE = {
    "value": "value_alias",
    "metric": "metric_synonym",
    "dimension": "dimension_synonym",
    "term": "term_synonym",
}


class Unanswered(BaseModel):
    question: str
    source: Source
    user: str | None = None
    role: str | None = None


class Fix(BaseModel):
    """Add `change.word` as a synonym of what the layer word `near` names."""

    change: LayerChange
    near: str
    score: float

    def describe(self, language: Language) -> str:
        change = self.change
        what = Text(f"suggest.change_{change.kind}", target=change.target, value=change.value)
        return say("suggest.fix", language, word=change.word, near=self.near, what=what)


class Suggestion(BaseModel):
    """One word that did not link, the questions it was in (most recent first) and
    the suggested fixes (best first; none when nothing in the layer is near)."""

    word: str
    count: int
    questions: list[str]
    sources: dict[str, int] = Field(default_factory=dict)
    fixes: list[Fix] = Field(default_factory=list)

    @property
    def fix(self) -> Fix | None:
        return self.fixes[0] if self.fixes else None


def from_audit(log: AuditLog, *, limit: int = 5000) -> list[Unanswered]:
    """The newest questions (`limit` of each status) the audit log shows refused
    or clarified, newest first."""
    records = [r for status in ("refused", "clarify") for r in log.recent(limit, status=status)]
    records.sort(key=lambda r: r.id or 0, reverse=True)
    return [
        Unanswered(
            question=r.question,
            source="refused" if r.status == "refused" else "clarify",
            user=r.user,
            role=r.role,
        )
        for r in records
        if r.kind == "question"
    ]


def from_feedback(records: Iterable[FeedbackRecord]) -> list[Unanswered]:
    """Answers rated down, newest first."""
    down = sorted((r for r in records if r.rating == "down"), key=lambda r: r.recorded_at, reverse=True)
    return [Unanswered(question=r.question, source="thumbs_down", role=r.role) for r in down]


def suggest(questions: Iterable[Unanswered], understander: Understander, as_of: dt.date) -> list[Suggestion]:
    """Groups the questions by the words that did not link, most frequent first.
    Each question is read again with the current layer, so words that a later
    edit already taught are not suggested again, and questions that now answer
    with every word placed drop out. Refusals of the safety screen are not
    vocabulary problems and are left out."""
    groups: dict[str, Suggestion] = {}
    read: dict[str, Understanding] = {}  # a question asked a hundred times is read once
    for item in questions:
        if item.question not in read:
            read[item.question] = understander.understand(item.question, as_of)
        understanding = read[item.question]
        if understanding.screened:
            continue
        words = list(dict.fromkeys(words_of(understanding.unlinked, item.question)))
        if not words:
            if understanding.status == "answer" and item.source != "thumbs_down":
                continue  # answered now: fixed since, or refused by a policy, not by a word
            words = [""]  # every word placed, still not answered: no synonym will fix it
        for word in words:
            group = groups.get(word)
            if group is None:
                group = groups[word] = Suggestion(
                    word=word, count=0, questions=[], fixes=fixes(understander, word)
                )
            group.count += 1
            group.sources[item.source] = group.sources.get(item.source, 0) + 1
            if item.question not in group.questions:
                group.questions.append(item.question)
    return sorted(groups.values(), key=lambda s: (-s.count, s.word == "", s.word))


def words_of(unlinked: list[str], question: str) -> list[str]:
    """The segmenter cuts a word it does not know into characters (狗东 -> 狗, 东):
    neighbouring single characters are joined again; a character left alone says
    too little to suggest anything."""
    text = normalise(question)
    words: list[str] = []
    run = ""
    for token in [*unlinked, ""]:
        if len(token) == 1 and not token.isascii() and (not run or run + token in text):
            run += token
            continue
        if len(run) > 1:
            words.append(run)
        run = token if len(token) == 1 and not token.isascii() else ""
        if len(token) > 1:
            words.append(token)
    if len(run) > 1:
        words.append(run)
    return words


def fixes(understander: Understander, word: str, limit: int = 3) -> list[Fix]:
    """The nearest words of the layer (fuzzy, by characters or by pinyin), as
    changes that would make `word` link like them."""
    if not word or _common(understander, word):
        return []
    found: list[Fix] = []
    for near, score in understander.linker.nearest(word, limit=limit, cutoff=CUTOFF):
        if score <= CUTOFF and (word.isascii() or not set(word) & set(near)):
            continue  # near only by sound or spelling, at the cutoff: 最近 ~ 天津, python ~ phone
        # A value of a conformed dimension (channel, on orders and events) before the
        # same value list of a narrower one (register_channel).
        spread = {
            d.name: sum(any(x.name == d.name for x in m.dimensions) for m in understander.layer.models)
            for m in understander.layer.models
            for d in m.dimensions
        }
        entries = sorted(
            understander.lexicon.by_key[near], key=lambda e: (_PREFERENCE[e.kind], -spread.get(e.target, 0))
        )
        change = _change(entries[0], word)
        if all(f.change != change for f in found):
            found.append(Fix(change=change, near=near, score=round(score, 3)))
    return found


def _common(understander: Understander, word: str) -> bool:
    """A word of the language's own dictionary that is no name (最近, 退款 as a verb):
    it means what it says, so making it a synonym of something else would be wrong."""
    tag = understander.linker.tokenizer.tag(word)
    return tag is not None and tag not in NOUNS


def _change(entry: Entry, word: str) -> LayerChange:
    value = str(entry.value) if entry.kind == "value" and entry.value is not None else None
    return LayerChange(kind=_KIND_OF_CHANGE[entry.kind], target=entry.target, word=word, value=value)


def report(suggestions: list[Suggestion], language: Language) -> str:
    """The suggestions as text, for the command line."""
    if not suggestions:
        return say("suggest.none_unanswered", language)
    lines: list[str] = []
    for suggestion in suggestions:
        word = suggestion.word or say("suggest.every_word_linked", language)
        sources = ", ".join(f"{k} {v}" for k, v in suggestion.sources.items())
        lines.append(f"{suggestion.count:>4}  {word}  [{sources}]")
        for question in suggestion.questions[:3]:
            lines.append(f"        {question}")
        if suggestion.fix is not None:
            lines.append(f"      -> {suggestion.fix.describe(language)}")
        elif suggestion.word:
            lines.append(f"      -> {say('suggest.nothing_near', language)}")
    return "\n".join(lines)
