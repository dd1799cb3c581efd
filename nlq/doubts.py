"""What makes an answer doubtful, said by nlq itself: the analyst's intake must
see answers that may be wrong, not only the questions that were refused or rated
down. A doubt is a flag on the audit record (`kind:detail`), never a change of
the answer; a value the layer knows and no row holds is the one exception, since
an empty table under it would read as a figure ("拼多多 sold 0") when it is
missing data.

Flags: `fuzzy_link` (a word linked by nearness: 狗东→京东), `carried_over` (a
follow-up kept the previous question's metric), `empty_under_filter` (no rows,
or only zeros, under a value filter), `no_data` (the value has no row at all),
`unused_words` (names the answer left out), and for questions that are no
vocabulary problem: `screened` (a security probe), `off_topic`, `intent:<name>`
(a kind of question nlq does not answer), `policy` (refused by the asker's
access policy)."""

from __future__ import annotations

from nlq.answer import AskResult
from nlq.caliber import empty_answer
from nlq.insight.blocks import dimension_label
from nlq.language import Language
from nlq.messages import Text, listed, say
from nlq.semantic.model import SemanticLayer
from nlq.semantic.query import Filter
from nlq.understand import Understanding

# Flags of questions that no change of the layer should answer.
NOT_VOCABULARY = ("screened", "off_topic", "intent", "policy")


def flags(result: AskResult, understanding: Understanding | None) -> list[str]:
    """The record's flags for a finished question."""
    if understanding is None:
        return []
    if understanding.screened:
        return ["screened"]
    if understanding.status == "refuse":
        intents = [e.removeprefix("intent: ") for e in understanding.evidence if e.startswith("intent: ")]
        if intents:
            return [f"intent:{intents[0]}"]
        return [] if understanding.linked or understanding.evidence else ["off_topic"]
    if result.status == "refused":
        return ["policy"]  # read, then refused by what the asker may see
    found = [f"fuzzy_link:{word}" for word in understanding.fuzzy]
    if result.status != "answered":
        return found
    found += [f"carried_over:{metric}" for metric in understanding.carried]
    found += [f"unused_words:{word}" for word in understanding.ignored]
    for step, block in zip(understanding.steps, result.answers, strict=False):
        values = _filtered_values(step.query.filters)
        if values and step.feed is None and empty_answer(step.query, block):
            found.append(f"empty_under_filter:{'、'.join(values)}")
    return list(dict.fromkeys(found))


def no_data_message(missing: list[tuple[str, object]], layer: SemanticLayer, language: Language) -> str:
    """The answer for values the layer names and no row holds (`hidden_values` of an
    asker without row filters): missing data, not a zero."""
    named = listed(
        (
            Text(
                "answers.no_data_value",
                value=value,
                dimension=dimension_label(dimension, layer).text(language),
            )
            for dimension, value in missing
        ),
        language,
    )
    return say("answers.no_data", language, values=named)


def _filtered_values(filters: list[Filter]) -> list[str]:
    return [str(v) for f in filters if f.op == "in" for v in f.values]
