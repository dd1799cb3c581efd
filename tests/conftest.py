"""Shared fixtures. The demo warehouse is built once per generator version and
reused across runs: building it is the slowest step of the suite."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from nlq.engines.duckdb import SETTINGS as DUCKDB_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "data" / "test-cache"


def pytest_configure(config: pytest.Config) -> None:
    # Questions asked by tests go to a throw-away audit log, not the product's.
    os.environ.setdefault("NLQ_AUDIT_URL", str(Path(tempfile.mkdtemp(prefix="nlq-audit-")) / "audit.sqlite"))


def _generator_fingerprint() -> str:
    source = (ROOT / "nlq" / "demo" / "warehouse.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:12]


@pytest.fixture(scope="session")
def warehouse_path() -> Path:
    """The scale-1, seed-42 demo warehouse (the one the benchmark is written against)."""
    from nlq.demo.warehouse import build_warehouse

    path = CACHE / f"demo-s1-seed42-{_generator_fingerprint()}.duckdb"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        for stale in CACHE.glob("demo-s1-seed42-*.duckdb"):
            stale.unlink()
        tmp = path.with_suffix(".building")
        tmp.unlink(missing_ok=True)
        build_warehouse(tmp, scale=1.0, seed=42)
        tmp.rename(path)
    return path


@pytest.fixture()
def con(warehouse_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the demo warehouse, configured like the product's
    own (DuckDB refuses two connections to one file with different settings)."""
    connection = duckdb.connect(str(warehouse_path), read_only=True, config=dict(DUCKDB_SETTINGS))
    try:
        yield connection
    finally:
        connection.close()
