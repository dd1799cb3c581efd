"""Guarded SQL of semantic queries already compiled, so that a question asked
again (by anyone with the same role) skips compiling, generating and guarding:
together about two thirds of nlq's own time per answer.

A cache belongs to one compiler, that is one semantic layer, role, set of user
attributes and dialect, so its key is the semantic query alone. The rows are
not kept here (see result_cache): the SQL still runs every time."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from nlq.semantic.query import SemanticQuery


class PlanCache:
    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def sql(self, query: SemanticQuery, build: Callable[[SemanticQuery], str]) -> str:
        """The SQL of the query, built (and kept) on the first request. A refusal
        (QueryError) is raised again each time, never kept."""
        key = query.model_dump_json()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        sql = build(query)
        with self._lock:
            self._entries[key] = sql
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return sql

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
