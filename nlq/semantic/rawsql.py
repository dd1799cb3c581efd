"""SQL written by a person or an LLM, run under a role: after the guard, every
reference to a table of the layer is replaced by the role's view of it (row
filter, masks, hidden columns left out), so the query can read nothing except
through the role's policies. `secure_sql` is the one entry point: the
`nlq sql` command and the LLM path both call it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope

from nlq.messages import Text
from nlq.semantic.errors import AccessDenied, QueryError
from nlq.semantic.expressions import parse_snippet
from nlq.semantic.guard import SYSTEM_SCHEMAS, UnsafeQuery, check, guard, parse_statement
from nlq.semantic.model import Model, SemanticLayer
from nlq.semantic.policy import AccessPolicy

# Catalog: table -> column -> type name (what Connector.tables() returns).
Catalog = Mapping[str, Mapping[str, str]]


def secure_sql(
    sql: str,
    layer: SemanticLayer,
    *,
    role: str | None,
    attributes: dict[str, Any] | None = None,
    dialect: str | None = None,
    schema: Catalog | None = None,
    max_rows: int | None = None,
    deadline: float | None = None,
) -> exp.Query:
    """One SELECT over the layer's tables -> the same query over the role's views.

    Raises UnsafeQuery (not a single read-only query, a forbidden function or
    table) or AccessDenied (a hidden column, a masked column in WHERE / GROUP BY /
    ORDER BY / JOIN / HAVING, a model the role may not read), each with the
    reason in Chinese and English. `schema` is the database catalog; without it
    the columns the layer declares are the ones a query may read. `max_rows`
    adds the row cap of the guard; past `deadline` (time.monotonic()) the masking
    check refuses rather than runs on: it shares the query's time budget."""
    dialect = dialect or layer.dialect
    policy = AccessPolicy(layer, role, attributes)
    relations = layer_relations(layer)
    tree = check(parse_statement(sql, dialect), tables=set(relations), system_tables=policy.role.catalog)
    _refuse_shadowing(tree, layer)
    if _reads_system_tables(tree):
        if any(_model_of(t, relations) for t in tree.find_all(exp.Table)):
            raise UnsafeQuery(Text("access.catalog_and_tables"))
        return guard(tree, tables=set(), max_rows=max_rows, system_tables=True) if max_rows else tree
    if tree.find(exp.Columns) is not None:
        # COLUMNS('regex') picks columns by pattern: the column checks could not see which.
        raise UnsafeQuery(Text("access.columns_by_pattern"))
    columns = visible_columns(layer, policy, schema)
    _refuse_hidden(tree, policy, relations)
    qualified = _qualify(tree, relations, columns, dialect)

    def model_of(table: exp.Table) -> str | None:
        return _model_of(table, relations)

    policy.check_masked_use(qualified, model_of, deadline)
    # The views are built from the layer's own SQL, in the layer's dialect.
    _replace_tables(qualified, policy, relations, columns, layer.dialect)
    if max_rows is not None:
        return guard(qualified, tables={m.table.lower() for m in layer.models if m.table}, max_rows=max_rows)
    return qualified


def _refuse_shadowing(tree: exp.Expr, layer: SemanticLayer) -> None:
    """WITH orders AS (...) would change what the role's views read: their row filters
    look up parent rows by the table's name (EXISTS (SELECT 1 FROM orders ...)), and a
    name defined in the query wins over the table. No name the query defines may be a
    table or model of the layer."""
    governed = {m.name.lower() for m in layer.models} | {
        part.lower() for m in layer.models if m.table for part in m.table.split(".")
    }
    for cte in tree.find_all(exp.CTE):
        name = cte.alias_or_name.lower()
        if name in governed:
            raise UnsafeQuery(Text("access.shadowed_table", name=cte.alias_or_name))


def layer_relations(layer: SemanticLayer) -> dict[str, Model]:
    """Names a query may use for a model: its table as the layer writes it
    (lowercase), and the model's own name for models defined by SQL."""
    relations: dict[str, Model] = {}
    for model in layer.models:
        if model.table is not None:
            relations[model.table.lower()] = model
        else:
            relations[model.name.lower()] = model
    return relations


