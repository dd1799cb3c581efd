"""Why did it change (issue 25, part 1): the reader hands a "why" question to the
attribution, and the attribution's figures are checked against SQL written by hand
on the demo warehouse: the contributions of a sum add up to the change exactly, the
rate and mix effects of a ratio add up to the ratio's change, a regional manager's
attribution is over their rows only, and a question whose premise is wrong is told so."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import duckdb
import pytest

from nlq.answer import AnswerBlock, AskResult
from nlq.insight.decompose import Parts, decompose, ranked
from nlq.pipeline import Pipeline
from tests.insight.conftest import AS_OF, ask

PAID = "o.pay_time IS NOT NULL"
MAY = "o.order_time >= TIMESTAMP '2026-05-01' AND o.order_time < TIMESTAMP '2026-06-01'"
APRIL = "o.order_time >= TIMESTAMP '2026-04-01' AND o.order_time < TIMESTAMP '2026-05-01'"


def rows(block: AnswerBlock) -> list[dict[str, Any]]:
    return [dict(zip(block.columns, row, strict=True)) for row in block.rows]


def by_title(result: AskResult, words: str) -> AnswerBlock:
    return next(b for b in result.answers if words in b.title)


def test_a_sum_is_split_by_channel_and_the_parts_add_up(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = ask(pipeline, "为什么上个月GMV按渠道看变化了")
    summary = rows(result.answers[0])[0]
    by_channel = {r["channel"]: r for r in rows(by_title(result, "渠道"))}
    expected = {
        channel: (float(before), float(after))
        for channel, before, after in con.execute(
            f"SELECT o.channel, SUM(oi.amount) FILTER (WHERE {APRIL}), SUM(oi.amount) FILTER (WHERE {MAY}) "
            f"FROM orders o JOIN order_items oi ON oi.order_id = o.order_id WHERE {PAID} GROUP BY 1"
        ).fetchall()
    }
    assert set(by_channel) == set(expected) and len(expected) == 6
    for channel, (before, after) in expected.items():
        row = by_channel[channel]
        assert math.isclose(row["gmv_previous"], before) and math.isclose(row["gmv"], after)
        assert math.isclose(row["gmv_change"], after - before)
    total = sum(after - before for before, after in expected.values())
    assert math.isclose(summary["gmv_change"], total)
    # a sum's contributions add up to its change, to the cent
    assert math.isclose(
        sum(r["gmv_change"] for r in by_channel.values()), summary["gmv_change"], abs_tol=0.01
    )
    assert math.isclose(sum(r["share_of_change"] for r in by_channel.values()), 1.0)
    assert result.message.startswith("成交额上升") and "方法" in result.message


def test_a_ratio_splits_into_rate_and_mix_effects_that_add_up(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    result = ask(pipeline, "Why did AOV change last month? break it down by channel")
    summary = rows(result.answers[0])[0]
    before, after = con.execute(
        f"SELECT SUM(oi.amount) FILTER (WHERE {APRIL}) / COUNT(DISTINCT o.order_id) FILTER (WHERE {APRIL}), "
        f"SUM(oi.amount) FILTER (WHERE {MAY}) / COUNT(DISTINCT o.order_id) FILTER (WHERE {MAY}) "
        f"FROM orders o JOIN order_items oi ON oi.order_id = o.order_id WHERE {PAID}"
    ).fetchone()
    assert math.isclose(summary["avg_order_value_previous"], float(before))
    assert math.isclose(summary["avg_order_value"], float(after))
    parts = rows(by_title(result, "channel"))
    assert len(parts) == 6
    for part in parts:
        assert math.isclose(part["contribution"], part["rate_effect"] + part["mix_effect"], abs_tol=1e-9)
    # the symmetric decomposition leaves no residual: the effects add up to the change
    assert math.isclose(
        sum(p["contribution"] for p in parts), summary["avg_order_value_change"], rel_tol=1e-9
    )
    assert "rate effect" in result.message and "mix effect" in result.message


def test_unnamed_dimensions_are_searched_and_ranked(pipeline: Pipeline) -> None:
    result = ask(pipeline, "what drove the change in refund amount in March?")
    ranking = by_title(result, "each dimension")
    searched = [r["dimension"] for r in rows(ranking)]
    assert {"channel", "refund reason", "age group"} <= set(searched)
    # a refund belongs to an order, not to one category: never split by one; and a
    # dimension with one value in the data (every paid order is paid) explains nothing
    assert "category" not in searched and "payment status" not in searched
    top = rows(result.answers[1])
    assert result.answers[1].title.endswith(f"by {searched[0]}") and top


def test_a_wrong_premise_is_said_first(pipeline: Pipeline) -> None:
    # GMV rose in May 2026 against April; the question says it fell
    result = ask(pipeline, "为什么上个月GMV下降了")
    assert rows(result.answers[0])[0]["gmv_change"] > 0
    assert result.message.startswith("注意：与问题所说相反")


def test_two_named_periods_compare_the_later_with_the_earlier(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("这个季度跟上个季度比好评率有变化，分城市等级看看原因", AS_OF)
    (step,) = reading.steps
    query = step.query
    assert query.explain == "change" and query.dimensions == ["city_tier"]
    assert query.time_range and (query.time_range.start, query.time_range.end) == (
        dt.date(2026, 4, 1),
        dt.date(2026, 6, 30),
    )
    assert query.baseline and (query.baseline.start, query.baseline.end) == (
        dt.date(2026, 1, 1),
        dt.date(2026, 3, 31),
    )


@pytest.mark.parametrize(
    "question",
    [
        "退款金额按原因的分布",
        "质量问题导致的退款金额",
        "Last month, what share of its parent category's GMV did each sub-category account for?",
    ],
)
def test_a_reason_dimension_or_a_share_is_not_a_why(pipeline: Pipeline, question: str) -> None:
    reading = pipeline.understander.understand(question, AS_OF)
    assert reading.status == "answer" and all(s.query.explain is None for s in reading.steps)


def test_an_impact_question_is_still_refused(pipeline: Pipeline) -> None:
    reading = pipeline.understander.understand("618对GMV的影响有多大", AS_OF)
    assert reading.status == "refuse"


def test_a_regional_managers_attribution_is_over_their_rows(warehouse_path: Path) -> None:
    east = Pipeline(db=warehouse_path, role="east_manager").ask("为什么上个月GMV按省份看变化了", as_of=AS_OF)
    everyone = Pipeline(db=warehouse_path, role="analyst").ask("为什么上个月GMV按省份看变化了", as_of=AS_OF)
    assert east.status == everyone.status == "answered"
    seen = {r[0] for r in east.answers[1].rows}
    assert seen and seen < {r[0] for r in everyone.answers[1].rows}
    assert rows(east.answers[0])[0]["gmv"] < rows(everyone.answers[0])[0]["gmv"]


def test_the_decomposition_by_hand() -> None:
    """Two values, a ratio: A holds 1/4 of the orders at 100, then 1/2 at 120; B 3/4 at 50,
    then 1/2 at 50. The change (85 - 62.5 = 22.5) is A's rate (+7.5) and the mix (+15)."""
    parts = [
        Parts("A", before=(100 * 1, 1), after=(120 * 2, 2)),
        Parts("B", before=(50 * 3, 3), after=(50 * 2, 2)),
    ]
    total = Parts(None, before=(250, 4), after=(340, 4))
    explained = decompose("x", parts, total, "ratio")
    a, b = sorted(explained.contributions, key=lambda c: str(c.value))
    assert math.isclose(a.change + b.change, 85 - 62.5)
    assert math.isclose(a.rate_effect or 0, (0.25 + 0.5) / 2 * 20)
    assert math.isclose(b.rate_effect or 0, 0.0)
    assert math.isclose((a.mix_effect or 0) + (b.mix_effect or 0), 22.5 - 7.5)
    assert explained.overlap == pytest.approx(0.0)
    # a sum: shares of the change add to one; proportional moves are unsurprising
    flat = decompose(
        "y",
        [Parts("A", (10, 1), (20, 1)), Parts("B", (30, 1), (60, 1))],
        Parts(None, (40, 1), (80, 1)),
        "additive",
    )
    concentrated = decompose(
        "z",
        [Parts("A", (10, 1), (50, 1)), Parts("B", (30, 1), (30, 1))],
        Parts(None, (40, 1), (80, 1)),
        "additive",
    )
    assert math.isclose(sum(c.share or 0 for c in flat.contributions), 1.0)
    assert flat.surprise == 0.0 and concentrated.surprise > 0
    assert [e.dimension for e in ranked([flat, concentrated])] == ["z", "y"]
    assert concentrated.named[0].value == "A" and concentrated.explained == 1.0


