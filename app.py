"""nlq chat UI: `streamlit run app.py` (or `make demo`) on the demo warehouse.

Every page needs a signed-in user (nlq.ui.signin_page): their role decides which
pages they see, the semantic-layer workbench for analysts and admins, the audit
log for administrators; an administrator may view the chat as another role."""

from __future__ import annotations

import streamlit as st

from nlq.messages import say
from nlq.ui import access, chat, signin_page
from nlq.ui.resources import layer_or_none


def both(key: str) -> str:
    """A page named in both languages at once, before and whatever the reader chose."""
    return say("cli.both_languages", "zh", chinese=say(key, "zh"), english=say(key, "en"))


st.set_page_config(
    page_title=say("cli.app_title", "zh", chinese=say("cli.page_chat", "zh")),
    page_icon=":material/analytics:",
    layout="wide",
)
layer = layer_or_none()
if layer is not None:  # a layer that cannot load is explained by the chat page
    signin_page.gate(layer, access.current_language())
role = access.current_role()
pages = [
    st.Page(chat.render, title=both("cli.page_chat"), icon=":material/chat:", url_path="chat", default=True)
]
if role in access.SEMANTIC_ROLES:
    pages.append(
        st.Page(
            "nlq/ui/pages/semantic.py",
            title=both("cli.page_semantic"),
            icon=":material/schema:",
            url_path="semantic",
        )
    )
if access.reads_audit():
    pages.append(
        st.Page(
            "nlq/ui/pages/audit.py", title=both("cli.page_audit"), icon=":material/policy:", url_path="audit"
        )
    )
page = st.navigation(pages, position="sidebar" if len(pages) > 1 else "hidden")
if page.url_path != "chat":
    access.keep_sidebar_choices()
page.run()
