"""Results of compiled SQL kept in memory, so a repeated question (the same
question asked again, a follow-up that re-runs a step, another user asking the
same thing) answers without going back to the engine.

The key is the final SQL (which already carries the role's row filters and
masks, so two roles never share an entry they should not), the database and the
data version the connector reports. A DuckDB file's version changes when the
file does; an engine that cannot tell its version gets entries that expire
after a time to live instead."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from nlq.engines.base import QueryResult


@dataclass(frozen=True)
class CacheKey:
    database: str
    version: str | None
    sql: str
    max_rows: int | None


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0


class ResultCache:
    def __init__(self, *, max_entries: int = 512, max_cells: int = 2_000_000, ttl_s: float = 300.0) -> None:
        self.max_entries = max_entries
        self.max_cells = max_cells  # bounds memory: a few wide results cannot crowd out everything else
        self.ttl_s = ttl_s
        self.stats = CacheStats()
        self._entries: OrderedDict[CacheKey, tuple[float, QueryResult]] = OrderedDict()
        self._cells = 0
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> QueryResult | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and key.version is None and time.monotonic() - entry[0] > self.ttl_s:
                self._drop(key)
                entry = None
            if entry is None:
                self.stats.misses += 1
                return None
            self._entries.move_to_end(key)
            self.stats.hits += 1
            return entry[1]

    def put(self, key: CacheKey, result: QueryResult) -> None:
        cells = _cells(result)
        if cells > self.max_cells:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (time.monotonic(), result)
            self._cells += cells
            while len(self._entries) > self.max_entries or self._cells > self.max_cells:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cells = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: CacheKey) -> None:
        _, result = self._entries.pop(key)
        self._cells -= _cells(result)


def _cells(result: QueryResult) -> int:
    return max(1, len(result.rows) * max(1, len(result.columns)))


# One per process: pipelines for different roles share it (their SQL differs
# wherever their policies do).
SHARED = ResultCache()
