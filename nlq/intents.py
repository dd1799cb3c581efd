"""What a question wants done, before what it names: why something happened,
what will happen, what is unusual, what would happen if, or a metric's
definition changed for one question.

nlq answers what happened, from governed metrics. A question with one of these
intents is recognised as such and answered with what nlq can do instead; it is
never answered by running a different query in its place (为什么GMV下降了 is not
"GMV")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlq.language import Language
from nlq.semantic.model import Label


@dataclass(frozen=True)
class Intent:
    name: str
    pattern: re.Pattern[str]
    zh: str
    en: str


INTENTS = [
    Intent(
        "why",
        re.compile(
            r"为什么|为何|为啥|怎么会|怎么回事|什么原因|原因是什么|是什么原因|的原因是|归因|什么导致|导致.{0,8}(?:下降|上升|增长|下滑|变化)"
            r"|拖后腿|对.{0,20}(?:的)?影响|影响(?:有)?多大|带来.{0,6}影响|\bimpact (?:of|on)\b|\beffect (?:of|on)\b|\baffect(?:ed|s)?\b"
            r"|\bwhy\b|what caused|what drove|what is driving|what's driving|reasons? (?:for|behind)|explain the",
            re.IGNORECASE,
        ),
        "nlq 目前还不能回答“为什么”（归因分析）。可以先看这个指标按维度的对比，例如“上个月各渠道的GMV环比”，找出变化集中在哪里。",
        "nlq cannot yet answer why something changed (attribution). Try comparing the metric by a dimension, "
        'e.g. "GMV by channel last month vs the month before", to see where the change sits.',
    ),
    Intent(
        "forecast",
        re.compile(
            r"预测|预计|预估|预期|推测|将会|会是多少|会有多少|会达到|能达到多少|能卖多少|下个月会|明年会|未来"
            r"|\bforecast|\bpredict|\bprojection|\bprojected\b|\bwill (?:we|it|our|the|be|reach|sell|have|make)\b|\bgoing to be\b|\bexpected to\b",
            re.IGNORECASE,
        ),
        "nlq 只回答已经发生的数据，不做预测。可以看历史趋势，例如“近12个月每月的销量”。",
        'nlq answers what has happened; it does not forecast. Try the history, e.g. "units sold by month over the last 12 months".',
    ),
    Intent(
        "anomaly",
        re.compile(
            r"异常|不正常|反常|离群|突增|突降|暴涨|暴跌|anomal|unusual|outlier|abnormal|\bspikes?\b",
            re.IGNORECASE,
        ),
        "nlq 目前还不能自动发现异常。可以看每天的走势，例如“近30天每天的订单数”，再对比同比、环比。",
        'nlq cannot yet detect anomalies by itself. Try the daily series, e.g. "orders per day over the last 30 days", with year-over-year.',
    ),
    Intent(
        "what-if",
        re.compile(
            r"如果|假如|假设|要是|倘若|\bwhat if\b|\bsuppose\b|\bassuming\b|\bif we\b|\bhypothetical",
            re.IGNORECASE,
        ),
        "nlq 不做假设分析（如果……会怎样），只回答数据里已有的结果。",
        'nlq does not answer "what if" questions; it answers what the data holds.',
    ),
    Intent(
        "redefine",
        re.compile(
            r"也算进去|算进去|也算上|算上|也算|计入|按.{1,12}算|当作|视为|看作"
            r"|\bcount(?:ing|ed)? .{1,40} as\b|\btreat(?:ing)? .{1,40} as\b|\bif we (?:count|include|treat)\b",
            re.IGNORECASE,
        ),
        "指标口径由语义层统一定义，不能在提问时改变（例如把取消的订单算进订单数）。如需新的口径，请让分析师在语义层中定义一个新指标。",
        "A metric's definition is governed by the semantic layer and cannot be changed inside a question "
        "(e.g. counting cancelled orders as orders). Ask an analyst to define a new metric for it.",
    ),
]


def find_intent(text: str) -> Intent | None:
    """The first intent that normalised `text` expresses, or None for a plain question."""
    return next((intent for intent in INTENTS if intent.pattern.search(text)), None)


def message(intent: Intent, language: Language) -> str:
    return Label(zh=intent.zh, en=intent.en).text(language)
