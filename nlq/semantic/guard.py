"""The last check before any SQL runs, on the whole sqlglot AST (never a regex):
exactly one read-only query, only the layer's tables, no file, network,
extension or system access, and a row cap. It runs on compiled queries too, so
a bug in the compiler or a hostile layer file cannot write or leak."""

from __future__ import annotations

from typing import NamedTuple, TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from nlq.messages import Text
from nlq.semantic.errors import QueryError

E = TypeVar("E", bound=exp.Expr)

# Statement and clause types that change state or reach outside the database.
FORBIDDEN_NODES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name)
    for name in (
        "Insert",
        "Update",
        "Delete",
        "Merge",
        "Create",
        "Drop",
        "Alter",
        "AlterTable",
        "TruncateTable",
        "Command",
        "Into",
        "Copy",
        "Pragma",
        "Set",
        "Use",
        "Transaction",
        "Commit",
        "Rollback",
        "Attach",
        "Detach",
        "Install",
        "LoadData",
        "Grant",
        "Revoke",
        "Export",
        # Time travel (AT (VERSION => 1)): a past version is not what the policies were written for.
        "HistoricalData",
    )
    if hasattr(exp, name)
)
# Functions that read files, the network or the engine's internals.
FORBIDDEN_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_parquet",
        "read_json",
        "read_json_auto",
        "read_text",
        "read_blob",
        "glob",
        "parquet_scan",
        "csv_scan",
        "sniff_csv",
        "query_table",
        "query",
        "getenv",
        "current_setting",
        "set_config",
        "pg_read_file",
        "pg_ls_dir",
        "load_file",
        "sleep",
        "pg_sleep",
        "system",
        "httpfs",
        "duckdb_settings",
        "duckdb_extensions",
        "file",
        "url",
        "s3",
        "hdfs",
        "mysql",
        "postgresql",
        "remote",
        # Rows or values made from nothing, as many as asked: range(1e9) allocates gigabytes
        # no memory limit sees. Questions over the layer's tables never need them.
        "range",
        "generate_series",
        "generate_date_array",
        "sequence",
        "repeat",
        "list_resize",
        "array_resize",
    }
)
# What a role with `catalog: true` may read.
CATALOG_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
# Whole families of engine functions that read files, catalogs or settings.
FORBIDDEN_PREFIXES = (
    "read_",
    "duckdb_",
    "pragma_",
    "pg_",
    "parquet_",
    "sqlite_",
    "iceberg_",
    "delta_",
    "st_read",
    "load_",
    "http",
)
SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "mysql", "sys", "system", "performance_schema"}
)


class UnsafeQuery(QueryError):
    def __init__(self, reason: Text) -> None:
        super().__init__(reason, kind="denied")


# Longer SQL is refused before parsing: no real question needs it, and a
# parser fed megabytes of nesting only burns the shared machine.
MAX_SQL_CHARS = 20_000


def guard(tree: exp.Expr, *, tables: set[str], max_rows: int, system_tables: bool = False) -> exp.Query:
    """Raises UnsafeQuery, or returns the query with its row cap."""
    return cap(check(tree, tables=tables, system_tables=system_tables), max_rows)


