"""The analyst workbench ("语义层 / Semantic layer"): browse the layer (models,
metrics with their 口径, dimensions with synonyms and values), preview the SQL
and first rows of any metric by dimensions and filters under the current role,
see the join graph, and curate the layer from what users could not get
answered: suggested synonyms, tried on a copy of the layer (diff, validation,
dev benchmark before and after) and only then saved over the real files."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from nlq import feedback, suggest
from nlq.audit import AuditError, open_audit
from nlq.catalogue import catalogue
from nlq.engines import ConnectorError
from nlq.eval.benchmark import load_benchmark
from nlq.language import Language
from nlq.pipeline import DEMO_SEMANTIC, MAX_ROWS
from nlq.proposal import DEV_BENCHMARK, Proposal, Scores, propose, score_layer
from nlq.semantic.edit import EditError, LayerChange, save
from nlq.semantic.errors import QueryError
from nlq.semantic.graph import dot
from nlq.semantic.loader import LayerError, layer_files
from nlq.semantic.model import GRAINS
from nlq.semantic.query import Filter, SemanticQuery, TimeRange
from nlq.ui.access import SEMANTIC_ROLES, current_identity, current_language, require
from nlq.ui.resources import base_pipeline, database, feedback_file, pipeline_for, pipeline_of, semantic

KIND_LABELS: dict[Language, dict[str, str]] = {
    "zh": {
        "metric_synonym": "指标同义词",
        "dimension_synonym": "维度同义词",
        "value_alias": "取值同义词",
        "term_synonym": "术语同义词",
    },
    "en": {
        "metric_synonym": "metric synonym",
        "dimension_synonym": "dimension synonym",
        "value_alias": "value alias",
        "term_synonym": "term synonym",
    },
}
BENCHMARK_ENV = "NLQ_BENCHMARK"  # the benchmark a proposed change is scored on (default: dev)
PREVIEW_ROWS = 20
NO_GRAIN = "-"
TEXT: dict[Language, dict[str, str]] = {
    "zh": {
        "title": "语义层工作台",
        "caption": "语义层文件（{}）是唯一的事实来源：这里的修改先写入副本，校验并跑完开发基准后再保存。",
        "browse": "浏览",
        "preview": "预览 SQL",
        "graph": "关系图",
        "unanswered": "未回答的问题",
        "models": "模型",
        "metrics": "指标",
        "dimensions": "维度",
        "name": "名称",
        "label": "名称（中文）",
        "label_en": "名称（英文）",
        "definition": "口径",
        "synonyms": "同义词",
        "values": "取值",
        "model": "模型",
        "table": "表",
        "format": "格式",
        "metric": "指标",
        "by": "按维度",
        "period": "时间范围",
        "grain": "时间粒度",
        "filter_on": "筛选维度",
        "filter_values": "筛选取值",
        "no_filter": "（不筛选）",
        "limit": "最多行数",
        "role_note": "以角色“{}”编译（行过滤、脱敏和禁用指标生效）。",
        "first_rows": "前 {} 行（共 {} 行）",
        "graph_caption": "箭头从多的一方指向一的一方；实线为必有父记录（内连接），虚线为左连接。",
        "sources": "来源：审计日志中被拒绝或需澄清的问题，以及被点踩的回答。",
        "count": "次数",
        "word": "未识别的词",
        "from": "来源",
        "example": "问题示例",
        "fix": "建议修改",
        "none_near": "层中没有相近的词，请手工添加",
        "all_linked": "（所有词都已识别）",
        "nothing": "没有未回答的问题。",
        "pick": "选择一个建议",
        "pick_fix": "修改方式",
        "try": "在副本上试用",
        "trying": "正在写入副本、校验并运行开发基准…",
        "diff": "修改（统一 diff）",
        "valid": "语义层校验通过。",
        "invalid": "语义层校验发现问题：",
        "accuracy": "开发基准准确率",
        "fixed": "修复的问题",
        "regressed": "变差的问题",
        "asked": "相关问题的回答变化",
        "save": "保存到语义层文件",
        "discard": "放弃",
        "saved": "已保存：{}。之后的问题使用新的语义层。",
        "cannot": "无法应用该修改：{}",
        "audit_unavailable": "无法读取审计日志：{}",
        "manual": "手工修改",
        "kind": "修改类型",
        "target": "对象",
        "value": "取值",
        "new_word": "新词",
        "unavailable": "无法打开数据或语义层：{}",
    },
    "en": {
        "title": "Semantic layer workbench",
        "caption": "The layer's files ({}) are the source of truth: a change is written to a copy, validated and run on the dev benchmark before it is saved.",
        "browse": "Browse",
        "preview": "Preview SQL",
        "graph": "Join graph",
        "unanswered": "Unanswered",
        "models": "Models",
        "metrics": "Metrics",
        "dimensions": "Dimensions",
        "name": "Name",
        "label": "Label (zh)",
        "label_en": "Label (en)",
        "definition": "Definition",
        "synonyms": "Synonyms",
        "values": "Values",
        "model": "Model",
        "table": "Table",
        "format": "Format",
        "metric": "Metric",
        "by": "By",
        "period": "Period",
        "grain": "Time grain",
        "filter_on": "Filter on",
        "filter_values": "Filter values",
        "no_filter": "(no filter)",
        "limit": "Row limit",
        "role_note": "Compiled as role '{}' (its row filters, masks and denied metrics apply).",
        "first_rows": "First {} rows ({} in all)",
        "graph_caption": "Arrows point from the many side to the one side; solid: every row has its parent (inner join), dashed: left join.",
        "sources": "From: questions refused or clarified in the audit log, and answers rated down.",
        "count": "Count",
        "word": "Unlinked word",
        "from": "From",
        "example": "Example question",
        "fix": "Suggested fix",
        "none_near": "nothing near in the layer: add it by hand",
        "all_linked": "(every word linked)",
        "nothing": "No unanswered questions.",
        "pick": "Pick a suggestion",
        "pick_fix": "Change",
        "try": "Try on a copy",
        "trying": "Writing a copy, validating, running the dev benchmark…",
        "diff": "Change (unified diff)",
        "valid": "The layer validates.",
        "invalid": "Validation found problems:",
        "accuracy": "Dev benchmark accuracy",
        "fixed": "Fixed",
        "regressed": "Regressed",
        "asked": "The questions it is meant to fix",
        "save": "Save to the layer files",
        "discard": "Discard",
        "saved": "Saved: {}. Later questions use the new layer.",
        "cannot": "The change cannot be applied: {}",
        "audit_unavailable": "The audit log cannot be read: {}",
        "manual": "Manual change",
        "kind": "Kind",
        "target": "Target",
        "value": "Value",
        "new_word": "New word",
        "unavailable": "The data or the semantic layer cannot be opened: {}",
    },
}


def layer_path() -> Path:
    return Path(semantic() or DEMO_SEMANTIC)


def benchmark_path() -> Path:
    return Path(os.environ.get(BENCHMARK_ENV) or DEV_BENCHMARK)


def render() -> None:
    language = current_language()
    text = TEXT[language]
    role = require(SEMANTIC_ROLES, language)
    try:
        base = base_pipeline(database(), semantic())
    except (ConnectorError, LayerError, QueryError) as error:
        st.error(text["unavailable"].format(error))
        st.stop()
    st.title(text["title"])
    st.caption(text["caption"].format(layer_path()))
    browse, preview, graph, unanswered = st.tabs(
        [text["browse"], text["preview"], text["graph"], text["unanswered"]]
    )
    with browse:
        _browse(role, language)
    with preview:
        _preview(role, language)
    with graph:
        st.graphviz_chart(dot(base.layer, language), width="stretch")
        st.caption(text["graph_caption"])
    with unanswered:
        _unanswered(language)


# -- browse ----------------------------------------------------------------------------------------


def _browse(role: str, language: Language) -> None:
    text = TEXT[language]
    layer = base_pipeline(database(), semantic()).layer
    entries = catalogue(layer, language, role)
    st.subheader(text["metrics"])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    text["name"]: e.name,
                    text["label"]: e.label,
                    text["definition"]: e.definition,
                    text["synonyms"]: "、".join(e.synonyms),
                    text["format"]: e.unit,
                }
                for e in entries
                if e.kind == "metric"
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_metrics",
    )
    st.subheader(text["dimensions"])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    text["name"]: e.name,
                    text["label"]: e.label,
                    text["model"]: e.model,
                    text["synonyms"]: "、".join(e.synonyms),
                    text["values"]: "、".join(e.values),
                    text["definition"]: e.definition,
                }
                for e in entries
                if e.kind != "metric"
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_dimensions",
    )
    st.subheader(text["models"])
    st.dataframe(
        pd.DataFrame(
            [
                {
                    text["name"]: m.name,
                    text["label"]: m.label.zh if language == "zh" else m.label.en,
                    text["table"]: m.table or "(sql)",
                    text["dimensions"]: len(m.dimensions) + len(m.time_dimensions),
                    text["definition"]: m.description,
                }
                for m in layer.models
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_models",
    )


# -- preview ---------------------------------------------------------------------------------------


def _preview(role: str, language: Language) -> None:
    text = TEXT[language]
    base = base_pipeline(database(), semantic())
    entries = catalogue(base.layer, language, role)
    metrics = {e.name: e for e in entries if e.kind == "metric"}
    dimensions = {e.name: e for e in entries if e.kind == "dimension"}
    if not metrics:
        return
    left, right = st.columns(2)
    metric = left.selectbox(
        text["metric"], list(metrics), format_func=lambda n: f"{metrics[n].label} ({n})", key="wb_metric"
    )
    by = right.multiselect(
        text["by"], list(dimensions), format_func=lambda n: f"{dimensions[n].label} ({n})", key="wb_by"
    )
    latest = base.latest_date
    start_default = (latest.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    period_col, grain_col, limit_col = st.columns([2, 1, 1])
    period = period_col.date_input(text["period"], value=(start_default, latest), key="wb_period")
    grain = grain_col.selectbox(text["grain"], [NO_GRAIN, *GRAINS], key="wb_grain")
    limit = limit_col.number_input(text["limit"], min_value=1, max_value=MAX_ROWS, value=100, key="wb_limit")
    filter_col, values_col = st.columns(2)
    on = filter_col.selectbox(
        text["filter_on"],
        ["", *dimensions],
        format_func=lambda n: text["no_filter"] if not n else f"{dimensions[n].label} ({n})",
        key="wb_filter_on",
    )
    chosen: list[str] = []
    if on:
        known = dimensions[on].values or base.value_index().get(on, [])
        chosen = values_col.multiselect(text["filter_values"], known, key="wb_filter_values")
    start, end = (period[0], period[-1]) if isinstance(period, tuple) and period else (None, None)
    try:
        query = SemanticQuery(
            metrics=[metric] if metric else [],
            dimensions=by,
            time_grain=None if grain == NO_GRAIN else grain,
            time_range=TimeRange(start=start, end=end) if start else None,
            filters=[Filter(dimension=on, op="in", values=list(chosen))] if on and chosen else [],
            limit=int(limit),
        )
        identity = current_identity()
        if identity is None:
            st.stop()
        assert identity is not None
        pipeline = pipeline_of(identity)
        previewed = pipeline.answer(query, language=language)
        if previewed.status != "answered":
            st.warning(previewed.message, icon=":material/block:")
            return
        block = previewed.answers[0]
    except QueryError as error:
        st.warning(error.message(language), icon=":material/block:")
        return
    except ConnectorError as error:
        st.error(str(error))
        return
    except ValueError as error:  # a query the typed model rejects (an empty period, say)
        st.warning(str(error))
        return
    st.caption(text["role_note"].format(role))
    st.code(block.sql, language="sql")
    st.caption(text["first_rows"].format(min(PREVIEW_ROWS, len(block.rows)), len(block.rows)))
    st.dataframe(
        pd.DataFrame(block.rows[:PREVIEW_ROWS], columns=block.columns),
        hide_index=True,
        width="stretch",
        key="wb_preview_rows",
    )


# -- unanswered questions and proposed changes -----------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _baseline(layer: str, stamp: tuple[tuple[str, float], ...], db: str | None, benchmark: str) -> Scores:
    """The current layer's benchmark scores, computed once per version of its files."""
    items = load_benchmark(Path(benchmark))
    with tempfile.TemporaryDirectory(prefix="nlq-baseline-") as scratch:
        return score_layer(layer, db, items, Path(scratch))


