"""Reading a question against a large value dictionary: the demo layer with
100,000 distinct values of one dimension added (city-like names in Chinese and
pinyin), every dev and blind question read afresh. Linking must not scan the
dictionary per question."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import numpy as np

from nlq.eval.benchmark import load_benchmark
from nlq.lexicon import Lexicon, spellings
from nlq.pipeline import DEMO_SEMANTIC
from nlq.semantic.loader import load_layer
from nlq.understand import Understander

AS_OF = dt.date(2026, 6, 30)
SYLLABLES = "安宝北昌成大东丰福港广海汉和河华吉江金京开兰乐林龙鹿洛梅南宁平齐青庆泉山上韶深沈顺松台泰天通湾武西厦湘新兴阳宜永玉元岳云漳长州珠"


def values(count: int, seed: int = 7) -> list[str]:
    """`count` distinct made-up place names of 2 to 4 characters."""
    rng = random.Random(seed)
    found: set[str] = set()
    while len(found) < count:
        found.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(found)


def measure(benchmarks: list[Path], count: int = 100_000, repeats: int = 3) -> dict[str, float]:
    layer, _ = load_layer(DEMO_SEMANTIC)
    data = {"city": values(count)}
    lexicon = Lexicon.from_layer(layer, data, spellings(data))
    started = time.perf_counter()
    understander = Understander(layer, lexicon)
    build_ms = (time.perf_counter() - started) * 1000
    items = [item for path in benchmarks for item in load_benchmark(path)]
    samples: list[float] = []
    for _ in range(repeats):
        understander.forget()
        for item in items:
            started = time.perf_counter()
            understander.read(item.question, item.as_of or AS_OF, None)
            samples.append((time.perf_counter() - started) * 1000)
    array = np.array(samples)
    return {
        "values": float(count),
        "questions": float(len(items)),
        "build_ms": build_ms,
        "p50_ms": float(np.percentile(array, 50)),
        "p95_ms": float(np.percentile(array, 95)),
        "max_ms": float(array.max()),
    }


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1] / "eval" / "benchmarks"
    for name, figure in measure([root / "dev.jsonl", root / "blind-1.jsonl"]).items():
        print(f"{name:>10} {figure:,.1f}")
