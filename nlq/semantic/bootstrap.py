"""`nlq semantic init`: a first draft of a semantic layer read from a database's
catalog and rows, for an analyst to edit. Per table a model with its primary key
(declared, else the smallest set of columns that is unique on the data),
relationships (declared foreign keys, else columns whose values another table's
key holds: named like it, or named after the table, as ship_via -> shippers), time
dimensions from date and timestamp columns (a table without one is dated by its
parent's), categorical dimensions for low-cardinality text (with their values), and
measures for every numeric column that is not a key, each with a simple metric: a
row count, a sum and an average (counting rows as they stand where the table has
no time). `init-report.md`
beside the draft says what was guessed and how.

Labels come from the engine's table and column comments where it keeps them,
else from the names; nothing is invented that the catalog does not say."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from nlq.engines.base import Connector, TableInfo
from nlq.messages import LANGUAGES, Text, say
from nlq.semantic.model import Label

CATEGORICAL_MAX = 50  # distinct text values listed in the layer
INDEXED_MAX = 5_000  # beyond this a text column is not indexed for linking
NUMERIC = re.compile(r"int|decimal|numeric|double|float|real|number", re.IGNORECASE)
TEMPORAL = re.compile(r"date|time", re.IGNORECASE)
TIMESTAMP = re.compile(r"time", re.IGNORECASE)
TEXT = re.compile(r"char|text|string|varchar", re.IGNORECASE)
INTEGER = re.compile(r"int", re.IGNORECASE)
FLOAT = re.compile(r"float|double|real|decimal|numeric", re.IGNORECASE)
# Integer columns named as a reference to something (ship_via, reports_to, parent, owner).
REFERRING = re.compile(r"_via$|_to$|_by$|^parent|^owner|_ref$|_key$")
KEY_COLUMNS_TRIED = 6  # id columns tried in pairs for a composite key


@dataclass(frozen=True)
class ColumnProfile:
    distinct: int
    values: list[str]


def _human(name: str) -> str:
    return name.replace("_", " ")


def _singular(table: str) -> str:
    for suffix, replacement in (("ies", "y"), ("ses", "s"), ("s", "")):
        if table.endswith(suffix):
            return table[: -len(suffix)] + replacement
    return table


def _drafted(key: str, label: Label) -> Label:
    """The label message `key` makes of `label` (its count, its average), in each
    language where `label` has words: never an English name where a Chinese one
    belongs (平均price)."""
    worded: dict[str, str] = {}
    for language in LANGUAGES:
        own = getattr(label, language)
        worded[language] = say(key, language, label=own) if own else ""
    return Label(**worded)


def _metric(
    name: str, measure: str, label: Label, time: str | None, *, fmt: str | None = None
) -> dict[str, Any]:
    metric: dict[str, Any] = {"name": name, "measure": measure}
    if fmt:
        metric["format"] = fmt
    metric["label"] = label.model_dump()
    if time:
        metric["time"] = time
    return metric


def _same_kind(a: str, b: str) -> bool:
    return bool(NUMERIC.search(a)) == bool(NUMERIC.search(b))


def _akin(column: str, table: str) -> bool:
    """ship_via and shippers, reports_to and employees: a word of the column begins the table's name."""
    stem = _singular(table)
    return any(len(word) >= 3 and stem.startswith(word[:4]) for word in column.split("_"))


