"""The row cap and the statement timeout hold for raw SQL and questions alike."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from nlq.pipeline import MAX_ROWS, Pipeline


def test_a_long_statement_is_interrupted(warehouse_path: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=tmp_path / "audit.sqlite", timeout_s=0.5)
    result = pipeline.sql("SELECT COUNT(DISTINCT a.event_id + b.event_id) FROM events a, events b")
    # The pipeline stays usable after the interrupt.
    after = pipeline.sql("SELECT COUNT(*) AS n FROM campaigns")
    pipeline.close()
    assert result.status == "error" and "timed out" in result.message and not result.answers
    assert after.status == "answered" and after.answers[0].rows[0][0] > 0


def test_rows_are_capped(warehouse_path: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=tmp_path / "audit.sqlite")
    result = pipeline.sql("SELECT event_id FROM events LIMIT 1000000")
    pipeline.close()
    assert result.status == "answered" and len(result.answers[0].rows) == MAX_ROWS
    assert result.answers[0].sql.endswith(f"LIMIT {MAX_ROWS + 1}")


def test_a_statement_that_grows_without_bound_fails_alone(warehouse_path: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=tmp_path / "audit.sqlite", timeout_s=30)
    bomb = pipeline.sql(
        "WITH RECURSIVE t(s) AS (SELECT 'x' UNION ALL SELECT s || s FROM t) SELECT max(length(s)) FROM t"
    )
    after = pipeline.sql("SELECT COUNT(*) AS n FROM campaigns")
    pipeline.close()
    # The memory limit stops it with nlq's own words (no engine text), and the database
    # is still usable by the next question.
    assert bomb.status == "error" and "more memory" in bomb.message and "Error:" not in bomb.message
    assert after.status == "answered" and after.answers[0].rows[0][0] > 0


def test_rows_made_from_nothing_are_refused(warehouse_path: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=tmp_path / "audit.sqlite")
    for sql in [
        "SELECT count(*) FROM (SELECT unnest(range(1000000000)) AS x)",
        "SELECT count(*) FROM (SELECT unnest(generate_series(1, 1000000000)) AS x)",
        "SELECT length(repeat('x', 1000000000))",
    ]:
        result = pipeline.sql(sql)
        assert result.status == "refused" and not result.answers, sql
    pipeline.close()


def test_a_slow_statement_does_not_hold_up_another_question(warehouse_path: Path, tmp_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=tmp_path / "audit.sqlite", timeout_s=20)
    slow: list[str] = []
    worker = threading.Thread(
        target=lambda: slow.append(
            pipeline.sql("SELECT COUNT(DISTINCT a.event_id + b.event_id) FROM events a, events b").status
        )
    )
    worker.start()
    time.sleep(0.5)  # the cross join is running
    quick = pipeline.sql("SELECT COUNT(*) AS n FROM campaigns")
    still_running = worker.is_alive()
    worker.join()
    pipeline.close()
    assert quick.status == "answered"
    assert still_running, "the quick question waited for the cross join to end"
    assert slow == ["error"]  # stopped by the statement timeout


def test_engine_errors_are_said_in_nlqs_words() -> None:
    from nlq.engines.base import query_failed

    cast = query_failed("Conversion Error: Could not convert string '13800138000' to INT32")
    assert "13800138000" not in cast.en + cast.zh and "conversion" in cast.en
    unknown = query_failed("Something odd: secret value 'abc'")
    assert "abc" not in unknown.en + unknown.zh
