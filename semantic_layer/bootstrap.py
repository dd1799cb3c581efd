"""`nlq semantic init`: a first draft of a semantic layer read from a database's
catalog, for an analyst to edit. Per table a model with its primary key (declared,
or `<table>_id`), relationships from foreign keys or from naming (`user_id` -> the
table whose key is user_id), time dimensions from date and timestamp columns,
categorical dimensions for low-cardinality text (with their values), and
measures for numeric columns, each with a simple metric: a row count per
table, a sum and an average per numeric column.

Labels come from the engine's table and column comments where it keeps them,
else from the names; nothing is invented that the catalog does not say."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlglot import exp

from connectors.base import Connector, TableInfo

CATEGORICAL_MAX = 50  # distinct text values listed in the layer
INDEXED_MAX = 5_000  # beyond this a text column is not indexed for linking
NUMERIC = re.compile(r"int|decimal|numeric|double|float|real|number", re.IGNORECASE)
TEMPORAL = re.compile(r"date|time", re.IGNORECASE)
TIMESTAMP = re.compile(r"time", re.IGNORECASE)
TEXT = re.compile(r"char|text|string|varchar", re.IGNORECASE)


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

    # -- keys ------------------------------------------------------------------------------
    def primary_key(self, info: TableInfo) -> list[str]:
        if info.primary_key:
            return info.primary_key
        for candidate in (f"{_singular(info.name)}_id", "id"):
            if candidate in info.columns:
                return [candidate]
        # No key declared or named: the row is identified by its keys, times and labels.
        return [
            c for c, t in info.columns.items() if c.endswith("_id") or TEMPORAL.search(t) or TEXT.search(t)
        ]

    def relationships(self) -> list[dict[str, str]]:
        owners: dict[str, str] = {}
        for info in self.infos:
            key = self.primary_key(info)
            if len(key) == 1:
                owners.setdefault(key[0], info.name)
        found: list[dict[str, str]] = []
        for info in self.infos:
            own = self.primary_key(info)
            for column in info.columns:
                target: tuple[str, str] | None = info.foreign_keys.get(column)
                if target is None and column.endswith("_id") and own != [column] and column in owners:
                    target = (owners[column], column)
                if (
                    target is not None
                    and target[0] != info.name
                    and any(t.name == target[0] for t in self.infos)
                ):
                    found.append({"from": f"{info.name}.{column}", "to": f"{target[0]}.{target[1]}"})
        return _without_shortcuts(found)

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
        keys = set(key) | {c for c in info.columns if c.endswith("_id")}
        label_zh = info.comment or _human(info.name)
        model: dict[str, Any] = {
            "name": info.name,
            "table": info.name,
            "primary_key": key[0] if len(key) == 1 else key,
            "label": {"zh": label_zh, "en": _human(info.name)},
        }
        times = [c for c, t in info.columns.items() if TEMPORAL.search(t) and c not in keys]
        default = self.default_time(info, times)
        if default:
            model["default_time"] = default
        model["time_dimensions"] = [
            {
                "name": c,
                "type": "timestamp" if TIMESTAMP.search(info.columns[c]) else "date",
                "label": self._label(info, c),
            }
            for c in times
        ]
        dimensions: list[dict[str, Any]] = []
        measures: list[dict[str, Any]] = [{"name": "row_count", "agg": "count"}]
        metrics: list[dict[str, Any]] = []
        if default:
            metrics.append(
                {
                    "name": f"{info.name}_count",
                    "measure": f"{info.name}.row_count",
                    "format": "count",
                    "label": {"zh": f"{label_zh}数", "en": f"number of {_human(info.name)}"},
                    # Rows counted by their own date are the new ones of a period.
                    "synonyms": [
                        f"{label_zh}数量",
                        f"新{label_zh}数",
                        f"新增{label_zh}",
                        f"new {_human(info.name)}",
                    ],
                }
            )
        for column, dtype in info.columns.items():
            if column in keys or column in times:
                continue
            if TEXT.search(dtype):
                profile = self.profile(info.name, column)
                dimension: dict[str, Any] = {"name": column, "label": self._label(info, column)}
                if profile.values:
                    dimension["values"] = {v: [] for v in profile.values}
                elif profile.distinct <= INDEXED_MAX:
                    dimension["values_from_data"] = True
                dimensions.append(dimension)
            elif NUMERIC.search(dtype) and default:
                label = self._label(info, column)
                measures += [
                    {"name": f"total_{column}", "agg": "sum", "expr": column},
                    {"name": f"avg_{column}", "agg": "avg", "expr": column},
                ]
                metrics += [
                    {
                        "name": f"{info.name}_{column}",
                        "measure": f"{info.name}.total_{column}",
                        "label": {"zh": label["zh"], "en": label["en"]},
                        "synonyms": [f"{label['zh']}总额", f"total {label['en']}"],
                    },
                    {
                        "name": f"{info.name}_avg_{column}",
                        "measure": f"{info.name}.avg_{column}",
                        "label": {"zh": f"平均{label['zh']}", "en": f"average {label['en']}"},
                    },
                ]
        model["dimensions"] = dimensions
        model["measures"] = measures
        return model, metrics

    @staticmethod
    def _label(info: TableInfo, column: str) -> dict[str, str]:
        return {"zh": info.column_comments.get(column) or _human(column), "en": _human(column)}

    def draft(self) -> dict[str, dict[str, Any]]:
        """The layer as YAML documents: models.yaml, metrics.yaml and roles.yaml."""
        models: list[dict[str, Any]] = []
        metrics: list[dict[str, Any]] = []
        for info in self.infos:
            model, found = self.model(info)
            models.append(model)
            metrics += found
        return {
            "models.yaml": {
                "dialect": self.connector.dialect,
                "models": models,
                "relationships": self.relationships(),
            },
            "metrics.yaml": {"metrics": metrics},
            "roles.yaml": {
                "roles": [
                    {
                        "name": "analyst",
                        "label": {"zh": "数据分析师", "en": "analyst"},
                        "description": "drafted by nlq semantic init: every model and metric",
                    }
                ]
            },
        }


def write_draft(connector: Connector, out: Path, tables: list[str] | None = None) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in Drafter(connector, tables).draft().items():
        path = out / name
        path.write_text(
            "# Drafted by `nlq semantic init`: review labels, synonyms, filters and metrics.\n"
            + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110),
            encoding="utf-8",
        )
        written.append(path)
    return written
