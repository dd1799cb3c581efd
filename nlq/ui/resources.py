"""What the UI shares across sessions and reruns: the pipelines (one per role,
sharing the connection and the understanding) and where things live.

NLQ_DB and NLQ_SEMANTIC point the app at another warehouse or layer (the tests
use the cached demo warehouse), NLQ_FEEDBACK at another ratings file."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from nlq import feedback
from nlq.pipeline import Pipeline


def database() -> str | None:
    return os.environ.get("NLQ_DB") or None


def semantic() -> str | None:
    return os.environ.get("NLQ_SEMANTIC") or None


def feedback_file() -> Path:
    return Path(os.environ.get("NLQ_FEEDBACK") or feedback.DEFAULT_FILE)


@st.cache_resource(show_spinner="正在加载语义层和数据… Loading the semantic layer and data…")
def base_pipeline(db: str | None, layer: str | None) -> Pipeline:
    pipeline = Pipeline(db=db, semantic=layer)
    # Paid once here rather than by the first question: jieba, the lexicon, the value index.
    _ = pipeline.understander, pipeline.latest_date
    return pipeline


@st.cache_resource(show_spinner=False)
def pipeline_for(role: str, db: str | None, layer: str | None) -> Pipeline:
    return base_pipeline(db, layer).for_role(role)
