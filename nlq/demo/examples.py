"""`nlq demo build --example NAME`: the curated example warehouses of `examples/`.

An example is a folder `examples/NAME/` holding `data/*.parquet` (one file per
table) and `semantic/*.yaml` (its semantic layer). Building it writes one DuckDB
table per Parquet file, named like the file, with the primary keys listed here;
no NLQ code is specific to an example beyond these keys."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

# The repository's examples folder (the package is installed in place).
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Primary keys of each example's tables: the DuckDB tables carry them, so `nlq demo
# load`, `nlq semantic init` and the catalogue see the same keys as the layer.
PRIMARY_KEYS: dict[str, dict[str, list[str]]] = {
    "northwind": {
        "categories": ["category_id"],
        "customers": ["customer_id"],
        "employee_territories": ["employee_id", "territory_id"],
        "employees": ["employee_id"],
        "order_details": ["order_id", "product_id"],
        "orders": ["order_id"],
        "products": ["product_id"],
        "region": ["region_id"],
        "shippers": ["shipper_id"],
        "suppliers": ["supplier_id"],
        "territories": ["territory_id"],
        "us_states": ["state_id"],
    }
}


def example_names() -> list[str]:
    return sorted(PRIMARY_KEYS)


def default_path(name: str) -> Path:
    return Path("data") / f"{name}.duckdb"


def semantic_dir(name: str) -> Path:
    return EXAMPLES / name / "semantic"


def data_dir(name: str) -> Path:
    return EXAMPLES / name / "data"


@dataclass
class ExampleReport:
    name: str
    path: Path
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        counts = ", ".join(f"{table} {n:,}" for table, n in self.rows.items())
        return (
            f"built {self.path} in {self.seconds:.1f} s (example {self.name}): {counts}\n"
            f"semantic layer: {semantic_dir(self.name)}"
        )


def build_example(
    name: str, out: str | Path | None = None, source: str | Path | None = None
) -> ExampleReport:
    """Builds the example `name` into the DuckDB file `out` (default data/NAME.duckdb)
    from the Parquet files of `source` (default examples/NAME/data). Always rebuilt
    (it takes well under a second), written to a temporary file first."""
    from nlq.demo.warehouse import built_atomically

    if name not in PRIMARY_KEYS:
        raise ValueError(f"unknown example '{name}': one of {', '.join(example_names())}")
    folder = Path(source) if source is not None else data_dir(name)
    files = sorted(folder.glob("*.parquet"))
    if not files:
        raise FileNotFoundError(f"{folder}: no Parquet files")
    path = Path(out) if out is not None else default_path(name)
    report = ExampleReport(name, path)
    started = time.perf_counter()
    with built_atomically(path) as con:
        for file in files:
            report.rows[file.stem] = _load(con, file.stem, file, PRIMARY_KEYS[name].get(file.stem, []))
    report.seconds = time.perf_counter() - started
    return report


def _load(con: duckdb.DuckDBPyConnection, table: str, file: Path, key: list[str]) -> int:
    """CREATE TABLE with the Parquet file's column types and the primary key, then one
    INSERT ... SELECT from the file."""
    from sqlglot import exp

    scan = exp.func("read_parquet", exp.Literal.string(str(file)))
    columns = con.execute(f"DESCRIBE SELECT * FROM {scan.sql('duckdb')}").fetchall()
    definitions = [f"{exp.to_identifier(c[0]).sql('duckdb')} {c[1]}" for c in columns]
    if key:
        definitions.append(f"PRIMARY KEY ({', '.join(exp.to_identifier(k).sql('duckdb') for k in key)})")
    name = exp.to_table(table).sql("duckdb")
    con.execute(f"CREATE TABLE {name} ({', '.join(definitions)})")
    con.execute(f"INSERT INTO {name} SELECT * FROM {scan.sql('duckdb')}")
    row = con.execute(f"SELECT COUNT(*) FROM {name}").fetchone()
    return int(row[0]) if row else 0
