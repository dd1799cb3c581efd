"""The demo warehouse at a small scale, loaded into every engine once per test
session: PostgreSQL and MariaDB (the servers on loopback; `.ci/run` starts them),
chDB and Spark in folders next to the DuckDB file. Tests use their own database
names (nlq_test) so they never touch anyone else's."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlq.demo.load import load_demo
from tests.conftest import CACHE, _generator_fingerprint, built_once

SCALE = 0.05
POSTGRES = "postgresql://postgres@127.0.0.1:5432/nlq_test"
MYSQL = "mysql://root@127.0.0.1:3306/nlq_test"


@pytest.fixture(scope="session")
def small_warehouse() -> Path:
    from nlq.demo.warehouse import build_warehouse

    path = CACHE / f"demo-s{SCALE:g}-seed42-{_generator_fingerprint()}.duckdb"
    return built_once(path, lambda target: build_warehouse(target, scale=SCALE, seed=42))


@pytest.fixture(scope="session")
def engine_urls(small_warehouse: Path) -> dict[str, str]:
    """Engine -> URL of the small warehouse loaded there (DuckDB is the source)."""
    stem = small_warehouse.with_suffix("")
    urls = {
        "duckdb": str(small_warehouse),
        "postgres": POSTGRES,
        "mysql": MYSQL,
        "chdb": f"chdb://{stem}-chdb",
        "spark": f"spark://local[2]?warehouse={stem}-spark",
    }
    for engine, url in urls.items():
        if engine != "duckdb":
            load_demo(url, small_warehouse)
    return urls
