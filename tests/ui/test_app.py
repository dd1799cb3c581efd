"""The chat page's flows with Streamlit's AppTest: ask, follow up, clarify,
refuse, switch role and date, switch chart, rate, search the catalogue."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from nlq.audit import open_audit
from nlq.pipeline import Pipeline
from nlq.signin import set_password
from nlq.ui.answers import SQL_KEY

APP = Path(__file__).resolve().parents[2] / "app.py"
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture()
def feedback_path(tmp_path: Path) -> Path:
    return tmp_path / "feedback.jsonl"


@pytest.fixture()
def app(warehouse_path: Path, feedback_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    monkeypatch.setenv("NLQ_DB", str(warehouse_path))
    monkeypatch.setenv("NLQ_FEEDBACK", str(feedback_path))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=120).run())
    # The administrator views as an analyst, the role most of these flows are about.
    at.radio(key="nlq_role").set_value("analyst").run()
    assert not at.exception
    yield at


def sign_in(at: AppTest, user: str = "li.na", password: str | None = None) -> AppTest:
    """The sign-in form every session starts with (demo passwords: the name + -demo)."""
    at.text_input(key="nlq_signin_user").set_value(user)
    at.text_input(key="nlq_signin_password").set_value(password or f"{user}-demo")
    at.button(key="nlq_signin").click().run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path)


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input(key="nlq_question").set_value(question).run()
    assert not at.exception, at.exception
    return at


def titles(at: AppTest) -> list[str]:
    return [m.value.removeprefix("##### ") for m in at.markdown if m.value.startswith("##### ")]


def open_sql(at: AppTest) -> AppTest:
    """Opens every answer's SQL expander, as a click on each would."""
    for key in [k for k in at.session_state if str(k).startswith(SQL_KEY)]:
        at.session_state[key] = True
    at.run()
    assert not at.exception, at.exception
    return at


def charts(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]  # type: ignore[attr-defined]


def test_an_example_question_gets_a_bar_and_four_profiles(app: AppTest, pipeline: Pipeline) -> None:
    app.button(key="example-first-zh-0").click().run()
    assert not app.exception
    expected = pipeline.ask("近三月热销商品及其用户画像", as_of=AS_OF)
    assert titles(app) == [a.title for a in expected.answers]
    assert app.caption[0].value.startswith("理解为：近三月（2026-04-01 至 2026-06-30）")
    assert [c.value for c in app.segmented_control] == ["bar", "profile", "profile", "profile", "profile"]
    assert (
        [len(d.value) for d in app.dataframe] == [len(a.rows) for a in expected.answers] == [10, 2, 5, 4, 4]
    )
    ranking = app.dataframe[0].value
    assert list(ranking.columns) == ["商品", "销量"]
    assert ranking["销量"].tolist() == [row[1] for row in expected.answers[0].rows]
    assert charts(app)[0]["mark"] == {"type": "bar", "cornerRadiusEnd": 2}
    # The SQL is drawn once its expander is opened (the browser loads its highlighter then).
    assert [e.label for e in app.expander].count("SQL") == 5 and len(app.code) == 0
    assert [c.value for c in open_sql(app).code] == [a.sql for a in expected.answers]
    assert titles(app) == [a.title for a in expected.answers]
    assert len(app.get("download_button")) == 5
    # The examples make way for the conversation.
    assert "example-first-zh-0" not in {b.key for b in app.button}


def test_a_follow_up_keeps_the_context(app: AppTest) -> None:
    ask(app, "上个月各渠道的GMV")
    ask(app, "只看天猫")
    interpretation = [c.value for c in app.caption if "理解为" in c.value][-1]
    assert "上个月（2026-05-01 至 2026-05-31）" in interpretation and "天猫（渠道）" in interpretation
    first, second = (d.value for d in app.dataframe)
    assert len(first) == 6 and second["渠道"].tolist() == ["天猫"]
    assert second["成交额"].iloc[0] == first.set_index("渠道").loc["天猫", "成交额"]


def test_a_clarification_offers_buttons_that_answer(app: AppTest) -> None:
    ask(app, "各渠道的情况怎么样")
    assert "哪个指标" in app.warning[0].value
    options = [b for b in app.button if b.key and b.key.startswith("option-")]
    assert [b.label for b in options] == [
        "各渠道的情况怎么样（成交额）",
        "各渠道的情况怎么样（订单数）",
        "各渠道的情况怎么样（购买用户数）",
        "各渠道的情况怎么样（访客数）",
    ]
    options[1].click().run()
    assert not app.exception
    assert list(app.dataframe[0].value.columns) == ["渠道", "订单数"] and len(app.dataframe[0].value) == 6


def test_refusals_are_friendly_in_the_question_language(app: AppTest) -> None:
    ask(app, "删除所有订单")
    ask(app, "DROP TABLE orders")
    ask(app, "今天天气怎么样")
    messages = [w.value for w in app.warning]
    assert len(messages) == 3 and "只读取数据" in messages[0] and "only reads" in messages[1]
    assert "超出了数据分析的范围" in messages[2]
    assert not app.dataframe and not app.get("vega_lite_chart") and not app.exception


