"""The statement timeout's watchdog: it interrupts a query that runs past its
deadline, and only that one."""

from __future__ import annotations

import itertools
import threading
import time
from pathlib import Path

import pytest

from nlq.engines import ConnectorError
from nlq.engines.duckdb import DuckDBConnector
from nlq.engines.watchdog import REPEAT_S, Watchdog

SLOW = "SELECT COUNT(DISTINCT a.event_id + b.event_id) FROM events a, events b"


def test_interrupts_a_block_past_its_deadline_once() -> None:
    watchdog = Watchdog()
    calls: list[float] = []
    released = threading.Event()

    def interrupt() -> None:
        calls.append(time.monotonic())
        released.set()

    started = time.monotonic()
    with watchdog.watch(0.2, interrupt) as watch:
        assert released.wait(5)
    time.sleep(0.3)
    assert watch is not None and watch.fired
    assert len(calls) == 1 and calls[0] - started >= 0.2


def test_a_block_that_runs_on_is_interrupted_again_until_it_ends() -> None:
    """Spark cancels only the jobs running when asked: a query whose job started just
    after the first interrupt must get another one."""
    watchdog = Watchdog()
    calls: list[float] = []
    stopped = threading.Event()

    def interrupt() -> None:
        calls.append(time.monotonic())
        if len(calls) == 3:
            stopped.set()

    started = time.monotonic()
    with watchdog.watch(0.1, interrupt) as watch:
        assert stopped.wait(10)
    time.sleep(REPEAT_S * 2)  # nothing more once the block has ended
    assert watch is not None and watch.fired and len(calls) == 3
    assert calls[0] - started >= 0.1 and all(b - a >= REPEAT_S * 0.9 for a, b in itertools.pairwise(calls))


def test_a_finished_block_is_never_interrupted() -> None:
    watchdog = Watchdog()
    calls: list[int] = []
    for i in range(200):
        with watchdog.watch(0.05, lambda i=i: calls.append(i)) as watch:
            pass
        assert watch is not None and not watch.fired
    time.sleep(0.2)  # every deadline has passed by now
    assert calls == []


@pytest.mark.parametrize("before_s", [30.0, 0.2])
def test_a_block_after_others_is_interrupted_at_its_own_deadline(before_s: float) -> None:
    """The idle thread is not woken for each block: a shorter timeout than the last one
    wakes it, a longer one is found when it looks again, in time either way."""
    watchdog = Watchdog()
    with watchdog.watch(before_s, lambda: pytest.fail("interrupted")):
        pass
    time.sleep(0.05)
    fired = threading.Event()
    started = time.monotonic()
    with watchdog.watch(0.3, fired.set) as watch:
        assert fired.wait(5)
    late = time.monotonic() - started
    assert watch is not None and watch.fired and 0.3 <= late < 3


def test_no_timeout_no_watch() -> None:
    with Watchdog().watch(None, lambda: pytest.fail("interrupted")) as watch:
        assert watch is None


def test_duckdb_query_interrupted_then_the_connection_serves_on(warehouse_path: Path) -> None:
    connector = DuckDBConnector(warehouse_path)
    try:
        for _ in range(3):  # the deadlines of finished queries pass and touch no later query
            assert connector.execute("SELECT COUNT(*) FROM campaigns", timeout_s=0.5).rows == [[13]]
            time.sleep(0.6)
        started = time.monotonic()
        with pytest.raises(ConnectorError) as error:
            connector.execute(SLOW, timeout_s=0.3)
        assert error.value.kind == "timeout"
        assert time.monotonic() - started < 10
        assert connector.execute("SELECT COUNT(*) FROM campaigns", timeout_s=30).rows == [[13]]
    finally:
        connector.close()


def test_a_slow_or_failing_interrupt_holds_up_nothing() -> None:
    """The interrupt runs outside the watchdog's lock: the block's end never waits for
    it, and one that fails (its query already closed) leaves the watchdog running."""
    watchdog = Watchdog()
    entered, leave = threading.Event(), threading.Event()

    def slow_interrupt() -> None:
        entered.set()
        leave.wait(5)
        raise RuntimeError("connection already closed")

    with watchdog.watch(0.05, slow_interrupt):
        assert entered.wait(5)
    # The block has ended although its interrupt is still running.
    leave.set()
    fired = threading.Event()
    with watchdog.watch(0.05, fired.set) as watch:
        assert fired.wait(5)
    assert watch is not None and watch.fired


def test_closing_ends_the_thread_and_a_later_watch_starts_one() -> None:
    watchdog = Watchdog(name="nlq-test-watchdog")

    def running() -> int:
        return sum(1 for t in threading.enumerate() if t.name == "nlq-test-watchdog")

    with watchdog.watch(5, lambda: None):
        assert running() == 1
    watchdog.close()
    assert running() == 0
    fired = threading.Event()
    with watchdog.watch(0.05, fired.set):
        assert fired.wait(5)
    watchdog.close()
    assert running() == 0
