"""The workbench and audit pages with Streamlit's AppTest: who sees them, the
audit filters and record detail, the SQL preview, the join graph, and the
suggestion flow (diff, validation, accuracy change, save)."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import sqlglot
from streamlit.testing.v1 import AppTest

from nlq.audit import AuditRecord, matching, open_audit, write_csv
from nlq.eval.benchmark import load_benchmark
from nlq.identity import Identity
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.proposal import DEV_BENCHMARK
from nlq.semantic.edit import copy_layer
from nlq.semantic.query import Filter, SemanticQuery, TimeRange
from nlq.ui.access import IDENTITY_KEY, SIGNED_AT_KEY

APP = Path(__file__).resolve().parents[2] / "app.py"
SEMANTIC_PAGE = "nlq/ui/pages/semantic.py"
AUDIT_PAGE = "nlq/ui/pages/audit.py"
RECORDS = [
    AuditRecord(question="上个月的客单", status="clarify", user="chen.jie", role="analyst"),
    AuditRecord(question="上个月的客单", status="clarify", user="sun.li", role="marketing"),
    AuditRecord(
        question="上个月的GMV",
        status="answered",
        user="chen.jie",
        role="analyst",
        interpretation="理解为：上个月，成交额",
        sql=["SELECT SUM(amount) FROM order_items"],
        rows=1,
        duration_ms=12.5,
    ),
    AuditRecord(
        question="上个月的毛利",
        status="refused",
        user="sun.li",
        role="marketing",
        error="marketing may not see gross_margin",
    ),
]


@pytest.fixture()
def layer(tmp_path: Path) -> Path:
    return copy_layer(DEMO_SEMANTIC, tmp_path / "layer")


@pytest.fixture()
def signed_in(
    warehouse_path: Path, layer: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str], AppTest]:
    """The app, signed in as a user of the demo, on a copy of the layer with its own
    history, audit log and ratings."""
    audit = tmp_path / "audit.sqlite"
    log = open_audit(audit)
    for record in RECORDS:
        log.append(record)
    log.close()
    # A small benchmark for the page's flow: the dev benchmark's 客单价 question, the
    # same question as users asked it (its gold from the benchmark), and one more.
    items = load_benchmark(DEV_BENCHMARK)
    gold = next(i for i in items if i.question == "上个月的客单价")
    asked = gold.model_copy(update={"id": "wb-1", "question": "上个月的客单"})
    bench = tmp_path / "bench.jsonl"
    bench.write_text(
        "".join(i.model_dump_json(exclude_none=True) + "\n" for i in [gold, asked, items[0]]),
        encoding="utf-8",
    )
    monkeypatch.setenv("NLQ_DB", str(warehouse_path))
    monkeypatch.setenv("NLQ_SEMANTIC", str(layer))
    monkeypatch.setenv("NLQ_AUDIT_URL", str(audit))
    monkeypatch.setenv("NLQ_FEEDBACK", str(tmp_path / "feedback.jsonl"))
    monkeypatch.setenv("NLQ_BENCHMARKS", str(bench))
    monkeypatch.setenv("NLQ_LAYER_GIT", str(tmp_path / "layer.git"))

    def sign_in(user: str) -> AppTest:
        at = AppTest.from_file(str(APP), default_timeout=180).run()
        at.text_input(key="nlq_signin_user").set_value(user)
        at.text_input(key="nlq_signin_password").set_value(f"{user}-demo")
        at.button(key="nlq_signin").click().run()
        assert not at.exception
        return at

    return sign_in


@pytest.fixture()
def app(signed_in: Callable[[str], AppTest]) -> AppTest:
    # An administrator: the sidebar lets them view as each role.
    return signed_in("li.na")


def as_role(at: AppTest, role: str) -> AppTest:
    at.radio(key="nlq_role").set_value(role).run()
    assert not at.exception
    return at


def frame(at: AppTest, column: str, *, last: bool = False) -> pd.DataFrame:
    """The (first or last) table shown with this column."""
    found = [d.value for d in at.dataframe if column in d.value.columns]
    return found[-1] if last else found[0]


def open_page(at: AppTest, page: str) -> AppTest:
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("role", ["marketing", "east_manager"])
def test_other_roles_see_neither_page(app: AppTest, role: str) -> None:
    as_role(app, role)
    for page in (SEMANTIC_PAGE, AUDIT_PAGE):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page(page)


def test_an_analyst_sees_the_semantic_layer_but_not_the_audit(app: AppTest) -> None:
    as_role(app, "analyst")
    with pytest.raises(ValueError):
        app.switch_page(AUDIT_PAGE)
    open_page(app, SEMANTIC_PAGE)
    assert app.title[0].value == "语义层工作台"
    # The role chosen on the chat page still holds here.
    assert "以角色“analyst”编译" in " ".join(c.value for c in app.caption)


def test_the_audit_page_filters_shows_a_record_and_exports(app: AppTest) -> None:
    as_role(app, "admin")
    open_page(app, AUDIT_PAGE)
    assert app.title[0].value == "审计日志"
    table = app.dataframe[0].value
    assert len(table) == len(RECORDS)
    assert table["问题"].tolist() == [r.question for r in reversed(RECORDS)]  # newest first
    app.selectbox(key="audit_user").set_value("sun.li").run()
    assert app.dataframe[0].value["问题"].tolist() == ["上个月的毛利", "上个月的客单"]
    app.selectbox(key="audit_status").set_value("refused").run()
    assert app.dataframe[0].value["问题"].tolist() == ["上个月的毛利"]
    # The detail of the one record left: its error, in full.
    assert "gross_margin" in app.error[0].value
    app.selectbox(key="audit_user").set_value("*").run()
    app.selectbox(key="audit_status").set_value("*").run()
    app.text_input(key="audit_search").set_value("sum(amount)").run()
    assert app.dataframe[0].value["问题"].tolist() == ["上个月的GMV"]
    assert [c.value for c in app.code] == ["SELECT SUM(amount) FROM order_items"]
    assert "理解为：上个月，成交额" in [t.value for t in app.text]
    assert [m.value for m in app.metric] == ["1", "12.5", "answered"]
    assert len(app.get("download_button")) == 1


def test_the_exported_csv_holds_the_filtered_records(tmp_path: Path) -> None:
    log = open_audit(tmp_path / "audit.sqlite")
    for record in RECORDS:
        log.append(record)
    shown = matching(log.recent(10), role="marketing", text="毛利")
    log.close()
    out = io.StringIO()
    assert write_csv(shown, out) == 1
    header, row = out.getvalue().strip().splitlines()
    assert header.startswith("id,time,user,role,kind,question,status")
    assert ",sun.li,marketing,question,上个月的毛利,refused," in row


def test_the_semantic_page_browses_previews_and_draws_the_join_graph(
    app: AppTest, warehouse_path: Path, layer: Path
) -> None:
    open_page(app, SEMANTIC_PAGE)
    metrics, dimensions, models = (d.value for d in app.dataframe[:3])
    gmv = metrics.set_index("名称").loc["gmv"]
    assert gmv["名称（中文）"] == "成交额" and "已支付订单" in gmv["口径"] and "流水" in gmv["同义词"]
    channel = dimensions.set_index("名称").loc["channel"]
    assert "天猫" in channel["取值"] and "平台" in channel["同义词"]
    assert "order_items" in models["名称"].tolist()
    spec = app.get("graphviz_chart")[0].proto.spec  # type: ignore[attr-defined]
    assert (
        '"order_items" -> "orders"' in spec and '"orders" -> "campaigns"' in spec and "style=dashed" in spec
    )

    app.selectbox(key="wb_metric").set_value("gmv").run()
    app.multiselect(key="wb_by").set_value(["channel"]).run()
    app.date_input(key="wb_period").set_value((dt.date(2026, 5, 1), dt.date(2026, 5, 31))).run()
    app.selectbox(key="wb_filter_on").set_value("channel").run()
    app.multiselect(key="wb_filter_values").set_value(["天猫", "京东"]).run()
    assert not app.exception
    expected, _ = Pipeline(db=warehouse_path, semantic=layer).run(
        SemanticQuery(
            metrics=["gmv"],
            dimensions=["channel"],
            time_range=TimeRange(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 31)),
            filters=[Filter(dimension="channel", values=["天猫", "京东"])],
            limit=100,
        )
    )
    assert [c.value for c in app.code if c.language == "sql"] == [
        sqlglot.transpile(expected.sql, read="duckdb", pretty=True)[0]
    ]
    preview = frame(app, "gmv")
    assert sorted(preview["channel"].tolist()) == ["京东", "天猫"]
    assert preview.values.tolist() == expected.rows


def test_a_case_is_tried_on_a_copy_saved_for_review_and_approved_by_another(
    signed_in: Callable[[str], AppTest], layer: Path
) -> None:
    analyst = open_page(signed_in("chen.jie"), SEMANTIC_PAGE)
    cases = frame(analyst, "问题原因")
    first = cases.iloc[0]
    assert (first["问题原因"], first["涉及的词或取值"], first["次数"]) == ("语义层里没有的词", "客单", 2)
    assert first["提问人"] == "chen.jie, sun.li"
    # The refusal by a policy is kept apart, with no change offered.
    apart = frame(analyst, "问题原因", last=True)
    assert apart["问题原因"].tolist() == ["权限拒绝"]
    before = (layer / "metrics.yaml").read_text(encoding="utf-8")
    fixes = analyst.radio(key="wb_fix_unknown_words:客单")
    assert fixes.value is None  # no default: the analyst picks
    fixes.set_value(0).run()
    analyst.button(key="wb_try").click().run()
    assert not analyst.exception, analyst.exception
    assert (layer / "metrics.yaml").read_text(encoding="utf-8") == before  # only a copy changed
    diff = next(c.value for c in analyst.code if c.language == "diff")
    assert "spend per customer, 客单]" in diff
    assert "语义层校验通过。" in [s.value for s in analyst.success]
    scores = frame(analyst, "基准").iloc[0]
    assert (scores["准确率"], scores["静默答错"], scores["修复的问题"], scores["变差的问题"]) == (
        "66.7% → 100.0%",
        "0 → 0",
        "wb-1",
        "-",
    )
    moved = frame(analyst, "修改前", last=True)
    assert moved["问题"].tolist() == ["上个月的客单"] and moved.iloc[0]["修改后"].startswith("[correct]")
    asked = frame(analyst, "修改前")
    assert asked.iloc[0]["修改前"].startswith("[clarify]") and asked.iloc[0]["修改后"].startswith(
        "[answered]"
    )
    assert "这个修改修复了问题，没有让任何结果变差。" in [s.value for s in analyst.success]
    save = analyst.button(key="wb_save")
    assert save.disabled  # a reason first
    analyst.text_input(key="wb_reason").set_value("客单 is what users call 客单价").run()
    analyst.button(key="wb_save").click().run()
    assert not analyst.exception, analyst.exception
    assert any("proposals/chen.jie/1" in s.value for s in analyst.success)
    assert (layer / "metrics.yaml").read_text(encoding="utf-8") == before  # waiting for approval
    assert not [
        b for b in analyst.button if b.key and b.key.startswith("wb_approve_")
    ]  # not theirs to approve

    admin = open_page(signed_in("li.na"), SEMANTIC_PAGE)
    admin.button(key="wb_approve_proposals/chen.jie/1").click().run()
    assert not admin.exception, admin.exception
    saved = (layer / "metrics.yaml").read_text(encoding="utf-8")
    assert "spend per customer, 客单]" in saved
    history = frame(admin, "批准人")
    assert history.iloc[0][["作者", "批准人", "说明"]].tolist() == [
        "chen.jie",
        "li.na",
        "客单 is what users call 客单价",
    ]
    # The approved layer is the one used now: the word links, so the case is gone.
    assert "客单" not in frame(admin, "问题原因")["涉及的词或取值"].tolist()
    admin.button(key="wb_undo").click().run()
    assert not admin.exception, admin.exception
    assert (layer / "metrics.yaml").read_text(encoding="utf-8") == before


def test_a_change_that_fixes_nothing_needs_a_confirmation(app: AppTest, layer: Path) -> None:
    open_page(app, SEMANTIC_PAGE)
    app.selectbox(key="wb_manual_kind").set_value("value_alias").run()
    app.selectbox(key="wb_manual_target").set_value("channel").run()
    app.selectbox(key="wb_manual_value").set_value("京东").run()
    app.text_input(key="wb_manual_word").set_value("狗东").run()
    app.button(key="wb_try_form").click().run()
    assert not app.exception, app.exception
    diff = next(c.value for c in app.code if c.language == "diff")
    assert "+          京东: [JD, JD.com, 京东商城, Jingdong, 狗东]" in diff
    assert "这个修改没有修复任何问题：保存前请确认并写明原因。" in [w.value for w in app.warning]
    app.text_input(key="wb_reason").set_value("狗东 is slang for 京东").run()
    assert app.button(key="wb_save").disabled  # not yet confirmed
    app.checkbox(key="wb_save_anyway").check().run()
    assert not app.button(key="wb_save").disabled
    assert "狗东" not in (layer / "models.yaml").read_text(encoding="utf-8")
    app.button(key="wb_discard").click().run()
    assert not [c for c in app.code if c.language == "diff"]


@pytest.mark.parametrize("page", [SEMANTIC_PAGE, AUDIT_PAGE])
def test_a_page_run_without_the_role_refuses_in_the_users_language(app: AppTest, page: str) -> None:
    root = APP.parent
    at = AppTest.from_file(str(root / page), default_timeout=60)
    at.session_state[IDENTITY_KEY] = Identity(user="sun.li", role="marketing")  # signed in, not an admin
    at.session_state[SIGNED_AT_KEY] = time.time()
    at.session_state["nlq_ui_language"] = "en"
    at.run()
    assert not at.exception and not at.title
    assert [e.value for e in at.error] == [
        "The role 'marketing' may not see this page (it needs: admin, analyst)."
        if page == SEMANTIC_PAGE
        else "This page is for administrators only."
    ]


def test_a_term_a_dimension_and_a_relationship_are_made_in_forms(app: AppTest, layer: Path) -> None:
    open_page(app, SEMANTIC_PAGE)
    app.radio(key="wb_form").set_value("term").run()
    app.text_input(key="wb_term_name").set_value("big_cities").run()
    app.text_input(key="wb_term_zh").set_value("大城市").run()
    app.selectbox(key="wb_term_dimension").set_value("city_tier").run()
    app.text_input(key="wb_term_values").set_value("一线, 新一线").run()
    app.button(key="wb_try_form").click().run()
    assert not app.exception, app.exception
    diff = next(c.value for c in app.code if c.language == "diff")
    assert "+  - name: big_cities" in diff and "values: [一线, 新一线]" in diff
    sample = [c.value for c in app.code if c.language == "sql"][-1]  # after the preview's
    assert "city_tier" in sample and "'一线'" in sample  # the term at work in a query
    assert "语义层校验通过。" in [s.value for s in app.success]
    app.button(key="wb_discard").click().run()

    app.radio(key="wb_form").set_value("dimension").run()
    app.text_input(key="wb_dimension_name").set_value("price_band").run()
    app.text_input(key="wb_dimension_zh").set_value("价格带").run()
    app.selectbox(key="wb_dim_model").set_value("products").run()
    app.text_input(key="wb_dim_expr").set_value("CASE WHEN list_price >= 1000 THEN '高' ELSE '低' END").run()
    app.button(key="wb_try_form").click().run()
    assert not app.exception, app.exception
    diff = next(c.value for c in app.code if c.language == "diff")
    assert "+      - name: price_band" in diff
    assert "语义层校验通过。" in [s.value for s in app.success]
    app.button(key="wb_discard").click().run()

    app.radio(key="wb_form").set_value("relationship").run()
    app.selectbox(key="wb_rel_from").set_value("reviews.order_id").run()
    app.selectbox(key="wb_rel_to").set_value("orders.order_id").run()
    app.button(key="wb_try_form").click().run()
    assert not app.exception, app.exception
    # reviews -> orders exists already: refused, nothing written
    assert any("reviews" in e.value for e in app.error), [e.value for e in app.error]
    assert "price_band" not in (layer / "models.yaml").read_text(encoding="utf-8")