def visible_columns(
    layer: SemanticLayer, policy: AccessPolicy, schema: Catalog | None = None
) -> dict[str, list[str]]:
    """model -> the columns the role may read, hidden ones left out."""
    hidden = policy.hidden()
    found: dict[str, list[str]] = {}
    for model in layer.models:
        table = (model.table or "").split(".")[-1].lower()
        if schema is not None and table in {t.lower() for t in schema}:
            catalog = {t.lower(): cols for t, cols in schema.items()}[table]
            names = [c.lower() for c in catalog]
        else:
            names = sorted(declared_columns(layer, model))
        found[model.name] = [c for c in names if (model.name, c) not in hidden]
    return found


def declared_columns(layer: SemanticLayer, model: Model) -> set[str]:
    """The columns of a model that its YAML names: keys, dimensions, time
    dimensions, measures, relationships, masks and hidden columns."""
    names = set(model.key_columns)
    snippets = [d.sql for d in model.dimensions if d.segment is None] + [t.sql for t in model.time_dimensions]
    snippets += [m.expr for m in model.measures if m.expr] + [m.filter for m in model.measures if m.filter]
    for snippet in snippets:
        for node in parse_snippet(snippet, layer.dialect).find_all(exp.Column):
            if node.table in {"", model.name}:
                names.add(node.name.lower())
    targets = [side for r in layer.relationships for side in (r.from_, r.to)]
    targets += [target for role in layer.roles for target in [*role.masks, *role.hidden]]
    for target in targets:
        owner, _, column = target.partition(".")
        if owner == model.name:
            names.add(column.lower())
    return names


def _model_of(table: exp.Table, relations: Mapping[str, Model]) -> str | None:
    if not isinstance(table.this, exp.Identifier):
        return None
    model = relations.get(".".join(part.name.lower() for part in table.parts))
    return model.name if model is not None else None


def _reads_system_tables(tree: exp.Expr) -> bool:
    return any(
        (t.db or "").lower() in SYSTEM_SCHEMAS or t.name.lower() in SYSTEM_SCHEMAS
        for t in tree.find_all(exp.Table)
    )


def _refuse_hidden(tree: exp.Expr, policy: AccessPolicy, relations: Mapping[str, Model]) -> None:
    """By name, before any resolution: a column named like a hidden column of a
    table the query reads is refused, wherever it appears (safe side)."""
    read = {_model_of(t, relations) for t in tree.find_all(exp.Table)}
    for model in sorted(m for m in read if m):
        policy.check_model(model)
    hidden = {(m, c.lower()) for m, c in policy.hidden() if m in read}
    names = {c for _, c in hidden}
    for column in tree.find_all(exp.Column):
        if column.name.lower() in names:
            model = next(m for m, c in sorted(hidden) if c == column.name.lower())
            raise AccessDenied(
                Text("access.hidden_column", role=policy.role.called, model=model, column=column.name)
            )


def _qualify(
    tree: exp.Query, relations: Mapping[str, Model], columns: dict[str, list[str]], dialect: str
) -> exp.Query:
    """Every column bound to its table and every star expanded, against the
    columns the role may read, so that the views below can be exact."""
    schema: dict[str, object] = {}
    for name, model in relations.items():
        schema[name.split(".")[-1]] = dict.fromkeys(columns[model.name], "TEXT")
    try:
        qualified = qualify(
            tree.copy(),
            schema=schema,
            dialect=dialect,
            validate_qualify_columns=True,
            identify=False,
            quote_identifiers=False,
        )
    except (OptimizeError, SqlglotError) as error:
        detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise QueryError(Text("access.unknown_reference", detail=detail)) from error
    except RecursionError as error:
        raise UnsafeQuery(Text("access.sql_too_deep")) from error
    assert isinstance(qualified, exp.Query)
    return qualified


def _replace_tables(
    tree: exp.Query,
    policy: AccessPolicy,
    relations: Mapping[str, Model],
    columns: dict[str, list[str]],
    dialect: str,
) -> None:
    root = build_scope(tree)
    if root is None:
        raise UnsafeQuery(Text("access.no_query"))
    base: list[exp.Table] = []
    for scope in root.traverse():
        base += [s for s in scope.sources.values() if isinstance(s, exp.Table)]
    for table in base:
        model = _model_of(table, relations)
        if model is None:
            raise UnsafeQuery(Text("access.table_outside_layer", table=table.sql()))
        policy.check_model(model)
        table.replace(policy.view(model, columns[model], table.alias_or_name, dialect))
