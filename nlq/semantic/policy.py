"""Access policies, applied inside the compiler so that no caller can skip
them: every table a query reads is replaced by the role's view of it, with
the role's row filters and masked columns, before any join sees a row."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import Any

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, build_scope

from nlq.messages import Text
from nlq.semantic.errors import AccessDenied
from nlq.semantic.expressions import and_all, parse_snippet, table_reference
from nlq.semantic.graph import JoinGraph
from nlq.semantic.loader import LayerError, Problem
from nlq.semantic.model import Model, Role, SemanticLayer

# Masking kinds, as SQL over the placeholder column `value`.
MASKS = {
    "phone": "CONCAT(SUBSTRING(value, 1, 3), '****', SUBSTRING(value, LENGTH(value) - 3, 4))",
    "name": "CONCAT(SUBSTRING(value, 1, 1), '*')",
    "redact": "'***'",
    "null": "CAST(NULL AS VARCHAR)",
}

MODEL_META = "nlq_model"

# Clauses in which a masked value would be compared, grouped or sorted on:
# "phone starting with 138" or ORDER BY phone may leak what the mask hides.
SENSITIVE_CLAUSES: dict[type[exp.Expr], str] = {
    exp.Where: "WHERE",
    exp.Group: "GROUP BY",
    exp.Order: "ORDER BY",
    exp.Having: "HAVING",
    exp.Join: "JOIN",
    exp.Window: "OVER",
    exp.Qualify: "QUALIFY",
    exp.Distinct: "DISTINCT ON",
}
# Of these, only some parts compare values: SUM(x) OVER () and COUNT(DISTINCT x) do not.
SENSITIVE_PARTS: dict[type[exp.Expr], set[str]] = {
    exp.Window: {"partition_by", "order"},
    exp.Distinct: {"on"},
}
# Lineage through derived tables and CTEs is followed this deep at most.
MAX_LINEAGE_DEPTH = 64

TableResolver = Callable[[exp.Table], str | None]


def tagged_model(table: exp.Table) -> str | None:
    """The model of a relation the compiler built (see model_table)."""
    name = table.meta.get(MODEL_META)
    return str(name) if name is not None else None


def model_table(model: Model, alias: str, dialect: str, *, tag: bool = True) -> exp.Expr:
    """The relation of a model, tagged so that the policy pass can find it."""
    if model.table is not None:
        relation: exp.Expr = table_reference(model.table, dialect).as_(alias, copy=False)
    else:
        assert model.sql is not None
        relation = exp.Subquery(
            this=parse_snippet(model.sql, dialect), alias=exp.TableAlias(this=exp.to_identifier(alias))
        )
    if tag:
        relation.meta[MODEL_META] = model.name
    return relation


class AccessPolicy:
    def __init__(
        self, layer: SemanticLayer, role: str | None, attributes: dict[str, Any] | None = None
    ) -> None:
        self.layer = layer
        self.graph = JoinGraph(layer)
        self.attributes = attributes or {}
        found = layer.role(role) if role else None
        if found is None:
            raise AccessDenied(
                Text("access.role_without_policy", role=role) if role else Text("access.no_role")
            )
        self.role: Role = found
        self._check_row_filters()

    @cached_property
    def filtered_models(self) -> frozenset[str]:
        """Models the role sees only some rows of: a row filter of their own, or on a
        row they belong to (an order's items under a filter on orders)."""

        def filtered(model: str, trail: tuple[str, ...]) -> bool:
            if model in self.role.row_filters:
                return True
            return any(
                filtered(edge.target, (*trail, model))
                for edge in self.graph.edges.get(model, [])
                if not edge.to_many and edge.target not in trail and edge.target != model
            )

        return frozenset(m.name for m in self.layer.models if filtered(m.name, ()))

    def _check_row_filters(self) -> None:
        """A row filter that is not SQL fails here, when the role is taken up, not at its
        first question (and never by answering without it)."""
        for model, condition in self.role.row_filters.items():
            try:
                parse_snippet(condition, self.layer.dialect)
            except SqlglotError as error:
                first = (str(error).splitlines() or ["syntax error"])[0][:120]
                raise LayerError(
                    [
                        Problem(
                            f"role {self.role.name}",
                            0,
                            f"the row filter of {model} is not SQL ({first})",
                            "fix it in the layer's roles; `nlq semantic validate` shows the line",
                        )
                    ]
                ) from error

    # -- checks before compiling -------------------------------------------------
    def check_metric(self, metric: str) -> None:
        allowed = self.role.metrics == "*" or metric in self.role.metrics
        if not allowed or metric in self.role.deny_metrics:
            definition = self.layer.metric(metric)
            called = definition.called if definition else metric
            raise AccessDenied(Text("access.metric_denied", role=self.role.called, metric=called))

    def check_model(self, model: str) -> None:
        if self.role.models != "*" and model not in self.role.models:
            raise AccessDenied(Text("access.model_denied", role=self.role.called, model=model))

    # -- the pass over a compiled query --------------------------------------------
    def apply(self, tree: exp.Expr, dialect: str) -> exp.Expr:
        """Replaces every tagged model relation with the role's view of it."""
        references = _columns_by_alias(tree)
        self.check_masked_use(tree, tagged_model)
        for relation in list(tree.find_all(exp.Table, exp.Subquery)):
            model_name = relation.meta.get(MODEL_META)
            if model_name is None:
                continue
            self.check_model(model_name)
            alias = relation.alias_or_name
            used = references.get(alias, set())
            self._check_hidden(model_name, used)
            view = self._view(model_name, used, alias, dialect)
            if view is not None:
                relation.replace(view)
        return tree

    def masked(self) -> set[tuple[str, str]]:
        return {(m, c) for m, _, c in (target.partition(".") for target in self.role.masks)}

    def hidden(self) -> set[tuple[str, str]]:
        return {(m, c) for m, _, c in (target.partition(".") for target in self.role.hidden)}

    def check_masked_use(
        self, tree: exp.Expr, model_of: TableResolver, deadline: float | None = None
    ) -> None:
        """Refuses a masked column in WHERE, GROUP BY, ORDER BY, JOIN, HAVING or a
        window, directly or through the columns of derived tables and CTEs; and a
        query it cannot check before `deadline` (time.monotonic())."""
        masked = self.masked()
        if not masked or not _may_read(tree, {name.lower() for _, name in masked}):
            return
        root = build_scope(tree)
        if root is None:
            return
        lineage = _Lineage(model_of, deadline)
        for scope in root.traverse():
            inherited = _subquery_clause(scope) or _set_operation_clause(scope)
            for column, clause in _scope_columns(scope):
                clause = clause or inherited
                if clause is None:
                    continue
                for origin in lineage.origins(scope, column):
                    if origin in masked:
                        model, name = origin
                        raise AccessDenied(
                            Text(
                                "access.masked_use",
                                role=self.role.called,
                                model=model,
                                column=name,
                                clause=clause,
                            )
                        )

    def view(self, model_name: str, columns: list[str], alias: str, dialect: str) -> exp.Subquery:
        """The role's view of a model with exactly these columns (raw SQL reads every
        table through one, even when the role has no filter or mask on it)."""
        view = self._view(model_name, set(columns), alias, dialect, always=True)
        assert view is not None
        return view

    def _check_hidden(self, model: str, used: set[str]) -> None:
        hidden = {c for m, c in self.hidden() if m == model}
        if used & hidden:
            column = sorted(used & hidden)[0]
            raise AccessDenied(
                Text("access.hidden_column", role=self.role.called, model=model, column=column)
            )

    def _masks(self, model: str, dialect: str) -> dict[str, exp.Expr]:
        masks = {}
        for target, kind in self.role.masks.items():
            model_name, column = target.split(".", 1)
            if model_name != model:
                continue
            template = parse_snippet(MASKS.get(kind, kind), dialect)
            masks[column] = template.transform(
                lambda node, c=column: (
                    exp.column(c) if isinstance(node, exp.Column) and node.name == "value" else node
                )
            )
        return masks

    def visibility(self, model: str, dialect: str, _trail: tuple[str, ...] = ()) -> exp.Expr | None:
        """The row filter of a model: its own, and that its parent rows are visible."""
        parts: list[exp.Expr] = []
        own = self.role.row_filters.get(model)
        if own:
            parts.append(self._bind(parse_snippet(own, dialect)))
        for edge in self.graph.edges.get(model, []):
            if edge.to_many or edge.target in _trail or edge.target == model:
                continue
            parent = self.visibility(edge.target, dialect, (*_trail, model))
            if parent is None:
                continue
            parent_model = self.layer.model(edge.target)
            assert parent_model is not None
            # Aliased by its own name: the parent's filter may itself refer to it.
            parent_alias = edge.target
            inner = (
                exp.select("1")
                .from_(model_table(parent_model, parent_alias, dialect, tag=False))
                .where(
                    exp.and_(
                        exp.column(edge.target_key, parent_alias).eq(exp.column(edge.source_key, model)),
                        parent,
                    )
                )
            )
            parts.append(exp.or_(exp.column(edge.source_key, model).is_(exp.null()), exp.Exists(this=inner)))
        return and_all(parts)

    def _bind(self, tree: exp.Expr) -> exp.Expr:
        def bind(node: exp.Expr) -> exp.Expr:
            if isinstance(node, exp.Placeholder):
                name = node.name
                if name not in self.attributes:
                    raise AccessDenied(Text("access.missing_attribute", name=name))
                return exp.convert(self.attributes[name])
            return node

        return tree.transform(bind)

    def _view(
        self, model_name: str, used: set[str], alias: str, dialect: str, *, always: bool = False
    ) -> exp.Subquery | None:
        model = self.layer.model(model_name)
        assert model is not None
        masks = self._masks(model_name, dialect)
        condition = self.visibility(model_name, dialect)
        if condition is None and not (masks.keys() & used) and not always:
            return None
        keys = model.key_columns
        columns = sorted(used) or keys
        projections = [masks[c].as_(c) if c in masks else exp.column(c, model_name) for c in columns]
        select = exp.select(*projections).from_(model_table(model, model_name, dialect, tag=False))
        if condition is not None:
            select = select.where(condition)
        return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _may_read(tree: exp.Expr, names: set[str]) -> bool:
    """Whether a query can read a column of these names at all: it names one
    somewhere (a column, USING, an alias) or selects *. Most queries do neither,
    and skip the scope analysis, the costliest part of compiling them."""
    for node in tree.walk():
        if isinstance(node, exp.Identifier) and node.name.lower() in names:  # engines fold case
            return True
        if isinstance(node, exp.Star) and not isinstance(node.parent, exp.Count):
            return True
    return False


def _clause_of(node: exp.Expr, stop: exp.Expr) -> tuple[str | None, bool]:
    """The sensitive clause around a node within its scope's query, and whether the
    node sits in a nested query (another scope) instead."""
    clause: str | None = None
    child, current = node, node.parent
    while current is not None and current is not stop:
        if isinstance(current, exp.Query | exp.Subquery):
            return None, True
        keys = SENSITIVE_PARTS.get(type(current))
        if clause is None and (keys is None or child.arg_key in keys):
            clause = SENSITIVE_CLAUSES.get(type(current))
        child, current = current, current.parent
    return clause, False


def _scope_columns(scope: Scope) -> Iterator[tuple[exp.Column, str | None]]:
    select = scope.expression
    # GROUP BY ALL and ORDER BY ALL (DuckDB) name no column: they use the projections.
    group = select.args.get("group")
    group_all = isinstance(group, exp.Group) and bool(group.args.get("all"))
    order = select.args.get("order")
    order_all = isinstance(order, exp.Order) and any(
        isinstance(o.this, exp.Var) and o.this.name.upper() == "ALL" for o in order.expressions
    )
    projections = set(map(id, select.expressions)) if isinstance(select, exp.Select) else set()
    for column in select.find_all(exp.Column):
        clause, nested = _clause_of(column, select)
        if nested:
            continue
        if clause is None and (group_all or order_all) and _in_projection(column, projections, select):
            if order_all:
                clause = "ORDER BY ALL"
            elif column.find_ancestor(exp.AggFunc) is None:
                clause = "GROUP BY ALL"
        if clause is None and not _shown_as_is(column, projections):
            # CASE WHEN phone LIKE '138%', arg_max(x, phone), a lambda over it: a value
            # computed from the column can tell what its mask hides.
            clause = "an expression"
        yield column, clause


def _shown_as_is(column: exp.Column, projections: set[int]) -> bool:
    """A column that is a projection itself, only renamed (phone AS tel) or counted
    (COUNT(DISTINCT user_name) counts the masked values, which tells nothing more)."""
    node: exp.Expr = column
    while id(node) not in projections:
        parent = node.parent
        if not isinstance(parent, exp.Alias | exp.Paren | exp.Count | exp.Distinct | exp.Window):
            return False
        node = parent
    return True


def _in_projection(column: exp.Column, projections: set[int], stop: exp.Expr) -> bool:
    node: exp.Expr | None = column
    while node is not None and node is not stop:
        if id(node) in projections:
            return True
        node = node.parent
    return False


def _set_operation_clause(scope: Scope) -> str | None:
    """A branch of UNION / INTERSECT / EXCEPT: its rows are compared with the others'."""
    parent = scope.expression.parent
    return type(parent).__name__.upper() if isinstance(parent, exp.SetOperation) else None


def _subquery_clause(scope: Scope) -> str | None:
    """`WHERE x IN (SELECT phone FROM users)`: a subquery inside a sensitive clause
    makes everything it selects sensitive."""
    if not scope.is_subquery:
        return None
    node: exp.Expr | None = scope.expression
    while node is not None:
        parent = node.parent
        if parent is None:
            return None
        clause = SENSITIVE_CLAUSES.get(type(parent))
        if clause is not None:
            return clause
        if isinstance(parent, exp.Select):
            return None
        node = parent
    return None


class _Lineage:
    """Where columns' values come from, each (scope, column) traced once: a column
    built from two copies of a CTE that is itself built from two copies ... would
    otherwise be traced twice per level, 2^n times in all. The walk also stops at
    `deadline` (time.monotonic()): it runs within the query's time budget."""

    def __init__(self, model_of: TableResolver, deadline: float | None) -> None:
        self.model_of = model_of
        self.deadline = deadline
        self._traced: dict[tuple[int, str, str], set[tuple[str, str]]] = {}

    def origins(self, scope: Scope, column: exp.Column, depth: int = 0) -> set[tuple[str, str]]:
        """The (model, column) pairs of base tables a column's value comes from."""
        key = (id(scope), column.table, column.name)
        if key not in self._traced:
            self._check(depth)
            self._traced[key] = set()  # a column defined by itself traces to nothing new
            self._traced[key] = self._trace(scope, column, depth)
        return self._traced[key]

    def _trace(self, scope: Scope, column: exp.Column, depth: int) -> set[tuple[str, str]]:
        name = column.name
        select = scope.expression
        if not column.table and isinstance(select, exp.Select):
            # An output alias used in ORDER BY / GROUP BY / HAVING.
            for projection in select.expressions:
                if projection.alias == name and isinstance(projection, exp.Alias):
                    found: set[tuple[str, str]] = set()
                    for inner in projection.this.find_all(exp.Column):
                        if inner is not column and (inner.table or inner.name != name):
                            found |= self.origins(scope, inner, depth + 1)
                    if found:
                        return found
        if column.table:
            source = scope.sources.get(column.table)
            candidates = [source] if source is not None else []
        else:
            candidates = list(scope.sources.values())
        found = set()
        for source in candidates:
            if isinstance(source, exp.Table):
                model = self.model_of(source)
                if model is not None:
                    found.add((model, name))
            elif isinstance(source, Scope):
                found |= self._projection_origins(source, name, depth + 1)
        return found

    def _projection_origins(self, scope: Scope, name: str, depth: int) -> set[tuple[str, str]]:
        self._check(depth)
        if scope.set_operation_scopes:
            found: set[tuple[str, str]] = set()
            for branch in scope.set_operation_scopes:
                found |= self._projection_origins(branch, name, depth + 1)
            return found
        select = scope.expression
        if not isinstance(select, exp.Select):
            return set()
        found = set()
        for projection in select.expressions:
            if isinstance(projection, exp.Star) or (
                isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)
            ):
                found |= self.origins(scope, exp.column(name), depth + 1)
            elif projection.alias_or_name == name:
                for inner in projection.find_all(exp.Column):
                    found |= self.origins(scope, inner, depth + 1)
        return found

    def _check(self, depth: int) -> None:
        if depth > MAX_LINEAGE_DEPTH:
            raise _too_deep()
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise AccessDenied(Text("access.masks_unchecked_in_time"))


def _too_deep() -> AccessDenied:
    """Lineage past the depth it follows is refused, never taken as clean."""
    return AccessDenied(Text("access.lineage_too_deep", depth=MAX_LINEAGE_DEPTH))


def _columns_by_alias(tree: exp.Expr) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for column in tree.find_all(exp.Column):
        if column.table:
            found.setdefault(column.table, set()).add(column.name)
    return found