def test_the_same_code_explains_a_change_on_northwind(tmp_path_factory: pytest.TempPathFactory) -> None:
    from nlq.cli import main

    root = Path(__file__).resolve().parents[2]
    path = tmp_path_factory.mktemp("northwind") / "northwind.duckdb"
    assert main(["demo", "build", "--example", "northwind", "--out", str(path)]) == 0
    pipeline = Pipeline(db=path, semantic=root / "examples" / "northwind" / "semantic", cache=None)
    result = pipeline.ask("Why did revenue change in May 1998?")
    assert result.status == "answered", result.message
    summary = rows(result.answers[0])[0]
    from nlq.engines.duckdb import SETTINGS

    con = duckdb.connect(str(path), read_only=True, config=dict(SETTINGS))
    before, after = con.execute(
        "SELECT SUM(od.unit_price * od.quantity * (1 - od.discount)) FILTER (WHERE o.order_date BETWEEN DATE '1998-04-25' AND DATE '1998-04-30'), "
        "SUM(od.unit_price * od.quantity * (1 - od.discount)) FILTER (WHERE o.order_date BETWEEN DATE '1998-05-01' AND DATE '1998-05-06') "
        "FROM orders o JOIN order_details od ON od.order_id = o.order_id"
    ).fetchone()
    con.close()
    assert math.isclose(summary["revenue_previous"], before, rel_tol=1e-6)
    assert math.isclose(summary["revenue"], after, rel_tol=1e-6)
    assert len(result.answers) >= 3  # the summary, the top dimension, the ranking