def _stamp(path: Path) -> tuple[tuple[str, float], ...]:
    return tuple((str(f), f.stat().st_mtime) for f in layer_files(path))


def _unanswered(language: Language) -> None:
    text = TEXT[language]
    st.caption(text["sources"])
    base = base_pipeline(database(), semantic())
    questions: list[suggest.Unanswered] = []
    try:
        log = open_audit()
        try:
            questions += suggest.from_audit(log)
        finally:
            log.close()
    except AuditError as error:
        st.warning(text["audit_unavailable"].format(error))
    questions += suggest.from_feedback(feedback.read(feedback_file()))
    found = suggest.suggest(questions, base.understander, base.latest_date)
    with st.expander(text["manual"]):
        _manual(language)
    if not found:
        st.info(text["nothing"])
        _proposal(language)
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    text["count"]: s.count,
                    text["word"]: s.word or text["all_linked"],
                    text["from"]: ", ".join(f"{k} {v}" for k, v in s.sources.items()),
                    text["example"]: s.questions[0],
                    text["fix"]: s.fix.describe(language) if s.fix else text["none_near"] if s.word else "",
                }
                for s in found
            ]
        ),
        hide_index=True,
        width="stretch",
        key="wb_suggestions",
    )
    fixable = {s.word: s for s in found if s.fixes}
    if not fixable:
        _proposal(language)
        return
    word = st.selectbox(
        text["pick"], list(fixable), format_func=lambda w: f"{w} ×{fixable[w].count}", key="wb_pick"
    )
    chosen = fixable[word] if word in fixable else next(iter(fixable.values()))
    index = st.radio(
        text["pick_fix"],
        range(len(chosen.fixes)),
        format_func=lambda i: chosen.fixes[i].describe(language),
        key=f"wb_fix_{chosen.word}",
    )
    fix = chosen.fixes[index or 0]
    if st.button(text["try"], icon=":material/science:", key="wb_try"):
        _try(fix.change, chosen.questions[:5], language)
    _proposal(language)


