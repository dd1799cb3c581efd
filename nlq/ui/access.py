"""Which pages a role sees, and the role and interface language chosen in the
chat's sidebar, which the other pages follow."""

from __future__ import annotations

import streamlit as st

from nlq.language import Language

ROLE_KEY = "nlq_role"
LANGUAGE_KEY = "nlq_ui_language"
AS_OF_KEY = "nlq_as_of"
DEFAULT_ROLE = "analyst"
# Who curates the semantic layer, and who reads everyone's questions.
SEMANTIC_ROLES = frozenset({"admin", "analyst"})
AUDIT_ROLES = frozenset({"admin"})


def current_role() -> str:
    return str(st.session_state.get(ROLE_KEY, DEFAULT_ROLE))


def current_language() -> Language:
    return "en" if st.session_state.get(LANGUAGE_KEY) == "en" else "zh"


def keep_sidebar_choices() -> None:
    """The role, language and as-of date are widgets of the chat page; on another page they
    are not drawn, and Streamlit would forget an undrawn widget's value. Writing
    the values back keeps them."""
    for key in (ROLE_KEY, LANGUAGE_KEY, AS_OF_KEY):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def require(roles: frozenset[str], language: Language) -> str:
    """The current role, or a clear refusal (and the page stops) when it may not
    see this page: a page left out of the navigation can still be asked for by URL."""
    role = current_role()
    if role not in roles:
        allowed = "、".join(sorted(roles)) if language == "zh" else ", ".join(sorted(roles))
        st.error(
            f"当前角色“{role}”无权查看此页面（需要：{allowed}）。"
            if language == "zh"
            else f"The role '{role}' may not see this page (it needs: {allowed})."
        )
        st.stop()
    return role
