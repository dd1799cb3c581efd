"""The row cap and the statement timeout hold for raw SQL and questions alike."""

from __future__ import annotations

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
