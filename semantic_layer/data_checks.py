"""What the layer promises about the data, checked against the data itself
(`nlq semantic validate --db`): a time dimension's cadence. A catalog check sees
columns; only the rows show that a weekly snapshot is taken once a week."""

from __future__ import annotations

from sqlglot import exp

from connectors import Connector
from semantic_layer.expressions import canonical
from semantic_layer.loader import Problem, SourceMap
from semantic_layer.model import SemanticLayer


def check_data(layer: SemanticLayer, source: SourceMap, connector: Connector) -> list[Problem]:
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
