"""What went wrong for users, as the analyst's work list: questions clarified or
refused, answers rated down, and answers nlq itself flagged as doubtful (see
nlq.doubts), each with who asked, when, what came back and the SQL that ran.

Questions are grouped by their problem, not by word: every question whose
problem is the same (the same words the layer lacks, the same value without
data, the same previous metric carried into a follow-up) is one case, so a
question with three unknown words is one row, not three. Security probes,
off-topic questions, kinds of question nlq does not answer and refusals of an
access policy are kept apart: no change of the layer should answer them, so they
are never offered a fix. A case the analyst dismissed stays dismissed (a JSON
file beside the feedback file) until a question with that problem comes again."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from nlq.audit import AuditLog, AuditRecord
from nlq.doubts import NOT_VOCABULARY
from nlq.feedback import FeedbackRecord
from nlq.suggest import Fix, fixes, words_of
from nlq.understand import Understander, Understanding

ProblemKind = Literal[
    "unknown_words",  # words the layer lacks (狗东, 件单价)
    "no_data",  # a value the layer names and no row holds (拼多多)
    "fuzzy_link",  # a word linked by nearness: right or not, the analyst decides
    "carried_over",  # a follow-up answered with the previous question's metric
    "empty_under_filter",  # no rows, or zeros, under a value
    "unused_words",  # names the answer said it left out
    "rated_down",  # a user said the answer was wrong
    "not_answered",  # every word placed and still no answer: no synonym fixes it
    "screened",  # security probes
    "off_topic",  # off-topic, or a kind of question nlq does not answer
    "policy",  # refused by the asker's access policy
]
APART: frozenset[str] = frozenset({"screened", "off_topic", "policy"})
# The first flag of these kinds names the case of an answered question (most telling first).
_DOUBTS: tuple[ProblemKind, ...] = (
    "no_data",
    "carried_over",
    "fuzzy_link",
    "unused_words",
    "empty_under_filter",
)
DISMISSED_FILE = "dismissed.json"


class Asked(BaseModel):
    """One question as it was asked and answered."""

    question: str
    source: Literal["audit", "feedback"]
    time: dt.datetime | None = None
    user: str | None = None
    role: str | None = None
    status: str = ""
    answer: str = ""  # the interpretation, or the message when there was no answer
    sql: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    comment: str = ""


class Case(BaseModel):
    """Questions with one problem: its kind, the words or values it is about, the
    questions (newest first) and, for vocabulary problems, the suggested changes."""

    key: str
    kind: ProblemKind
    words: list[str] = Field(default_factory=list)
    asked: list[Asked] = Field(default_factory=list)
    fixes: list[Fix] = Field(default_factory=list)

    @property
    def apart(self) -> bool:
        return self.kind in APART

    @property
    def latest(self) -> dt.datetime | None:
        times = [a.time for a in self.asked if a.time is not None]
        return max(times) if times else None


def from_audit(log: AuditLog, *, limit: int = 5000) -> list[Asked]:
    """The newest questions (`limit`) that were not answered or were answered with a doubt."""
    return [_asked(record) for record in log.recent(limit) if _wanted(record)]


def from_feedback(records: Iterable[FeedbackRecord]) -> list[Asked]:
    return [
        Asked(
            question=r.question,
            source="feedback",
            time=r.recorded_at,
            role=r.role,
            status="rated_down",
            answer=r.interpretation,
            sql=r.sql,
            comment=r.comment,
        )
        for r in records
        if r.rating == "down"
    ]


def cases(asked: Iterable[Asked], understander: Understander, as_of: dt.date) -> list[Case]:
    """The questions grouped by problem, cases with more questions first. A question
    not answered is read again with the current layer: once the layer has the words
    it lacked, it leaves the list."""
    found: dict[str, Case] = {}
    read: dict[str, Understanding] = {}
    for item in asked:
        if item.question not in read:
            read[item.question] = understander.understand(item.question, as_of)
        kind, words = _problem(item, read[item.question])
        if kind is None:
            continue
        key = f"{kind}:{'|'.join(words)}"
        case = found.get(key)
        if case is None:
            offered = [] if kind in APART else [f for w in words for f in fixes(understander, w)]
            case = found[key] = Case(key=key, kind=kind, words=words, fixes=offered)
        case.asked.append(item)
    for case in found.values():
        case.asked.sort(key=lambda a: a.time or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return sorted(found.values(), key=lambda c: (c.apart, -len(c.asked), c.key))


def open_cases(found: list[Case], dismissed: dict[str, dt.datetime]) -> list[Case]:
    """The cases not dismissed, or asked again since they were."""
    return [
        c for c in found if c.key not in dismissed or (c.latest is not None and c.latest > dismissed[c.key])
    ]


def dismissed(folder: Path) -> dict[str, dt.datetime]:
    """When each dismissed case was dismissed."""
    path = folder / DISMISSED_FILE
    if not path.exists():
        return {}
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {key: dt.datetime.fromisoformat(entry["at"]) for key, entry in stored.items()}


def dismiss(folder: Path, key: str, *, by: str, at: dt.datetime | None = None) -> None:
    """Remembers that `by` dismissed the case `key` (written whole, then renamed over
    the old file, so a crash never leaves half a file)."""
    path = folder / DISMISSED_FILE
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    stored[key] = {"by": by, "at": (at or dt.datetime.now(dt.UTC)).isoformat()}
    folder.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(stored, ensure_ascii=False, indent=1), encoding="utf-8")
    scratch.replace(path)


def _wanted(record: AuditRecord) -> bool:
    if record.kind != "question" or record.status == "running":
        return False
    return record.status != "answered" or any(_flag_kind(f) in _DOUBTS for f in record.flags)


def _asked(record: AuditRecord) -> Asked:
    return Asked(
        question=record.question,
        source="audit",
        time=record.time,
        user=record.user,
        role=record.role,
        status=record.status,
        answer=record.interpretation if record.status == "answered" and not record.error else record.error,
        sql=record.sql,
        flags=record.flags,
    )


def _problem(item: Asked, understanding: Understanding) -> tuple[ProblemKind | None, list[str]]:
    """The case a question belongs to: what is wrong with it, and about which words."""
    apart = next((_flag_kind(f) for f in item.flags if _flag_kind(f) in NOT_VOCABULARY), None)
    if understanding.screened or apart == "screened":
        return "screened", []
    if apart in ("off_topic", "intent"):
        return "off_topic", []
    if apart == "policy":
        return "policy", []
    guessed = sorted({_flag_detail(f) for f in item.flags if _flag_kind(f) == "fuzzy_link"})
    if item.status != "answered" and guessed:
        return "fuzzy_link", guessed  # asked back whether 京洞 meant 京东
    if item.status == "answered":
        for kind in _DOUBTS:
            details = [_flag_detail(f) for f in item.flags if _flag_kind(f) == kind]
            if details:
                return kind, sorted(set(details))
        return None, []
    named = [*understanding.ignored, *words_of(understanding.unlinked, item.question)]
    words = {w for w in named if not any(w != other and w in other for other in named)}
    if words:
        return "unknown_words", sorted(words)
    if item.status == "rated_down":
        return "rated_down", []
    if item.status == "refused" and understanding.status == "answer":
        return "policy", []  # read as a question, refused for who asked
    if understanding.status == "answer":
        return None, []  # answered now: fixed since
    return "not_answered", []


def _flag_kind(flag: str) -> str:
    return flag.split(":", 1)[0]


def _flag_detail(flag: str) -> str:
    return flag.split(":", 1)[1] if ":" in flag else ""
