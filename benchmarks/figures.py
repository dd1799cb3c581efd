"""Percentile summaries and Markdown tables: how every benchmark reports a figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def spread(values: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / max of a sample."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    return {
        "p50": float(np.percentile(data, 50)),
        "p95": float(np.percentile(data, 95)),
        "max": float(data.max()),
    }


def spread_cells(values: Sequence[float], digits: int = 1) -> list[str]:
    figures = spread(values)
    return [f"{figures[k]:,.{digits}f}" for k in ("p50", "p95", "max")]


def table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
