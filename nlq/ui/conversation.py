"""What a chat keeps in the session: its turns, the last understanding (the context
of a follow-up) and the question to ask on the next run. The chat page and the
answers below it both read and write it; neither imports the other for it."""

from __future__ import annotations

import streamlit as st

TURNS = "nlq_turns"
CONTEXT = "nlq_context"
PENDING = "nlq_pending"


def start() -> None:
    """A session's chat, empty until the first question."""
    state = st.session_state
    state.setdefault(TURNS, [])
    state.setdefault(CONTEXT, None)
    state.setdefault(PENDING, None)


def queue(question: str) -> None:
    """Asks `question` on the next run (an example, a suggested option, the box)."""
    st.session_state[PENDING] = question


def new_chat() -> None:
    st.session_state[TURNS] = []
    st.session_state[CONTEXT] = None
