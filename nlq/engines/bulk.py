"""What the engines' bulk loaders share (`Engine.load`, used by `nlq demo load`):
tables as Arrow with their DuckDB types, keys and descriptions, and their DDL in
any dialect through sqlglot. Loaders copy in bulk (COPY, LOAD DATA, Parquet
files), never row by row."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlglot import exp

if TYPE_CHECKING:
    import pyarrow as pa

COPY_CHUNK = 8 << 20
# How a loader writes a column's type: (DuckDB type, the column's data, the type as
# sqlglot builds it in the dialect) -> the type to create.
TypeOf = Callable[[str, "pa.ChunkedArray", exp.DataType], exp.DataType]


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: list[tuple[str, str]]  # (name, DuckDB type)
    primary_key: list[str]
    data: pa.Table
    # (column, or None for the table itself) -> its description.
    comments: dict[str | None, str] = field(default_factory=dict)


def column_type(duck_type: str, dialect: str) -> exp.DataType:
    """A DuckDB type in `dialect`; timestamps in microseconds without a time zone."""
    kind = exp.DataType.build(duck_type, dialect="duckdb")
    if kind.is_type(exp.DataType.Type.TIMESTAMP, exp.DataType.Type.TIMESTAMPNTZ):
        return exp.DataType.build("TIMESTAMP", dialect=dialect)
    return kind


def create_table(
    table: SourceTable,
    dialect: str,
    *,
    type_of: TypeOf | None = None,
    comments_inline: bool = False,
    primary_key: bool = True,
) -> exp.Create:
    """CREATE TABLE with the columns' types (`type_of` adjusts them), the column
    descriptions as COMMENT clauses when `comments_inline`, and the primary key."""
    definitions: list[exp.Expr] = []
    for name, duck_type in table.columns:
        kind = column_type(duck_type, dialect)
        if type_of is not None:
            kind = type_of(duck_type, table.data.column(name), kind)
        constraints = []
        if comments_inline and name in table.comments:
            text = exp.Literal.string(table.comments[name])
            constraints.append(exp.ColumnConstraint(kind=exp.CommentColumnConstraint(this=text)))
        definitions.append(exp.ColumnDef(this=exp.to_identifier(name), kind=kind, constraints=constraints))
    if primary_key and table.primary_key:
        definitions.append(exp.PrimaryKey(expressions=[exp.to_identifier(c) for c in table.primary_key]))
    return exp.Create(this=exp.Schema(this=exp.to_table(table.name), expressions=definitions), kind="TABLE")


def key_indexes(table: SourceTable, dialect: str) -> list[str]:
    """An index on every key column that is not the table's own key (orders.user_id,
    order_items.order_id): joins and semi-joins on row stores need them."""
    statements = []
    for name, _ in table.columns:
        if name.endswith("_id") and name not in table.primary_key:
            index = exp.to_identifier(f"{table.name}_{name}_idx").sql(dialect)
            target = exp.to_table(table.name).sql(dialect)
            statements.append(f"CREATE INDEX {index} ON {target} ({exp.to_identifier(name).sql(dialect)})")
    return statements


def drop_table(name: str) -> exp.Drop:
    return exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True)


def csv_bytes(data: pa.Table) -> bytes:
    import pyarrow.csv as pa_csv

    sink = io.BytesIO()
    pa_csv.write_csv(data, sink, pa_csv.WriteOptions(include_header=False))
    return sink.getvalue()


@contextlib.contextmanager
def scratch() -> Iterator[Path]:
    """A folder for the files a load goes through, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="nlq-load-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
