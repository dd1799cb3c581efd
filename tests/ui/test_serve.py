"""The demo server's warm-up waits while browsers are loading pages (they need the
cores) and starts on its own once the server is quiet."""

from __future__ import annotations

import asyncio
import threading
import time

import serve

QUIET_S = 1.0


def _request(kind: str = "http") -> None:
    async def app(scope: object, receive: object, send: object) -> None:
        return None

    asyncio.run(serve.Activity(app)({"type": kind}, None, None))  # type: ignore[arg-type]


def test_the_warm_up_waits_for_a_quiet_server() -> None:
    _request()
    waiter = threading.Thread(target=serve.wait_until_quiet, args=(QUIET_S,), daemon=True)
    started = time.monotonic()
    waiter.start()
    # A page loading: a request every 50 ms for twice the quiet time.
    while time.monotonic() - started < 2 * QUIET_S:
        _request("websocket" if int(time.monotonic() * 20) % 2 else "http")
        time.sleep(0.05)
        assert waiter.is_alive()
    last = time.monotonic()
    waiter.join(timeout=30)
    assert not waiter.is_alive() and time.monotonic() - last >= QUIET_S * 0.9


def test_lifespan_events_are_not_browser_activity() -> None:
    before = serve.Activity.last
    _request("lifespan")
    assert serve.Activity.last == before
