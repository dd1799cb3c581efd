"""Which date a question's period applies to: the words are the layer's (a time
dimension's verbs, label and synonyms); where they stand beside a period decides."""

from __future__ import annotations

import pytest

from nlq.dating import date_words, find_dating
from nlq.lexicon import normalise
from nlq.semantic.model import Label, Model, SemanticLayer, TimeDimension

LAYER = SemanticLayer(
    models=[
        Model(
            name="orders",
            table="orders",
            primary_key="order_id",
            label=Label(zh="订单", en="orders"),
            time_dimensions=[
                TimeDimension(
                    name="order_time", label=Label(zh="下单时间", en="order time"), verbs=["下单", "ordered"]
                ),
                TimeDimension(
                    name="pay_time", label=Label(zh="支付时间", en="payment time"), verbs=["支付", "paid"]
                ),
                TimeDimension(
                    name="due_date", label=Label(zh="要求到货日期", en="due date"), verbs=["要求…到货", "due"]
                ),
            ],
        )
    ]
)
WORDS = date_words(LAYER)


def dated(text: str, periods: list[str], cuts: set[int] | None = None) -> list[str]:
    text = normalise(text)
    spans = [(text.index(p), text.index(p) + len(p)) for p in periods]
    every = cuts if cuts is not None else set(range(len(text) + 1))
    return [d.dimension for d in find_dating(text, spans, WORDS, every)]


@pytest.mark.parametrize(
    ("text", "period", "expected"),
    [
        ("orders paid in march", "march", ["orders.pay_time"]),
        ("上个月支付的订单数", "上个月", ["orders.pay_time"]),
        ("支付时间在上个月的订单", "上个月", ["orders.pay_time"]),
        ("上个月的GMV（按支付时间）", "上个月", ["orders.pay_time"]),
        ("要求5月到货的订单", "5月", ["orders.due_date"]),
        ("orders due in may", "in may", ["orders.due_date"]),
        ("上个月的订单数", "上个月", []),  # no date word: the metric's own time
        ("paid orders by channel in march", "in march", []),  # not beside the period
    ],
)
def test_the_date_word_beside_a_period(text: str, period: str, expected: list[str]) -> None:
    assert dated(text, [period]) == expected


def test_a_date_word_inside_a_longer_word_is_not_one() -> None:
    text = "上个月支付宝的gmv"
    cuts = {0, 3, 6, 7, len(text)}  # 上个月 / 支付宝 / 的 / gmv, as the segmenter cuts it
    assert dated(text, ["上个月"], cuts) == []


def test_a_word_two_dates_share_names_neither() -> None:
    twice = LAYER.model_copy(
        update={
            "models": [
                LAYER.models[0].model_copy(
                    update={
                        "time_dimensions": [
                            TimeDimension(name="a", label=Label(zh="日期", en="a"), verbs=["x"]),
                            TimeDimension(name="b", label=Label(zh="日期", en="b")),
                        ]
                    }
                )
            ]
        }
    )
    assert "日期" not in date_words(twice) and date_words(twice)["x"] == "orders.a"
