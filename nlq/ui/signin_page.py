"""The sign-in the UI opens with: identity comes from authentication, never from
a widget. With Streamlit's OIDC configured (an `[auth]` section in
.streamlit/secrets.toml) users sign in with it; otherwise with a name and a password
checked against the credentials file (nlq.signin). Either way the name must be a user
of the layer, whose role and attributes then apply."""

from __future__ import annotations

import streamlit as st

from nlq.identity import Identity
from nlq.language import Language
from nlq.messages import say
from nlq.semantic.errors import QueryError
from nlq.semantic.model import SemanticLayer
from nlq.signin import sign_in
from nlq.ui import access


def gate(layer: SemanticLayer, language: Language) -> Identity:
    """The signed-in identity; otherwise the sign-in is drawn and the run stops."""
    identity = access.signed_in()
    if identity is not None:
        return identity
    st.title(say("ui.signin_title", language))
    if _sso_configured():
        _sso(layer, language)
    else:
        _form(layer, language)
    st.stop()
    raise AssertionError("st.stop() ends the run")


def _form(layer: SemanticLayer, language: Language) -> None:
    with st.form("nlq_signin_form"):
        name = st.text_input(say("ui.signin_user", language), key="nlq_signin_user")
        password = st.text_input(
            say("ui.signin_password", language), type="password", key="nlq_signin_password"
        )
        submitted = st.form_submit_button(say("ui.signin_submit", language), key="nlq_signin")
    if not submitted:
        return
    identity = sign_in(layer, name or "", password or "")
    if identity is None:
        st.error(say("ui.signin_wrong", language), icon=":material/lock:")
        return
    access.start_session(identity, identity.may_administer(layer))
    st.rerun()


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, RuntimeError):
        return False


def _sso(layer: SemanticLayer, language: Language) -> None:
    if not st.user.is_logged_in:
        st.button(say("ui.signin_sso", language), on_click=st.login, key="nlq_sso")
        return
    name = str(st.user.get("email") or st.user.get("name") or "")
    try:
        identity = Identity.of(layer, user=name)
    except QueryError:
        st.error(say("ui.signin_unknown", language, name=name))
        st.button(say("ui.signin_sso_sign_out", language), on_click=st.logout, key="nlq_sso_out")
        return
    access.start_session(identity, identity.may_administer(layer))
    st.rerun()
