"""The result cache: repeated questions are served without the engine, never
across a data change, never across roles' policies, and within its bounds."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb

from nlq.engines.base import QueryResult
from nlq.pipeline import Pipeline
from nlq.result_cache import CacheKey, ResultCache

AS_OF = dt.date(2026, 6, 30)


def _result(rows: int, columns: int = 2) -> QueryResult:
    return QueryResult([f"c{i}" for i in range(columns)], [[r] * columns for r in range(rows)])


def test_repeated_question_is_served_from_the_cache(warehouse_path: Path) -> None:
    cache = ResultCache()
    pipeline = Pipeline(db=warehouse_path, cache=cache)
    first = pipeline.ask("上个月各渠道的GMV", as_of=AS_OF)
    second = pipeline.ask("上个月各渠道的GMV", as_of=AS_OF)
    assert first.status == second.status == "answered"
    assert not first.answers[0].cached
    assert second.answers[0].cached
    assert second.answers[0].rows == first.answers[0].rows
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)


def test_roles_do_not_share_results(warehouse_path: Path) -> None:
    cache = ResultCache()
    analyst = Pipeline(db=warehouse_path, role="analyst", cache=cache).ask("各省份的GMV", as_of=AS_OF)
    east = Pipeline(db=warehouse_path, role="east_manager", cache=cache).ask("各省份的GMV", as_of=AS_OF)
    assert not east.answers[0].cached
    assert len(east.answers[0].rows) < len(analyst.answers[0].rows)


def test_a_change_to_the_data_is_never_served_stale(warehouse_path: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    shutil.copy(warehouse_path, db)
    cache = ResultCache()
    question = "2026年6月的退款金额"
    before = Pipeline(db=db, cache=cache)
    old = before.ask(question, as_of=AS_OF).answers[0].rows[0][0]
    before.close()

    with duckdb.connect(str(db)) as writer:
        writer.execute("UPDATE refunds SET refund_amount = refund_amount * 2")
        writer.execute("CHECKPOINT")

    after = Pipeline(db=db, cache=cache)
    fresh = after.ask(question, as_of=AS_OF).answers[0]
    after.close()
    assert not fresh.cached
    assert isinstance(old, float | int)
    assert abs(float(fresh.rows[0][0]) - 2 * old) <= 1e-6 * abs(old)


def test_entries_are_bounded_least_recently_used_first() -> None:
    cache = ResultCache(max_entries=2)
    keys = [CacheKey("db", "v1", f"SELECT {i}", 10) for i in range(3)]
    cache.put(keys[0], _result(1))
    cache.put(keys[1], _result(1))
    assert cache.get(keys[0]) is not None  # keys[1] is now the least recently used
    cache.put(keys[2], _result(1))
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None
    assert len(cache) == 2


def test_cell_budget_evicts_and_skips_oversized_results() -> None:
    cache = ResultCache(max_cells=100)
    small, big = CacheKey("db", "v", "small", None), CacheKey("db", "v", "big", None)
    cache.put(small, _result(30))  # 60 cells
    cache.put(big, _result(40))  # 80 cells: the small one must go
    assert cache.get(small) is None and cache.get(big) is not None
    cache.put(CacheKey("db", "v", "huge", None), _result(100))  # 200 cells: never stored
    assert cache.get(CacheKey("db", "v", "huge", None)) is None
    assert cache.get(big) is not None


def test_unversioned_entries_expire() -> None:
    cache = ResultCache(ttl_s=0.0)
    key = CacheKey("postgresql://x", None, "SELECT 1", None)
    cache.put(key, _result(1))
    assert cache.get(key) is None
    versioned = CacheKey("db.duckdb", "123:456", "SELECT 1", None)
    cache.put(versioned, _result(1))
    assert cache.get(versioned) is not None