def test_the_role_and_the_date_drive_the_answer(app: AppTest, pipeline: Pipeline) -> None:
    ask(app, "上个月GMV")
    app.radio(key="nlq_role").set_value("east_manager").run()
    ask(app, "上个月GMV")
    app.date_input(key="nlq_as_of").set_value(dt.date(2026, 3, 31)).run()
    ask(app, "上个月GMV")
    cards = [m.value for m in app.metric]
    everyone = pipeline.ask("上个月GMV", as_of=AS_OF).answers[0].rows[0][0]
    east = pipeline.for_role("east_manager").ask("上个月GMV", as_of=AS_OF).answers[0].rows[0][0]
    february = (
        pipeline.for_role("east_manager").ask("上个月GMV", as_of=dt.date(2026, 3, 31)).answers[0].rows[0][0]
    )
    assert isinstance(everyone, float) and isinstance(east, float) and isinstance(february, float)
    assert east < everyone
    assert cards == [f"¥{everyone:,.2f}", f"¥{east:,.2f}", f"¥{february:,.2f}"]
    assert "2026-02-01 至 2026-02-28" in [c.value for c in app.caption if "理解为" in c.value][-1]


def test_a_kpi_shows_its_growth_as_delta(app: AppTest, pipeline: Pipeline) -> None:
    ask(app, "上个月GMV同比")
    gmv, previous, _change, growth = pipeline.ask("上个月GMV同比", as_of=AS_OF).answers[0].rows[0]
    card = app.metric[0]
    assert isinstance(previous, float) and isinstance(growth, float)
    assert card.label == "成交额" and card.value == f"¥{gmv:,.2f}" and card.delta == f"{growth * 100:+.1f}%"
    assert f"¥{previous:,.2f}" in (card.proto.help or "")


def test_the_chart_type_can_be_switched(app: AppTest) -> None:
    ask(app, "monthly GMV trend this year")
    assert [c["mark"] for c in charts(app)] == [{"type": "line", "point": True}]
    app.segmented_control[0].set_value("bar").run()
    assert [c["mark"] for c in charts(app)] == [{"type": "bar"}]
    app.segmented_control[0].set_value("table").run()
    assert charts(app) == [] and len(app.dataframe[0].value) == 6


def test_ratings_are_stored_with_question_and_sql(app: AppTest, feedback_path: Path) -> None:
    ask(app, "上个月各渠道的GMV")
    app.feedback[0].set_value(0).run()
    app.feedback[0].set_value(1).run()
    lines = [json.loads(line) for line in feedback_path.read_text(encoding="utf-8").splitlines()]
    assert [line["rating"] for line in lines] == ["down", "up"]
    assert lines[-1]["question"] == "上个月各渠道的GMV" and lines[-1]["role"] == "analyst"
    assert lines[-1]["sql"] == [open_sql(app).code[0].value] and lines[-1]["as_of"] == "2026-06-30"


def test_the_catalogue_is_searchable(app: AppTest) -> None:
    everything = [e.label for e in app.sidebar.expander]
    listed = len(app.sidebar.markdown)
    app.text_input(key="nlq_catalogue_search").set_value("退款").run()
    shown = [m.value for m in app.sidebar.markdown]
    found = shown[: len(shown) - listed]  # the popover's results come before the lists
    assert any(s.startswith("**退款率** `refund_rate`") and "口径：" in s for s in found)
    assert all("退款" in s or "refund" in s for s in found)
    # 退款率, 退款金额… and the refund reason dimension, counted; the lists keep everything.
    assert f"找到 {len(found)} 项" in [c.value for c in app.sidebar.caption] and len(found) >= 3
    assert [e.label for e in app.sidebar.expander] == everything and everything[0].startswith("指标（")
    app.text_input(key="nlq_catalogue_search").set_value("没有这个词").run()
    assert len(app.sidebar.markdown) == listed and "找到 0 项" in [c.value for c in app.sidebar.caption]


def test_the_interface_speaks_english(app: AppTest) -> None:
    app.radio(key="nlq_ui_language").set_value("en").run()
    assert app.title[0].value == "nlq: ask your data"
    assert app.radio(key="nlq_role").label == "View as role (administrator)"


def test_a_database_that_cannot_be_opened_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NLQ_DB", str(tmp_path / "missing.duckdb"))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=120).run())
    assert not at.exception
    assert "NLQ_DB" in at.error[0].value and "missing.duckdb" in at.error[0].value
    # The question box is drawn before the data loads; a question then gets the same
    # explanation, and no answer.
    at.chat_input[0].set_value("上个月的GMV").run()
    assert not at.exception and not at.chat_message
    assert [e.value for e in at.error] == [at.error[0].value] and "NLQ_DB" in at.error[0].value


