"""The workbench's curation tabs: what went wrong for users (the intake, grouped
by problem), changes to the layer made in forms (synonyms and aliases, metrics,
口径, values, and any other item as YAML), each tried on a copy with the evidence
that it is good (old and new reading of the questions it is for and of every
benchmark question it moves, scores with silently wrong answers), then saved to
a review branch with the analyst's reason. An administrator approves it on the
review tab (nlq.ui.review)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import sqlglot
import streamlit as st
from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML, YAMLError

from nlq import feedback, intake
from nlq.audit import AuditError, open_audit
from nlq.identity import Identity
from nlq.language import Language
from nlq.messages import say
from nlq.pipeline import DEMO_SEMANTIC
from nlq.proposal import Proposal, ScoreStore, benchmarks_for, propose
from nlq.semantic.edit import (
    Change,
    EditError,
    EditMetric,
    LayerChange,
    NewDimension,
    NewRatioMetric,
    NewRelationship,
    NewSimpleMetric,
    NewTerm,
    NewValue,
)
from nlq.semantic.loader import LayerError
from nlq.semantic.model import Label, SemanticLayer, TermFilter
from nlq.semantic.review import LayerRepository, ReviewError, default_git_dir
from nlq.ui.resources import base_pipeline, database, feedback_file, semantic

CHANGES: TypeAdapter[Change] = TypeAdapter(Change)
# The forms of the change tab; `yaml` takes any change the layer's edit knows.
FORMS = (
    "word",
    "ratio_metric",
    "simple_metric",
    "edit_metric",
    "new_value",
    "term",
    "dimension",
    "relationship",
    "yaml",
)
# A starting point for each kind of change written as YAML.
TEMPLATES = {
    "new_term": "kind: new_term\nname: \nlabel: {zh: , en: }\nsynonyms: []\nfilters:\n  - {dimension: , values: []}\n",
    "new_dimension": "kind: new_dimension\nmodel: \nname: \nlabel: {zh: , en: }\nexpr: \nsynonyms: []\n",
    "new_relationship": "kind: new_relationship\nfrom: \nto: \ncardinality: many_to_one\n",
    "new_segment": "kind: new_segment\nmodel: users\nname: \nlabel: {zh: , en: }\nsegment:\n  facts: \n",
    "new_derived_metric": "kind: new_derived_metric\nname: \nlabel: {zh: , en: }\nexpr: \ndescription: \n",
}


def layer_path() -> Path:
    return Path(semantic() or DEMO_SEMANTIC)


def repository() -> LayerRepository:
    return LayerRepository.open(layer_path(), default_git_dir())


# -- intake ------------------------------------------------------------------------------------------


def render_intake(identity: Identity, language: Language) -> None:
    st.caption(say("workbench.intake_caption", language))
    base = base_pipeline(database(), semantic())
    asked: list[intake.Asked] = []
    try:
        log = open_audit()
        try:
            asked += intake.from_audit(log)
        finally:
            log.close()
    except AuditError as error:
        st.warning(say("workbench.audit_unavailable", language, reason=str(error)))
    asked += intake.from_feedback(feedback.read(feedback_file()))
    found = intake.cases(asked, base.understander, base.latest_date)
    folder = feedback_file().parent
    shown = intake.open_cases(found, intake.dismissed(folder))
    work = [c for c in shown if not c.apart]
    apart = [c for c in shown if c.apart]
    if not work:
        st.info(say("workbench.nothing", language))
    else:
        st.dataframe(_cases_table(work, language), hide_index=True, width="stretch", key="wb_cases")
        _case(work, identity, folder, language)
    if apart:
        with st.expander(say("workbench.apart", language, count=sum(len(c.asked) for c in apart))):
            st.caption(say("workbench.apart_caption", language))
            st.dataframe(_cases_table(apart, language), hide_index=True, width="stretch", key="wb_apart")


def _cases_table(cases: list[intake.Case], language: Language) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                say("workbench.problem", language): say(f"workbench.problem_{c.kind}", language),
                say("workbench.about", language): "、".join(c.words),
                say("workbench.count", language): len(c.asked),
                say("workbench.askers", language): ", ".join(
                    sorted({a.user or a.role or "-" for a in c.asked})
                ),
                say("workbench.latest", language): _when(c.latest),
                say("workbench.example", language): c.asked[0].question,
            }
            for c in cases
        ]
    )


def _case(cases: list[intake.Case], identity: Identity, folder: Path, language: Language) -> None:
    keys = [c.key for c in cases]
    key = st.selectbox(
        say("workbench.pick_case", language),
        keys,
        format_func=lambda k: _case_name(next(c for c in cases if c.key == k), language),
        key="wb_case",
    )
    case = next((c for c in cases if c.key == key), cases[0])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.latest", language): _when(a.time),
                    say("workbench.audit_user", language): a.user or "-",
                    say("workbench.audit_role", language): a.role or "-",
                    say("workbench.audit_status", language): a.status,
                    say("workbench.audit_question", language): a.question,
                    say("workbench.answer", language): a.answer,
                    say("workbench.comment", language): a.comment,
                }
                for a in case.asked
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_case_questions",
    )
    dialect = base_pipeline(database(), semantic()).connector.dialect
    with st.expander(say("workbench.case_sql", language)):
        for a in case.asked:
            for sql in a.sql:
                st.caption(a.question)
                st.code(pretty_sql(sql, dialect), language="sql")
    questions = [a.question for a in case.asked]
    if case.fixes:
        index = st.radio(
            say("workbench.pick_fix", language),
            range(len(case.fixes)),
            format_func=lambda i: case.fixes[i].describe(language),
            index=None,  # no default: the nearest word is a guess, the analyst decides
            key=f"wb_fix_{case.key}",
        )
        if index is not None and st.button(
            say("workbench.try", language), icon=":material/science:", key="wb_try"
        ):
            _try(case.fixes[index].change, questions, language)
        st.caption(say("workbench.or_create", language))
    else:
        st.caption(say("workbench.no_fix", language))
    st.session_state["wb_case_questions_text"] = "\n".join(questions)
    if st.button(say("workbench.dismiss", language), icon=":material/done:", key="wb_dismiss"):
        intake.dismiss(folder, case.key, by=identity.user or identity.role or "")
        st.rerun()


def _case_name(case: intake.Case, language: Language) -> str:
    what = say(f"workbench.problem_{case.kind}", language)
    return (
        f"{what}: {'、'.join(case.words)} ×{len(case.asked)}" if case.words else f"{what} ×{len(case.asked)}"
    )


# -- changes -------------------------------------------------------------------------------------------


def render_change(language: Language) -> None:
    layer = base_pipeline(database(), semantic()).layer
    form = st.radio(
        say("workbench.kind", language),
        FORMS,
        format_func=lambda f: say(f"workbench.form_{f}", language),
        horizontal=True,
        key="wb_form",
    )
    change = _form(form or "word", layer, language)
    questions = st.text_area(
        say("workbench.test_questions", language),
        value=st.session_state.get("wb_case_questions_text", ""),
        help=say("workbench.test_questions_help", language),
        key="wb_test_questions",
    )
    asked = [q.strip() for q in questions.splitlines() if q.strip()]
    if st.button(
        say("workbench.try", language), icon=":material/science:", key="wb_try_form", disabled=change is None
    ):
        assert change is not None
        _try(change, asked, language)


def _form(form: str, layer: SemanticLayer, language: Language) -> Change | None:
    """The change the form describes, or None while it is incomplete or invalid."""
    metrics = [m.name for m in layer.metrics]
    try:
        if form == "word":
            return _word_form(layer, language)
        if form == "ratio_metric":
            name, label, description, synonyms = _named_fields("ratio", language)
            left, right = st.columns(2)
            numerator = left.selectbox(say("workbench.numerator", language), metrics, key="wb_ratio_num")
            denominator = right.selectbox(say("workbench.denominator", language), metrics, key="wb_ratio_den")
            if not (name and numerator and denominator):
                return None
            return NewRatioMetric(
                name=name,
                label=label,
                description=description,
                synonyms=synonyms,
                numerator=numerator,
                denominator=denominator,
                format=st.selectbox(
                    say("workbench.format", language),
                    ["currency", "number", "percent"],
                    key="wb_ratio_format",
                ),
            )
        if form == "simple_metric":
            name, label, description, synonyms = _named_fields("simple", language)
            models = [m.name for m in layer.models]
            left, middle, right = st.columns(3)
            model = left.selectbox(say("workbench.model", language), models, key="wb_simple_model")
            agg = middle.selectbox(
                say("workbench.aggregation", language),
                ["sum", "count", "count_distinct", "avg", "min", "max"],
                key="wb_simple_agg",
            )
            expr = right.text_input(say("workbench.expression", language), key="wb_simple_expr").strip()
            where = st.text_input(say("workbench.filter", language), key="wb_simple_filter").strip()
            if not (name and model and agg):
                return None
            return NewSimpleMetric.model_validate(
                {
                    "name": name,
                    "label": label,
                    "description": description,
                    "synonyms": synonyms,
                    "model": model,
                    "agg": agg,
                    "expr": expr or None,
                    "filter": where or None,
                }
            )
        if form == "edit_metric":
            metric = st.selectbox(say("workbench.metric", language), metrics, key="wb_edit_metric")
            found = layer.metric(metric) if metric else None
            description = st.text_area(
                say("workbench.definition", language),
                value=found.description if found else "",
                key=f"wb_edit_description_{metric}",
            )
            if found is None or description == found.description:
                return None
            return EditMetric(metric=found.name, description=description)
        if form == "new_value":
            dimensions = list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions if d.values))
            left, middle, right = st.columns(3)
            dimension = left.selectbox(
                say("workbench.dimension", language), dimensions, key="wb_value_dimension"
            )
            value = middle.text_input(say("workbench.value", language), key="wb_value_value").strip()
            aliases = _words(right.text_input(say("workbench.aliases", language), key="wb_value_aliases"))
            if not (dimension and value):
                return None
            return NewValue(dimension=dimension, value=value, aliases=aliases)
        if form == "term":
            return _term_form(layer, language)
        if form == "dimension":
            return _dimension_form(layer, language)
        if form == "relationship":
            return _relationship_form(layer, language)
        return _yaml_form(language)
    except (ValidationError, ValueError) as error:
        st.warning(say("workbench.form_invalid", language, reason=_reason(error)))
        return None


def _word_form(layer: SemanticLayer, language: Language) -> LayerChange | None:
    """Any synonym or value alias, typed by the analyst."""
    kinds: dict[str, list[str]] = {
        "value_alias": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions if d.values)),
        "metric_synonym": [m.name for m in layer.metrics],
        "dimension_synonym": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions)),
        "term_synonym": [t.name for t in layer.terms],
    }
    kind_col, target_col, value_col, word_col = st.columns(4)
    kind = kind_col.selectbox(
        say("workbench.kind", language),
        list(kinds),
        format_func=lambda kind: say(f"workbench.kind_{kind}", language),
        key="wb_manual_kind",
    )
    target = target_col.selectbox(
        say("workbench.target", language), kinds[kind or "value_alias"], key="wb_manual_target"
    )
    value = None
    if kind == "value_alias" and target:
        values = next(d.values for m in layer.models for d in m.dimensions if d.name == target and d.values)
        value = value_col.selectbox(say("workbench.value", language), list(values), key="wb_manual_value")
    word = word_col.text_input(say("workbench.new_word", language), key="wb_manual_word").strip()
    if not (word and target and kind):
        return None
    return LayerChange(kind=kind, target=target, value=value, word=word)


def _term_form(layer: SemanticLayer, language: Language) -> NewTerm | None:
    """A named filter: a dimension's values (核心用户 = 钻石, 金卡 members)."""
    name, label, description, synonyms = _named_fields("term", language)
    dimensions = list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions))
    left, right = st.columns(2)
    dimension = left.selectbox(say("workbench.dimension", language), dimensions, key="wb_term_dimension")
    values = _words(right.text_input(say("workbench.term_values", language), key="wb_term_values"))
    if not (name and dimension and values):
        return None
    return NewTerm(
        name=name,
        label=label,
        description=description,
        synonyms=synonyms,
        filters=[TermFilter(dimension=dimension, values=list(values))],
    )


