"""A value asked about that lies outside the asker's rows: a province manager of
广东 asking for 浙江's orders gets an empty answer, and an empty answer would
read as "浙江 had no orders". It is refused instead, saying the rows are not
theirs to see. Checked only when an answer came back empty under a role with
row filters, by listing the value through the asker's own policies."""

from __future__ import annotations

from collections.abc import Callable

from nlq.answer import AnswerBlock
from nlq.caliber import empty_answer
from nlq.language import Language
from nlq.messages import Text, say
from nlq.semantic.model import Label, Role, SemanticLayer
from nlq.semantic.query import Filter, SemanticQuery
from nlq.understand import Understanding

# Runs a semantic query under the asker's policies and says whether it returned rows.
HasRows = Callable[[SemanticQuery], bool]


def hidden_values(
    understanding: Understanding,
    answers: list[AnswerBlock],
    layer: SemanticLayer,
    has_rows: HasRows,
    known: Callable[[str, object], bool],
) -> list[tuple[str, object]]:
    """(dimension, value) filtered on by an empty answer, values the layer or the data
    knows (`known`) that no row the asker may see holds, in any period. Under a role
    with row filters they are outside its rows (`unseen_value`); otherwise no row holds
    them at all (missing data, nlq.doubts)."""
    return list(
        dict.fromkeys(
            (dimension, value)
            for dimension, value in empty_values(understanding, answers, known)
            if not visible(layer, dimension, value, has_rows)
        )
    )


def unseen_value(hidden: list[tuple[str, object]], role: Role | None, language: Language) -> str | None:
    """The refusal for an empty answer whose value (`hidden_values`) is outside the rows
    of a role with row filters, else None."""
    if role is None or not role.row_filters or not hidden:
        return None
    return _message(hidden[0][1], role, language)


def empty_values(
    understanding: Understanding, answers: list[AnswerBlock], known: Callable[[str, object], bool]
) -> list[tuple[str, object]]:
    """(dimension, value) of the value filters of the empty answers, values the layer
    or the data knows."""
    found: list[tuple[str, object]] = []
    for step, block in zip(understanding.steps, answers, strict=False):
        if step.feed is not None or not empty_answer(step.query, block):
            continue
        found += [
            (condition.dimension, value)
            for condition in step.query.filters
            if condition.op == "in"
            for value in condition.values
            if known(condition.dimension, value)
        ]
    return found


def visible(layer: SemanticLayer, dimension: str, value: object, has_rows: HasRows) -> bool:
    """Does any row the asker may see hold `value`, on any model with the dimension?"""
    if "." in dimension:
        names = [dimension]
    else:
        names = [f"{m.name}.{dimension}" for m in layer.models if m.dimension(dimension) is not None]
    return any(
        has_rows(SemanticQuery(dimensions=[name], filters=[Filter(dimension=name, values=[value])]))
        for name in names
    )


def _message(value: object, role: Role, language: Language) -> str:
    return say("access.unseen_value", language, value=value, scope=getattr(_scope(role), language))


def _scope(role: Role) -> Label:
    """What the refusal says of the role, in each language, empty where it says nothing:
    in Chinese its label and description (a layer writes descriptions in Chinese), in
    English its label."""
    described = Text("grammar.labelled", label=role.label.zh, value=role.description.rstrip("。"))
    return Label(
        zh=Text("grammar.parenthesised", inner=described).zh if role.description else "",
        en=Text("grammar.parenthesised", inner=role.label.en).en if role.label.en else "",
    )
