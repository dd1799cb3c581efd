"""The demo server (`make demo`): `streamlit run serve.py` serves the chat of
app.py and, once no browser is loading a page, builds what the first question
needs (the pipeline, jieba's dictionary, the chart stack), so that the first
user does not wait for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

LOG = logging.getLogger("nlq.serve")
# How long the server must hear no request before warming up. A browser loading the
# page meanwhile needs both cores: importing pandas, sqlglot and jieba beside it made
# the first answer 0.3 s later (benchmarks/startup.py), and that page's own first run
# imports them anyway.
QUIET_S = 0.5


class Activity:
    """ASGI middleware that notes when a request last came in."""

    last = time.monotonic()

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            Activity.last = time.monotonic()
        await self.app(scope, receive, send)


@asynccontextmanager
async def warm_up(app: st.App) -> AsyncIterator[None]:
    threading.Thread(target=_prepare, name="nlq-warm-up", daemon=True).start()
    yield


def wait_until_quiet(quiet_s: float = QUIET_S) -> None:
    while (idle := time.monotonic() - Activity.last) < quiet_s:
        time.sleep(quiet_s - idle)


def _prepare() -> None:
    wait_until_quiet()
    # Outside a session Streamlit warns that there is no script context: expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    try:
        from nlq.ui import answers, resources  # noqa: F401  (pandas, Altair: what the first answer imports)

        resources.base_pipeline(resources.database(), resources.semantic())
    except Exception as error:  # the first session builds it then, and shows what went wrong
        LOG.warning("warm-up failed: %s: %s", type(error).__name__, error)


app = st.App("app.py", lifespan=warm_up, middleware=[Middleware(Activity)])
