"""Checks a loaded semantic layer as a whole, reporting every problem with
the file and line it comes from and how to fix it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from nlq.semantic.graph import JoinGraph, normalise
from nlq.semantic.loader import Problem, SourceMap
from nlq.semantic.model import (
    AnyMetric,
    DerivedMetric,
    Model,
    PerEntityMetric,
    RatioMetric,
    Segment,
    SemanticLayer,
    SemiAdditiveMetric,
    SimpleMetric,
)
from nlq.semantic.policy import MASKS

Catalog = dict[str, dict[str, str]]


class Validator:
    def __init__(self, layer: SemanticLayer, source: SourceMap, catalog: Catalog | None = None) -> None:
        self.layer = layer
        self.source = source
        self.catalog = (
            {t.lower(): {c.lower() for c in cols} for t, cols in catalog.items()} if catalog else None
        )
        self.graph = JoinGraph(layer)
        self.models = {m.name: m for m in layer.models}
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        self._names()
        for i, model in enumerate(self.layer.models):
            self._model(i, model)
        self._relationships()
        self._graph()
        self._metrics()
        self._synonyms()
        self._terms()
        self._roles()
        self._users()
        self._reading()
        self._insights()
        return self.problems

    def report(self, path: Iterable[str | int], message: str, fix: str) -> None:
        self.problems.append(self.source.problem(path, message, fix))

    # -- names -------------------------------------------------------------------------------
    def _names(self) -> None:
        sections: list[tuple[str, Iterable[str]]] = [
            ("models", (m.name for m in self.layer.models)),
            ("metrics", (m.name for m in self.layer.metrics)),
            ("terms", (t.name for t in self.layer.terms)),
            ("roles", (r.name for r in self.layer.roles)),
        ]
        for section, names in sections:
            seen: set[str] = set()
            for i, name in enumerate(names):
                if name in seen:
                    self.report(
                        (section, i, "name"),
                        f"{section[:-1]} '{name}' is defined twice",
                        "rename or remove one of them",
                    )
                seen.add(name)

    # -- models --------------------------------------------------------------------------------
    def _model(self, index: int, model: Model) -> None:
        where = ("models", index)
        columns = self._table_columns(model, where)
        fields: set[str] = set()
        for kind in ("dimensions", "time_dimensions", "measures"):
            for j, item in enumerate(getattr(model, kind)):
                if item.name in fields:
                    self.report(
                        (*where, kind, j, "name"),
                        f"{model.name}.{item.name} is defined twice",
                        "give each field of a model its own name",
                    )
                fields.add(item.name)
        keys = model.key_columns
        for key in keys:
            self._column(model.name, key, columns, (*where, "primary_key"))
        for j, dim in enumerate(model.dimensions):
            if dim.segment is not None:
                self._segment(model, dim.segment, (*where, "dimensions", j, "segment"))
                continue
            self._expression(
                dim.sql, model.name, columns, (*where, "dimensions", j, "expr" if dim.expr else "name")
            )
        for j, td in enumerate(model.time_dimensions):
            self._expression(
                td.sql, model.name, columns, (*where, "time_dimensions", j, "expr" if td.expr else "name")
            )
        for j, measure in enumerate(model.measures):
            if measure.expr:
                self._expression(
                    measure.expr, model.name, columns, (*where, "measures", j, "expr"), forward_only=True
                )
            if measure.filter:
                self._expression(measure.filter, model.name, columns, (*where, "measures", j, "filter"))
        if model.default_time:
            self._time_reference(model, model.default_time, (*where, "default_time"))
        for j, name in enumerate(model.detail):
            owner, _, dimension = name.rpartition(".")
            target = self.models.get(owner or model.name)
            if target is None or target.dimension(dimension) is None:
                self.report(
                    (*where, "detail", j),
                    f"detail column '{name}' is not a dimension",
                    "name a dimension of the model, or model.dimension",
                )
            elif (
                target.name != model.name
                and self.graph.path(model.name, target.name, forward_only=True) is None
            ):
                self.report(
                    (*where, "detail", j),
                    f"detail column '{name}' is not reachable from {model.name}",
                    "use a many-to-one neighbour",
                )

    def _segment(self, entity: Model, segment: Segment, where: tuple[str | int, ...]) -> None:
        """A segment reads the columns of its facts, which reach the entity many-to-one
        and have a time to take the period by; its value reads only its features."""
        facts = self.models.get(segment.facts)
        if facts is None:
            self.report(
                (*where, "facts"),
                f"segment facts '{segment.facts}' is not a model",
                f"use a model name: {', '.join(sorted(self.models))}",
            )
            return
        columns = self._columns_of(facts)
        self._column(facts.name, segment.entity, columns, (*where, "entity"))
        if facts.name != entity.name and self.graph.path(facts.name, entity.name, forward_only=True) is None:
            self.report(
                (*where, "facts"),
                f"{entity.name} cannot be reached many-to-one from {facts.name}",
                "segment a model the facts belong to",
            )
        if facts.default_time is None:
            self.report((*where, "facts"), f"{facts.name} has no default_time", "give the facts a time")
        if segment.rows:
            self._expression(segment.rows, facts.name, columns, (*where, "rows"), own_columns_only=True)
        for name, feature in segment.features.items():
            if feature.expr:
                self._expression(
                    feature.expr,
                    facts.name,
                    columns,
                    (*where, "features", name, "expr"),
                    own_columns_only=True,
                )
        conditions: list[tuple[tuple[str | int, ...], str]] = (
            [(("expr",), segment.expr)] if segment.expr else []
        )
        conditions += [(("cases", i, "when"), case.when) for i, case in enumerate(segment.cases)]
        for place, sql in conditions:
            try:
                tree = sqlglot.parse_one(sql, read=self.layer.dialect)
            except ParseError as error:
                self.report((*where, *place), f"cannot parse '{sql}': {str(error).splitlines()[0]}", "")
                continue
            unknown = sorted({c.name for c in tree.find_all(exp.Column)} - set(segment.features))
            if unknown:
                self.report(
                    (*where, *place),
                    f"'{', '.join(unknown)}' is not a feature of the segment",
                    f"use the features: {', '.join(segment.features)}",
                )

    def _table_columns(self, model: Model, where: tuple[str | int, ...]) -> set[str] | None:
        if self.catalog is None or model.table is None:
            return None
        table = model.table.split(".")[-1].lower()
        if table not in self.catalog:
            self.report(
                (*where, "table"),
                f"table '{model.table}' of model {model.name} is not in the database",
                "check the table name or the --db URL",
            )
            return None
        return self.catalog[table]

    def _column(self, model: str, column: str, columns: set[str] | None, path: tuple[str | int, ...]) -> None:
        if columns is not None and column.lower() not in columns:
            self.report(
                path,
                f"column '{column}' does not exist in table of model {model}",
                f"use one of: {', '.join(sorted(columns)[:12])}",
            )

    def _expression(
        self,
        sql: str,
        owner: str,
        columns: set[str] | None,
        path: tuple[str | int, ...],
        *,
        forward_only: bool = False,
        own_columns_only: bool = False,
    ) -> None:
        try:
            tree = sqlglot.parse_one(sql, read=self.layer.dialect)
        except ParseError as error:
            self.report(
                path,
                f"cannot parse SQL '{sql}': {str(error).splitlines()[0]}",
                "write a SQL expression over the model's columns",
            )
            return
        for column in tree.find_all(exp.Column):
            if not column.table:
                self._column(owner, column.name, columns, path)
                continue
            if own_columns_only and column.table != owner:
                self.report(
                    path,
                    f"'{column.table}.{column.name}' is not a column of {owner}",
                    f"write the condition over the columns of {owner} only",
                )
                continue
            target = self.models.get(column.table)
            if target is None:
                self.report(
                    path,
                    f"'{column.table}.{column.name}' refers to an unknown model",
                    f"use a model name: {', '.join(sorted(self.models))}",
                )
                continue
            if (
                target.name != owner
                and self.graph.path(owner, target.name, forward_only=forward_only) is None
            ):
                how = "through many-to-one relationships" if forward_only else "through any relationship"
                self.report(
                    path,
                    f"model {target.name} cannot be reached from {owner} {how}",
                    "declare a relationship between them",
                )
                continue
            self._column(target.name, column.name, self._columns_of(target), path)

    def _columns_of(self, model: Model) -> set[str] | None:
        if self.catalog is None or model.table is None:
            return None
        return self.catalog.get(model.table.split(".")[-1].lower())

    def _time_reference(self, home: Model, reference: str, path: tuple[str | int, ...]) -> None:
        model_name, _, name = reference.rpartition(".")
        owner = self.models.get(model_name or home.name)
        if owner is None or owner.time_dimension(name) is None:
            self.report(
                path,
                f"time dimension '{reference}' does not exist",
                "name a time_dimensions entry as column or model.column",
            )
            return
        if self.graph.path(home.name, owner.name, forward_only=True) is None:
            self.report(
                path,
                f"time dimension '{reference}' is unreachable from model {home.name}",
                "declare a many-to-one relationship to its model",
            )

    # -- relationships and the join graph ---------------------------------------------------------
    def _relationships(self) -> None:
        seen: set[tuple[str, str, str, str]] = set()
        for i, rel in enumerate(self.layer.relationships):
            for side, ref in (("from", rel.from_), ("to", rel.to)):
                model_name, column = ref.split(".")
                model = self.models.get(model_name)
                if model is None:
                    self.report(
                        ("relationships", i, side),
                        f"relationship refers to unknown model '{model_name}'",
                        f"use one of: {', '.join(sorted(self.models))}",
                    )
                else:
                    self._column(model_name, column, self._columns_of(model), ("relationships", i, side))
            if rel.same and (not rel.required or rel.cardinality != "many_to_one"):
                self.report(
                    ("relationships", i, "same"),
                    "'same' columns are used only along a required many-to-one relationship",
                    "add required: true (every row has its parent) or remove 'same'",
                )
            if (rel.required_when or rel.complete) and rel.cardinality != "many_to_one":
                self.report(
                    ("relationships", i, "required_when" if rel.required_when else "complete"),
                    "'required_when' and 'complete' are promises of a many-to-one relationship",
                    "write the relationship from its many side (from: order_items.order_id, to: orders.order_id)",
                )
            if rel.required_when and rel.required:
                self.report(
                    ("relationships", i, "required_when"),
                    "'required_when' says when a match always exists, but 'required' says it always does",
                    "keep one of them",
                )
            if rel.required_when:
                from_model = rel.from_.split(".")[0]
                model = self.models.get(from_model)
                if model is not None:
                    self._expression(
                        rel.required_when,
                        from_model,
                        self._columns_of(model),
                        ("relationships", i, "required_when"),
                        own_columns_only=True,
                    )
            for to_column, from_column in rel.same.items():
                for side, ref in (
                    ("to", f"{rel.to.split('.')[0]}.{to_column}"),
                    ("from", f"{rel.from_.split('.')[0]}.{from_column}"),
                ):
                    model_name, column = ref.split(".")
                    model = self.models.get(model_name)
                    if model is not None:
                        self._column(
                            model_name, column, self._columns_of(model), ("relationships", i, "same", side)
                        )
            key = normalise(rel)[:4]
            if key in seen:
                self.report(
                    ("relationships", i),
                    f"relationship {rel.from_} -> {rel.to} is declared twice",
                    "remove the duplicate",
                )
            seen.add(key)

    def _graph(self) -> None:
        reported: set[frozenset[str]] = set()
        for model in self.layer.models:
            cycle = self.graph.forward_cycle(model.name)
            if cycle and frozenset(cycle) not in reported:
                reported.add(frozenset(cycle))
                self.report(
                    self._relationship_path(cycle[0]),
                    f"join cycle: {' -> '.join(cycle)}",
                    "remove one relationship of the cycle or declare one as one_to_many",
                )
            for target, paths in self.graph.forward_paths(model.name).items():
                if len(paths) > 1:
                    routes = " and ".join(" -> ".join([model.name, *[e.target for e in p]]) for p in paths)
                    self.report(
                        self._relationship_path(model.name),
                        f"two join paths from {model.name} to {target}: {routes}",
                        "keep one of them: a metric's joins must be unambiguous",
                    )

    def _relationship_path(self, model: str) -> tuple[str | int, ...]:
        for i, rel in enumerate(self.layer.relationships):
            if rel.from_.split(".")[0] == model:
                return ("relationships", i)
        return ("relationships",)

    # -- metrics ------------------------------------------------------------------------------------
    def _metrics(self) -> None:
        names = {m.name for m in self.layer.metrics}
        for i, metric in enumerate(self.layer.metrics):
            where = ("metrics", i)
            if isinstance(metric, SimpleMetric | PerEntityMetric | SemiAdditiveMetric):
                home = self._measure_home(metric.measure, (*where, "measure"))
                if home is None:
                    continue
                if isinstance(metric, PerEntityMetric):
                    self._expression(metric.entity, home.name, self._columns_of(home), (*where, "entity"))
                if isinstance(metric, SimpleMetric) and metric.filter:
                    self._expression(metric.filter, home.name, self._columns_of(home), (*where, "filter"))
                time = self.layer.time_of(metric)
                if time is None and not isinstance(metric, SimpleMetric):
                    self.report(
                        where,
                        f"metric {metric.name} has no time dimension",
                        f"set time: on the metric or default_time: on model {home.name} (a snapshot or "
                        "per-entity metric is taken over a period)",
                    )
                elif time is not None:
                    # A simple metric with no time counts rows as they stand (products, sellers).
                    self._time_reference(home, time, (*where, "time") if metric.time else where)
            references: list[tuple[str, str]] = []
            if isinstance(metric, RatioMetric):
                references = [("numerator", metric.numerator), ("denominator", metric.denominator)]
            elif isinstance(metric, DerivedMetric):
                try:
                    tree = sqlglot.parse_one(metric.expr, read=self.layer.dialect)
                    references = [("expr", c.name) for c in tree.find_all(exp.Column)]
                except ParseError as error:
                    self.report(
                        (*where, "expr"),
                        f"cannot parse '{metric.expr}': {str(error).splitlines()[0]}",
                        "write an expression over metric names",
                    )
            for field, ref in references:
                if ref not in names:
                    self.report(
                        (*where, field),
                        f"metric {metric.name} refers to unknown metric '{ref}'",
                        "define that metric or fix the name",
                    )
            self._currencies(metric, [ref for _, ref in references] or self._derived_from(metric), where)
        self._metric_cycles()

    def _derived_from(self, metric: AnyMetric) -> list[str]:
        if not isinstance(metric, DerivedMetric):
            return []
        try:
            return [c.name for c in sqlglot.parse_one(metric.expr).find_all(exp.Column)]
        except ParseError:
            return []

    def _currencies(self, metric: AnyMetric, parts: list[str], where: tuple[str | int, ...]) -> None:
        """A metric of amounts in two currencies (US$ sales less ¥ refunds) adds
        unlike things: no number nlq shows may come of it."""
        amounts = {
            self.layer.currency_of(name)
            for name in parts
            if (found := self.layer.metric(name)) is not None and found.format == "currency"
        }
        if len(amounts) > 1:
            self.report(
                where,
                f"metric {metric.name} combines amounts in {', '.join(sorted(amounts))}",
                "convert them to one currency in a measure first, or set the same currency on its metrics",
            )

    def _measure_home(self, reference: str, path: tuple[str | int, ...]) -> Model | None:
        model_name, _, measure_name = reference.rpartition(".")
        model = self.models.get(model_name)
        if model is None or model.measure(measure_name) is None:
            known = ", ".join(f"{m.name}.{x.name}" for m in self.layer.models for x in m.measures)
            self.report(path, f"unknown measure '{reference}'", f"write model.measure, one of: {known}")
            return None
        return model

    def _metric_cycles(self) -> None:
        edges: dict[str, list[str]] = {}
        for metric in self.layer.metrics:
            if isinstance(metric, RatioMetric):
                edges[metric.name] = [metric.numerator, metric.denominator]
            elif isinstance(metric, DerivedMetric):
                edges[metric.name] = self._derived_from(metric)

        def reaches(start: str, node: str, seen: set[str]) -> bool:
            for nxt in edges.get(node, []):
                if nxt == start or (nxt not in seen and reaches(start, nxt, seen | {nxt})):
                    return True
            return False

        for i, metric in enumerate(self.layer.metrics):
            if reaches(metric.name, metric.name, set()):
                self.report(
                    ("metrics", i),
                    f"metric {metric.name} is defined in terms of itself",
                    "break the cycle between the metrics",
                )

    # -- synonyms ------------------------------------------------------------------------------------
    def _attribute_totals(self, owners: set[str]) -> set[str]:
        """运费 is each order's freight and the metric that sums it: a numeric attribute may
        share a word with a metric of its own model (the reader takes the attribute when a
        comparison is written against it on that table's rows, the metric otherwise)."""
        metrics = [o.removeprefix("metric ") for o in owners if o.startswith("metric ")]
        dimensions = [o.removeprefix("dimension ") for o in owners if o.startswith("dimension ")]
        if len(metrics) != 1 or len(dimensions) != 1 or len(owners) != 2:
            return set()
        found = self.layer.measure_of(metrics[0])
        dimension = found[0].dimension(dimensions[0]) if found else None
        return (
            {f"dimension {dimensions[0]}"} if dimension is not None and dimension.type == "number" else set()
        )

    def _synonyms(self) -> None:
        """A word may name one metric, one dimension concept or one term, not two."""
        owners: dict[str, set[str]] = defaultdict(set)
        where: dict[tuple[str, str], tuple[str | int, ...]] = {}

        def add(word: str, owner: str, path: tuple[str | int, ...]) -> None:
            key = word.strip().casefold()
            if not key:
                return  # a label left empty (no Chinese name known) names nothing
            owners[key].add(owner)
            where.setdefault((key, owner), path)

        for i, metric in enumerate(self.layer.metrics):
            for word in (metric.name, metric.label.zh, metric.label.en, *metric.synonyms):
                add(word, f"metric {metric.name}", ("metrics", i, "synonyms"))
        for i, model in enumerate(self.layer.models):
            for j, dim in enumerate(model.dimensions):
                for word in (dim.name, dim.label.zh, dim.label.en, *dim.synonyms):
                    add(word, f"dimension {dim.name}", ("models", i, "dimensions", j, "synonyms"))
                self._value_aliases(
                    model.name, dim.name, dim.values, ("models", i, "dimensions", j, "values")
                )
        for i, term in enumerate(self.layer.terms):
            for word in (term.label.zh, term.label.en, *term.synonyms):
                add(word, f"term {term.name}", ("terms", i, "synonyms"))
        for word, found in sorted(owners.items()):
            found = found - self._attribute_totals(found)
            if len(found) > 1:
                first, *others = sorted(found)
                self.report(
                    where[(word, others[0])],
                    f"synonym '{word}' maps to {' and '.join(sorted(found))}",
                    f"keep it on one of them (it is also on {first})",
                )

    def _value_aliases(
        self, model: str, dimension: str, values: dict[str, list[str]], path: tuple[str | int, ...]
    ) -> None:
        seen: dict[str, str] = {}
        for value, aliases in values.items():
            for alias in (value, *aliases):
                key = alias.casefold()
                if key in seen and seen[key] != value:
                    self.report(
                        (*path, value),
                        f"value alias '{alias}' of {model}.{dimension} maps to '{seen[key]}' and '{value}'",
                        "keep the alias on one value",
                    )
                seen[key] = value

    # -- terms and roles ---------------------------------------------------------------------------------
    def _dimension_exists(self, name: str) -> bool:
        model_name, _, dim = name.rpartition(".")
        return any(m.dimension(dim) for m in self.layer.models if not model_name or m.name == model_name)

    def _terms(self) -> None:
        for i, term in enumerate(self.layer.terms):
            if not term.filters and term.last_days is None:
                self.report(
                    ("terms", i),
                    f"term {term.name} defines neither filters nor last_days",
                    "add filters: or last_days:",
                )
            for j, flt in enumerate(term.filters):
                if not self._dimension_exists(flt.dimension):
                    self.report(
                        ("terms", i, "filters", j, "dimension"),
                        f"term {term.name} filters unknown dimension '{flt.dimension}'",
                        "use a dimension name of the layer",
                    )

    # -- reading -------------------------------------------------------------------------------------------
    def _reading(self) -> None:
        """Every name the reading gives the reader's generic words is the layer's own."""
        reading = self.layer.reading
        metrics: list[tuple[tuple[str | int, ...], str]] = [
            (("reading", "words", word), name) for word, name in reading.words.items()
        ]
        metrics += [(("reading", "clarify", i), name) for i, name in enumerate(reading.clarify)]
        if reading.best_selling:
            metrics.append((("reading", "best_selling"), reading.best_selling))
        if reading.profile:
            metrics.append((("reading", "profile", "metric"), reading.profile.metric))
        for path, name in metrics:
            if self.layer.metric(name) is None:
                self.report(path, f"reading names unknown metric '{name}'", "use a metric name of the layer")
        dimensions: list[tuple[tuple[str | int, ...], str]] = []
        if reading.ranked_item:
            dimensions.append((("reading", "ranked_item"), reading.ranked_item))
        if reading.profile:
            dimensions += [
                (("reading", "profile", "dimensions", i), name)
                for i, name in enumerate(reading.profile.dimensions)
            ]
        for path, name in dimensions:
            if not self._dimension_exists(name):
                self.report(
                    path, f"reading names unknown dimension '{name}'", "use a dimension name of the layer"
                )
        if reading.campaigns:
            model = self.models.get(reading.campaigns.model)
            if model is None:
                self.report(
                    ("reading", "campaigns", "model"),
                    f"campaigns model '{reading.campaigns.model}' is not a model of the layer",
                    "name the model that holds one row per campaign",
                )
            else:
                columns = self._columns_of(model)
                for field in ("name", "start", "end"):
                    column = getattr(reading.campaigns, field)
                    self._column(model.name, column, columns, ("reading", "campaigns", field))

    def _insights(self) -> None:
        """The dimensions "why" searches and the metrics "what is unusual" scans are the layer's own."""
        insights = self.layer.insights
        for i, name in enumerate(insights.attribution.dimensions):
            if not self._dimension_exists(name):
                self.report(
                    ("insights", "attribution", "dimensions", i),
                    f"attribution searches unknown dimension '{name}'",
                    "use a dimension name of the layer",
                )
        stock = insights.stock
        for field, named in (("stock", stock.stock), ("sales", stock.sales)):
            if named is not None and self.layer.metric(named) is None:
                self.report(
                    ("insights", "stock", field),
                    f"stock warnings name unknown metric '{named}'",
                    "use a metric name of the layer",
                )
        if stock.item is not None and not self._dimension_exists(stock.item):
            self.report(
                ("insights", "stock", "item"),
                f"stock warnings name unknown dimension '{stock.item}'",
                "use a dimension name of the layer",
            )
        for i, name in enumerate(insights.anomalies.metrics):
            if self.layer.metric(name) is None:
                self.report(
                    ("insights", "anomalies", "metrics", i),
                    f"anomaly scan names unknown metric '{name}'",
                    "use a metric name of the layer",
                )

    def _users(self) -> None:
        roles = {r.name for r in self.layer.roles}
        seen: set[str] = set()
        for i, user in enumerate(self.layer.users):
            if user.name in seen:
                self.report(("users", i, "name"), f"user '{user.name}' is listed twice", "keep one entry")
            seen.add(user.name)
            if user.role not in roles:
                self.report(
                    ("users", i, "role"),
                    f"user {user.name} has unknown role '{user.role}'",
                    f"use one of {', '.join(sorted(roles))}",
                )
                continue
            role = self.layer.role(user.role)
            assert role is not None
            for model_name, condition in role.row_filters.items():
                try:
                    placeholders = list(
                        sqlglot.parse_one(condition, read=self.layer.dialect).find_all(exp.Placeholder)
                    )
                except ParseError:
                    continue  # reported with the role
                for placeholder in placeholders:
                    if placeholder.name not in user.attributes:
                        self.report(
                            ("users", i, "attributes"),
                            f"user {user.name} lacks the attribute '{placeholder.name}' that the "
                            f"row filter of role {role.name} on {model_name} needs",
                            f"add attributes: {{{placeholder.name}: ...}}",
                        )

    def _roles(self) -> None:
        metrics = {m.name for m in self.layer.metrics}
        for i, role in enumerate(self.layer.roles):
            where = ("roles", i)
            for field in ("metrics", "deny_metrics"):
                listed = getattr(role, field)
                for name in listed if isinstance(listed, list) else []:
                    if name not in metrics:
                        self.report(
                            (*where, field),
                            f"role {role.name} lists unknown metric '{name}'",
                            "fix the metric name",
                        )
            for name in role.models if isinstance(role.models, list) else []:
                if name not in self.models:
                    self.report(
                        (*where, "models"),
                        f"role {role.name} lists unknown model '{name}'",
                        "fix the model name",
                    )
            for model_name, condition in role.row_filters.items():
                model = self.models.get(model_name)
                if model is None:
                    self.report(
                        (*where, "row_filters", model_name),
                        f"row filter on unknown model '{model_name}'",
                        "use a model name",
                    )
                else:
                    self._expression(
                        condition, model_name, self._columns_of(model), (*where, "row_filters", model_name)
                    )
            for field, targets in (("masks", list(role.masks)), ("hidden", role.hidden)):
                for target in targets:
                    model_name, _, column = target.partition(".")
                    model = self.models.get(model_name)
                    if model is None or not column:
                        self.report(
                            (*where, field),
                            f"'{target}' is not model.column of a known model",
                            "write model.column",
                        )
                    else:
                        self._column(model_name, column, self._columns_of(model), (*where, field))
            for target, kind in role.masks.items():
                if kind not in MASKS:
                    try:
                        sqlglot.parse_one(kind, read=self.layer.dialect)
                    except ParseError:
                        self.report(
                            (*where, "masks", target),
                            f"mask '{kind}' is neither a known kind nor SQL",
                            f"use one of {', '.join(MASKS)} or SQL over `value`",
                        )


def validate(layer: SemanticLayer, source: SourceMap, catalog: Catalog | None = None) -> list[Problem]:
    return Validator(layer, source, catalog).run()
