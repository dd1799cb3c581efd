"""nlq chat UI: `streamlit run app.py` (or `make demo`) on the demo warehouse.

Every page needs a signed-in user (nlq.ui.signin_page): their role decides which
pages they see, the semantic-layer workbench for analysts and admins, the audit
log for administrators; an administrator may view the chat as another role."""

from __future__ import annotations

import streamlit as st

from nlq.ui import access, chat, signin_page
from nlq.ui.resources import layer_or_none

st.set_page_config(page_title="nlq 问数", page_icon=":material/analytics:", layout="wide")
layer = layer_or_none()
if layer is not None:  # a layer that cannot load is explained by the chat page
    signin_page.gate(layer, access.current_language())
role = access.current_role()
pages = [st.Page(chat.render, title="问数 · Ask", icon=":material/chat:", url_path="chat", default=True)]
if role in access.SEMANTIC_ROLES:
    pages.append(
        st.Page(
            "nlq/ui/pages/semantic.py",
            title="语义层 · Semantic layer",
            icon=":material/schema:",
            url_path="semantic",
        )
    )
if access.reads_audit():
    pages.append(
        st.Page("nlq/ui/pages/audit.py", title="审计 · Audit", icon=":material/policy:", url_path="audit")
    )
page = st.navigation(pages, position="sidebar" if len(pages) > 1 else "hidden")
if page.url_path != "chat":
    access.keep_sidebar_choices()
page.run()
