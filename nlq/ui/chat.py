"""The chat page. It draws what needs no data first (title, examples, the question
box), so that the page is usable while the warehouse, the understanding and the
chart stack load; what needs them is in `nlq.ui.answers`."""

from __future__ import annotations

import streamlit as st

from nlq.language import Language
from nlq.ui import access
from nlq.ui.texts import EXAMPLES, TEXT

# What a chat keeps in the session: its turns, the last understanding (the context of
# a follow-up) and the question to ask on the next run.
TURNS = "nlq_turns"
CONTEXT = "nlq_context"
PENDING = "nlq_pending"


def render() -> None:
    """The page; `app.py` mounts it with st.navigation."""
    state = st.session_state
    state.setdefault(TURNS, [])
    state.setdefault(CONTEXT, None)
    state.setdefault(PENDING, None)
    ui = _sidebar_language()
    text = TEXT[ui]
    st.title(text["title"])
    if not state[TURNS] and not state[PENDING]:
        st.markdown(text["welcome"])
        _examples(text)
    else:
        with st.expander(text["more_examples"]):
            _examples(text, key="later")
    st.chat_input(text["placeholder"], key="nlq_question", on_submit=_submitted)
    # Imported here, after the box is drawn: pandas, Altair and the pipeline take a
    # second or two to load, which serve.py starts at once while the page loads.
    from nlq.ui import answers

    answers.render(ui)


def queue(question: str) -> None:
    """Asks `question` on the next run (an example, a suggested option, the box)."""
    st.session_state[PENDING] = question


def new_chat() -> None:
    st.session_state[TURNS] = []
    st.session_state[CONTEXT] = None


def _submitted() -> None:
    question = (st.session_state.get("nlq_question") or "").strip()
    if question:
        queue(question)


def _sidebar_language() -> Language:
    with st.sidebar:
        choice = st.radio(
            "界面语言 / Language",
            ["zh", "en"],
            format_func={"zh": "中文", "en": "English"}.__getitem__,
            horizontal=True,
            key=access.LANGUAGE_KEY,
        )
    return "en" if choice == "en" else "zh"


def _examples(text: dict[str, str], key: str = "first") -> None:
    st.markdown(f"**{text['examples']}**")
    left, right = st.columns(2)
    for column, language, questions in ((left, "zh", EXAMPLES["zh"]), (right, "en", EXAMPLES["en"])):
        with column:
            for i, question in enumerate(questions):
                st.button(
                    question,
                    key=f"example-{key}-{language}-{i}",
                    on_click=queue,
                    args=(question,),
                    width="stretch",
                )
