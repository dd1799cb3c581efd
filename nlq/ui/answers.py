"""The part of the chat page that needs the warehouse: the sidebar's role, as-of
date and catalogue, asking the pending question, and every answer drawn (KPI
cards or a chart chosen by `nlq.charts`, a formatted table, a CSV download and
the SQL). Follow-ups keep the previous question's understanding as context."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import pandas as pd
import streamlit as st
from pydantic import BaseModel

from nlq import feedback
from nlq.answer import AnswerBlock, AskResult
from nlq.catalogue import CatalogueEntry, catalogue, search
from nlq.charts import (
    KIND_LABELS,
    ChartKind,
    ChartPlan,
    chart_rows,
    is_profile,
    table_rows,
    vega_spec,
)
from nlq.engines import ConnectorError
from nlq.messages import Text, listed, say
from nlq.presentation import ColumnInfo, Language, csv_bytes, describe_columns, format_period, format_value
from nlq.semantic.errors import QueryError
from nlq.semantic.loader import LayerError
from nlq.semantic.model import GRAINS, Label, Role, SemanticLayer
from nlq.ui import access
from nlq.ui.conversation import CONTEXT, PENDING, TURNS, new_chat, queue
from nlq.ui.resources import base_pipeline, database, feedback_file, pipeline_of, semantic
from nlq.understand import Understanding, language_of

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~$])")
# Session keys of the answers' SQL expanders (open or closed), one per answer block.
SQL_KEY = "sql-"


class Turn(BaseModel):
    """One question and its answer, as kept in the session."""

    id: str
    result: AskResult
    role: str
    as_of: dt.date
    rating: Literal["up", "down"] | None = None


def render(ui: Language) -> None:
    """Below the page's title and question box (see nlq.ui.chat.render)."""
    state = st.session_state
    try:
        base = base_pipeline(database(), semantic())
    except (ConnectorError, LayerError, QueryError) as error:
        # A wrong NLQ_DB or NLQ_SEMANTIC: say what to fix instead of a traceback.
        st.error(say("ui.unavailable", ui, reason=str(error)), icon=":material/error:")
        st.stop()
    layer = base.layer
    role, as_of = _sidebar(layer, ui, base.latest_date)
    pending = state[PENDING]
    if pending:
        state[PENDING] = None
        _ask(pending, role, as_of, ui)
    for turn in state[TURNS]:
        _render_turn(turn, layer, ui)


# -- asking --------------------------------------------------------------------------------------


def _ask(question: str, role: str, as_of: dt.date, ui: Language) -> None:
    state = st.session_state
    identity = access.current_identity()
    if identity is None:  # the session ended meanwhile: sign in again
        st.rerun()
    assert identity is not None
    pipeline = pipeline_of(identity)
    previous: Understanding | None = state[CONTEXT]
    with st.spinner(say("ui.thinking", ui)):
        result, understanding = pipeline.converse(question, as_of=as_of, previous=previous)
    if understanding is not None:  # a refusal or a clarification keeps the earlier context
        state[CONTEXT] = understanding
    state[TURNS].append(Turn(id=uuid.uuid4().hex, result=result, role=role, as_of=as_of))


def _rate(turn_id: str) -> None:
    state = st.session_state
    value = state.get(f"feedback-{turn_id}")
    turn = next((t for t in state[TURNS] if t.id == turn_id), None)
    if turn is None or value is None:
        return
    turn.rating = "up" if value == 1 else "down"
    entry = feedback.FeedbackRecord.of(turn.id, turn.rating, turn.result, as_of=turn.as_of, role=turn.role)
    feedback.record(entry, feedback_file())
    st.toast(say("ui.thanks", access.current_language()))


# -- sidebar -------------------------------------------------------------------------------------


