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
from nlq.messages import say


@dataclass(frozen=True)
class Intent:
    name: str
    pattern: re.Pattern[str]


INTENTS = [
    Intent(
        "why",
        re.compile(
            r"为什么|为何|为啥|怎么会|怎么回事|什么原因|原因是什么|是什么原因|的原因是|归因|什么导致|导致.{0,8}(?:下降|上升|增长|下滑|变化)"
            r"|拖后腿|对.{0,20}(?:的)?影响|影响(?:有)?多大|带来.{0,6}影响|\bimpact (?:of|on)\b|\beffect (?:of|on)\b|\baffect(?:ed|s)?\b"
            r"|\bwhy\b|what caused|what drove|what is driving|what's driving|reasons? (?:for|behind)|explain the",
            re.IGNORECASE,
        ),
    ),
    Intent(
        "forecast",
        re.compile(
            r"预测|预计|预估|预期|推测|将会|会是多少|会有多少|会达到|能达到多少|能卖多少|下个月会|明年会|未来"
            r"|\bforecast|\bpredict|\bprojection|\bprojected\b|\bwill (?:we|it|our|the|be|reach|sell|have|make)\b|\bgoing to be\b|\bexpected to\b",
            re.IGNORECASE,
        ),
    ),
    Intent(
        "anomaly",
        re.compile(
            r"异常|不正常|反常|离群|突增|突降|暴涨|暴跌|anomal|unusual|outlier|abnormal|\bspikes?\b",
            re.IGNORECASE,
        ),
    ),
    Intent(
        "what-if",
        re.compile(
            r"如果|假如|假设|要是|倘若|\bwhat if\b|\bsuppose\b|\bassuming\b|\bif we\b|\bhypothetical",
            re.IGNORECASE,
        ),
    ),
    Intent(
        "redefine",
        re.compile(
            # 也算一下 (work it out too) asks for a figure, 也算 alone (count them too) redefines
            r"也算进去|算进去|也算上|算上|也算(?!一下|一算|算|出来)|计入|按.{1,12}算|当作|视为|看作"
            r"|\bcount(?:ing|ed)? .{1,40} as\b|\btreat(?:ing)? .{1,40} as\b|\bif we (?:count|include|treat)\b",
            re.IGNORECASE,
        ),
    ),
]


def find_intent(text: str) -> Intent | None:
    """The first intent that normalised `text` expresses, or None for a plain question."""
    return next((intent for intent in INTENTS if intent.pattern.search(text)), None)


def message(intent: Intent, language: Language) -> str:
    """What nlq can do instead, in the question's language (nlq/messages/reading.yaml)."""
    return say(f"reading.intent_{intent.name.replace('-', '_')}", language)
