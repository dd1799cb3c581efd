"""Plans of semantic queries already compiled (their guarded SQL and what each
column of the result is), so that a question asked again (by anyone with the same
role) skips compiling, generating and guarding: together about two thirds of nlq's
own time per answer.

A cache belongs to one compiler, that is one semantic layer, role, set of user
attributes and dialect, so its key is the semantic query alone. The rows are
not kept here (see result_cache): the SQL still runs every time."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from nlq.answer import AnswerColumn
from nlq.semantic.query import SemanticQuery


class Plan(BaseModel):
    """A compiled query as it will run: shared by every asker of the role, so frozen."""

    model_config = ConfigDict(frozen=True)

    sql: str
    columns: tuple[AnswerColumn, ...] = ()


class PlanCache:
    def __init__(self, max_entries: int = 2048) -> None:
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[str, Plan] = OrderedDict()
        self._lock = threading.Lock()

    def plan(self, query: SemanticQuery, build: Callable[[SemanticQuery], Plan]) -> Plan:
        """The plan of the query, built (and kept) on the first request. A refusal
        (QueryError) is raised again each time, never kept."""
        key = query.model_dump_json()
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return found
            self.misses += 1
        plan = build(query)
        with self._lock:
            self._entries[key] = plan
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