def check(tree: exp.Expr, *, tables: set[str], system_tables: bool = False) -> exp.Query:
    """The whole-AST check without the row cap. `tables` holds the layer's tables,
    lowercase, qualified as the layer writes them; `system_tables` lets a role read
    the catalog (information_schema)."""
    if not isinstance(tree, exp.Query):
        raise UnsafeQuery(Text("access.not_select", kind=type(tree).__name__))
    # One walk checks every node and collects the tables and CTE names for the end.
    ctes: set[str] = set()
    found: list[exp.Table] = []
    for node in tree.walk():
        traits = _traits(type(node))
        if traits is None:
            continue
        if traits.table:
            found.append(node)  # type: ignore[arg-type]
        elif traits.cte:
            ctes.add(node.alias_or_name.lower())
        elif traits.select and not node.expressions:
            raise UnsafeQuery(Text("access.select_without_columns"))
        if traits.forbidden:
            raise UnsafeQuery(Text("access.forbidden_operation", kind=type(node).__name__))
        if traits.function and _forbidden_function(_function_name(node)):
            name = _function_name(node)
            raise UnsafeQuery(Text("access.forbidden_function", name=name))
        if traits.lateral and isinstance(node.this, exp.Func):
            name = _function_name(node.this)
            if not isinstance(node.this, exp.Explode | exp.Unnest):
                raise UnsafeQuery(Text("access.forbidden_table_function", name=name))
    for table in found:
        if isinstance(table.this, exp.Func):
            name = _function_name(table.this)
            raise UnsafeQuery(Text("access.forbidden_table_function", name=name))
        schema = (table.db or "").lower()
        name = table.name.lower()
        qualified = ".".join(part.name.lower() for part in table.parts)
        if schema in SYSTEM_SCHEMAS or name in SYSTEM_SCHEMAS:
            if system_tables and schema in CATALOG_SCHEMAS:
                continue
            raise UnsafeQuery(Text("access.system_tables", table=table.sql()))
        if qualified not in tables and not (qualified in ctes and not table.db):
            raise UnsafeQuery(Text("access.table_outside_layer", table=table.sql()))
    return tree


class _Traits(NamedTuple):
    """What the check looks at in a node of one class."""

    table: bool
    cte: bool
    select: bool
    forbidden: bool
    function: bool
    lateral: bool


# Per class, not per node: a query has a few hundred nodes of a few dozen classes.
_TRAITS: dict[type, _Traits | None] = {}


def _traits(kind: type[exp.Expr]) -> _Traits | None:
    """None for a class the check has nothing to look at (columns, literals, operators)."""
    if kind not in _TRAITS:
        traits = _Traits(
            table=issubclass(kind, exp.Table),
            cte=issubclass(kind, exp.CTE),
            select=issubclass(kind, exp.Select),
            forbidden=issubclass(kind, FORBIDDEN_NODES),
            function=issubclass(kind, exp.Func),
            lateral=issubclass(kind, exp.Lateral),
        )
        _TRAITS[kind] = traits if any(traits) else None
    return _TRAITS[kind]


def parse_statement(sql: str, dialect: str) -> exp.Expr:
    """SQL text -> exactly one statement, or UnsafeQuery (never a parser traceback)."""
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeQuery(Text("access.sql_too_long", length=len(sql), limit=MAX_SQL_CHARS))
    if "\x00" in sql:
        raise UnsafeQuery(Text("access.sql_with_nul"))
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        first = (str(error).splitlines() or ["syntax error"])[0][:200]
        raise UnsafeQuery(Text("access.sql_unparsable", detail=first)) from error
    except RecursionError as error:
        raise UnsafeQuery(Text("access.sql_too_deep")) from error
    if len(statements) != 1:
        raise UnsafeQuery(Text("access.one_statement", count=len(statements)))
    return statements[0]


def guard_sql(
    sql: str, *, dialect: str, tables: set[str], max_rows: int, system_tables: bool = False
) -> exp.Query:
    """The same check for SQL text (raw SQL mode, and the final SQL of every query)."""
    return guard(parse_statement(sql, dialect), tables=tables, max_rows=max_rows, system_tables=system_tables)


def _forbidden_function(name: str) -> bool:
    return name in FORBIDDEN_FUNCTIONS or name.startswith(FORBIDDEN_PREFIXES)


def _function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.name).lower()
    sql_name: str = node.sql_name() if isinstance(node, exp.Func) else type(node).__name__
    return sql_name.lower()


def cap(tree: E, max_rows: int) -> E:
    """The query with a LIMIT of at most max_rows (set on the tree itself)."""
    if not isinstance(tree, exp.Query):
        return tree  # not a query: the guard refuses it
    limit = tree.args.get("limit")
    expression = limit.expression if isinstance(limit, exp.Limit) else None
    if not (isinstance(expression, exp.Literal) and expression.is_int and int(expression.this) <= max_rows):
        tree.limit(exp.Literal.number(max_rows), copy=False)
    return tree
