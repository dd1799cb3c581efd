"""The demo: its warehouse generator, its semantic layer, the example warehouses and
the loader into other engines."""

from __future__ import annotations

from pathlib import Path

# Where the demo warehouse lives when no database is named (`make demo`, `nlq ask`).
DEMO_DB = Path("data/demo.duckdb")


def ensure_demo(db: str | Path | None) -> str | Path:
    """The database to use: the one given, or the demo warehouse, built if missing."""
    if db is not None:
        return db
    if not DEMO_DB.exists():
        # The generator (numpy, pyarrow) is loaded only when the warehouse must be built.
        from nlq.demo.warehouse import build_warehouse

        build_warehouse(DEMO_DB)
    return DEMO_DB