def _manual(language: Language) -> None:
    """Any synonym or value alias, typed by the analyst, through the same checks."""
    text = TEXT[language]
    layer = base_pipeline(database(), semantic()).layer
    kinds: dict[str, list[str]] = {
        "metric_synonym": [m.name for m in layer.metrics],
        "dimension_synonym": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions)),
        "value_alias": list(dict.fromkeys(d.name for m in layer.models for d in m.dimensions if d.values)),
        "term_synonym": [t.name for t in layer.terms],
    }
    kind_col, target_col, value_col, word_col = st.columns(4)
    kind = kind_col.selectbox(
        text["kind"], list(kinds), format_func=KIND_LABELS[language].__getitem__, key="wb_manual_kind"
    )
    target = target_col.selectbox(text["target"], kinds[kind or "metric_synonym"], key="wb_manual_target")
    value = None
    if kind == "value_alias" and target:
        values = next(d.values for m in layer.models for d in m.dimensions if d.name == target and d.values)
        value = value_col.selectbox(text["value"], list(values), key="wb_manual_value")
    word = word_col.text_input(text["new_word"], key="wb_manual_word").strip()
    if st.button(text["try"], icon=":material/science:", key="wb_try_manual", disabled=not (word and target)):
        change = LayerChange(kind=kind, target=target, value=value, word=word)
        _try(change, [], language)