def _sidebar(layer: SemanticLayer, ui: Language, latest: dt.date) -> tuple[str, dt.date]:
    # Radios, and text boxes only inside popovers: the browser loads a text box's or a
    # select box's script (0.5 s of it here) when one is first shown, and a closed
    # popover shows nothing; the first answer comes that much sooner.
    roles = {r.name: r for r in layer.roles}
    names = list(roles)
    identity = access.signed_in()
    with st.sidebar:
        who = identity.user if identity else ""
        st.caption(say("ui.signed_in", ui, user=who))
        st.button(
            say("ui.sign_out", ui), icon=":material/logout:", key="nlq_sign_out", on_click=access.sign_out
        )
        if access.is_administrator():
            # An administrator may view as another role (audited under their own name).
            own = identity.role if identity and identity.role in names else names[0]
            st.radio(
                say("ui.role", ui),
                names,
                index=names.index(own),
                format_func=lambda n: roles[n].label.text(ui),
                key=access.ROLE_KEY,
            )
        role = access.current_role() or names[0]
        if role in roles:
            st.caption(_role_scope(roles[role], ui))
        as_of = _as_of(ui, latest)
        st.button(
            say("ui.new_chat", ui), icon=":material/add_comment:", key="nlq_new_chat", on_click=new_chat
        )
        st.divider()
        st.subheader(say("ui.catalogue", ui))
        entries = catalogue(layer, ui, role)
        with st.popover(say("ui.search", ui), icon=":material/search:", width="stretch"):
            query = st.text_input(
                say("ui.search", ui),
                key="nlq_catalogue_search",
                # A word in each language may be searched for: the hint shows one of each.
                placeholder=say(
                    "ui.search_placeholder",
                    ui,
                    chinese=say("ui.search_word", "zh"),
                    english=say("ui.search_word", "en"),
                ),
                label_visibility="collapsed",
            )
            if query:
                found = search(entries, query)
                st.caption(say("ui.found", ui, count=len(found)))
                for entry in found:
                    st.markdown(_entry_markdown(entry, ui))
        metrics = [e for e in entries if e.kind == "metric"]
        dimensions = [e for e in entries if e.kind != "metric"]
        with st.expander(say("ui.counted", ui, label=Text("ui.metrics"), count=len(metrics))):
            for entry in metrics:
                st.markdown(_entry_markdown(entry, ui))
        with st.expander(say("ui.counted", ui, label=Text("ui.dimensions"), count=len(dimensions))):
            for entry in dimensions:
                st.markdown(_entry_markdown(entry, ui))
    return role, as_of


def _role_scope(role: Role, language: Language) -> str:
    """What the role sees: the layer's own description in Chinese; otherwise said
    from its policies (the layer describes roles in one language)."""
    return Label(zh=role.description, en=_policies(role)).text(language)


def _policies(role: Role) -> str:
    """The role's policies, in the English they are worded in (see ui.role_scope)."""
    english: Language = "en"
    parts = [
        say("ui.scope_rows_limited", english, models=listed(sorted(role.row_filters), english))
        if role.row_filters
        else say("ui.scope_all_rows", english),
    ]
    if role.masks:
        parts.append(say("ui.scope_masked", english, columns=listed(sorted(role.masks), english)))
    if role.hidden:
        parts.append(say("ui.scope_hidden", english, columns=listed(sorted(role.hidden), english)))
    if role.deny_metrics:
        parts.append(say("ui.scope_denied", english, metrics=listed(role.deny_metrics, english)))
    parts.append(
        say("ui.scope_raw_sql", english) if role.raw_sql else say("ui.scope_questions_only", english)
    )
    policies = say("ui.scope_separator", english).join(parts)
    return say("ui.role_scope", english, role=role.label, policies=policies)


def _as_of(ui: Language, latest: dt.date) -> dt.date:
    """The date relative times count from: the data's last day unless the user picks another."""
    chosen = st.session_state.get(access.AS_OF_KEY)
    shown = chosen if isinstance(chosen, dt.date) else latest
    with st.popover(
        say("grammar.labelled", ui, label=Text("ui.as_of"), value=shown.isoformat()),
        icon=":material/event:",
        width="stretch",
    ):
        picked = st.date_input(say("ui.as_of", ui), value=latest, max_value=latest, key=access.AS_OF_KEY)
    return picked if isinstance(picked, dt.date) else latest


