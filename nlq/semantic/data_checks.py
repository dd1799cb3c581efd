"""What the layer promises about the data, checked against the data itself
(`nlq semantic validate --db`): a time dimension's cadence, what a relationship
promises (`required`, `required_when`, `complete`), and that every metric runs by
every dimension it reaches. A catalog check sees columns;
only the rows show that a weekly snapshot is taken once a week, or that every order
has items. The compiler trusts these promises (inner joins, one pass for two
models), so a broken one would change answers: it is named with its line."""

from __future__ import annotations

from sqlglot import exp

from nlq.engines import Connector, ConnectorError
from nlq.semantic.expressions import canonical, rename_models
from nlq.semantic.loader import Problem, SourceMap
from nlq.semantic.model import Model, SemanticLayer


def check_data(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
    promises = _keys(layer, source, connector) + _cadences(layer, source, connector)
    promises += _relationships(layer, source, connector)
    return promises or metric_runs(layer, source, connector)


def _keys(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
    """A primary key tells the rows apart: a count distinct of it is only right then."""
    problems: list[Problem] = []
    for i, model in enumerate(layer.models):
        if model.table is None:
            continue
        key = model.key_columns
        columns = [exp.column(c) for c in key]
        repeated = (
            exp.select(*columns)
            .from_(exp.to_table(model.table))
            .group_by(*[c.copy() for c in columns])
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        count = exp.select(exp.Count(this=exp.Star())).from_(repeated.subquery("repeated"))
        found = connector.execute(count.sql(dialect=connector.dialect)).rows[0][0]
        if found:
            problems.append(
                source.problem(
                    ("models", i, "primary_key"),
                    f"primary key {', '.join(key)} of {model.name} repeats: {found} value(s) occur in more than one row",
                    "name the columns that tell the rows apart (add a column to the key)",
                )
            )
    return problems


def _cadences(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
    problems: list[Problem] = []
    for i, model in enumerate(layer.models):
        if model.table is None:
            continue
        for j, time in enumerate(model.time_dimensions):
            if time.cadence is None:
                continue
            column = canonical(time.sql, model.name, layer.dialect)
            bucket = exp.DateTrunc(this=column.copy(), unit=exp.Literal.string(time.cadence.upper()))
            crowded = (
                exp.select(bucket.as_("bucket"))
                .from_(exp.to_table(model.table).as_(model.name))
                .group_by(bucket.copy())
                .having(
                    exp.GT(
                        this=exp.Count(this=exp.Distinct(expressions=[column])),
                        expression=exp.Literal.number(1),
                    )
                )
            )
            count = exp.select(exp.Count(this=exp.Star())).from_(crowded.subquery("crowded"))
            found = connector.execute(count.sql(dialect=connector.dialect)).rows[0][0]
            if found:
                problems.append(
                    source.problem(
                        ("models", i, "time_dimensions", j, "cadence"),
                        f"{model.name}.{time.name} has cadence {time.cadence}, but {found} "
                        f"{time.cadence}(s) of {model.table} hold more than one {time.name}",
                        f"remove the cadence, or set the one the data keeps (a snapshot metric would add up "
                        f"the snapshots of a {time.cadence})",
                    )
                )
    return problems


def _relationships(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
    problems: list[Problem] = []
    for i, rel in enumerate(layer.relationships):
        many_name, many_key = rel.from_.split(".")
        one_name, one_key = rel.to.split(".")
        many, one = layer.model(many_name), layer.model(one_name)
        if rel.cardinality != "many_to_one" or many is None or one is None or not (many.table and one.table):
            continue
        found = exp.column(many_key, "f").eq(exp.column(one_key, "t"))
        if rel.required or rel.required_when:
            # Qualified by the model's name or not, the condition reads the aliased rows.
            condition = (
                rename_models(canonical(rel.required_when, many_name, layer.dialect), {many_name: "f"})
                if rel.required_when
                else None
            )
            orphans = _count_without(many, "f", one, "t", found, condition, connector)
            if orphans:
                field = "required_when" if rel.required_when else "required"
                rows = f"row(s) of {many.table}" + (
                    f" where {rel.required_when}" if rel.required_when else ""
                )
                problems.append(
                    source.problem(
                        ("relationships", i, field),
                        f"{rel.from_} -> {rel.to} is {field.replace('_', ' ')}, but {orphans} {rows} "
                        f"have no {one_name} row",
                        f"remove '{field}' (answers would leave those rows out), or fix the data",
                    )
                )
        if rel.complete:
            childless = _count_without(one, "t", many, "f", found, None, connector)
            if childless:
                problems.append(
                    source.problem(
                        ("relationships", i, "complete"),
                        f"{rel.from_} -> {rel.to} is complete, but {childless} row(s) of {one.table} "
                        f"have no {many_name} row",
                        f"remove 'complete' (distinct counts of {one_name} would leave those rows out), "
                        "or fix the data",
                    )
                )
    return problems


def _count_without(
    outer: Model,
    outer_alias: str,
    inner: Model,
    inner_alias: str,
    match: exp.Expr,
    condition: exp.Expr | None,
    connector: Connector,
) -> int:
    """Rows of `outer` (meeting `condition`) that no row of `inner` matches."""
    assert outer.table is not None and inner.table is not None
    matched = exp.Exists(
        this=exp.select("1").from_(exp.to_table(inner.table).as_(inner_alias)).where(match.copy())
    )
    rows = exp.select(exp.Count(this=exp.Star())).from_(exp.to_table(outer.table).as_(outer_alias))
    rows = rows.where(exp.Not(this=matched))
    if condition is not None:
        rows = rows.where(condition)
    return int(connector.execute(rows.sql(dialect=connector.dialect)).rows[0][0])


def metric_runs(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
    """Every metric alone and by each dimension it reaches, compiled and run on one row:
    a layer that validates also answers. A shape the compiler accepts and the engine
    refuses (a column on the wrong model, a bad expression) is named with the metric's line."""
    from nlq.semantic.compiler import Compiler
    from nlq.semantic.errors import QueryError
    from nlq.semantic.query import SemanticQuery

    role = next(
        (
            r.name
            for r in layer.roles
            if r.models == "*" and r.metrics == "*" and not r.row_filters and not r.deny_metrics
        ),
        None,
    )
    if role is None:
        return []  # no role sees everything: the runs would test the policies instead
    compiler = Compiler(layer, role=role, dialect=connector.dialect)
    dimensions = [None, *dict.fromkeys(d.name for m in layer.models for d in m.dimensions)]
    problems: list[Problem] = []
    for i, metric in enumerate(layer.metrics):
        failed: list[str] = []
        for dimension in dimensions:
            query = SemanticQuery(metrics=[metric.name], dimensions=[dimension] if dimension else [], limit=1)
            try:
                sql = compiler.compile(query).sql()
            except QueryError:
                continue  # not reachable from this metric: the reader never asks it
            try:
                connector.execute(sql)
            except ConnectorError as error:
                failed.append(f"{dimension or 'no dimension'}: {error.message('en')}")
        if failed:
            problems.append(
                source.problem(
                    ("metrics", i),
                    f"metric {metric.name} fails on the database ({len(failed)} of its queries), "
                    f"e.g. by {failed[0][:300]}",
                    "fix its measure, filter or time, or the model it reads",
                )
            )
    return problems