def _dimension_form(layer: SemanticLayer, language: Language) -> NewDimension | None:
    """A column of a model, or an expression over its columns, as a dimension."""
    name, label, description, synonyms = _named_fields("dimension", language)
    left, right = st.columns(2)
    model = left.selectbox(
        say("workbench.model", language), [m.name for m in layer.models], key="wb_dim_model"
    )
    expr = right.text_input(say("workbench.dimension_expr", language), key="wb_dim_expr").strip()
    if not (name and model):
        return None
    return NewDimension(
        model=model, name=name, label=label, description=description, synonyms=synonyms, expr=expr or None
    )


def _relationship_form(layer: SemanticLayer, language: Language) -> NewRelationship | None:
    """A join, written from the many side: `reviews.order_id` -> `orders.order_id`."""
    catalog = base_pipeline(database(), semantic()).connector.tables()
    columns = sorted(
        f"{m.name}.{column}" for m in layer.models if m.table for column in catalog.get(m.table, {})
    )
    left, middle, right = st.columns(3)
    source = left.selectbox(say("workbench.join_from", language), columns, key="wb_rel_from")
    target = middle.selectbox(say("workbench.join_to", language), columns, key="wb_rel_to")
    cardinality = right.selectbox(
        say("workbench.cardinality", language),
        ["many_to_one", "one_to_one", "one_to_many"],
        key="wb_rel_card",
    )
    required = st.checkbox(say("workbench.join_required", language), key="wb_rel_required")
    if not (source and target) or source.split(".")[0] == target.split(".")[0]:
        return None
    return NewRelationship.model_validate(
        {"from": source, "to": target, "cardinality": cardinality, "required": required}
    )


