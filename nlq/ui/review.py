"""The workbench's review tab: changes saved by analysts wait on their branches
until an administrator approves one (another person than its author) into the
layer the chat uses, or rejects it; the history of the layer with each change's
author, approver, reason and diff; and undo of the last change."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import pandas as pd
import streamlit as st

from nlq.identity import Identity
from nlq.language import Language
from nlq.messages import say
from nlq.semantic.review import Change, LayerRepository, ReviewError
from nlq.ui.access import is_administrator
from nlq.ui.curation import repository
from nlq.ui.resources import base_pipeline, pipeline_for


def render_review(identity: Identity, language: Language) -> None:
    who = identity.user or identity.role or ""
    done = st.session_state.pop("wb_review_done", None)
    if done:
        st.success(done)
    try:
        with repository() as repo:
            _pending(repo, who, language)
            _history(repo, who, language)
    except ReviewError as error:
        st.error(say("workbench.cannot", language, reason=str(error)))


def _pending(repo: LayerRepository, who: str, language: Language) -> None:
    st.subheader(say("workbench.pending", language))
    waiting = repo.pending()
    if not waiting:
        st.info(say("workbench.no_pending", language))
        return
    admin = is_administrator()
    if not admin:
        st.caption(say("workbench.approve_needs_admin", language))
    for proposal in waiting:
        title = say(
            "workbench.proposal_title",
            language,
            branch=proposal.branch,
            author=proposal.author,
            time=proposal.time.astimezone().strftime("%Y-%m-%d %H:%M"),
        )
        with st.expander(title, expanded=True):
            st.markdown(say("workbench.proposal_reason", language, reason=proposal.reason))
            st.code(proposal.diff, language="diff")
            if not admin:
                continue
            approve_col, reject_col = st.columns(2)
            if approve_col.button(
                say("workbench.approve", language),
                icon=":material/check:",
                type="primary",
                key=f"wb_approve_{proposal.branch}",
            ):
                _done(partial(repo.approve, proposal.branch, approver=who), language)
            why = reject_col.text_input(
                say("workbench.reject_reason", language), key=f"wb_why_{proposal.branch}"
            )
            if reject_col.button(
                say("workbench.reject", language),
                key=f"wb_reject_{proposal.branch}",
                disabled=not why.strip(),
            ):
                try:
                    repo.reject(proposal.branch, by=who, reason=why.strip())
                except ReviewError as error:
                    st.error(say("workbench.cannot", language, reason=str(error)))
                else:
                    st.rerun()


def _history(repo: LayerRepository, who: str, language: Language) -> None:
    st.subheader(say("workbench.history", language))
    changes = repo.history()
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.latest", language): c.time.astimezone().strftime("%Y-%m-%d %H:%M"),
                    say("workbench.author", language): c.author,
                    say("workbench.approver", language): c.approver or "-",
                    say("workbench.proposal_reason_short", language): c.message,
                    say("workbench.files", language): ", ".join(c.files),
                }
                for c in changes
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_history",
    )
    for change in changes[:10]:
        if change.diff and change is not changes[-1]:  # the first is the whole layer as found
            with st.expander(f"{change.sha[:8]} · {change.message}"):
                st.code(change.diff, language="diff")
    if (
        is_administrator()
        and len(changes) > 1
        and st.button(
            say("workbench.undo", language, message=changes[0].message), icon=":material/undo:", key="wb_undo"
        )
    ):
        _done(partial(repo.undo, by=who), language)


def _done(act: Callable[[], Change], language: Language) -> None:
    """Runs an approval or an undo; the chat's pipelines then load the layer anew."""
    try:
        change: Change = act()
    except ReviewError as error:
        st.error(say("workbench.cannot", language, reason=str(error)))
        return
    base_pipeline.clear()
    pipeline_for.clear()
    st.session_state["wb_review_done"] = say("workbench.applied", language, message=change.message)
    st.rerun()
