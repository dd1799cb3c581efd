"""The join graph: which model reaches which, and whether walking an edge can
multiply rows. Relationships are declared once; each becomes two directed
edges, one of them to-many (unless the relationship is one-to-one)."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import count
from types import MappingProxyType

from nlq.semantic.model import Relationship, SemanticLayer


@dataclass(frozen=True)
class Edge:
    source: str
    source_key: str
    target: str
    target_key: str
    # Walking from source to target may repeat source rows (a one-to-many edge).
    to_many: bool
    # Every source row finds its target row (a required many-to-one edge).
    always_matches: bool = False
    # (target column, source column) pairs equal on every joined row (Relationship.same).
    same: tuple[tuple[str, str], ...] = ()
    # A condition on source rows under which every one finds its target (Relationship.required_when).
    required_when: str | None = None
    # Every target row has at least one source row (Relationship.complete).
    complete: bool = False


def normalise(rel: Relationship) -> tuple[str, str, str, str, bool]:
    """(many model, its key, one model, its key, one_to_one) for any declared direction."""
    left_model, left_key = rel.from_.split(".")
    right_model, right_key = rel.to.split(".")
    if rel.cardinality == "one_to_many":
        return right_model, right_key, left_model, left_key, False
    return left_model, left_key, right_model, right_key, rel.cardinality == "one_to_one"


class JoinGraph:
    def __init__(self, layer: SemanticLayer) -> None:
        self.edges: dict[str, list[Edge]] = {m.name: [] for m in layer.models}
        for rel in layer.relationships:
            many, many_key, one, one_key, one_to_one = normalise(rel)
            self.edges.setdefault(many, []).append(
                Edge(
                    many,
                    many_key,
                    one,
                    one_key,
                    to_many=False,
                    always_matches=rel.required,
                    same=tuple(sorted(rel.same.items())) if rel.cardinality != "one_to_many" else (),
                    required_when=rel.required_when,
                    complete=rel.complete,
                )
            )
            self.edges.setdefault(one, []).append(Edge(one, one_key, many, many_key, to_many=not one_to_one))
        # forward_paths by source: the edges do not change after this, and a compile asks
        # for the same sources again (which models a fact pass reaches).
        self._forward: dict[str, Mapping[str, list[list[Edge]]]] = {}

    def one_each(self, source: str, target: str) -> bool:
        """Does each row of `source` meet at most one row of `target` (many-to-one all the way)?"""
        path = self.path(source, target)
        return path is not None and not any(edge.to_many for edge in path)

    def path(
        self, source: str, target: str, *, forward_only: bool = False, semi_join: bool = False
    ) -> list[Edge] | None:
        """The path with the fewest to-many edges, then the fewest edges.

        A path may go down one-to-many edges and then up many-to-one edges, never
        down again after going up: that would join two facts through a shared
        dimension (visitors by refund reason), a chasm trap with no meaning.
        Validation rejects layers where two forward paths tie, so the choice is
        unambiguous where it matters (metric joins never walk to-many edges)."""
        if source == target:
            return []
        tie = count()
        queue: list[tuple[int, int, int, str, bool, list[Edge]]] = [(0, 0, next(tie), source, False, [])]
        settled: set[tuple[str, bool]] = set()
        while queue:
            fanouts, length, _, node, went_up, path = heapq.heappop(queue)
            if node == target:
                return path
            if (node, went_up) in settled:
                continue
            settled.add((node, went_up))
            for edge in self.edges.get(node, []):
                if edge.to_many and (forward_only or (went_up and not semi_join)):
                    continue
                if any(e.source == edge.target for e in path) or edge.target == source:
                    continue
                state = (
                    fanouts + edge.to_many,
                    length + 1,
                    next(tie),
                    edge.target,
                    went_up or not edge.to_many,
                )
                heapq.heappush(queue, (*state, [*path, edge]))
        return None

    def forward_paths(self, source: str) -> Mapping[str, list[list[Edge]]]:
        """Every simple many-to-one path from `source`, by target: more than one
        path to a target means a join would be ambiguous. Shared between callers:
        read it, never change it."""
        if source not in self._forward:
            self._forward[source] = MappingProxyType(self._walk_forward(source))
        return self._forward[source]

    def _walk_forward(self, source: str) -> dict[str, list[list[Edge]]]:
        found: dict[str, list[list[Edge]]] = {}

        def walk(node: str, path: list[Edge], seen: frozenset[str]) -> None:
            for edge in self.edges.get(node, []):
                if edge.to_many or edge.target in seen:
                    continue
                extended = [*path, edge]
                found.setdefault(edge.target, []).append(extended)
                walk(edge.target, extended, seen | {edge.target})

        walk(source, [], frozenset({source}))
        return found

    def forward_cycle(self, source: str) -> list[str] | None:
        """A many-to-one walk that comes back to `source`, if any."""

        def walk(node: str, trail: list[str]) -> list[str] | None:
            for edge in self.edges.get(node, []):
                if edge.to_many:
                    continue
                if edge.target == source:
                    return [*trail, source]
                if edge.target not in trail:
                    found = walk(edge.target, [*trail, edge.target])
                    if found:
                        return found
            return None

        return walk(source, [source])


def dot(layer: SemanticLayer, language: str = "zh") -> str:
    """The join graph in Graphviz DOT: a box per model (name and label), an arrow
    per relationship from the many side to the one side, solid when every row
    has its parent (an inner join), dashed otherwise; one-to-one edges have no
    arrow head."""

    def quoted(text: str) -> str:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        return f'"{escaped}"'

    lines = [
        "digraph joins {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Noto Sans CJK SC"];',
        '  edge [fontname="Noto Sans CJK SC", fontsize=10];',
    ]
    for model in layer.models:
        label = model.label.text(language)
        lines.append(f"  {quoted(model.name)} [label={quoted(model.name + chr(10) + label)}];")
    for rel in layer.relationships:
        many, many_key, one, one_key, one_to_one = normalise(rel)
        keys = many_key if many_key == one_key else f"{many_key} → {one_key}"
        style = "solid" if rel.required else "dashed"
        head = "none" if one_to_one else "normal"
        lines.append(
            f"  {quoted(many)} -> {quoted(one)} [label={quoted(keys)}, style={style}, arrowhead={head}];"
        )
    lines.append("}")
    return "\n".join(lines)
