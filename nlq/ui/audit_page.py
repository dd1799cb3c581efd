"""The admin page of the audit log: the newest records, filtered by user, role,
status and text; one record in full; the filtered records as CSV."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from nlq import audit
from nlq.messages import Text, say
from nlq.ui.access import current_language, require_administrator

# How many of the newest records the page reads; the filters apply to these.
LIMIT_CHOICES = [200, 1000, 5000]
ANY = "*"


def render() -> None:
    language = current_language()
    require_administrator(language)
    st.title(say("workbench.audit_title", language))
    st.caption(say("workbench.audit_caption", language))
    limit = st.selectbox(say("workbench.audit_limit", language), LIMIT_CHOICES, key="audit_limit")
    try:
        log = audit.open_audit()
        try:
            records = log.recent(int(limit or LIMIT_CHOICES[0]))
        finally:
            log.close()
    except audit.AuditError as error:
        st.error(say("workbench.audit_cannot_open", language, reason=str(error)))
        st.stop()

    any_value, no_value = say("workbench.audit_any", language), say("workbench.audit_none", language)

    def label(value: str | None) -> str:
        return any_value if value == ANY else no_value if value == "" else str(value)

    users = [ANY, *sorted({r.user or "" for r in records})]
    roles = [ANY, *sorted({r.role or "" for r in records})]
    by_user, by_role, by_status, search = st.columns([1, 1, 1, 2])
    user = by_user.selectbox(
        say("workbench.audit_user", language), users, format_func=label, key="audit_user"
    )
    role = by_role.selectbox(
        say("workbench.audit_role", language), roles, format_func=label, key="audit_role"
    )
    status = by_status.selectbox(
        say("workbench.audit_status", language), [ANY, *audit.STATUSES], format_func=label, key="audit_status"
    )
    needle = search.text_input(say("workbench.audit_search", language), key="audit_search")
    shown = audit.matching(
        records,
        user=None if user == ANY else user or None,
        role=None if role == ANY else role or None,
        status=None if status == ANY else status,
        text=needle,
    )
    if user == "":  # records without a user (the chat UI asks without logging in)
        shown = [r for r in shown if r.user is None]
    if role == "":
        shown = [r for r in shown if r.role is None]
    st.caption(say("workbench.audit_count", language, shown=len(shown), read=len(records)))
    if not shown:
        st.info(say("workbench.audit_empty", language))
        return
    headers = [
        "id",
        "time",
        say("workbench.audit_user", language),
        say("workbench.audit_role", language),
        say("workbench.audit_signed_in_role", language),
        say("workbench.audit_status", language),
        say("workbench.audit_question", language),
        say("workbench.audit_rows", language),
        say("workbench.audit_duration", language),
        say("workbench.audit_error", language),
    ]
    table = pd.DataFrame(
        [
            [
                r.id,
                r.time.strftime("%Y-%m-%d %H:%M:%S"),
                r.user or "",
                r.role or "",
                r.signed_in_role or "",
                r.status,
                r.question,
                r.rows,
                round(r.duration_ms, 1),
                r.error,
            ]
            for r in shown
        ],
        columns=headers,
    )
    st.dataframe(table, hide_index=True, width="stretch", key="audit_table")
    buffer = io.StringIO()
    audit.write_csv(shown, buffer)
    st.download_button(
        say("workbench.audit_csv", language),
        buffer.getvalue().encode("utf-8-sig"),  # with a BOM, so that Excel reads the Chinese
        file_name="nlq-audit.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_csv",
        on_click="ignore",
    )
    st.subheader(say("workbench.audit_detail", language))
    by_id = {r.id: r for r in shown}
    chosen = st.selectbox(
        say("workbench.audit_detail", language),
        list(by_id),
        format_func=lambda i: f"#{i} · {by_id[i].question[:60]}",
        key="audit_detail",
        label_visibility="collapsed",
    )
    record = by_id[chosen] if chosen in by_id else shown[0]
    with st.container(border=True, key="audit_record"):
        st.markdown(f"**{say('workbench.audit_question', language)}**")
        st.text(record.question)
        if record.interpretation:
            st.markdown(f"**{say('workbench.audit_interpretation', language)}**")
            st.text(record.interpretation)
        for sql in record.sql:
            st.code(sql, language="sql")
        rows, duration, status_col = st.columns(3)
        rows.metric(say("workbench.audit_rows", language), f"{record.rows:,}")
        duration.metric(say("workbench.audit_duration", language), f"{record.duration_ms:,.1f}")
        status_col.metric(say("workbench.audit_status", language), record.status)
        if record.error:
            st.error(
                say("grammar.labelled", language, label=Text("workbench.audit_error"), value=record.error)
            )
