"""Connections to a database server, one per question at a time: a slow question
holds its own connection and no other waits behind it (up to NLQ_POOL_SIZE run
at once; more wait for one to come back). A connection an error left unusable
is closed, not handed to the next question."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

C = TypeVar("C")
POOL_SIZE = int(os.environ.get("NLQ_POOL_SIZE", "4"))


class ConnectionPool(Generic[C]):
    def __init__(
        self,
        open_connection: Callable[[], C],
        *,
        usable: Callable[[C], bool],
        close: Callable[[C], None],
        size: int = POOL_SIZE,
    ) -> None:
        self._open = open_connection
        self._usable = usable
        self._close = close
        self._slots = threading.BoundedSemaphore(max(size, 1))
        self._lock = threading.Lock()
        # Opened now: a wrong password or an unreachable server is said at once.
        self._idle: list[C] = [open_connection()]

    @contextlib.contextmanager
    def connection(self) -> Iterator[C]:
        with self._slots:
            connection = self._take()
            try:
                yield connection
            finally:
                self._give_back(connection)

    def _take(self) -> C:
        with self._lock:
            while self._idle:
                connection = self._idle.pop()
                if self._usable(connection):
                    return connection
                self._discard(connection)
        return self._open()

    def _give_back(self, connection: C) -> None:
        if not self._usable(connection):
            self._discard(connection)
            return
        with self._lock:
            self._idle.append(connection)

    def _discard(self, connection: C) -> None:
        with contextlib.suppress(Exception):  # it is broken already; closing is a courtesy
            self._close(connection)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            self._discard(connection)
