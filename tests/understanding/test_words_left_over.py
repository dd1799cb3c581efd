"""Words a question needs that a reading could drop (issue 26 and the blind set
blind-13): a rate or an average computed nowhere, a counter glued to a known word, an
event verb swapped by a near match, a value reached only by nearness, a short question
of its own after another. Each is asked back, or read whole; values are checked
against hand-written SQL where a value decides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from nlq.pipeline import Pipeline
from tests.understanding.readings import AS_OF, asked_back, read


@pytest.fixture(scope="module")
def pipeline(warehouse_path: Path) -> Pipeline:
    return Pipeline(db=warehouse_path, role="analyst")


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("sell-through rate by brand last month", "rate"),  # was: GMV by brand
        ("本季度每笔订单平均多少钱", "平均"),  # was: the number of orders
        ("How many orders did the average buyer place last quarter?", "average"),
        ("上个月的件单价", "件单价"),  # was: the unit-price dimension
        ("上个月退了多少件货", "退了多少件货"),  # was: units sold, by a near match
        ("上个月的动销率", "动销率"),  # was: which metric? without naming the word
    ],
)
def test_a_word_the_reading_cannot_use_is_named_and_asked_about(
    pipeline: Pipeline, question: str, named: str
) -> None:
    assert named in asked_back(pipeline, question)


@pytest.mark.parametrize(
    ("question", "guess"), [("京冬上个月的销售额", "京东"), ("天毛上个月的订单数", "天猫")]
)
def test_a_value_reached_only_by_nearness_is_asked_with_the_guess_as_the_choice(
    pipeline: Pipeline, question: str, guess: str
) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "clarify" and guess in reading.message
    assert reading.options == [question.replace(question[:2], guess, 1)]
    # A value with a suffix is the value, and a metric's typo is read (named in the answer).
    assert read(pipeline, "广东省上个月的GMV").filters[0].values == ["广东"]
    assert read(pipeline, "销鬘额最高的渠道").metrics == ["gmv"]


def test_the_mean_over_a_dimensions_groups_is_the_mean_of_their_figures(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    query = read(pipeline, "平均每个品牌上个月有多少买家")
    assert (query.averaged_across, query.across) == ("brand", ["avg"])
    answer = pipeline.ask("平均每个品牌上个月有多少买家", as_of=AS_OF).answers[0].rows[0][-1]
    found = con.execute(
        "SELECT AVG(buyers) FROM (SELECT p.brand, COUNT(DISTINCT o.user_id) AS buyers FROM orders o "
        "JOIN order_items i ON i.order_id = o.order_id JOIN products p ON p.product_id = i.product_id "
        "WHERE o.pay_time IS NOT NULL AND o.order_time >= TIMESTAMP '2026-05-01' "
        "AND o.order_time < TIMESTAMP '2026-06-01' GROUP BY p.brand)"
    ).fetchone()
    assert found is not None and answer == pytest.approx(found[0])


def test_a_short_question_asking_for_something_of_its_own_is_no_follow_up(pipeline: Pipeline) -> None:
    first = pipeline.understander.understand("上个月各渠道的GMV", AS_OF)
    hot = pipeline.understander.understand("上个月的爆款", AS_OF, first)
    assert hot.status == "answer" and hot.steps[0].query.metrics == ["units_sold"]
    assert hot.steps[0].query.dimensions == ["product_name"] and not hot.carried
    # a follow-up naming no metric keeps the one before, and says so
    again = pipeline.understander.understand("京东呢", AS_OF, first)
    assert again.carried == ["gmv"] and again.steps[0].query.filters[0].values == ["京东"]
    assert again.steps[0].query.time_range is not None
    assert again.steps[0].query.time_range.start == dt.date(2026, 5, 1)
