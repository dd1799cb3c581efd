"""Where a new question's time goes, profiled with pyinstrument: every dev
question asked as new (its kept reading and plan dropped), sampled, and the
time of each pipeline stage summed over the call tree. The stages are named by
the functions that do them, so the table follows the code as it changes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.frame import Frame

from nlq.eval.benchmark import load_benchmark
from nlq.pipeline import Pipeline

# The connector's call holds the engine's time: neither is nlq's own work.
CONNECTOR = "run it (connector)"
ENGINE = "  of which the engine"
# (label, function, where it is defined): the function's time, wherever it is called
# from, counted once where it calls itself. Nested stages are indented in the label.
STAGES: list[tuple[str, str, str]] = [
    ("understand the question", "Understander.understand", "nlq/understand.py"),
    ("  link words to the layer", "Linker.link", "nlq/linker.py"),
    ("compile to a sqlglot tree", "Compiler.compile", "nlq/semantic/compiler.py"),
    ("  access policy (views, masks)", "AccessPolicy.apply", "nlq/semantic/policy.py"),
    ("write the SQL text", "DuckDB.generate", "sqlglot"),
    ("guard the final SQL", "guard_sql", "nlq/semantic/guard.py"),
    ("  parse it afresh", "parse_statement", "nlq/semantic/guard.py"),
    (CONNECTOR, "DuckDBConnector.execute", "nlq/engines/duckdb.py"),
    (ENGINE, "DuckDBConnector.execute:self", "nlq/engines/duckdb.py"),
    ("  statement timeout watch", "Watchdog.watch", "nlq/engines/watchdog.py"),
    ("rows to JSON", "QueryResult.json_rows", "nlq/engines/base.py"),
    ("interpretation", "interpret", "nlq/explain.py"),
    # Begun on a writer thread while the SQL runs: what is left is waiting for it, if at
    # all, and completing it.
    ("audit record (durable)", "PendingRecord.finish", "nlq/audit.py"),
]

OWN = {label: label not in {CONNECTOR, ENGINE} for label, _, _ in STAGES}


@dataclass
class Profile:
    questions: int
    total_ms: float
    # label -> milliseconds per question
    stages: dict[str, float]


def measure(benchmark: Path, db: Path, *, rounds: int = 2) -> Profile:
    pipeline = Pipeline(db=db, cache=None)
    items = [i for i in load_benchmark(benchmark) if i.expect == "answer" and i.golds]

    def ask_all() -> None:
        for item in items:
            pipeline.forget()
            pipeline.ask(item.question, as_of=item.as_of)

    ask_all()  # warm-up: the engine's buffers and the interpreter's imports
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(rounds):
        ask_all()
    profiler.stop()
    pipeline.close()
    root = profiler.last_session.root_frame() if profiler.last_session else None
    asked = rounds * len(items)
    stages = {label: _time(root, name, where) * 1000 / asked for label, name, where in STAGES}
    total = (root.time if root else 0.0) * 1000 / asked
    return Profile(asked, total, stages)


def _time(root: Frame | None, name: str, where: str) -> float:
    if root is None:
        return 0.0
    function, _, part = name.partition(":")
    return sum(
        (_self_time(frame) if part == "self" else frame.time) for frame in _outermost(root, function, where)
    )


def _outermost(frame: Frame, function: str, where: str) -> Iterator[Frame]:
    """Frames of `function`, not those nested in another frame of it."""
    qualified = f"{frame.class_name}.{frame.function}" if frame.class_name else frame.function
    if qualified == function and where in (frame.file_path or ""):
        yield frame
        return
    for child in frame.children:
        yield from _outermost(child, function, where)


def _self_time(frame: Frame) -> float:
    """Time in the function itself and in code pyinstrument does not see into (the
    engine's C++ behind the Python call)."""
    return frame.time - sum(child.time for child in frame.children if child.function != "[self]")
