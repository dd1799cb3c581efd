"""The attack corpus of attack_corpus.yaml, expanded: templates x payloads, and
long or binary inputs built from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).with_name("attack_corpus.yaml")
# Files an attack tries to write; none may exist afterwards.
CANARIES = (
    Path("/tmp/nlq_attack_canary.csv"),
    Path("/tmp/nlq_attack_canary.duckdb"),
    Path("/tmp/nlq_attack_export"),
)


@dataclass(frozen=True)
class Attack:
    category: str
    text: str

    def label(self) -> str:
        shown = self.text[:60].encode("unicode_escape").decode("ascii")
        return f"{self.category}: {shown}" + (f"... ({len(self.text)} chars)" if len(self.text) > 60 else "")


@cache
def attacks() -> tuple[Attack, ...]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    found: list[Attack] = []
    for category, templates in data["templates"].items():
        for template, payload_list in templates:
            for payload in data["payloads"][payload_list]:
                found.append(Attack(category, template.replace("{p}", payload)))
    for spec in data["generated"]:
        found.append(Attack(spec["kind"], _generate(spec)))
    return tuple(found)


def _generate(spec: dict[str, object]) -> str:
    kind = spec["kind"]
    if kind == "repeat":
        return str(spec["text"]) * int(str(spec["times"]))
    if kind == "padded":
        size = int(str(spec["size"]))
        return str(spec["text"]) + str(spec["pad"]) * (size - len(str(spec["text"])))
    if kind == "bytes":
        rng = random.Random(int(str(spec["seed"])))
        raw = bytes(rng.randrange(256) for _ in range(int(str(spec["size"]))))
        # As a server would receive it: undecodable bytes kept as surrogates.
        return raw.decode("utf-8", "surrogateescape")
    if kind == "literal":
        return str(spec["text"])
    raise ValueError(f"unknown generated input kind: {kind}")
