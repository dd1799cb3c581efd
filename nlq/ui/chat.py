"""The chat page. It draws what needs no data first (title, examples, the question
box), so that the page is usable while the warehouse, the understanding and the
chart stack load; what needs them is in `nlq.ui.answers`."""

from __future__ import annotations

import streamlit as st

from nlq.language import Language
from nlq.messages import LANGUAGES, say
from nlq.ui import access
from nlq.ui.conversation import PENDING, TURNS, queue, start
from nlq.ui.texts import EXAMPLES


def render() -> None:
    """The page; `app.py` mounts it with st.navigation."""
    state = st.session_state
    start()
    ui = _sidebar_language()
    st.title(say("ui.title", ui))
    if not state[TURNS] and not state[PENDING]:
        st.markdown(say("ui.welcome", ui))
        _examples(say("ui.examples", ui))
    else:
        with st.expander(say("ui.more_examples", ui)):
            _examples(say("ui.examples", ui), key="later")
    st.chat_input(say("ui.placeholder", ui), key="nlq_question", on_submit=_submitted)
    # Imported here, after the box is drawn: pandas, Altair and the pipeline take a
    # second or two to load, which serve.py starts at once while the page loads.
    from nlq.ui import answers

    answers.render(ui)


def _submitted() -> None:
    question = (st.session_state.get("nlq_question") or "").strip()
    if question:
        queue(question)


def _sidebar_language() -> Language:
    # Labelled in both languages, so that a reader of either finds it; each language
    # is named in itself.
    label = say(
        "ui.language_switch",
        LANGUAGES[0],
        chinese=say("ui.language", "zh"),
        english=say("ui.language", "en"),
    )
    with st.sidebar:
        choice = st.radio(
            label,
            list(LANGUAGES),
            format_func=lambda language: say("ui.language_name", language),
            horizontal=True,
            key=access.LANGUAGE_KEY,
        )
    return access.chosen_language(choice)


def _examples(heading: str, key: str = "first") -> None:
    st.markdown(f"**{heading}**")
    left, right = st.columns(2)
    for column, (language, questions) in zip((left, right), EXAMPLES, strict=True):
        with column:
            for i, question in enumerate(questions):
                st.button(
                    question,
                    key=f"example-{key}-{language}-{i}",
                    on_click=queue,
                    args=(question,),
                    width="stretch",
                )
