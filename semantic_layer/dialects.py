"""Rewrites that make one sqlglot tree mean the same on every engine, where
sqlglot's own transpilation does not: applied by the compiler to every query
it emits, and by the eval harness to gold SQL written for DuckDB.

MySQL/MariaDB have no DATE_TRUNC. sqlglot emulates it by counting units from
'0000-01-01', a Saturday, so its weeks start on Saturday; truncation is written
here with WEEKDAY (0 = Monday) and day-of-month arithmetic instead. They have
no `agg FILTER (WHERE ...)` either (CASE WHEN inside the aggregate means the
same), and MariaDB refuses LIMIT in an IN subquery (a derived table around it
is allowed)."""

from __future__ import annotations

from sqlglot import exp

DATE = exp.DataType.build("date")


def for_engine(tree: exp.Expr, dialect: str) -> exp.Expr:
    if dialect != "mysql":
        return tree
    return tree.transform(_mysql)


def _mysql(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc):
        truncated = _mysql_trunc(node.this, _unit(node))
        return truncated if truncated is not None else node
    if isinstance(node, exp.Filter) and isinstance(node.expression, exp.Where):
        return _filter_as_case(node.this, node.expression.this)
    if isinstance(node, exp.In) and _limited(node.args.get("query")):
        query = node.args["query"]
        inner = query.this if isinstance(query, exp.Subquery) else query
        wrapped = exp.select("*").from_(inner.copy().subquery("limited"))
        node = node.copy()
        node.set("query", exp.Subquery(this=wrapped))
        return node
    return node


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    return unit.name.upper() if isinstance(unit, exp.Expr) else str(unit or "").upper()


def _mysql_trunc(value: exp.Expr, unit: str) -> exp.Expr | None:
    day = exp.cast(value.copy(), DATE)
    if unit == "DAY":
        return day
    if unit == "WEEK":
        return exp.DateSub(
            this=day,
            expression=exp.Anonymous(this="WEEKDAY", expressions=[value.copy()]),
            unit=exp.var("DAY"),
        )
    if unit == "MONTH":
        return exp.DateSub(
            this=day,
            expression=exp.Sub(this=exp.DayOfMonth(this=value.copy()), expression=exp.Literal.number(1)),
            unit=exp.var("DAY"),
        )
    first_of_year = exp.Anonymous(
        this="MAKEDATE", expressions=[exp.Year(this=value.copy()), exp.Literal.number(1)]
    )
    if unit == "YEAR":
        return first_of_year
    if unit == "QUARTER":
        return exp.DateAdd(
            this=first_of_year,
            expression=exp.Sub(this=exp.Quarter(this=value.copy()), expression=exp.Literal.number(1)),
            unit=exp.var("QUARTER"),
        )
    return None


def _filter_as_case(aggregate: exp.Expr, condition: exp.Expr) -> exp.Expr:
    aggregate = aggregate.copy()
    argument = aggregate.this
    if isinstance(argument, exp.Distinct):
        argument.set("expressions", [exp.Case().when(condition.copy(), e) for e in argument.expressions])
        return aggregate
    value = exp.Literal.number(1) if isinstance(argument, exp.Star) or argument is None else argument
    aggregate.set("this", exp.Case().when(condition.copy(), value))
    return aggregate


def _limited(query: exp.Expr | None) -> bool:
    inner = query.this if isinstance(query, exp.Subquery) else query
    return isinstance(inner, exp.Query) and inner.args.get("limit") is not None
