"""Raw SQL that tries to read past row filters and masks (bypass_corpus.yaml), run
by every demo user: each statement is refused, or returns exactly the rows it
returns over a database holding only what that user may see (allowed.py). An
engine error is accepted only where that database errors too. Every statement is
on record in the audit log under the user who ran it."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from nlq.answer import AnswerBlock
from nlq.eval.scoring import ResultSet, match_result
from nlq.pipeline import Pipeline
from tests.security.allowed import IDENTITIES, Who, allowed_database, read_tables, run
from tests.security.scan import RawData, leaks

CORPUS = Path(__file__).with_name("bypass_corpus.yaml")
# Deeper than any lineage a masking check could follow by a fixed limit.
DEEP_CTE = 80


@cache
def statements(catalog: str) -> tuple[str, ...]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    found = [
        template.replace("{t}", table).replace("{T}", table.upper()).replace("{catalog}", catalog)
        for template in data["per_table"]
        for table in data["tables"]
    ]
    found += data["statements"]
    found.append(_deep_cte("phone", "LIKE '138%'"))
    found.append(_deep_cte("province", "= '北京'"))
    return tuple(found)


def _deep_cte(column: str, condition: str) -> str:
    """A column renamed through DEEP_CTE common table expressions, then filtered."""
    steps = [f"c0 AS (SELECT {column} AS v0 FROM users)"]
    steps += [f"c{i} AS (SELECT v{i - 1} AS v{i} FROM c{i - 1})" for i in range(1, DEEP_CTE)]
    last = DEEP_CTE - 1
    return f"WITH {', '.join(steps)} SELECT count(*) FROM c{last} WHERE v{last} {condition}"


@pytest.fixture(scope="module")
def tables(warehouse_path: Path) -> dict[str, pa.Table]:
    return read_tables(warehouse_path)


@pytest.fixture(scope="module")
def raw(warehouse_path: Path) -> RawData:
    return RawData.read(warehouse_path)


def test_the_corpus_covers_every_table_and_way_in(warehouse_path: Path) -> None:
    corpus = statements(warehouse_path.stem)
    assert len(corpus) >= 350
    assert len(set(corpus)) == len(corpus)
    assert sum("WITH" in s and ("orders AS" in s or "users AS" in s) for s in corpus) >= 50
    assert sum("phone" in s or "user_name" in s for s in corpus) >= 25


@pytest.mark.parametrize("who", IDENTITIES, ids=lambda w: w.label)
def test_raw_sql_is_refused_or_returns_exactly_the_allowed_rows(
    warehouse_path: Path,
    tmp_path: Path,
    tables: dict[str, pa.Table],
    raw: RawData,
    who: Who,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference = allowed_database(tables, who, warehouse_path.stem)
    pipeline = Pipeline(db=warehouse_path, user=who.user, audit=tmp_path / "audit.sqlite")
    problems: list[str] = []
    outcomes: Counter[str] = Counter()
    corpus = statements(warehouse_path.stem)
    for sql in corpus:
        result = pipeline.sql(sql)
        outcomes[result.status] += 1
        expected = run(reference, sql)
        problem = _judge(sql, result.status, result.message, result.answers, expected, who)
        if problem:
            problems.append(f"{sql[:160]} -> {problem}")
        problems += [
            f"{sql[:160]} -> {leak}"
            for leak in leaks(
                result, role=who.role, attributes=pipeline.attributes, layer=pipeline.layer, raw=raw
            )
        ]
    records = list(pipeline.audit.records())
    pipeline.close()
    reference.close()
    crashes = [r.getMessage() for r in caplog.records if r.name == "nlq.pipeline" and r.exc_info]
    assert not crashes, "\n".join(crashes[:10])
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])
    assert len(records) == len(corpus)
    assert {(r.user, r.role) for r in records} == {(who.user, who.role)}
    if who.raw_sql:
        # The check means something only if most statements ran.
        assert outcomes["answered"] > len(corpus) // 2, outcomes
    else:
        assert outcomes == Counter({"refused": len(corpus)})


def _judge(
    sql: str,
    status: str,
    message: str,
    answers: list[AnswerBlock],
    expected: tuple[list[str], list[list[object]]] | str,
    who: Who,
) -> str | None:
    if status in {"refused", "clarify"}:
        return None if message else "refused without a reason"
    if not who.raw_sql:
        return f"{status} for a role without raw SQL"
    if status == "error":
        return None if isinstance(expected, str) else f"engine error where the allowed rows answer: {message}"
    if isinstance(expected, str):
        return f"answered where the allowed rows fail ({expected})"
    columns, rows = expected
    answer = answers[0]
    ok, why = match_result(
        ResultSet(columns, rows), ResultSet(answer.columns, answer.rows), ordered="ORDER BY" in sql.upper()
    )
    if not ok or len(answer.columns) != len(columns):
        shown = f"{answer.rows[:3]} vs allowed {rows[:3]}"
        return f"rows differ from the allowed rows ({why or 'extra columns'}): {shown}"
    return None
