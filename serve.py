"""The demo server (`make demo`): `streamlit run serve.py` serves the chat of
app.py and, while the server starts and the browser loads the page, builds what
the first question needs (the pipeline, jieba's dictionary, the chart stack),
so that the first user does not wait for it."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import streamlit as st

LOG = logging.getLogger("nlq.serve")


@asynccontextmanager
async def warm_up(app: st.App) -> AsyncIterator[None]:
    threading.Thread(target=_prepare, name="nlq-warm-up", daemon=True).start()
    yield


def _prepare() -> None:
    # Outside a session Streamlit warns that there is no script context: expected here.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    try:
        from nlq.ui import answers, resources  # noqa: F401  (pandas, Altair: what the first answer imports)

        resources.base_pipeline(resources.database(), resources.semantic())
    except Exception as error:  # the first session builds it then, and shows what went wrong
        LOG.warning("warm-up failed: %s: %s", type(error).__name__, error)


app = st.App("app.py", lifespan=warm_up)