def _try(change: LayerChange, questions: list[str], language: Language) -> None:
    text = TEXT[language]
    base = base_pipeline(database(), semantic())
    with st.spinner(text["trying"]):
        benchmark = benchmark_path()
        try:
            st.session_state["wb_proposal"] = propose(
                change,
                layer=layer_path(),
                db=database(),
                workdir=Path(tempfile.mkdtemp(prefix="nlq-proposal-")),
                benchmark=benchmark,
                baseline=_baseline(str(layer_path()), _stamp(layer_path()), database(), str(benchmark)),
                questions=questions,
                as_of=base.latest_date,
            )
        except (EditError, LayerError) as error:
            st.error(text["cannot"].format(error))


def _proposal(language: Language) -> None:
    proposal: Proposal | None = st.session_state.get("wb_proposal")
    if proposal is not None:
        _show_proposal(proposal, language)


def _show_proposal(proposal: Proposal, language: Language) -> None:
    text = TEXT[language]
    with st.container(border=True, key="wb_proposal_box"):
        st.markdown(f"**{text['diff']}**")
        st.code(proposal.diff, language="diff")
        if proposal.problems:
            st.error(text["invalid"] + "\n\n" + "\n".join(f"- {p}" for p in proposal.problems))
        else:
            st.success(text["valid"])
        if proposal.asked:
            st.markdown(f"**{text['asked']}**")
            st.dataframe(
                pd.DataFrame([a.model_dump() for a in proposal.asked]), hide_index=True, key="wb_asked"
            )
        delta = proposal.delta
        if delta is not None:
            st.metric(
                text["accuracy"],
                f"{delta.after:.1%}",
                delta=f"{(delta.after - delta.before) * 100:+.1f} pt",
                help=f"{delta.total} questions",
            )
            st.markdown(f"{text['fixed']}（{len(delta.fixed)}）：{' '.join(delta.fixed) or '-'}")
            st.markdown(f"{text['regressed']}（{len(delta.regressed)}）：{' '.join(delta.regressed) or '-'}")
        save_col, discard_col = st.columns(2)
        if save_col.button(
            text["save"],
            icon=":material/save:",
            key="wb_save",
            type="primary",
            disabled=bool(proposal.problems),
        ):
            written = save(proposal.layer, layer_path())
            # The cached pipelines hold the old layer: the next question loads the saved one.
            base_pipeline.clear(database(), semantic())
            pipeline_for.clear()
            st.session_state["wb_proposal"] = None
            st.success(text["saved"].format(", ".join(p.name for p in written)))
        if discard_col.button(text["discard"], key="wb_discard"):
            st.session_state["wb_proposal"] = None
            st.rerun()
