"""Shared fixtures. The demo warehouse is built once per generator version and
reused across runs: building it is the slowest step of the suite."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from nlq.engines.duckdb import SETTINGS as DUCKDB_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "test-cache"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A parallel run that includes them (pytest -n 2 --dist loadgroup) keeps the engine
    # tests on one worker: they load the one nlq_test database of each server and share a
    # Spark session. (make test runs them apart, in a process of their own.)
    for item in items:
        if "tests/engines/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("engines"))


def pytest_configure(config: pytest.Config) -> None:
    # Questions asked by tests go to a throw-away audit log, not the product's.
    os.environ.setdefault("NLQ_AUDIT_URL", str(Path(tempfile.mkdtemp(prefix="nlq-audit-")) / "audit.sqlite"))


def _generator_fingerprint() -> str:
    source = (ROOT / "nlq" / "demo" / "warehouse.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


def built_once(path: Path, build: Callable[[Path], None]) -> Path:
    """`path`, built by `build` when missing: under a lock, so that the workers of a
    parallel run (pytest -n) build it once and the others wait for it."""
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.with_suffix(".lock"))):
        if not path.exists():
            tmp = path.with_suffix(".building")
            tmp.unlink(missing_ok=True)
            build(tmp)
            tmp.rename(path)
    return path


@pytest.fixture(scope="session")
def warehouse_path() -> Path:
    """The scale-1, seed-42 demo warehouse (the one the benchmark is written against)."""
    from nlq.demo.warehouse import build_warehouse

    path = CACHE / f"demo-s1-seed42-{_generator_fingerprint()}.duckdb"

    def build(target: Path) -> None:
        for stale in CACHE.glob("demo-s1-seed42-*.duckdb"):
            stale.unlink()
        build_warehouse(target, scale=1.0, seed=42)

    return built_once(path, build)


@pytest.fixture()
def con(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the demo warehouse, configured like the product's
    own (DuckDB refuses two connections to one file with different settings)."""
    connection = duckdb.connect(str(warehouse_path), read_only=True, config=dict(DUCKDB_SETTINGS))
    try:
        yield connection
    finally:
        connection.close()
