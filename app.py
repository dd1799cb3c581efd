"""nlq chat UI: `streamlit run app.py` (or `make demo`) on the demo warehouse.

Pages are mounted with st.navigation; which ones a user sees depends on the
role chosen in the chat's sidebar: the semantic-layer workbench for analysts
and admins, the audit log for admins."""

from __future__ import annotations

import streamlit as st

from nlq.ui import access, chat

st.set_page_config(page_title="nlq 问数", page_icon="📊", layout="wide")
role = access.current_role()
pages = [st.Page(chat.render, title="问数 · Ask", icon="💬", url_path="chat", default=True)]
if role in access.SEMANTIC_ROLES:
    pages.append(
        st.Page(
            "nlq/ui/pages/semantic.py",
            title="语义层 · Semantic layer",
            icon=":material/schema:",
            url_path="semantic",
        )
    )
if role in access.AUDIT_ROLES:
    pages.append(
        st.Page("nlq/ui/pages/audit.py", title="审计 · Audit", icon=":material/policy:", url_path="audit")
    )
page = st.navigation(pages, position="sidebar" if len(pages) > 1 else "hidden")
if page.url_path != "chat":
    access.keep_sidebar_choices()
page.run()
