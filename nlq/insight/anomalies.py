"""What is unusual (异常): the days a metric's daily series left its usual range.

The usual value of a day is the median of the same weekday over the weeks before it
(weekday seasonality, robust to one odd week), leaving out campaign days, which are
neither usual nor unusual: 618 is expected to be high. How far from usual a day is
is measured against the spread of the same residuals over the weeks before the
window (the median absolute deviation, scaled by 1.4826 to estimate a standard
deviation), so a noisy metric needs a larger move to be flagged than a steady one:
a robust z-score, flagged beyond the layer's threshold (3.5 by default, the
conventional cut-off for MAD z-scores). Campaign days are marked as such, never
flagged. The series comes from the governed metric's daily query, under the asker's
policies, like any answer."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from nlq.answer import AnswerBlock, Cell
from nlq.insight.blocks import (
    Runner,
    column,
    daily_series,
    group_column,
    group_text,
    metric_format,
    metric_label,
    split_by,
    table,
)
from nlq.language import Language
from nlq.messages import Text, listed, say
from nlq.presentation import format_value
from nlq.semantic.model import Format, Label, SemanticLayer
from nlq.semantic.query import SemanticQuery, TimeRange

MAD_TO_SIGMA = 1.4826
SHOWN = 5  # anomalies named in the sentence at most: the table holds them all


@dataclass(frozen=True)
class Day:
    day: dt.date
    group: Cell
    actual: float
    expected: float | None
    low: float | None
    high: float | None
    score: float | None
    campaign: bool

    @property
    def flagged(self) -> bool:
        return (
            self.score is not None
            and not self.campaign
            and self.low is not None
            and not (self.low <= self.actual <= (self.high or self.actual))
        )


@dataclass(frozen=True)
class Scan:
    blocks: list[AnswerBlock]
    message: str


def history_start(window: TimeRange, weeks: int) -> dt.date:
    """How far back the series is read: the weeks that set each window day's usual value,
    and as many again before them, whose own residuals set the spread."""
    assert window.start is not None
    return window.start - dt.timedelta(weeks=2 * weeks)


def detect(
    series: dict[dt.date, float],
    window: TimeRange,
    *,
    weeks: int,
    threshold: float,
    campaign_days: set[dt.date],
    group: Cell = None,
) -> list[Day]:
    """Each window day of one series with its usual value, band and robust z-score."""
    assert window.start is not None and window.end is not None
    start = window.start
    # A window of a few weeks is held against the weeks before it, so that a change lasting
    # the whole window (a channel's month-long drop) does not become its own usual; a longer
    # window follows the series week by week.
    fixed = (window.end - start).days < 7 * weeks

    def usual(day: dt.date) -> float | None:
        anchor = start if fixed and day >= start else day
        offset = ((day - anchor).days // 7 + 1) * 7 if anchor != day else 7
        same = [
            series[d]
            for k in range(weeks)
            if (d := day - dt.timedelta(days=offset + 7 * k)) in series and d not in campaign_days
        ]
        return statistics.median(same) if len(same) >= max(2, weeks // 2) else None

    before = [start - dt.timedelta(days=n) for n in range(1, 7 * weeks + 1)]
    residuals = [
        series[d] - expected
        for d in before
        if d in series and d not in campaign_days and (expected := usual(d)) is not None
    ]
    spread = None
    if len(residuals) >= 7:
        centre = statistics.median(residuals)
        spread = MAD_TO_SIGMA * statistics.median(abs(r - centre) for r in residuals)
    never_negative = min(series.values(), default=0.0) >= 0  # a count or a rate: no band below 0
    days = []
    day = start
    while day <= window.end:
        if day in series:
            actual, expected = series[day], usual(day)
            score = low = high = None
            campaign = day in campaign_days
            if expected is not None and spread:
                score = (actual - expected) / spread
                if not campaign:  # a campaign day is not held to the usual range at all
                    low, high = expected - threshold * spread, expected + threshold * spread
                    low = max(low, 0.0) if never_negative else low
            days.append(Day(day, group, actual, expected, low, high, score, campaign))
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class Shift:
    """The window as a whole above or below its usual values: a change that lasts (a
    channel's month-long drop) may leave every single day inside its band."""

    group: Cell
    actual: float  # the mean of the window's ordinary days
    expected: float  # the mean of their usual values
    score: float

    @property
    def relative(self) -> float:
        return (self.actual - self.expected) / self.expected if self.expected else 0.0


def shifted(days: list[Day], threshold: float, least: float) -> Shift | None:
    """The window's daily mean against its usual mean, in standard errors (the days' robust
    spread, the band's half-width over the threshold, over the square root of the days):
    flagged past the same threshold and the layer's least share, over a week or more of
    ordinary days."""
    usual = [d for d in days if not d.campaign and d.expected is not None and d.high is not None]
    if len(usual) < 7:
        return None
    spread = ((usual[0].high or 0.0) - (usual[0].expected or 0.0)) / threshold
    actual = sum(d.actual for d in usual) / len(usual)
    expected = sum(d.expected or 0.0 for d in usual) / len(usual)
    # the mean of n days' residuals has a standard error of spread / sqrt(n)
    score = (actual - expected) / (spread / len(usual) ** 0.5) if spread else 0.0
    shift = Shift(usual[0].group, actual, expected, score)
    return shift if abs(score) > threshold and abs(shift.relative) >= least else None


def scan(
    query: SemanticQuery,
    layer: SemanticLayer,
    run: Runner,
    campaigns: Sequence[tuple[dt.date, dt.date]],
    language: Language,
) -> Scan:
    """The days of `query.time_range` on which each metric asked (by its dimension, when
    one is asked) was unusual."""
    settings = layer.insights.anomalies
    window = query.time_range
    assert window is not None and window.start is not None and window.end is not None
    days_off = {
        start + dt.timedelta(days=n) for start, end in campaigns for n in range((end - start).days + 1)
    }
    blocks: list[AnswerBlock] = []
    found: list[tuple[str, Day]] = []
    shifts: list[tuple[str, Shift]] = []
    for metric in query.metrics:
        daily = query.model_copy(
            update={
                "explain": None,
                "metrics": [metric],
                "time_grain": "day",
                "time_range": TimeRange(start=history_start(window, settings.history_weeks), end=window.end),
                "order_by": [],
                "limit": None,
            }
        )
        block = run(daily, "")
        split = split_by(query)
        series: list[Day] = []
        for group, values in daily_series(block, metric, split).items():
            days = detect(
                values,
                window,
                weeks=settings.history_weeks,
                threshold=settings.threshold,
                campaign_days=days_off,
                group=group,
            )
            series += days
            shift = shifted(days, settings.threshold, settings.min_shift)
            if shift is not None:
                shifts.append((metric, shift))
        found += [(metric, d) for d in series if d.flagged]
        blocks.append(_series_block(metric, split, series, block.sql, layer, language))
    flagged = sorted(found, key=lambda f: -abs(f[1].score or 0.0))
    shifts.sort(key=lambda f: -abs(f[1].score))
    if shifts:
        blocks.insert(0, _shift_block(shifts, query, layer, language))
    if flagged:
        blocks.insert(0, _flagged_block(flagged, query, layer, language))
    return Scan(blocks, _sentence(flagged, shifts, query, layer, language))


def _series_block(
    metric: str,
    group: str | None,
    days: list[Day],
    sql: str,
    layer: SemanticLayer,
    language: Language,
) -> AnswerBlock:
    """The window's daily series beside its usual value and band: what the chart draws."""
    label, fmt = metric_label(metric, layer), metric_format(metric, layer)
    columns = [
        column("day", "time", Label.worded(Text("answers.column_grain_day"))),
        *group_column(group, layer),
    ]
    columns += [
        column(metric, "metric", label, metric, fmt),
        column("expected", "expected", Label.worded(Text("insight.column_expected")), metric, fmt),
        column("low", "band", Label.worded(Text("insight.column_low")), metric, fmt),
        column("high", "band", Label.worded(Text("insight.column_high")), metric, fmt),
        column("anomaly", "flag", Label.worded(Text("insight.column_anomaly"))),
    ]
    rows: list[list[Cell]] = []
    for d in sorted(days, key=lambda d: (d.day, str(d.group))):
        mark = say(
            "insight.campaign_day" if d.campaign else ("insight.flagged" if d.flagged else "insight.usual"),
            language,
        )
        rows.append(
            [d.day.isoformat(), *([d.group] if group else []), d.actual, d.expected, d.low, d.high, mark]
        )
    return table(say("insight.series_title", language, metric=label), columns, rows, sql)


def _flagged_block(
    flagged: list[tuple[str, Day]], query: SemanticQuery, layer: SemanticLayer, language: Language
) -> AnswerBlock:
    group = split_by(query)
    fmt = _one_format([m for m, _ in flagged], layer)
    columns = [
        column("metric", "dimension", Label.worded(Text("insight.column_metric"))),
        column("day", "time", Label.worded(Text("answers.column_grain_day"))),
        *group_column(group, layer),
    ]
    # one table may hold several metrics: their own format when they share one
    columns += [
        column("actual", "metric", Label.worded(Text("insight.column_actual")), None, fmt),
        column("expected", "expected", Label.worded(Text("insight.column_expected")), None, fmt),
        column("deviation", "change", Label.worded(Text("insight.column_deviation")), None, fmt),
        column("score", "score", Label.worded(Text("insight.column_score"))),
    ]
    rows: list[list[Cell]] = [
        [
            metric_label(metric, layer).text(language),
            d.day.isoformat(),
            *([d.group] if group else []),
            d.actual,
            d.expected,
            None if d.expected is None else d.actual - d.expected,
            None if d.score is None else round(d.score, 2),
        ]
        for metric, d in flagged
    ]
    return table(say("insight.flagged_title", language), columns, rows)


def _shift_block(
    shifts: list[tuple[str, Shift]], query: SemanticQuery, layer: SemanticLayer, language: Language
) -> AnswerBlock:
    group = split_by(query)
    fmt = _one_format([m for m, _ in shifts], layer)
    columns = [
        column("metric", "dimension", Label.worded(Text("insight.column_metric"))),
        *group_column(group, layer),
    ]
    columns += [
        column("actual", "metric", Label.worded(Text("insight.column_actual_mean")), None, fmt),
        column("expected", "expected", Label.worded(Text("insight.column_expected_mean")), None, fmt),
        column("relative", "growth", Label.worded(Text("insight.column_relative")), None, "percent"),
        column("score", "score", Label.worded(Text("insight.column_score"))),
    ]
    rows: list[list[Cell]] = [
        [
            metric_label(metric, layer).text(language),
            *([shift.group] if group else []),
            shift.actual,
            shift.expected,
            shift.relative,
            round(shift.score, 2),
        ]
        for metric, shift in shifts
    ]
    return table(say("insight.shift_title", language), columns, rows)


def _sentence(
    flagged: list[tuple[str, Day]],
    shifts: list[tuple[str, Shift]],
    query: SemanticQuery,
    layer: SemanticLayer,
    language: Language,
) -> str:
    settings = layer.insights.anomalies
    window = query.time_range
    assert window is not None
    method = say(
        "insight.method_anomalies", language, weeks=settings.history_weeks, threshold=settings.threshold
    )
    metrics = listed([metric_label(m, layer) for m in query.metrics], language)
    lasting = [
        say(
            "insight.shift",
            language,
            metric=metric_label(metric, layer),
            group=group_text(shift.group, language),
            direction=say("insight.above" if shift.score > 0 else "insight.below", language),
            relative=f"{abs(shift.relative):.0%}",
        )
        for metric, shift in shifts[:SHOWN]
    ]
    if lasting:
        method = " ".join(
            [
                say("grammar.list_separator", language).join(lasting) + say("insight.sentence_end", language),
                method,
            ]
        )
    if not flagged:
        if lasting:
            return method
        return " ".join(
            [
                say("insight.no_anomalies", language, metrics=metrics, start=window.start, end=window.end),
                method,
            ]
        )
    named = []
    for metric, d in flagged[:SHOWN]:
        label, fmt = metric_label(metric, layer), metric_format(metric, layer)
        currency = layer.currency_of(metric)
        named.append(
            say(
                "insight.anomaly",
                language,
                metric=label,
                day=d.day.isoformat(),
                group=group_text(d.group, language),
                actual=format_value(d.actual, fmt, language, currency),
                expected=format_value(d.expected, fmt, language, currency),
                direction=say("insight.above" if (d.score or 0) > 0 else "insight.below", language),
            )
        )
    first_metric, first = flagged[0]
    follow = say(
        "insight.follow_up", language, metric=metric_label(first_metric, layer), day=first.day.isoformat()
    )
    head = say("insight.anomalies_found", language, count=len(flagged), metrics=metrics)
    listed_days = say("grammar.list_separator", language).join(named) + say("insight.sentence_end", language)
    return " ".join([head, listed_days, follow, method])


def _one_format(metrics: list[str], layer: SemanticLayer) -> Format | None:
    """The display format of figures of these metrics in one column: theirs when they share it."""
    formats = {metric_format(m, layer) for m in metrics}
    return formats.pop() if len(formats) == 1 else None
