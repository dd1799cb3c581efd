"""The sign-in the UI opens with: identity comes from authentication, never from
a widget. With Streamlit's OIDC configured (an `[auth]` section in
.streamlit/secrets.toml) users sign in with it; otherwise with a name and a password
checked against the credentials file (nlq.signin). Either way the name must be a user
of the layer, whose role and attributes then apply."""

from __future__ import annotations

import streamlit as st

from nlq.identity import Identity
from nlq.language import Language
from nlq.semantic.errors import QueryError
from nlq.semantic.model import SemanticLayer
from nlq.signin import sign_in
from nlq.ui import access

TEXT = {
    "zh": {
        "title": "登录 nlq 问数",
        "user": "用户名",
        "password": "密码",
        "submit": "登录",
        "wrong": "用户名或密码不正确。",
        "sso": "使用单点登录（SSO）",
        "unknown": "“{}”不是语义层中配置的用户，请联系管理员开通。",
    },
    "en": {
        "title": "Sign in to nlq",
        "user": "User name",
        "password": "Password",
        "submit": "Sign in",
        "wrong": "The user name or password is not right.",
        "sso": "Sign in with SSO",
        "unknown": "'{}' is not a user of the semantic layer: ask an administrator.",
    },
}


def gate(layer: SemanticLayer, language: Language) -> Identity:
    """The signed-in identity; otherwise the sign-in is drawn and the run stops."""
    identity = access.signed_in()
    if identity is not None:
        return identity
    text = TEXT[language]
    st.title(text["title"])
    if _sso_configured():
        _sso(layer, text)
    else:
        _form(layer, text)
    st.stop()
    raise AssertionError("st.stop() ends the run")


def _form(layer: SemanticLayer, text: dict[str, str]) -> None:
    with st.form("nlq_signin_form"):
        name = st.text_input(text["user"], key="nlq_signin_user")
        password = st.text_input(text["password"], type="password", key="nlq_signin_password")
        submitted = st.form_submit_button(text["submit"], key="nlq_signin")
    if not submitted:
        return
    identity = sign_in(layer, name or "", password or "")
    if identity is None:
        st.error(text["wrong"], icon=":material/lock:")
        return
    access.start_session(identity, identity.may_administer(layer))
    st.rerun()


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, RuntimeError):
        return False


def _sso(layer: SemanticLayer, text: dict[str, str]) -> None:
    if not st.user.is_logged_in:
        st.button(text["sso"], on_click=st.login, key="nlq_sso")
        return
    name = str(st.user.get("email") or st.user.get("name") or "")
    try:
        identity = Identity.of(layer, user=name)
    except QueryError:
        st.error(text["unknown"].format(name))
        st.button("Sign out", on_click=st.logout, key="nlq_sso_out")
        return
    access.start_session(identity, identity.may_administer(layer))
    st.rerun()
