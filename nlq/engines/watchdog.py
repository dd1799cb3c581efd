"""Statement timeouts for engines that are interrupted from outside (DuckDB,
Spark): one long-lived thread per connection calls the interrupt once a query
passes its deadline. A threading.Timer per query started a thread each time,
about 0.15 ms, a few percent of a fast query; so did waking the thread for each
query (about 0.2 ms here): an idle thread looks again after the last timeout
instead, in time for any query that started meanwhile, and is woken only for a
deadline earlier than that."""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# How often a block still running after its interrupt is interrupted again.
REPEAT_S = 0.5


@dataclass
class Watch:
    deadline: float
    interrupt: Callable[[], None]
    fired: bool = False


class Watchdog:
    def __init__(self, name: str = "nlq-query-watchdog") -> None:
        self._name = name
        self._wake = threading.Condition()
        self._watches: list[Watch] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        # When the waiting thread looks at the current watch next, and how long it
        # waits when there is none (the last timeout asked for).
        self._wakes_at = math.inf
        self._idle_s = 0.0

    @contextmanager
    def watch(self, timeout_s: float | None, interrupt: Callable[[], None]) -> Iterator[Watch | None]:
        """Runs the block, calling `interrupt` if it still runs after timeout_s
        seconds; the watch it yields tells whether it did. Blocks may run side by side
        (a DuckDB cursor per question): each has its own deadline."""
        if not timeout_s:
            yield None
            return
        current = Watch(time.monotonic() + timeout_s, interrupt)
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._watches.append(current)
            self._idle_s = timeout_s
            if current.deadline < self._wakes_at:
                self._wake.notify()
        try:
            yield current
        finally:
            with self._wake:
                self._watches.remove(current)

    def close(self) -> None:
        """Ends the thread, with the connection it watches (a server opens many over
        its life). A later watch starts a new one."""
        with self._wake:
            thread, self._thread = self._thread, None
            self._closed = True
            self._wake.notify()
        if thread is not None:
            thread.join(timeout=5)
        with self._wake:
            self._closed = False

    def _run(self) -> None:
        while True:
            with self._wake:
                due = self._next_due()
                if due is None:
                    return
            # Outside the lock: the query's own end waits for it, and an interrupt may take
            # its time (Spark cancels through the JVM). A late interrupt reaches only its own
            # query (a DuckDB cursor, a Spark job group, made for that query alone), which
            # may have ended and closed meanwhile: nothing is left to stop then.
            with contextlib.suppress(Exception):
                due.interrupt()

    def _next_due(self) -> Watch | None:
        """Waits until the current watch passes its deadline (again, REPEAT_S after each
        interrupt, until its block ends); None once the watchdog is closed."""
        while True:
            if self._closed:
                return None
            current = min(self._watches, key=lambda w: w.deadline, default=None)
            now = time.monotonic()
            if current is None:
                # A query starting within the wait has a deadline after its end: found in time.
                self._wait(now, self._idle_s)
                continue
            remaining = current.deadline - now
            if remaining > 0:
                self._wait(now, remaining)
                continue
            # Kept, and interrupted again while its block runs: an interrupt can come before
            # the work it should stop has begun (Spark cancels only the jobs already running;
            # one submitted a moment later ran on unchecked).
            current.fired = True
            current.deadline = now + REPEAT_S
            return current

    def _wait(self, now: float, seconds: float) -> None:
        self._wakes_at = now + seconds
        self._wake.wait(seconds)
        self._wakes_at = math.inf  # awake: a later watch is looked at before waiting again
