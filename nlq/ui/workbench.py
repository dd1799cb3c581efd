"""The analyst workbench ("语义层 / Semantic layer"): browse the layer (models,
metrics with their 口径, dimensions with synonyms and values), preview the SQL
and first rows of any metric by dimensions and filters under the current role,
see the join graph, and curate the layer from what users could not get
answered: suggested synonyms, tried on a copy of the layer (diff, validation,
dev benchmark before and after) and only then saved over the real files."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from nlq import feedback, suggest
from nlq.audit import AuditError, open_audit
from nlq.catalogue import catalogue
from nlq.engines import ConnectorError
from nlq.eval.benchmark import load_benchmark
from nlq.language import Language
from nlq.messages import Text, say
from nlq.pipeline import DEMO_SEMANTIC, MAX_ROWS
from nlq.proposal import DEV_BENCHMARK, Proposal, Scores, propose, score_layer
from nlq.semantic.edit import EditError, LayerChange, save
from nlq.semantic.errors import QueryError
from nlq.semantic.graph import dot
from nlq.semantic.loader import LayerError, layer_files
from nlq.semantic.model import GRAINS
from nlq.semantic.query import Filter, SemanticQuery, TimeRange
from nlq.ui.access import SEMANTIC_ROLES, current_identity, current_language, require
from nlq.ui.resources import base_pipeline, database, feedback_file, pipeline_for, pipeline_of, semantic

BENCHMARK_ENV = "NLQ_BENCHMARK"  # the benchmark a proposed change is scored on (default: dev)
PREVIEW_ROWS = 20
NO_GRAIN = "-"


def layer_path() -> Path:
    return Path(semantic() or DEMO_SEMANTIC)


def benchmark_path() -> Path:
    return Path(os.environ.get(BENCHMARK_ENV) or DEV_BENCHMARK)


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
    browse, preview, graph, unanswered = st.tabs(
        [
            say("workbench.browse", language),
            say("workbench.preview", language),
            say("workbench.graph", language),
            say("workbench.unanswered", language),
        ]
    )
    with browse:
        _browse(role, language)
    with preview:
        _preview(role, language)
    with graph:
        st.graphviz_chart(dot(base.layer, language), width="stretch")
        st.caption(say("workbench.graph_caption", language))
    with unanswered:
        _unanswered(language)


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
    try:
        query = SemanticQuery(
            metrics=[metric] if metric else [],
            dimensions=by,
            time_grain=None if grain == NO_GRAIN else grain,
            time_range=TimeRange(start=start, end=end) if start else None,
            filters=[Filter(dimension=on, op="in", values=list(chosen))] if on and chosen else [],
            limit=int(limit),
        )
        identity = current_identity()
        if identity is None:
            st.stop()
        assert identity is not None
        pipeline = pipeline_of(identity)
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
    st.caption(say("workbench.role_note", language, role=role))
    st.code(block.sql, language="sql")
    st.caption(
        say("workbench.first_rows", language, shown=min(PREVIEW_ROWS, len(block.rows)), total=len(block.rows))
    )
    st.dataframe(
        pd.DataFrame(block.rows[:PREVIEW_ROWS], columns=block.columns),
        hide_index=True,
        width="stretch",
        key="wb_preview_rows",
    )


# -- unanswered questions and proposed changes -----------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _baseline(layer: str, stamp: tuple[tuple[str, float], ...], db: str | None, benchmark: str) -> Scores:
    """The current layer's benchmark scores, computed once per version of its files."""
    items = load_benchmark(Path(benchmark))
    with tempfile.TemporaryDirectory(prefix="nlq-baseline-") as scratch:
        return score_layer(layer, db, items, Path(scratch))


def _stamp(path: Path) -> tuple[tuple[str, float], ...]:
    return tuple((str(f), f.stat().st_mtime) for f in layer_files(path))


def _unanswered(language: Language) -> None:
    st.caption(say("workbench.sources", language))
    base = base_pipeline(database(), semantic())
    questions: list[suggest.Unanswered] = []
    try:
        log = open_audit()
        try:
            questions += suggest.from_audit(log)
        finally:
            log.close()
    except AuditError as error:
        st.warning(say("workbench.audit_unavailable", language, reason=str(error)))
    questions += suggest.from_feedback(feedback.read(feedback_file()))
    found = suggest.suggest(questions, base.understander, base.latest_date)
    with st.expander(say("workbench.manual", language)):
        _manual(language)
    if not found:
        st.info(say("workbench.nothing", language))
        _proposal(language)
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.count", language): s.count,
                    say("workbench.word", language): s.word or say("workbench.all_linked", language),
                    say("workbench.from", language): ", ".join(f"{k} {v}" for k, v in s.sources.items()),
                    say("workbench.example", language): s.questions[0],
                    say("workbench.fix", language): (
                        s.fix.describe(language)
                        if s.fix
                        else say("workbench.none_near", language)
                        if s.word
                        else ""
                    ),
                }
                for s in found
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_suggestions",
    )
    fixable = {s.word: s for s in found if s.fixes}
    if not fixable:
        _proposal(language)
        return
    word = st.selectbox(
        say("workbench.pick", language),
        list(fixable),
        format_func=lambda w: f"{w} ×{fixable[w].count}",
        key="wb_pick",
    )
    chosen = fixable[word] if word in fixable else next(iter(fixable.values()))
    index = st.radio(
        say("workbench.pick_fix", language),
        range(len(chosen.fixes)),
        format_func=lambda i: chosen.fixes[i].describe(language),
        key=f"wb_fix_{chosen.word}",
    )
    fix = chosen.fixes[index or 0]
    if st.button(say("workbench.try", language), icon=":material/science:", key="wb_try"):
        _try(fix.change, chosen.questions[:5], language)
    _proposal(language)


