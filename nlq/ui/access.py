"""Which pages a role sees, and the role and interface language chosen in the
chat's sidebar, which the other pages follow."""

from __future__ import annotations

import os
import time

import streamlit as st

from nlq.identity import Identity
from nlq.language import Language
from nlq.messages import LANGUAGES, listed, say

ROLE_KEY = "nlq_role"
IDENTITY_KEY = "nlq_identity"
SIGNED_AT_KEY = "nlq_signed_at"
ADMIN_KEY = "nlq_administrator"
SESSION_HOURS = float(os.environ.get("NLQ_SESSION_HOURS", "8"))
LANGUAGE_KEY = "nlq_ui_language"
AS_OF_KEY = "nlq_as_of"
# Who curates the semantic layer (the audit log is for administrators: Role.admin).
SEMANTIC_ROLES = frozenset({"admin", "analyst"})


def signed_in() -> Identity | None:
    """The signed-in identity, while its session lasts (NLQ_SESSION_HOURS, default 8)."""
    state = st.session_state
    identity = state.get(IDENTITY_KEY)
    if not isinstance(identity, Identity):
        return None
    if time.time() - float(state.get(SIGNED_AT_KEY, 0.0)) > SESSION_HOURS * 3600:
        sign_out()
        return None
    return identity


def start_session(identity: Identity, administrator: bool) -> None:
    state = st.session_state
    state[IDENTITY_KEY] = identity
    state[SIGNED_AT_KEY] = time.time()
    state[ADMIN_KEY] = administrator
    state.pop(ROLE_KEY, None)


def sign_out() -> None:
    for key in (IDENTITY_KEY, SIGNED_AT_KEY, ADMIN_KEY, ROLE_KEY):
        st.session_state.pop(key, None)


def is_administrator() -> bool:
    """Is the signed-in user (not the role they view as) an administrator?"""
    return signed_in() is not None and bool(st.session_state.get(ADMIN_KEY))


def reads_audit() -> bool:
    """An administrator not viewing as another role: viewing as one shows that role's pages."""
    identity = signed_in()
    return identity is not None and is_administrator() and current_role() == identity.role


def current_role() -> str:
    """The role answers are given in: the signed-in user's, or the one an administrator
    views as (the sidebar's choice, audited under the administrator's name)."""
    identity = signed_in()
    if identity is None:
        return ""
    viewed = st.session_state.get(ROLE_KEY)
    return str(viewed) if is_administrator() and viewed else str(identity.role or "")


def current_identity() -> Identity | None:
    identity = signed_in()
    if identity is None:
        return None
    return identity.viewing_as(current_role())


def current_language() -> Language:
    return chosen_language(st.session_state.get(LANGUAGE_KEY))


def chosen_language(choice: object) -> Language:
    """The interface language a choice names; Chinese, the first, unless another was chosen."""
    return next((language for language in LANGUAGES if language == choice), LANGUAGES[0])


def keep_sidebar_choices() -> None:
    """The role, language and as-of date are widgets of the chat page; on another page they
    are not drawn, and Streamlit would forget an undrawn widget's value. Writing
    the values back keeps them."""
    for key in (ROLE_KEY, LANGUAGE_KEY, AS_OF_KEY):  # the session's own keys are not widgets
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def require(roles: frozenset[str], language: Language) -> str:
    """The current role, or a clear refusal (and the page stops) when it may not
    see this page: a page left out of the navigation can still be asked for by URL."""
    role = current_role()
    if role not in roles:
        st.error(say("ui.role_may_not", language, role=role, allowed=listed(sorted(roles), language)))
        st.stop()
    return role


def require_administrator(language: Language) -> None:
    """The audit page: for a signed-in administrator only, whatever role they view as."""
    if not reads_audit():
        st.error(say("ui.administrators_only", language))
        st.stop()