def _named_fields(prefix: str, language: Language) -> tuple[str, Label, str, list[str]]:
    left, middle, right = st.columns(3)
    name = left.text_input(say("workbench.identifier", language), key=f"wb_{prefix}_name").strip()
    zh = middle.text_input(say("workbench.label", language), key=f"wb_{prefix}_zh").strip()
    en = right.text_input(say("workbench.label_en", language), key=f"wb_{prefix}_en").strip()
    description = st.text_area(say("workbench.definition", language), key=f"wb_{prefix}_description").strip()
    synonyms = _words(st.text_input(say("workbench.synonyms", language), key=f"wb_{prefix}_synonyms"))
    return name, Label(zh=zh or name, en=en or name), description, synonyms


def _yaml_form(language: Language) -> Change | None:
    template = st.selectbox(say("workbench.template", language), list(TEMPLATES), key="wb_yaml_template")
    text = st.text_area(
        say("workbench.yaml", language),
        value=TEMPLATES[template or "new_term"],
        height=220,
        key=f"wb_yaml_{template}",
    )
    try:
        data: Any = YAML(typ="safe").load(text)
    except YAMLError as error:
        st.warning(say("workbench.form_invalid", language, reason=str(error).splitlines()[0]))
        return None
    try:
        return CHANGES.validate_python(data)
    except ValidationError as error:
        st.caption(say("workbench.form_invalid", language, reason=_reason(error)))
        return None


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace("，", ",").replace("、", ",").split(",") if w.strip()]


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()[:3])
    return str(error)