def _manual(language: Language) -> None:
    """Any synonym or value alias, typed by the analyst, through the same checks."""
    layer = base_pipeline(database(), semantic()).layer
    kinds: dict[str, list[str]] = {
        "metric_synonym": [m.name for m in layer.metrics],
        "dimension_synonym": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions)),
        "value_alias": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions if d.values)),
        "term_synonym": [t.name for t in layer.terms],
    }
    kind_col, target_col, value_col, word_col = st.columns(4)
    kind = kind_col.selectbox(
        say("workbench.kind", language),
        list(kinds),
        format_func=lambda kind: say(f"workbench.kind_{kind}", language),
        key="wb_manual_kind",
    )
    target = target_col.selectbox(
        say("workbench.target", language), kinds[kind or "metric_synonym"], key="wb_manual_target"
    )
    value = None
    if kind == "value_alias" and target:
        values = next(d.values for m in layer.models for d in m.dimensions if d.name == target and d.values)
        value = value_col.selectbox(say("workbench.value", language), list(values), key="wb_manual_value")
    word = word_col.text_input(say("workbench.new_word", language), key="wb_manual_word").strip()
    if st.button(
        say("workbench.try", language),
        icon=":material/science:",
        key="wb_try_manual",
        disabled=not (word and target),
    ):
        change = LayerChange(kind=kind, target=target, value=value, word=word)
        _try(change, [], language)


def _try(change: LayerChange, questions: list[str], language: Language) -> None:
    base = base_pipeline(database(), semantic())
    with st.spinner(say("workbench.trying", language)):
        benchmark = benchmark_path()
        try:
            st.session_state["wb_proposal"] = propose(
                change,
                layer=layer_path(),
                db=database(),
                workdir=Path(tempfile.mkdtemp(prefix="nlq-proposal-")),
                benchmark=benchmark,
                baseline=_baseline(str(layer_path()), _stamp(layer_path()), database(), str(benchmark)),
                questions=questions,
                as_of=base.latest_date,
            )
        except (EditError, LayerError) as error:
            st.error(say("workbench.cannot", language, reason=str(error)))


def _proposal(language: Language) -> None:
    proposal: Proposal | None = st.session_state.get("wb_proposal")
    if proposal is not None:
        _show_proposal(proposal, language)


def _show_proposal(proposal: Proposal, language: Language) -> None:
    with st.container(border=True, key="wb_proposal_box"):
        st.markdown(f"**{say('workbench.diff', language)}**")
        st.code(proposal.diff, language="diff")
        if proposal.problems:
            st.error(
                say("workbench.invalid", language) + "\n\n" + "\n".join(f"- {p}" for p in proposal.problems)
            )
        else:
            st.success(say("workbench.valid", language))
        if proposal.asked:
            st.markdown(f"**{say('workbench.asked', language)}**")
            st.dataframe(
                pd.DataFrame([a.model_dump() for a in proposal.asked]), hide_index=True, key="wb_asked"
            )
        delta = proposal.delta
        if delta is not None:
            st.metric(
                say("workbench.accuracy", language),
                f"{delta.after:.1%}",
                delta=say("workbench.accuracy_change", language, points=(delta.after - delta.before) * 100),
                help=say("workbench.benchmark_total", language, total=delta.total),
            )
            for label, names in (
                (Text("workbench.fixed"), delta.fixed),
                (Text("workbench.regressed"), delta.regressed),
            ):
                changes = " ".join(names) or "-"
                st.markdown(
                    say("workbench.benchmark_changes", language, label=label, count=len(names), names=changes)
                )
        save_col, discard_col = st.columns(2)
        if save_col.button(
            say("workbench.save", language),
            icon=":material/save:",
            key="wb_save",
            type="primary",
            disabled=bool(proposal.problems),
        ):
            written = save(proposal.layer, layer_path())
            # The cached pipelines hold the old layer: the next question loads the saved one.
            base_pipeline.clear(database(), semantic())
            pipeline_for.clear()
            st.session_state["wb_proposal"] = None
            st.success(say("workbench.saved", language, files=", ".join(p.name for p in written)))
        if discard_col.button(say("workbench.discard", language), key="wb_discard"):
            st.session_state["wb_proposal"] = None
            st.rerun()