def _entry_markdown(entry: CatalogueEntry, ui: Language) -> str:
    lines = [f"**{_md(entry.label)}** `{entry.name}`" + (f" · {entry.unit}" if entry.unit else "")]
    if entry.model:
        lines[0] += f" · {_md(entry.model)}"
    if entry.definition:
        lines.append(say("grammar.labelled", ui, label=Text("ui.definition"), value=_md(entry.definition)))
    if entry.synonyms:
        synonyms = _md(listed(entry.synonyms[:8], ui))
        lines.append(say("grammar.labelled", ui, label=Text("ui.synonyms"), value=synonyms))
    if entry.values:
        values = _md(listed(entry.values[:12], ui))
        lines.append(say("grammar.labelled", ui, label=Text("ui.values"), value=values))
    return "  \n".join(lines)


# -- one answer ------------------------------------------------------------------------------------


def _render_turn(turn: Turn, layer: SemanticLayer, ui: Language) -> None:
    result = turn.result
    language = language_of(result.question)
    with st.chat_message("user"):
        st.markdown(_md(result.question))
    with st.chat_message("assistant"):
        if result.status == "answered":
            st.caption(_md(result.interpretation))
            if result.message:
                # what an analysis found (why it changed, the unusual days), before its tables
                st.info(_md(result.message), icon=":material/insights:")
            _render_blocks(turn, layer, language, ui)
        elif result.status == "clarify":
            st.warning(_md(result.message), icon=":material/help:")
            if result.options:
                st.markdown(say("ui.choose", language))
                for i, option in enumerate(result.options):
                    st.button(option, key=f"option-{turn.id}-{i}", on_click=queue, args=(option,))
        elif result.status == "refused":
            st.warning(_md(result.message), icon=":material/block:")
        else:
            st.error(_md(result.message), icon=":material/error:")
        left, right = st.columns([1, 4], vertical_alignment="center")
        with left:
            st.feedback("thumbs", key=f"feedback-{turn.id}", on_change=_rate, args=(turn.id,))
        with right:
            st.caption(say("ui.took", ui, ms=result.timings_ms.total))


def _render_blocks(turn: Turn, layer: SemanticLayer, language: Language, ui: Language) -> None:
    blocks = turn.result.answers
    index = 0
    while index < len(blocks):
        if not is_profile(blocks, index):
            _render_block(turn, index, blocks[index], layer, language, ui)
            index += 1
            continue
        # A profile is a small multiple: its distributions side by side, two a row.
        group = [index]
        while group[-1] + 1 < len(blocks) and is_profile(blocks, group[-1] + 1):
            group.append(group[-1] + 1)
        for pair in range(0, len(group), 2):
            for column, at in zip(st.columns(2), group[pair : pair + 2], strict=False):
                with column:
                    _render_block(turn, at, blocks[at], layer, language, ui)
        index = group[-1] + 1