# -- trying a change and saving it for review ------------------------------------------------------


def _try(change: Change, questions: list[str], language: Language) -> None:
    base = base_pipeline(database(), semantic())
    benchmarks = benchmarks_for(layer_path())
    with st.spinner(say("workbench.trying", language)):
        try:
            st.session_state["wb_proposal"] = propose(
                change,
                layer=layer_path(),
                db=database(),
                workdir=Path(tempfile.mkdtemp(prefix="nlq-proposal-")),
                benchmarks=benchmarks,
                # the scores of a layer, kept for when it is approved as tried
                store=ScoreStore(default_git_dir().with_name("layer-scores")),
                questions=questions,
                as_of=base.latest_date,
            )
        except (EditError, LayerError) as error:
            st.error(say("workbench.cannot", language, reason=str(error)))


def render_proposal(identity: Identity, language: Language) -> None:
    proposal: Proposal | None = st.session_state.get("wb_proposal")
    if proposal is None:
        return
    with st.container(border=True, key="wb_proposal_box"):
        st.markdown(f"**{say('workbench.diff', language)}**")
        st.code(proposal.diff, language="diff")
        if proposal.problems:
            st.error(
                say("workbench.invalid", language) + "\n\n" + "\n".join(f"- {p}" for p in proposal.problems)
            )
        else:
            st.success(say("workbench.valid", language))
        if proposal.sample_sql:
            st.markdown(f"**{say('workbench.sample_sql', language)}**")
            st.code(proposal.sample_sql, language="sql")
        if proposal.asked:
            st.markdown(f"**{say('workbench.asked', language)}**")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            say("workbench.audit_question", language): a.question,
                            say("workbench.before", language): f"[{a.status_before}] {a.said_before}",
                            say("workbench.after", language): f"[{a.status_after}] {a.said_after}",
                        }
                        for a in proposal.asked
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="wb_asked",
            )
        _scores(proposal, language)
        _save(proposal, identity, language)


