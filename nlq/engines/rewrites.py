"""Rewrites that make one sqlglot tree mean the same on every engine, where
sqlglot's own transpilation does not. Each is a node transform; an engine lists
the ones it needs (`Engine.rewrites`), and the compiler applies them to every
query it emits, the eval harness to gold SQL written for DuckDB.

MySQL/MariaDB have no DATE_TRUNC. sqlglot emulates it by counting units from
'0000-01-01', a Saturday, so its weeks start on Saturday; truncation is written
here with WEEKDAY (0 = Monday) and day-of-month arithmetic instead. They have
no `agg FILTER (WHERE ...)` either (CASE WHEN inside the aggregate means the
same), and MariaDB refuses LIMIT in an IN subquery (a derived table around it
is allowed)."""

from __future__ import annotations

from sqlglot import exp

DATE = exp.DataType.build("date")


DOUBLE = exp.DataType.build("double")


def day_as_date(node: exp.Expr) -> exp.Expr:
    """sqlglot writes a day truncation as Spark's TRUNC(x, 'DAY'), which is NULL
    (TRUNC knows only weeks and longer): a day is the date."""
    if isinstance(node, exp.DateTrunc | exp.TimestampTrunc) and _unit(node) == "DAY":
        return exp.cast(node.this.copy(), DATE)
    return node


def float_division(node: exp.Expr) -> exp.Expr:
    """`/` is float division on DuckDB. MySQL divides decimals to 4 more places and
    ClickHouse keeps the dividend's scale (0.33 for 0.3312...): divide doubles."""
    if isinstance(node, exp.Div) and not (
        isinstance(node.this, exp.Cast) and node.this.to.is_type(DOUBLE.this)
    ):
        node = node.copy()
        node.set("this", exp.cast(node.this, DOUBLE))
    return node


def exists_as_in(node: exp.Expr) -> exp.Expr:
    """ClickHouse runs no correlated subquery inside an aggregate (a refund rate counts
    orders WHEN EXISTS a refund). `EXISTS (SELECT .. FROM child WHERE child.k = outer.k
    AND rest)` means `outer.k IN (SELECT child.k FROM child WHERE rest)` for a non-null
    key, and that runs everywhere."""
    if not isinstance(node, exp.Exists) or not isinstance(node.this, exp.Select):
        return node
    select = node.this
    inner = {t.alias_or_name for t in select.find_all(exp.Table)}
    where = select.args.get("where")
    if where is None:
        return node
    correlated: list[tuple[exp.Column, exp.Column]] = []
    rest: list[exp.Expr] = []
    for condition in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        pair = _correlation(condition, inner)
        if pair is None:
            rest.append(condition)
        else:
            correlated.append(pair)
    if len(correlated) != 1:
        return node
    inner_key, outer_key = correlated[0]
    subquery = select.copy()
    subquery.set("expressions", [inner_key.copy()])
    subquery.set("where", exp.Where(this=exp.and_(*[r.copy() for r in rest])) if rest else None)
    return outer_key.copy().isin(query=subquery)


def _correlation(condition: exp.Expr, inner: set[str]) -> tuple[exp.Column, exp.Column] | None:
    if not isinstance(condition, exp.EQ):
        return None
    left, right = condition.this, condition.expression
    if not isinstance(left, exp.Column) or not isinstance(right, exp.Column):
        return None
    if left.table in inner and right.table and right.table not in inner:
        return left, right
    if right.table in inner and left.table and left.table not in inner:
        return right, left
    return None


def mysql_dates_and_filters(node: exp.Expr) -> exp.Expr:
    """DATE_TRUNC, `agg FILTER (WHERE ...)` and LIMIT inside IN, as MySQL and MariaDB run them."""
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
