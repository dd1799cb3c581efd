"""Many users at once through one shared pipeline, as the UI serves them: 8 threads x
200 questions of the dev benchmark, each thread a different demo user (for_user),
while another thread keeps sending statements that would take the machine (the
recursive s || s bomb, a 1e9-row unnest, a cross join). Checked afterwards: every
audit record names the user and role that asked, and no question failed for a
reason of its own. Measured: a simple question's latency alone and under the
bombs (p50 / p95 / max).

    .venv/bin/python -m benchmarks.load [--threads 8] [--questions 200]"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.figures import spread_cells
from nlq.eval.benchmark import load_benchmark
from nlq.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
BENCHMARK = ROOT / "eval" / "benchmarks" / "dev.jsonl"
USERS = ["li.na", "chen.jie", "zhou.min", "sun.li", "wang.fang", "zhao.lei"]
BOMBS = [
    "WITH RECURSIVE t(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM t) SELECT max(length(s)) FROM t",
    "SELECT count(*) FROM (SELECT unnest(range(1000000000)) AS x)",
    "SELECT COUNT(DISTINCT a.event_id + b.event_id) FROM events a, events b",
]
SIMPLE = "上个月GMV"


def simple_latencies(pipeline: Pipeline, count: int, stop: threading.Event | None = None) -> list[float]:
    found = []
    for _ in range(count):
        if stop is not None and stop.is_set():
            break
        started = time.perf_counter()
        result = pipeline.ask(SIMPLE)
        found.append((time.perf_counter() - started) * 1000)
        assert result.status == "answered", result.message
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--db", default=str(ROOT / "data" / "demo.duckdb"))
    args = parser.parse_args()

    audit = Path(tempfile.mkdtemp(prefix="nlq-load-")) / "audit.sqlite"
    base = Pipeline(db=args.db, user="li.na", audit=audit, cache=None, timeout_s=10)
    _ = base.understander, base.latest_date
    questions = [item.question for item in load_benchmark(BENCHMARK)]
    alone = simple_latencies(base.for_user("chen.jie"), 20)

    stop = threading.Event()
    bombs: Counter[str] = Counter()

    def bomber() -> None:
        admin = base.for_user("li.na")
        for sql in itertools.cycle(BOMBS):
            if stop.is_set():
                return
            bombs[admin.sql(sql).status] += 1

    outcomes: Counter[str] = Counter()
    asked: Counter[tuple[str, str]] = Counter()

    def user_thread(index: int) -> None:
        user = USERS[index % len(USERS)]
        pipeline = base.for_user(user)
        for question in itertools.islice(itertools.cycle(questions[index :: args.threads]), args.questions):
            result = pipeline.ask(question)
            outcomes[result.status] += 1
            asked[(user, str(pipeline.role))] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=user_thread, args=(i,)) for i in range(args.threads)]
    threads.append(threading.Thread(target=bomber))
    for thread in threads:
        thread.start()
    under_load = simple_latencies(base.for_user("chen.jie"), 20)
    for thread in threads[:-1]:
        thread.join()
    stop.set()
    threads[-1].join()
    elapsed = time.perf_counter() - started

    records = list(base.audit.records())
    by_identity = Counter(
        (r.user or "", r.role or "") for r in records if r.kind == "question" and r.question != SIMPLE
    )
    wrong = {key: n for key, n in by_identity.items() if asked.get(key) != n}
    print(
        f"{args.threads} threads x {args.questions} questions in {elapsed:.1f} s; outcomes {dict(outcomes)}"
    )
    print(f"bombs sent alongside: {dict(bombs)}")
    print(f"audit records by user/role match the questions asked: {not wrong} {wrong or ''}")
    print(f"'{SIMPLE}' alone, ms p50 / p95 / max:      {spread_cells(alone)}")
    print(f"'{SIMPLE}' under load, ms p50 / p95 / max: {spread_cells(under_load)}")


if __name__ == "__main__":
    main()