def _scores(proposal: Proposal, language: Language) -> None:
    if not proposal.deltas:
        return
    st.markdown(f"**{say('workbench.scores', language, seconds=proposal.seconds)}**")
    st.dataframe(
        pd.DataFrame(
            [
                {
                    say("workbench.benchmark", language): d.benchmark,
                    say("workbench.benchmark_size", language): d.total,
                    say("workbench.accuracy", language): f"{d.before:.1%} → {d.after:.1%}",
                    say("workbench.silently_wrong", language): f"{d.silently_before} → {d.silently_after}",
                    say("workbench.fixed", language): " ".join(d.fixed) or "-",
                    say("workbench.regressed", language): " ".join(d.regressed) or "-",
                    say("workbench.moved", language): len(d.moved),
                }
                for d in proposal.deltas
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_scores",
    )
    moved = [(d.benchmark, m) for d in proposal.deltas for m in d.moved]
    if moved:
        st.markdown(f"**{say('workbench.moved_readings', language)}**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        say("workbench.benchmark", language): name,
                        say("workbench.audit_question", language): m.question,
                        say("workbench.before", language): f"[{m.before.outcome}] {m.before.said}",
                        say("workbench.after", language): f"[{m.after.outcome}] {m.after.said}",
                    }
                    for name, m in moved
                ]
            ),
            hide_index=True,
            width="stretch",
            key="wb_moved",
        )


def _save(proposal: Proposal, identity: Identity, language: Language) -> None:
    verdict = proposal.verdict
    if verdict == "better":
        st.success(say("workbench.verdict_better", language))
    else:
        st.warning(say(f"workbench.verdict_{verdict}", language))
    reason = st.text_input(say("workbench.reason", language), key="wb_reason").strip()
    confirmed = verdict == "better" or st.checkbox(
        say("workbench.save_anyway", language), key="wb_save_anyway"
    )
    save_col, discard_col = st.columns(2)
    if save_col.button(
        say("workbench.save", language),
        icon=":material/save:",
        key="wb_save",
        type="primary",
        disabled=bool(proposal.problems) or not reason or not confirmed,
    ):
        try:
            with repository() as repo:
                saved = repo.propose(
                    proposal.layer, author=identity.user or identity.role or "", reason=reason
                )
        except ReviewError as error:
            st.error(say("workbench.cannot", language, reason=str(error)))
            return
        st.session_state["wb_proposal"] = None
        st.success(say("workbench.saved_branch", language, branch=saved.branch))
    if discard_col.button(say("workbench.discard", language), key="wb_discard"):
        st.session_state["wb_proposal"] = None
        st.rerun()


def pretty_sql(sql: str, dialect: str) -> str:
    """SQL laid out one clause per line, for reading; as it was when it does not parse."""
    try:
        return sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True)[0]
    except sqlglot.errors.ParseError:
        return sql


def _when(time: dt.datetime | None) -> str:
    return time.astimezone().strftime("%Y-%m-%d %H:%M") if time else "-"
