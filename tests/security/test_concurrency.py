"""Concurrent sessions: 8 threads x 200 questions against one warehouse and one
audit log. No errors, and exactly one audit record per question."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from nlq.audit import open_audit
from nlq.eval.benchmark import load_benchmark
from nlq.pipeline import Pipeline

DEV = Path(__file__).resolve().parents[2] / "eval" / "benchmarks" / "dev.jsonl"
THREADS = 8
QUESTIONS = 200
ROLES = ["analyst", "east_manager", "marketing", "admin"]


def test_eight_sessions_at_once(warehouse_path: Path, tmp_path: Path) -> None:
    audit = tmp_path / "audit.sqlite"
    items = load_benchmark(DEV)
    statuses: list[Counter[str]] = [Counter() for _ in range(THREADS)]
    failures: list[str] = []
    start = threading.Barrier(THREADS)

    def session(n: int) -> None:
        try:
            # Each session its own pipeline (connection, audit writer), as each user's would be.
            pipeline = Pipeline(db=warehouse_path, role=ROLES[n % len(ROLES)], audit=audit)
            start.wait()
            for i in range(QUESTIONS):
                item = items[(n * 37 + i) % len(items)]
                result = pipeline.ask(item.question, as_of=item.as_of, id=f"{n}-{i}")
                statuses[n][result.status] += 1
                if result.status == "error":
                    failures.append(f"session {n}: {item.question} -> {result.message}")
            pipeline.close()
        except Exception as error:  # a failure in a thread must fail the test, not vanish
            failures.append(f"session {n}: {type(error).__name__}: {error}")
            start.abort()  # nor leave the other sessions waiting for it at the start

    threads = [threading.Thread(target=session, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, "\n".join(failures[:20])
    assert sum(sum(c.values()) for c in statuses) == THREADS * QUESTIONS
    log = open_audit(audit)
    records = list(log.records())
    assert len(records) == THREADS * QUESTIONS == log.count()
    assert len({r.id for r in records}) == len(records)
    by_role = Counter(r.role for r in records)
    assert by_role == {role: QUESTIONS * THREADS // len(ROLES) for role in ROLES}
    assert Counter(r.status for r in records) == sum(statuses, Counter())