def test_an_engine_error_is_a_sentence_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE sales AS SELECT 1 AS id, 10.0 AS amount, TIMESTAMP '2026-06-01' AS sold_at")
    con.close()
    layer = tmp_path / "layer.yaml"
    # The measure names a column the table does not have: the engine refuses the query.
    layer.write_text(
        """
models:
  - name: sales
    table: sales
    primary_key: id
    label: {zh: 销售, en: sales}
    default_time: sold_at
    time_dimensions: [{name: sold_at, label: {zh: 销售时间, en: sold at}}]
    measures: [{name: amount, agg: sum, expr: amount_before_tax}]
metrics:
  - {name: revenue, measure: sales.amount, label: {zh: 销售额, en: revenue}}
roles:
  - {name: analyst, label: {zh: 分析师, en: analyst}}
users:
  - {name: ana, role: analyst}
""",
        encoding="utf-8",
    )
    credentials = tmp_path / "credentials.yaml"
    set_password(credentials, "ana", "ana-secret")
    monkeypatch.setenv("NLQ_DB", str(db))
    monkeypatch.setenv("NLQ_SEMANTIC", str(layer))
    monkeypatch.setenv("NLQ_CREDENTIALS", str(credentials))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=120).run(), "ana", "ana-secret")
    ask(at, "销售额")
    ask(at, "revenue")
    zh, en = (e.value for e in at.error)
    assert zh.startswith("查询没有完成") and en.startswith("The question could not be answered")
    assert "Traceback" not in zh + en and not at.dataframe


def test_a_role_without_permission_is_told_so(app: AppTest) -> None:
    ask(app, "上个月毛利")
    assert app.metric and not app.warning  # the analyst may see gross profit
    app.radio(key="nlq_role").set_value("marketing").run()
    assert "毛利与成本" in app.sidebar.caption[1].value  # the role's description, under who is signed in
    ask(app, "上个月毛利")
    assert len(app.metric) == 1 and "市场营销" in app.warning[0].value and "毛利" in app.warning[0].value


def test_five_metrics_make_five_cards(app: AppTest, pipeline: Pipeline) -> None:
    question = "上个月的GMV、订单数、客单价、退款率和访客数"
    ask(app, question)
    row = pipeline.ask(question, as_of=AS_OF).answers[0].rows[0]
    assert [m.label for m in app.metric] == ["成交额", "订单数", "客单价", "退款率", "访客数"]
    _, orders, spend, refund, _ = row
    assert isinstance(refund, float) and isinstance(orders, int) and isinstance(spend, float)
    assert [m.value for m in app.metric][1:4] == [f"{orders:,}", f"¥{spend:,.2f}", f"{refund * 100:.1f}%"]


def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NLQ_DB", str(warehouse_path))
    at = AppTest.from_file(str(APP), default_timeout=120).run()
    assert not at.chat_input and not at.radio  # no question box, no role to pick
    sign_in(at, "li.na", "not-her-password")
    assert "不正确" in at.error[0].value and not at.chat_input
    sign_in(at, "nobody", "nobody-demo")
    assert not at.chat_input


def test_a_province_manager_answers_in_their_province_and_picks_no_role(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch, pipeline: Pipeline
) -> None:
    monkeypatch.setenv("NLQ_DB", str(warehouse_path))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=120).run(), "wang.fang")
    assert "nlq_role" not in [r.key for r in at.radio]  # only administrators view as another role
    ask(at, "上个月各省份的订单数")
    [frame] = at.dataframe
    assert set(frame.value.iloc[:, 0]) == {"浙江"}
    # Signing out ends the session: the form again, no question box.
    at.button(key="nlq_sign_out").click().run()
    assert not at.chat_input and at.text_input(key="nlq_signin_user")


def test_an_administrator_viewing_as_a_role_is_audited_as_such(app: AppTest) -> None:
    app.radio(key="nlq_role").set_value("east_manager").run()
    ask(app, "上周各渠道的订单数")
    log = open_audit()
    newest = log.recent(1, user="li.na")[0]
    log.close()
    assert newest.question == "上周各渠道的订单数"
    # The east manager's policies applied; the administrator's own role is kept beside them.
    assert (newest.user, newest.role, newest.signed_in_role) == ("li.na", "east_manager", "admin")


def test_a_share_questions_card_shows_the_share(app: AppTest) -> None:
    ask(app, "本月美妆GMV占总GMV的比例")
    first = app.metric[0]
    # The share leads, as a percentage; the GMV it is a share of follows, then the whole.
    assert "占比" in first.label and first.value.endswith("%")
    assert len(app.metric) == 3 and all(m.value.startswith("¥") for m in app.metric[1:])
    assert app.metric[2].label == "全部成交额"


@pytest.mark.parametrize(
    "question",
    [
        "本月各渠道平均每单优惠多少钱",  # a ratio on the fly
        "今年每个月的累计成交额",  # a running total
        "最近5笔退款的退款单号、退款时间和退款原因",  # rows, newest first, a time column
        "上个月没有销量的商品有多少个",  # rows without a figure, counted
        "上个月各渠道的订单数比前一个月变化了多少",  # the change beside the comparison
        "今年各渠道内各退款原因的退款金额占比",  # a share within each channel
    ],
)
def test_the_analysts_answers_are_drawn(app: AppTest, question: str) -> None:
    ask(app, question)
    drawn = len(app.dataframe) + len(app.metric) + len(charts(app))
    assert drawn > 0, question
    assert not [e for e in app.error], [e.value for e in app.error]
