"""The admin page of the audit log: the newest records, filtered by user, role,
status and text; one record in full; the filtered records as CSV."""

from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from nlq import audit
from nlq.language import Language
from nlq.ui.access import current_language, require_administrator

# How many of the newest records the page reads; the filters apply to these.
LIMIT_CHOICES = [200, 1000, 5000]
ANY = "*"
TEXT: dict[Language, dict[str, str]] = {
    "zh": {
        "title": "审计日志",
        "caption": "每个问题和 SQL 语句的记录：谁、以什么角色、问了什么、如何理解、执行的 SQL、返回行数、用时和错误。",
        "user": "用户",
        "role": "角色",
        "signed_in_role": "本人角色（管理员代看时）",
        "status": "状态",
        "search": "搜索问题、口径、SQL 或错误",
        "limit": "读取最近的记录数",
        "any": "全部",
        "none": "（无）",
        "count": "{} 条记录（共读取 {} 条）",
        "detail": "记录详情",
        "question": "问题",
        "interpretation": "理解为",
        "sql": "SQL",
        "rows": "返回行数",
        "duration": "用时（毫秒）",
        "error": "错误",
        "csv": "导出 CSV",
        "empty": "没有符合条件的记录。",
        "unavailable": "无法打开审计日志：{}",
    },
    "en": {
        "title": "Audit log",
        "caption": "One record per question or SQL statement: who, in which role, what was asked, how it was understood, the SQL, rows, duration and errors.",
        "user": "User",
        "role": "Role",
        "signed_in_role": "Own role (administrator viewing as)",
        "status": "Status",
        "search": "Search questions, interpretations, SQL or errors",
        "limit": "Newest records to read",
        "any": "All",
        "none": "(none)",
        "count": "{} records ({} read)",
        "detail": "Record detail",
        "question": "Question",
        "interpretation": "Understood as",
        "sql": "SQL",
        "rows": "Rows",
        "duration": "Duration (ms)",
        "error": "Error",
        "csv": "Export CSV",
        "empty": "No record matches.",
        "unavailable": "The audit log cannot be opened: {}",
    },
}


def render() -> None:
    language = current_language()
    text = TEXT[language]
    require_administrator(language)
    st.title(text["title"])
    st.caption(text["caption"])
    limit = st.selectbox(text["limit"], LIMIT_CHOICES, key="audit_limit")
    try:
        log = audit.open_audit()
        try:
            records = log.recent(int(limit or LIMIT_CHOICES[0]))
        finally:
            log.close()
    except audit.AuditError as error:
        st.error(text["unavailable"].format(error))
        st.stop()

    def label(value: str | None) -> str:
        return text["any"] if value == ANY else text["none"] if value == "" else str(value)

    users = [ANY, *sorted({r.user or "" for r in records})]
    roles = [ANY, *sorted({r.role or "" for r in records})]
    by_user, by_role, by_status, search = st.columns([1, 1, 1, 2])
    user = by_user.selectbox(text["user"], users, format_func=label, key="audit_user")
    role = by_role.selectbox(text["role"], roles, format_func=label, key="audit_role")
    status = by_status.selectbox(
        text["status"], [ANY, *audit.STATUSES], format_func=label, key="audit_status"
    )
    needle = search.text_input(text["search"], key="audit_search")
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
    st.caption(text["count"].format(len(shown), len(records)))
    if not shown:
        st.info(text["empty"])
        return
    table = pd.DataFrame(
        [
            {
                "id": r.id,
                "time": r.time.strftime("%Y-%m-%d %H:%M:%S"),
                text["user"]: r.user or "",
                text["role"]: r.role or "",
                text["signed_in_role"]: r.signed_in_role or "",
                text["status"]: r.status,
                text["question"]: r.question,
                text["rows"]: r.rows,
                text["duration"]: round(r.duration_ms, 1),
                text["error"]: r.error,
            }
            for r in shown
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch", key="audit_table")
    buffer = io.StringIO()
    audit.write_csv(shown, buffer)
    st.download_button(
        text["csv"],
        buffer.getvalue().encode("utf-8-sig"),  # with a BOM, so that Excel reads the Chinese
        file_name="nlq-audit.csv",
        mime="text/csv",
        icon=":material/download:",
        key="audit_csv",
        on_click="ignore",
    )
    st.subheader(text["detail"])
    by_id = {r.id: r for r in shown}
    chosen = st.selectbox(
        text["detail"],
        list(by_id),
        format_func=lambda i: f"#{i} · {by_id[i].question[:60]}",
        key="audit_detail",
        label_visibility="collapsed",
    )
    record = by_id[chosen] if chosen in by_id else shown[0]
    with st.container(border=True, key="audit_record"):
        st.markdown(f"**{text['question']}**")
        st.text(record.question)
        if record.interpretation:
            st.markdown(f"**{text['interpretation']}**")
            st.text(record.interpretation)
        for sql in record.sql:
            st.code(sql, language="sql")
        rows, duration, status_col = st.columns(3)
        rows.metric(text["rows"], f"{record.rows:,}")
        duration.metric(text["duration"], f"{record.duration_ms:,.1f}")
        status_col.metric(text["status"], record.status)
        if record.error:
            st.error(
                f"{text['error']}：{record.error}" if language == "zh" else f"{text['error']}: {record.error}"
            )
