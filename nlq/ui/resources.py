"""What the UI shares across sessions and reruns: the pipelines (one per role,
sharing the connection and the understanding) and where things live.

NLQ_DB and NLQ_SEMANTIC point the app at another warehouse or layer (the tests
use the cached demo warehouse), NLQ_FEEDBACK at another ratings file."""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from nlq import feedback
from nlq.identity import Identity
from nlq.messages import say
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.semantic.loader import LayerError, load_cached
from nlq.semantic.model import SemanticLayer


def database() -> str | None:
    return os.environ.get("NLQ_DB") or None


def semantic() -> str | None:
    return os.environ.get("NLQ_SEMANTIC") or None


def feedback_file() -> Path:
    return Path(os.environ.get("NLQ_FEEDBACK") or feedback.DEFAULT_FILE)


# Shown before anyone chose a language: in both.
LOADING = say("ui.loading_both", "zh", chinese=say("ui.loading", "zh"), english=say("ui.loading", "en"))


@st.cache_resource(show_spinner=LOADING)
def base_pipeline(db: str | None, layer: str | None) -> Pipeline:
    pipeline = Pipeline(db=db, semantic=layer)
    # Paid once here rather than by the first question: jieba, the lexicon, the value index.
    _ = pipeline.understander, pipeline.latest_date
    return pipeline


def layer_or_none() -> SemanticLayer | None:
    """The layer users sign in against; None when it cannot load (the chat page says why)."""
    try:
        return load_cached(semantic() or DEMO_SEMANTIC)
    except LayerError:
        return None


def pipeline_of(identity: Identity) -> Pipeline:
    """The pipeline answering for this identity (shared by its sessions)."""
    return pipeline_for(identity.model_dump_json(), database(), semantic())


@st.cache_resource(show_spinner=False)
def pipeline_for(identity: str, db: str | None, layer: str | None) -> Pipeline:
    return base_pipeline(db, layer).for_identity(Identity.model_validate_json(identity))
