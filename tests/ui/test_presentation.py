"""Display forms of values and columns, the CSV download and the catalogue."""

from __future__ import annotations

import csv
import io

import pytest

from nlq.answer import AnswerBlock
from nlq.catalogue import catalogue, search
from nlq.pipeline import DEMO_SEMANTIC
from nlq.presentation import csv_bytes, describe_columns, format_period, format_value
from nlq.semantic.loader import load_cached

LAYER = load_cached(DEMO_SEMANTIC)


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [
        (1234567.891, "currency", "¥1,234,567.89"),
        (-1234.5, "currency", "-¥1,234.50"),
        (0.34349, "percent", "34.3%"),
        (49872, "count", "49,872"),
        (1234.5678, "number", "1,234.57"),
        (3.0, "number", "3"),
        (None, "currency", "—"),
        ("2026-04-01", "date", "2026-04-01"),
        ("2026-04-01 00:00:00", "date", "2026-04-01"),
        ("2026-04-01 13:45:10", "date", "2026-04-01 13:45"),
        ("天猫", "text", "天猫"),
    ],
)
def test_format_value(value: object, fmt: str, shown: str) -> None:
    assert format_value(value, fmt, "zh") == shown  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("grain", "shown"),
    [
        ("month", "2026-04"),
        ("quarter", "2026 Q2"),
        ("year", "2026"),
        ("day", "2026-04-01"),
        ("week", "2026-04-01当周"),
    ],
)
def test_format_period(grain: str, shown: str) -> None:
    assert format_period("2026-04-01", grain, "zh") == shown


def test_columns_know_their_role_label_and_unit() -> None:
    block = AnswerBlock(
        sql="SELECT 1",
        columns=["month", "channel", "gmv", "gmv_previous", "gmv_growth", "buyers_share", "order_id"],
        rows=[["2026-05-01", "天猫", 10.5, 8.0, 0.3125, 0.2, 17]],
    )
    zh = describe_columns(block, LAYER, "zh")
    assert [c.role for c in zh] == ["time", "category", "measure", "previous", "growth", "share", "category"]
    assert [c.label for c in zh[:6]] == [
        "月份",
        "渠道",
        "成交额",
        "成交额（对比期）",
        "成交额增长率",
        "购买用户数占比",
    ]
    assert [c.format for c in zh[2:6]] == ["currency", "currency", "percent", "percent"]
    assert (
        zh[2].axis_title == "成交额（¥）" and describe_columns(block, LAYER, "en")[2].axis_title == "GMV (¥)"
    )
    # GMV is a sum, so it adds up over categories; buyers (a distinct count) do not.
    assert zh[2].additive and not zh[5].additive
    assert zh[1].order == ["天猫", "京东", "抖音", "微信小程序", "APP", "线下门店"]


def test_csv_has_labels_raw_values_and_a_bom() -> None:
    block = AnswerBlock(sql="SELECT 1", columns=["channel", "gmv"], rows=[["天猫", 1234.5], ["京东", None]])
    data = csv_bytes(block, describe_columns(block, LAYER, "zh"))
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 Chinese only with it
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["渠道", "成交额"], ["天猫", "1234.5"], ["京东", ""]]


def test_catalogue_lists_metrics_with_their_definition_and_searches() -> None:
    entries = catalogue(LAYER, "zh", "analyst")
    gmv = next(e for e in entries if e.name == "gmv")
    assert gmv.label == "成交额" and "pay_time" in gmv.definition and gmv.unit == "金额（元）"
    assert len([e for e in entries if e.name == "channel"]) == 1  # a conformed dimension once
    assert [e.name for e in search(entries, "退款率")] == ["refund_rate"]
    assert "channel" in {e.name for e in search(entries, "tmall")}  # a value's synonym finds its dimension
    assert {e.name for e in search(entries, "")} == {e.name for e in entries}


def test_catalogue_leaves_out_what_a_role_cannot_use() -> None:
    analyst = {e.name for e in catalogue(LAYER, "zh", "analyst")}
    marketing = {e.name for e in catalogue(LAYER, "en", "marketing")}
    assert {"gross_profit", "gross_margin", "phone"} <= analyst
    assert not {"gross_profit", "gross_margin", "phone", "user_name"} & marketing


def test_a_metric_in_another_currency_shows_its_own_symbol() -> None:
    metrics = [m.model_copy(update={"currency": "US$"}) if m.name == "gmv" else m for m in LAYER.metrics]
    layer = LAYER.model_copy(update={"metrics": metrics})
    block = AnswerBlock(sql="SELECT 1", columns=["gmv", "refund_amount"], rows=[[10.0, 2.0]])
    gmv, refunds = describe_columns(block, layer, "en")
    assert (gmv.currency, gmv.axis_title) == ("US$", "GMV (US$)")
    assert refunds.currency == "¥"  # the layer's own
    units = {e.name: e.unit for e in catalogue(layer, "zh")}
    assert units["gmv"] == "金额（US$）" and units["refund_amount"] == "金额（元）"