def _without_shortcuts(relationships: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drops an edge A -> B when B is reachable from A through the others (reviews ->
    users beside reviews -> orders -> users): a layer needs one join path per pair."""
    kept = list(relationships)
    for edge in list(relationships):
        rest = [e for e in kept if e is not edge]
        start, goal = edge["from"].split(".")[0], edge["to"].split(".")[0]
        seen, frontier = {start}, [start]
        while frontier:
            here = frontier.pop()
            for other in rest:
                source, target = other["from"].split(".")[0], other["to"].split(".")[0]
                if source == here and target not in seen:
                    seen.add(target)
                    frontier.append(target)
        if goal in seen:
            kept = rest
    return kept


class Drafter:
    def __init__(self, connector: Connector, tables: list[str] | None = None) -> None:
        self.connector = connector
        infos = [t for t in connector.table_info() if not t.name.startswith("_")]
        if tables:
            wanted = set(tables)
            missing = wanted - {t.name for t in infos}
            if missing:
                raise ValueError(f"no such table: {', '.join(sorted(missing))}")
            infos = [t for t in infos if t.name in wanted]
        self.infos = infos
        self._types = {i.name: i.columns for i in infos}
        # Column names several tables share (unit_price of products and of order lines):
        # their metrics are labelled with the table, so that no two metrics share a name.
        counts = Counter(c for i in infos for c in i.columns)
        self._shared = {column for column, count in counts.items() if count > 1}
        self._keys: dict[str, list[str]] = {}
        self._edges: list[dict[str, str]] | None = None
        # What was guessed and how: written beside the draft for the analyst to check.
        self.notes: list[str] = []

    # -- keys ------------------------------------------------------------------------------
    def primary_key(self, info: TableInfo) -> list[str]:
        """The declared key, else the first of the likely keys (`<table>_id`, `id`, other
        `_id` columns, then pairs of them) that is unique and never null on the data.
        A table with no such key gets none, and the report says so."""
        if info.name in self._keys:
            return self._keys[info.name]
        key, how = list(info.primary_key), "declared"
        if not key:
            key, how = self._unique_key(info)
        self._keys[info.name] = key
        self.notes.append(f"key of {info.name}: {', '.join(key) or 'none found'} ({how})")
        return key

    def _unique_key(self, info: TableInfo) -> tuple[list[str], str]:
        """Its own id, else the first column, else the smallest set of its id, time and
        short text columns (at most three) that tells its rows apart: a line table is keyed
        by (order_id, product_id), a snapshot by (snapshot_date, product_id, warehouse)."""
        ids = [c for c in info.columns if c == "id" or c.endswith("_id")]
        own = [c for c in (f"{_singular(info.name)}_id", f"{info.name}_id", "id") if c in info.columns]
        for column in dict.fromkeys([*own, *list(info.columns)[:1]]):
            if self._unique(info.name, [column]):
                return [column], "unique and not null on the data"
        parts = [c for c, t in info.columns.items() if TEMPORAL.search(t) or TEXT.search(t)]
        tried = list(dict.fromkeys([*ids, *parts]))[:KEY_COLUMNS_TRIED]
        for size in (2, 3):
            for columns in itertools.combinations(tried, size):
                if self._unique(info.name, list(columns)):
                    return list(columns), "unique together on the data"
        for column in ids:
            if self._unique(info.name, [column]):
                return [column], "unique and not null on the data"
        return [], "no column, nor two or three of its id, time and text columns, is unique: add primary_key"

    def _unique(self, table: str, columns: list[str]) -> bool:
        dialect = self.connector.dialect
        keys = [exp.column(c) for c in columns]
        repeated = (
            exp.select(*keys)
            .from_(exp.to_table(table))
            .group_by(*[k.copy() for k in keys])
            .having(exp.GT(this=exp.Count(this=exp.Star()), expression=exp.Literal.number(1)))
        )
        nulls = (
            exp.select(exp.Count(this=exp.Star()))
            .from_(exp.to_table(table))
            .where(exp.or_(*[k.copy().is_(exp.null()) for k in keys]))
        )
        counted = exp.select(exp.Count(this=exp.Star())).from_(repeated.subquery("repeated"))
        return not self._scalar(counted.sql(dialect)) and not self._scalar(nulls.sql(dialect))

    def _scalar(self, sql: str) -> int:
        return int(self.connector.execute(sql).rows[0][0] or 0)

    def relationships(self) -> list[dict[str, str]]:
        """Declared foreign keys; else a column named like another table's key whose
        values that key holds; else, whatever it is called, a column whose values one
        table's key holds (ship_via -> shippers.shipper_id), the name deciding between
        several such tables. Each found edge is noted with how it was found."""
        if self._edges is not None:
            return self._edges
        keys = {i.name: self.primary_key(i) for i in self.infos}
        single = {name: key[0] for name, key in keys.items() if len(key) == 1}
        found: list[dict[str, str]] = []
        for info in self.infos:
            own = f"{_singular(info.name)}_id"
            for column, dtype in info.columns.items():
                if column in {own, "id"} or not (NUMERIC.search(dtype) or TEXT.search(dtype)):
                    continue
                target = self._reference(info, column, dtype, single)
                if target is not None:
                    found.append({"from": f"{info.name}.{column}", "to": f"{target[0]}.{target[1]}"})
        self._edges = _without_shortcuts(found)
        return self._edges

    def _reference(
        self, info: TableInfo, column: str, dtype: str, single: dict[str, str]
    ) -> tuple[str, str] | None:
        declared = info.foreign_keys.get(column)
        if declared is not None and declared[0] != info.name and declared[0] in single:
            self.notes.append(f"{info.name}.{column} -> {declared[0]}.{declared[1]} (declared)")
            return declared
        candidates = [
            (table, key)
            for table, key in single.items()
            if table != info.name and _same_kind(dtype, self._types[table][key]) and not FLOAT.search(dtype)
        ]
        named = [(t, k) for t, k in candidates if k == column]
        if named and self._contained(info.name, column, *named[0]):
            self.notes.append(f"{info.name}.{column} -> {named[0][0]}.{named[0][1]} (same name, values held)")
            return named[0]
        if named or not (column.endswith(("_id", "_code", "_no")) or self._ints(dtype, column)):
            return None
        # Small integers fit many keys: a column is tied by its values only to a table its
        # name points to (ship_via -> shippers), never to any table whose ids happen to hold them.
        holding = [
            (t, k) for t, k in candidates if _akin(column, t) and self._contained(info.name, column, t, k)
        ]
        if len(holding) == 1:
            self.notes.append(f"{info.name}.{column} -> {holding[0][0]}.{holding[0][1]} (values held)")
            return holding[0]
        if holding:
            self.notes.append(
                f"{info.name}.{column} may refer to {', '.join(t for t, _ in holding)}: add the relationship by hand"
            )
        return None

    @staticmethod
    def _ints(dtype: str, column: str) -> bool:
        """Integer columns that name something else (ship_via, reports_to), not amounts."""
        return bool(INTEGER.search(dtype)) and bool(REFERRING.search(column))

    def _contained(self, table: str, column: str, target: str, key: str) -> bool:
        """Every value of table.column is a key of target (and there is at least one)."""
        dialect = self.connector.dialect
        values = exp.column(column, table="s")
        present = (
            exp.select(exp.Count(this=exp.Star()))
            .from_(exp.to_table(table).as_("s"))
            .where(exp.Not(this=values.copy().is_(exp.null())))
        )
        if not self._scalar(present.sql(dialect)):
            return False
        keys = exp.select(exp.column(key)).from_(exp.to_table(target))
        orphans = present.where(exp.Not(this=exp.In(this=values.copy(), query=keys.subquery())))
        return not self._scalar(orphans.sql(dialect))

    # -- columns ---------------------------------------------------------------------------
    def profile(self, table: str, column: str) -> ColumnProfile:
        dialect = self.connector.dialect
        counted = exp.select(exp.Count(this=exp.Distinct(expressions=[exp.column(column)]))).from_(
            exp.to_table(table)
        )
        distinct = int(self.connector.execute(counted.sql(dialect)).rows[0][0] or 0)
        values: list[str] = []
        if distinct <= CATEGORICAL_MAX:
            listed = (
                exp.select(exp.column(column))
                .distinct()
                .from_(exp.to_table(table))
                .where(exp.Not(this=exp.column(column).is_(exp.null())))
                .order_by(exp.column(column))
            )
            values = [str(r[0]) for r in self.connector.execute(listed.sql(dialect)).rows]
        return ColumnProfile(distinct, values)

    def default_time(self, info: TableInfo, times: list[str]) -> str | None:
        stem = _singular(info.name).split("_")[0]

        def rank(column: str) -> tuple[int, int]:
            score = 0
            if stem in column:
                score += 3
            if any(w in column for w in ("register", "create", "signup", "snapshot")):
                score += 2
            if "birth" in column:
                score -= 5
            return (-score, times.index(column))

        return min(times, key=rank) if times else None

    def model(self, info: TableInfo) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        key = self.primary_key(info)
        referring = {
            e["from"].split(".")[1] for e in self.relationships() if e["from"].startswith(f"{info.name}.")
        }
        keys = (
            set(key)
            | referring
            | {c for c, t in info.columns.items() if c.endswith("_id") or self._ints(t, c)}
        )
        own = Label(zh=info.comment or "", en=_human(info.name))
        model: dict[str, Any] = {
            "name": info.name,
            "table": info.name,
            "primary_key": key[0] if len(key) == 1 else key,
            "label": own.model_dump(),
        }
        # A date in a composite key (a snapshot's date) is still the table's time.
        times = [c for c, t in info.columns.items() if TEMPORAL.search(t) and (c not in keys or c in key)]
        default = self.default_time(info, times)
        if default:
            model["default_time"] = default
        model["time_dimensions"] = [
            {
                "name": c,
                "type": "timestamp" if TIMESTAMP.search(info.columns[c]) else "date",
                "label": self._label(info, c).model_dump(),
            }
            for c in times
        ]
        # A table with no time of its own (order lines) is dated by its parent's (the order's).
        dated = default or self._parent_time(info)
        time = None if default or dated is None else dated
        if dated is None:
            self.notes.append(
                f"{info.name}: no time of its own or of a parent: its metrics count rows as they stand"
            )
        dimensions: list[dict[str, Any]] = []
        measures: list[dict[str, Any]] = [{"name": "row_count", "agg": "count"}]
        metrics: list[dict[str, Any]] = [
            _metric(
                f"{info.name}_count",
                f"{info.name}.row_count",
                _drafted("semantic.number_of", own),
                time,
                fmt="count",
            )
        ]
        for column, dtype in info.columns.items():
            # Ids are keys, not dimensions; a text column of a composite key (a warehouse) is one.
            if column in times or (column in keys and not (column in key and TEXT.search(dtype))):
                continue
            if TEXT.search(dtype):
                profile = self.profile(info.name, column)
                dimension: dict[str, Any] = {"name": column, "label": self._label(info, column).model_dump()}
                if profile.values:
                    dimension["values"] = {v: [] for v in profile.values}
                elif profile.distinct <= INDEXED_MAX:
                    dimension["values_from_data"] = True
                dimensions.append(dimension)
            elif NUMERIC.search(dtype):
                label = self._label(info, column)
                if column in self._shared:
                    label = Label(zh=label.zh, en=f"{_human(info.name)} {label.en}")
                # Each row's amount (a product's price) is an attribute to show and filter
                # by, beside the metrics that total it.
                dimensions.append({"name": column, "type": "number", "label": label.model_dump()})
                measures += [
                    {"name": f"total_{column}", "agg": "sum", "expr": column},
                    {"name": f"avg_{column}", "agg": "avg", "expr": column},
                ]
                metrics += [
                    _metric(f"{info.name}_{column}", f"{info.name}.total_{column}", label, time),
                    _metric(
                        f"{info.name}_avg_{column}",
                        f"{info.name}.avg_{column}",
                        _drafted("semantic.average_of", label),
                        time,
                    ),
                ]
        model["dimensions"] = dimensions
        model["measures"] = measures
        return model, metrics

    def _self_references(self, info: TableInfo) -> list[tuple[str, dict[str, Any]]]:
        """employees.reports_to holds employee ids: the manager is the table again, in
        another role. A join graph cannot join a model to itself, so the role becomes a
        model of its own on the same table (employees_reports_to), its text columns its
        dimensions, named after the role (reports_to_last_name)."""
        key = self.primary_key(info)
        if len(key) != 1:
            return []
        found = []
        for column, dtype in info.columns.items():
            if column == key[0] or not self._ints(dtype, column):
                continue
            if not self._contained(info.name, column, info.name, key[0]):
                continue
            name = f"{info.name}_{column}"
            self.notes.append(
                f"{info.name}.{column} -> {name}.{key[0]} (the table in another role, values held)"
            )
            dimensions = [
                {
                    "name": f"{column}_{c}",
                    "expr": c,
                    "label": Label(zh="", en=f"{_human(column)} {_human(c)}").model_dump(),
                }
                for c, t in info.columns.items()
                if TEXT.search(t) and c != key[0]
            ]
            model = {
                "name": name,
                "table": info.name,
                "primary_key": key[0],
                "label": Label(zh="", en=f"{_human(info.name)} ({_human(column)})").model_dump(),
                "dimensions": dimensions,
                "measures": [],  # its rows are counted as the table's own
            }
            found.append((column, model))
        return found

    def _parent_time(self, info: TableInfo) -> str | None:
        """`parent.time` of the nearest parent (along many-to-one edges) that has a time."""
        frontier, seen = [info.name], {info.name}
        while frontier:
            here = frontier.pop(0)
            for edge in self.relationships():
                source, target = edge["from"].split(".")[0], edge["to"].split(".")[0]
                if source != here or target in seen:
                    continue
                parent = next(i for i in self.infos if i.name == target)
                keys = set(self.primary_key(parent)) | {c for c in parent.columns if c.endswith("_id")}
                times = [c for c, t in parent.columns.items() if TEMPORAL.search(t) and c not in keys]
                default = self.default_time(parent, times)
                if default:
                    self.notes.append(f"{info.name}: dated by {target}.{default}")
                    return f"{target}.{default}"
                seen.add(target)
                frontier.append(target)
        return None

    @staticmethod
    def _label(info: TableInfo, column: str) -> Label:
        """The engine's comment as the Chinese label, else none: never an English name
        where a Chinese one belongs (平均price)."""
        return Label(zh=info.column_comments.get(column, ""), en=_human(column))

    def draft(self) -> dict[str, dict[str, Any]]:
        """The layer as YAML documents: models.yaml, metrics.yaml and roles.yaml."""
        models: list[dict[str, Any]] = []
        metrics: list[dict[str, Any]] = []
        for info in self.infos:
            model, found = self.model(info)
            models.append(model)
            metrics += found
        relationships = list(self.relationships())
        for info in self.infos:
            for column, model in self._self_references(info):
                models.append(model)
                relationships.append(
                    {"from": f"{info.name}.{column}", "to": f"{model['name']}.{model['primary_key']}"}
                )
        return {
            "models.yaml": {
                "dialect": self.connector.dialect,
                "models": models,
                "relationships": relationships,
            },
            "metrics.yaml": {"metrics": metrics},
            "roles.yaml": {
                "roles": [
                    {
                        "name": "analyst",
                        "label": Label.worded(Text("semantic.drafted_role")).model_dump(),
                        "description": "drafted by nlq semantic init: every model and metric",
                    }
                ]
            },
        }


def write_draft(connector: Connector, out: Path, tables: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    drafter = Drafter(connector, tables)
    for name, document in drafter.draft().items():
        path = out / name
        path.write_text(
            "# Drafted by `nlq semantic init`: review labels, synonyms, filters and metrics.\n"
            + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110),
            encoding="utf-8",
        )
        written.append(path)
    report = out / "init-report.md"
    report.write_text(
        "# What `nlq semantic init` guessed\n\nCheck each line; the draft is only as right as these.\n\n"
        + "".join(f"- {note}\n" for note in dict.fromkeys(drafter.notes)),
        encoding="utf-8",
    )
    return [*written, report]