def _render_block(
    turn: Turn,
    index: int,
    block: AnswerBlock,
    layer: SemanticLayer,
    language: Language,
    ui: Language,
) -> None:
    columns = describe_columns(block, layer, language)
    # The chart the pipeline decided (the JSON output carries the same one).
    plan = ChartPlan.of(block.chart)
    with st.container(border=True, key=f"answer-{turn.id}-{index}"):
        st.markdown(f"##### {_md(block.title or say('ui.title', ui))}")
        if len(plan.options) > 1:
            kind: ChartKind | None = st.segmented_control(
                say("ui.chart", ui),
                plan.options,
                default=plan.kind,
                format_func=KIND_LABELS[language].__getitem__,
                key=f"kind-{turn.id}-{index}",
                label_visibility="collapsed",
            )
            plan = plan.switched(kind or plan.kind)
        if plan.kind == "kpi":
            _kpis(block, columns, plan.y, language)
        elif plan.kind != "table":
            records, left_out = chart_rows(plan, block, columns, language)
            spec = vega_spec(plan, records, columns, language)
            if spec is not None:
                st.vega_lite_chart(spec, width="stretch", key=f"chart-{turn.id}-{index}")
            if left_out:
                st.caption(say("ui.left_out", ui, count=left_out))
        ordered = block.model_copy(update={"rows": table_rows(plan, block, columns)})
        st.dataframe(_styled(ordered, columns, language), hide_index=True, width="stretch")
        st.caption(
            say("ui.one_row", ui) if len(block.rows) == 1 else say("ui.rows", ui, count=len(block.rows))
        )
        download, sql = st.columns([2, 3])
        with download:
            st.download_button(
                say("ui.csv", ui),
                csv_bytes(block, columns),
                file_name=f"nlq-{index + 1}.csv",
                mime="text/csv",
                key=f"csv-{turn.id}-{index}",
                icon=":material/download:",
                on_click="ignore",
            )
        with sql:
            # Drawn only once opened: the browser then loads its SQL highlighter (1.5 MB of
            # script) on demand instead of before the first answer's chart (0.6 s here).
            shown = st.expander(say("ui.sql", ui), key=f"{SQL_KEY}{turn.id}-{index}", on_change="rerun")
            if shown.open:
                with shown:
                    st.code(block.sql, language="sql")


def _kpis(block: AnswerBlock, columns: list[ColumnInfo], shown: list[str], language: Language) -> None:
    """A card for each of `shown` (the chart's values, the share asked for first)."""
    row = block.rows[0]
    by_name = {c.name: (c, row[i]) for i, c in enumerate(columns)}
    measures = [by_name[name][0] for name in shown if name in by_name] or [
        c for c in columns if c.role == "measure"
    ]
    # Four cards a row, at least a third of the width each.
    cards = [
        card
        for start in range(0, len(measures), 4)
        for card in st.columns(max(3, min(len(measures) - start, 4)))
    ]
    for card, column in zip(cards, measures, strict=False):
        value = by_name[column.name][1]
        growth = by_name.get(f"{column.name}_growth")
        previous = by_name.get(f"{column.name}_previous")
        delta = None
        if growth is not None and isinstance(growth[1], int | float):
            delta = f"{growth[1] * 100:+.1f}%"
        help_text = None
        if previous is not None:
            # The comparison period by its own name (去年同期, 上期).
            shown_previous = format_value(previous[1], column.format, language, column.currency)
            help_text = say("grammar.labelled", language, label=previous[0].label, value=shown_previous)
        with card:
            st.metric(
                column.label,
                format_value(value, column.format, language, column.currency),
                delta=delta,
                help=help_text,
                border=True,
            )


def _styled(block: AnswerBlock, columns: list[ColumnInfo], language: Language) -> object:
    """The table with labelled headers and display formats; the cells keep their
    numbers, so sorting a column still sorts by value."""
    labels = _unique_labels(columns, language)
    frame = pd.DataFrame(block.rows, columns=labels)
    formats: dict[str, Callable[[Any], str]] = {}
    for label, column in zip(labels, columns, strict=True):
        if column.role == "time" and column.name in GRAINS:
            formats[label] = partial(_period_cell, grain=column.name, language=language)
        else:
            formats[label] = partial(_value_cell, column=column, language=language)
    return frame.style.format(formats)


def _period_cell(value: Any, *, grain: str, language: Language) -> str:
    return format_period(value, grain, language)


def _value_cell(value: Any, *, column: ColumnInfo, language: Language) -> str:
    cell = None if pd.isna(value) else value.item() if hasattr(value, "item") else value
    return format_value(cell, column.format, language, column.currency)


def _unique_labels(columns: list[ColumnInfo], language: Language) -> list[str]:
    labels: list[str] = []
    for column in columns:
        label = column.label
        labels.append(
            label
            if label not in labels
            else label + say("grammar.parenthesised", language, inner=column.name)
        )
    return labels


def _md(text: str) -> str:
    """Text shown as Markdown exactly as written (a `*` or `_` in a name is not emphasis)."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)
