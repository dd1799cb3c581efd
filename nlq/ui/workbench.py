"""The analyst workbench ("语义层 / Semantic layer"): browse the layer (models,
metrics with their 口径, dimensions with synonyms and values), preview the SQL
and first rows of any metric as any user (their row filters and masks shown),
see the join graph, and curate the layer from what users actually got: the
intake of what went wrong, changes made in forms and tried on a copy with their
evidence, saved for review and approved into the layer (nlq.ui.curation,
nlq.ui.review)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from nlq.catalogue import catalogue
from nlq.engines import ConnectorError
from nlq.identity import Identity
from nlq.language import Language
from nlq.messages import say
from nlq.pipeline import MAX_ROWS
from nlq.semantic.errors import QueryError
from nlq.semantic.graph import dot
from nlq.semantic.loader import LayerError
from nlq.semantic.model import GRAINS
from nlq.semantic.query import Filter, SemanticQuery, TimeRange
from nlq.ui.access import SEMANTIC_ROLES, current_identity, current_language, require
from nlq.ui.curation import layer_path, pretty_sql, render_change, render_intake, render_proposal
from nlq.ui.resources import base_pipeline, database, pipeline_of, semantic
from nlq.ui.review import render_review

PREVIEW_ROWS = 20
NO_GRAIN = "-"
AS_ME = ""  # the preview's default: the signed-in user, as the role they view as


def render() -> None:
    language = current_language()
    role = require(SEMANTIC_ROLES, language)
    try:
        base = base_pipeline(database(), semantic())
    except (ConnectorError, LayerError, QueryError) as error:
        st.error(say("workbench.unavailable", language, reason=str(error)))
        st.stop()
    st.title(say("workbench.title", language))
    st.caption(say("workbench.caption", language, path=str(layer_path())))
    identity = current_identity()
    if identity is None:
        st.stop()
    assert identity is not None
    browse, preview, graph, intake, change, review = st.tabs(
        [
            say("workbench.browse", language),
            say("workbench.preview", language),
            say("workbench.graph", language),
            say("workbench.unanswered", language),
            say("workbench.change", language),
            say("workbench.review", language),
        ]
    )
    with browse:
        _browse(role, language)
    with preview:
        _preview(role, language)
    with graph:
        st.graphviz_chart(dot(base.layer, language), width="stretch")
        st.caption(say("workbench.graph_caption", language))
    with intake:
        render_intake(identity, language)
    with change:
        render_change(language)
    with review:
        render_review(identity, language)
    render_proposal(identity, language)


# -- browse ----------------------------------------------------------------------------------------


def _browse(role: str, language: Language) -> None:
    layer = base_pipeline(database(), semantic()).layer
    entries = catalogue(layer, language, role)
    words = say("workbench.word_separator", language)
    st.subheader(say("workbench.metrics", language))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.name", language): e.name,
                    say("workbench.label", language): e.label,
                    say("workbench.definition", language): e.definition,
                    say("workbench.synonyms", language): words.join(e.synonyms),
                    say("workbench.format", language): e.unit,
                }
                for e in entries
                if e.kind == "metric"
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_metrics",
    )
    st.subheader(say("workbench.dimensions", language))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.name", language): e.name,
                    say("workbench.label", language): e.label,
                    say("workbench.model", language): e.model,
                    say("workbench.synonyms", language): words.join(e.synonyms),
                    say("workbench.values", language): words.join(e.values),
                    say("workbench.definition", language): e.definition,
                }
                for e in entries
                if e.kind != "metric"
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_dimensions",
    )
    st.subheader(say("workbench.models", language))
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.name", language): m.name,
                    say("workbench.label", language): m.label.text(language),
                    say("workbench.table", language): m.table or "(sql)",
                    say("workbench.dimensions", language): len(m.dimensions) + len(m.time_dimensions),
                    say("workbench.definition", language): m.description,
                }
                for m in layer.models
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_models",
    )


# -- preview ---------------------------------------------------------------------------------------


def _preview(role: str, language: Language) -> None:
    base = base_pipeline(database(), semantic())
    entries = catalogue(base.layer, language, role)
    metrics = {e.name: e for e in entries if e.kind == "metric"}
    dimensions = {e.name: e for e in entries if e.kind == "dimension"}
    if not metrics:
        return
    left, right = st.columns(2)
    metric = left.selectbox(
        say("workbench.metric", language),
        list(metrics),
        format_func=lambda n: f"{metrics[n].label} ({n})",
        key="wb_metric",
    )
    by = right.multiselect(
        say("workbench.by", language),
        list(dimensions),
        format_func=lambda n: f"{dimensions[n].label} ({n})",
        key="wb_by",
    )
    latest = base.latest_date
    start_default = (latest.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    period_col, grain_col, limit_col = st.columns([2, 1, 1])
    period = period_col.date_input(
        say("workbench.period", language), value=(start_default, latest), key="wb_period"
    )
    grain = grain_col.selectbox(say("workbench.grain", language), [NO_GRAIN, *GRAINS], key="wb_grain")
    limit = limit_col.number_input(
        say("workbench.limit", language), min_value=1, max_value=MAX_ROWS, value=100, key="wb_limit"
    )
    filter_col, values_col = st.columns(2)
    on = filter_col.selectbox(
        say("workbench.filter_on", language),
        ["", *dimensions],
        format_func=lambda n: (
            say("workbench.no_filter", language) if not n else f"{dimensions[n].label} ({n})"
        ),
        key="wb_filter_on",
    )
    chosen: list[str] = []
    if on:
        known = dimensions[on].values or base.value_index().get(on, [])
        chosen = values_col.multiselect(
            say("workbench.filter_values", language), known, key="wb_filter_values"
        )
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (None, None)
    identity = current_identity()
    if identity is None:
        st.stop()
    assert identity is not None
    users = {u.name: u for u in base.layer.users}
    chosen_user = st.selectbox(
        say("workbench.preview_as", language),
        [AS_ME, *users],
        format_func=lambda n: (
            say("workbench.preview_as_me", language, role=role) if n == AS_ME else f"{n} ({users[n].role})"
        ),
        key="wb_preview_as",
    )
    # Compiled with that user's role and attributes, but audited as the analyst who previews.
    as_user = users.get(chosen_user or "")
    as_identity = (
        identity
        if as_user is None
        else Identity(
            user=identity.user,
            role=as_user.role,
            attributes=dict(as_user.attributes),
            signed_in_role=identity.signed_in_role or identity.role,
        )
    )
    try:
        query = SemanticQuery(
            metrics=[metric] if metric else [],
            dimensions=by,
            time_grain=None if grain == NO_GRAIN else grain,
            time_range=TimeRange(start=start, end=end) if start else None,
            filters=[Filter(dimension=on, op="in", values=list(chosen))] if on and chosen else [],
            limit=int(limit),
        )
        pipeline = pipeline_of(as_identity)
        previewed = pipeline.answer(query, language=language)
        if previewed.status != "answered":
            st.warning(previewed.message, icon=":material/block:")
            return
        block = previewed.answers[0]
    except QueryError as error:
        st.warning(error.message(language), icon=":material/block:")
        return
    except ConnectorError as error:
        st.error(str(error))
        return
    except ValueError as error:  # a query the typed model rejects (an empty period, say)
        st.warning(str(error))
        return
    _policies(as_identity, language)
    st.code(pretty_sql(block.sql, pipeline.connector.dialect), language="sql")
    st.caption(
        say("workbench.first_rows", language, shown=min(PREVIEW_ROWS, len(block.rows)), total=len(block.rows))
    )
    st.dataframe(
        pd.DataFrame(block.rows[:PREVIEW_ROWS], columns=block.columns),
        hide_index=True,
        width="stretch",
        key="wb_preview_rows",
    )


def _policies(identity: Identity, language: Language) -> None:
    """What the role the preview compiles as changes: its row filters and its masks."""
    layer = base_pipeline(database(), semantic()).layer
    role = layer.role(identity.role) if identity.role else None
    st.caption(say("workbench.role_note", language, role=identity.role or "-"))
    if role is None:
        return
    rows = [
        {
            say("workbench.policy", language): say("workbench.row_filter", language),
            say("workbench.applies_to", language): m,
            "": f,
        }
        for m, f in role.row_filters.items()
    ]
    rows += [
        {
            say("workbench.policy", language): say("workbench.mask", language),
            say("workbench.applies_to", language): c,
            "": k,
        }
        for c, k in role.masks.items()
    ]
    if identity.attributes:
        rows += [
            {
                say("workbench.policy", language): say("workbench.attribute", language),
                say("workbench.applies_to", language): k,
                "": str(v),
            }
            for k, v in identity.attributes.items()
        ]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="wb_preview_policies")
