"""Access policies, applied inside the compiler so that no caller can skip
them: every table a query reads is replaced by the role's view of it, with
the role's row filters and masked columns, before any join sees a row."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from semantic_layer.errors import AccessDenied
from semantic_layer.expressions import and_all, parse_snippet
from semantic_layer.graph import JoinGraph
from semantic_layer.model import Model, Role, SemanticLayer

# Masking kinds, as SQL over the placeholder column `value`.
MASKS = {
    "phone": "CONCAT(SUBSTRING(value, 1, 3), '****', SUBSTRING(value, LENGTH(value) - 3, 4))",
    "name": "CONCAT(SUBSTRING(value, 1, 1), '*')",
    "redact": "'***'",
    "null": "CAST(NULL AS VARCHAR)",
}

MODEL_META = "nlq_model"


def model_table(model: Model, alias: str, dialect: str, *, tag: bool = True) -> exp.Expr:
    """The relation of a model, tagged so that the policy pass can find it."""
    if model.table is not None:
        relation: exp.Expr = exp.to_table(model.table, dialect=dialect).as_(alias)
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
                f"role '{role}' has no access policy" if role else "no role given",
                f"角色“{role}”没有访问权限" if role else "未指定角色，无权访问数据",
            )
        self.role: Role = found

    # -- checks before compiling -------------------------------------------------
    def check_metric(self, metric: str) -> None:
        allowed = self.role.metrics == "*" or metric in self.role.metrics
        if not allowed or metric in self.role.deny_metrics:
            definition = self.layer.metric(metric)
            label = definition.label.zh if definition else metric
            raise AccessDenied(
                f"role {self.role.name} may not see the metric {metric}",
                f"当前角色（{self.role.label.zh}）无权查看指标“{label}”",
            )

    def check_model(self, model: str) -> None:
        if self.role.models != "*" and model not in self.role.models:
            raise AccessDenied(
                f"role {self.role.name} may not read {model}",
                f"当前角色（{self.role.label.zh}）无权访问“{model}”的数据",
            )

    # -- the pass over a compiled query --------------------------------------------
    def apply(self, tree: exp.Expr, dialect: str) -> exp.Expr:
        """Replaces every tagged model relation with the role's view of it."""
        references = _columns_by_alias(tree)
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

    def _check_hidden(self, model: str, used: set[str]) -> None:
        hidden = {c.split(".", 1)[1] for c in self.role.hidden if c.split(".", 1)[0] == model}
        if used & hidden:
            column = sorted(used & hidden)[0]
            raise AccessDenied(
                f"role {self.role.name} may not see {model}.{column}",
                f"当前角色（{self.role.label.zh}）无权查看字段 {model}.{column}",
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
                    raise AccessDenied(
                        f"the row filter needs the user attribute '{name}'",
                        f"行级权限需要用户属性“{name}”，当前用户未设置",
                    )
                return exp.convert(self.attributes[name])
            return node

        return tree.transform(bind)

    def _view(self, model_name: str, used: set[str], alias: str, dialect: str) -> exp.Expr | None:
        model = self.layer.model(model_name)
        assert model is not None
        masks = self._masks(model_name, dialect)
        condition = self.visibility(model_name, dialect)
        if condition is None and not (masks.keys() & used):
            return None
        keys = [model.primary_key] if isinstance(model.primary_key, str) else model.primary_key
        columns = sorted(used) or keys
        projections = [masks[c].as_(c) if c in masks else exp.column(c, model_name) for c in columns]
        select = exp.select(*projections).from_(model_table(model, model_name, dialect, tag=False))
        if condition is not None:
            select = select.where(condition)
        return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _columns_by_alias(tree: exp.Expr) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for column in tree.find_all(exp.Column):
        if column.table:
            found.setdefault(column.table, set()).add(column.name)
    return found
