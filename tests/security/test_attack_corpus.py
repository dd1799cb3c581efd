"""The attack corpus (attack_corpus.yaml, 400 inputs) through the question path
and the raw SQL path: nothing but a permitted SELECT runs, nothing crashes,
the warehouse is unchanged and no attack wrote a file."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlq.pipeline import Pipeline
from tests.security.corpus import CANARIES, attacks
from tests.security.scan import RawData, leaks


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def raw(warehouse_path: Path) -> RawData:
    return RawData.read(warehouse_path)


@pytest.fixture(scope="module", autouse=True)
def untouched(warehouse_path: Path) -> Iterator[None]:
    for canary in CANARIES:
        canary.unlink(missing_ok=True)
    before = _fingerprint(warehouse_path)
    yield
    assert _fingerprint(warehouse_path) == before, "the warehouse file changed"
    assert not [c for c in CANARIES if c.exists()], "an attack wrote a file"


def test_the_corpus_is_large_and_varied() -> None:
    corpus = attacks()
    assert len(corpus) >= 300
    assert len({a.text for a in corpus}) == len(corpus)
    kinds = Counter(a.category for a in corpus)
    assert {"injection", "stacked", "files", "hidden", "comments", "unicode", "ddl_words", "prompts"} <= set(
        kinds
    )
    assert sum(len(a.text) >= 100_000 for a in corpus) >= 5
    assert kinds["bytes"] >= 3


@pytest.mark.parametrize(
    ("path", "role"),
    [("question", "analyst"), ("question", "east_manager"), ("sql", "admin"), ("sql", "east_manager")],
)
def test_attacks_run_nothing_but_permitted_selects(
    warehouse_path: Path,
    tmp_path: Path,
    raw: RawData,
    path: str,
    role: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pipeline = Pipeline(db=warehouse_path, role=role, audit=tmp_path / "audit.sqlite")
    problems: list[str] = []
    statuses: Counter[str] = Counter()
    for attack in attacks():
        result = pipeline.ask(attack.text) if path == "question" else pipeline.sql(attack.text)
        statuses[result.status] += 1
        # Raw SQL may fail in the engine (a typo, a UNION of unequal widths): that is
        # the user's error, reported as such. A question may not fail at all.
        expected = {"answered", "refused", "clarify"} | ({"error"} if path == "sql" else set())
        if result.status not in expected:
            problems.append(f"{attack.label()} -> {result.status}: {result.message}")
        elif result.status != "answered" and not result.message:
            problems.append(f"{attack.label()} -> {result.status} without a reason")
        problems += [
            f"{attack.label()} -> {leak}"
            for leak in leaks(result, role=role, attributes={}, layer=pipeline.layer, raw=raw)
        ]
    records = pipeline.audit.count()
    pipeline.close()
    # The pipeline's last-resort handler logs every unexpected exception: none may fire.
    crashes = [r.getMessage() for r in caplog.records if r.name == "nlq.pipeline" and r.exc_info]
    assert not crashes, "\n".join(crashes[:20])
    assert not problems, "\n".join(problems[:20])
    # Every attack is on record, and the answered ones are a small minority.
    assert records == len(attacks())
    assert statuses["answered"] < len(attacks()) // 4
