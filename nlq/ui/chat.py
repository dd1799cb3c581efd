"""The chat page. It draws what needs no data first (title, examples, the question
box), so that the page is usable while the warehouse, the understanding and the
chart stack load; what needs them is in `nlq.ui.answers`."""

from __future__ import annotations

import streamlit as st

from nlq.language import Language
from nlq.ui import access
from nlq.ui.conversation import PENDING, TURNS, queue, start
from nlq.ui.texts import EXAMPLES, TEXT


def render() -> None:
    """The page; `app.py` mounts it with st.navigation."""
    state = st.session_state
    start()
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
