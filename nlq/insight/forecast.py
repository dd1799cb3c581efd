"""What comes next (预测): a metric's figure over a period after the last day of data,
forecast from its own daily history, with prediction intervals and a backtest.

The model is exponential smoothing with an additive damped trend and a weekly season
(ETS(A,Ad,A) of statsmodels, the `forecast` extra), fitted on the last year of days
(at least `MIN_DAYS`). Campaign days are replaced by their usual value (the median of
the same weekday over the four weeks before) before fitting, so a 618 neither lifts
the level nor repeats where there is none; a campaign inside the forecast period is
not modelled, and the answer says so. The interval of a period's total comes from
simulated paths of the model (their 2.5/10/90/97.5 percentiles), not from adding up
daily intervals. The backtest holds out the last days of history (as many as the
forecast reaches, up to eight weeks), forecasts them from the days before, and
compares the error with a seasonal naive forecast (each day the same weekday of the
last week seen): the answer says whether the model did better. A forecast is always
labelled as one and never shares a table with actual figures."""

from __future__ import annotations

import datetime as dt
import statistics
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nlq.answer import AnswerBlock, AnswerColumn, Cell
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
from nlq.messages import Text, say
from nlq.presentation import additive, format_value
from nlq.semantic.errors import QueryError
from nlq.semantic.model import Label, SemanticLayer
from nlq.semantic.query import SemanticQuery, TimeRange

MIN_DAYS = 56  # eight weeks: a weekly season needs several of them
HISTORY_DAYS = 365
MAX_HOLDOUT = 56
SIMULATIONS = 1000
SEED = 20260630
MAX_SERIES = 8


@dataclass(frozen=True)
class Outlook:
    """One series' forecast over the asked days, and its backtest."""

    group: Cell
    days: list[dt.date]
    mean: list[float]
    totals: tuple[float, float, float, float, float]  # point, 2.5, 10, 90, 97.5 percentiles
    daily_low: list[float]
    daily_high: list[float]
    model_error: float  # mean absolute percentage error per day on the held-out days
    naive_error: float
    held_out: tuple[dt.date, dt.date]


@dataclass(frozen=True)
class Forecast:
    blocks: list[AnswerBlock]
    message: str


def available() -> bool:
    try:
        import statsmodels  # noqa: F401
    except ImportError:
        return False
    return True


def forecast(
    query: SemanticQuery,
    layer: SemanticLayer,
    run: Runner,
    campaigns: Sequence[tuple[dt.date, dt.date]],
    last_day: dt.date,
    language: Language,
) -> Forecast:
    """The forecast of `query.metrics[0]` over the days of `query.time_range` after
    `last_day`, by `query.dimensions` (up to MAX_SERIES values) when asked."""
    metric = query.metrics[0]
    window = query.time_range
    assert window is not None and window.start is not None and window.end is not None
    if not available():
        raise QueryError(Text("insight.forecast_unavailable"))
    if not adds_up_over_days(metric, layer):
        raise QueryError(Text("insight.forecast_not_additive", metric=metric_label(metric, layer)))
    if window.end <= last_day:
        raise QueryError(Text("insight.forecast_past", start=window.start, end=window.end, last=last_day))
    start = max(window.start, last_day + dt.timedelta(days=1))
    daily = query.model_copy(
        update={
            "explain": None,
            "time_grain": "day",
            "time_range": TimeRange(start=last_day - dt.timedelta(days=HISTORY_DAYS - 1), end=last_day),
            "order_by": [],
            "limit": None,
        }
    )
    history = run(daily, "")
    group = split_by(query)
    series = daily_series(history, metric, group)
    if len(series) > MAX_SERIES:
        raise QueryError(Text("insight.forecast_too_many", count=len(series), most=MAX_SERIES))
    days_off = {a + dt.timedelta(days=n) for a, b in campaigns for n in range((b - a).days + 1)}
    outlooks = []
    for key, values in series.items():
        filled = _filled(values, last_day)
        if len(filled) < MIN_DAYS:
            raise QueryError(Text("insight.forecast_short", days=len(filled), least=MIN_DAYS))
        outlooks.append(_outlook(key, filled, days_off, start, window.end))
    ahead = sorted(d for d in days_off if start <= d <= window.end)
    blocks = [
        _totals_block(
            outlooks, metric, group, TimeRange(start=start, end=window.end), layer, language, history.sql
        ),
        _daily_block(outlooks, metric, group, layer, language),
        _backtest_block(outlooks, group, layer, language),
    ]
    message = _sentence(outlooks, metric, start, window.end, ahead, layer, language)
    if window.start <= last_day:
        # 今年全年GMV能到多少: the days with data are actual figures, in a table of their own
        to_date = query.model_copy(
            update={"explain": None, "time_range": TimeRange(start=window.start, end=last_day), "limit": None}
        )
        actual = run(to_date, say("insight.actual_to_date_title", language, start=window.start, end=last_day))
        blocks.insert(0, actual)
        message = " ".join(
            [_whole_period(actual, outlooks, metric, group, window, last_day, layer, language), message]
        )
    return Forecast(blocks, message)


def _whole_period(
    actual: AnswerBlock,
    outlooks: list[Outlook],
    metric: str,
    group: str | None,
    window: TimeRange,
    last_day: dt.date,
    layer: SemanticLayer,
    language: Language,
) -> str:
    """The asked period as actual figures to the last day of data plus the forecast after it."""
    at = {name: i for i, name in enumerate(actual.columns)}
    so_far = {
        (row[at[group]] if group else None): float(v)
        for row in actual.rows
        if isinstance(v := row[at[metric]], int | float)
    }
    fmt, currency = metric_format(metric, layer), layer.currency_of(metric)
    return " ".join(
        say(
            "insight.whole_period",
            language,
            metric=metric_label(metric, layer),
            group=group_text(o.group, language),
            start=window.start,
            end=window.end,
            last=last_day,
            actual=format_value(so_far.get(o.group, 0.0), fmt, language, currency),
            total=format_value(so_far.get(o.group, 0.0) + o.totals[0], fmt, language, currency),
        )
        for o in outlooks
    )


def adds_up_over_days(metric: str, layer: SemanticLayer) -> bool:
    """Whether a period's figure is the sum of its days': a sum, a count of rows, or a
    distinct count of the home model's own key (orders: each order falls on one day), not
    of people (a buyer of two days is one buyer of the period)."""
    if additive(metric, layer):
        return True
    found = layer.measure_of(metric)
    if found is None or found[1].agg != "count_distinct":
        return False
    home, measure = found
    keys = home.key_columns
    return (measure.expr or "").strip() in keys


def _filled(values: dict[dt.date, float], last_day: dt.date) -> dict[dt.date, float]:
    """Every day from the first with a figure to the last day of data: a day with no rows
    of a sum or a count is a zero."""
    first = min(values)
    return {
        first + dt.timedelta(days=n): values.get(first + dt.timedelta(days=n), 0.0)
        for n in range((last_day - first).days + 1)
    }


def cleaned_series(values: dict[dt.date, float], days_off: set[dt.date]) -> list[float]:
    """The series with each campaign day replaced by its usual value."""
    cleaned: dict[dt.date, float] = {}
    for day in sorted(values):
        if day in days_off:
            before = [cleaned[d] for k in range(1, 5) if (d := day - dt.timedelta(weeks=k)) in cleaned]
            cleaned[day] = statistics.median(before) if before else values[day]
        else:
            cleaned[day] = values[day]
    return [cleaned[d] for d in sorted(cleaned)]


def fit_model(values: list[float]) -> Any:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of the optimiser
        model = ETSModel(
            np.asarray(values, dtype=float),
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=7,
        )
        return model.fit(disp=False)


def _outlook(
    group: Cell, values: dict[dt.date, float], days_off: set[dt.date], start: dt.date, end: dt.date
) -> Outlook:
    days = sorted(values)
    cleaned = cleaned_series(values, days_off)
    last = days[-1]
    steps = (end - last).days
    asked = (end - start).days + 1
    fitted = fit_model(cleaned)
    mean = np.asarray(fitted.forecast(steps), dtype=float)[-asked:]
    # a fixed seed: the same question on the same data gives the same interval
    simulated = fitted.simulate(steps, repetitions=SIMULATIONS, anchor="end", rng=np.random.default_rng(SEED))
    paths = np.asarray(simulated, dtype=float)
    paths = paths.reshape(steps, -1)[-asked:]
    sums = paths.sum(axis=0)
    low95, low80, high80, high95 = (float(np.percentile(sums, q)) for q in (2.5, 10, 90, 97.5))
    totals = (float(mean.sum()), low95, low80, high80, high95)
    low, high = np.percentile(paths, 2.5, axis=1), np.percentile(paths, 97.5, axis=1)
    model_error, naive_error, held = _backtest(days, cleaned, [values[d] for d in days], days_off, steps)
    return Outlook(
        group,
        [start + dt.timedelta(days=n) for n in range(asked)],
        [float(x) for x in mean],
        totals,
        [max(0.0, float(x)) for x in low],
        [float(x) for x in high],
        model_error,
        naive_error,
        held,
    )


def _backtest(
    days: list[dt.date], cleaned: list[float], actual: list[float], days_off: set[dt.date], steps: int
) -> tuple[float, float, tuple[dt.date, dt.date]]:
    """The model and the seasonal naive forecast over the last days of history, from the
    days before them: the mean absolute percentage error per ordinary day of each."""
    held = max(7, min(steps, MAX_HOLDOUT, len(days) - MIN_DAYS))
    fitted = fit_model(cleaned[:-held])
    predicted = np.asarray(fitted.forecast(held), dtype=float)
    last_week = cleaned[-held - 7 : -held]
    naive = np.asarray([last_week[i % 7] for i in range(held)], dtype=float)
    truth = np.asarray(actual[-held:], dtype=float)
    ordinary = np.asarray([d not in days_off and t > 0 for d, t in zip(days[-held:], truth, strict=True)])
    if not ordinary.any():
        return float("nan"), float("nan"), (days[-held], days[-1])

    def error(guess: np.ndarray) -> float:
        return float(np.mean(np.abs(truth[ordinary] - guess[ordinary]) / truth[ordinary]))

    return error(predicted), error(naive), (days[-held], days[-1])


def _totals_block(
    outlooks: list[Outlook],
    metric: str,
    group: str | None,
    period: TimeRange,
    layer: SemanticLayer,
    language: Language,
    sql: str,
) -> AnswerBlock:
    label = metric_label(metric, layer)
    columns = [
        column("period", "dimension", Label.worded(Text("insight.column_period"))),
        *group_column(group, layer),
        *_forecast_columns(metric, layer, ("low_95", "low_80", "high_80", "high_95")),
    ]
    span = f"{period.start} – {period.end}"
    rows: list[list[Cell]] = [
        [span, *([o.group] if group else []), o.totals[0], o.totals[1], o.totals[2], o.totals[3], o.totals[4]]
        for o in outlooks
    ]
    return table(say("insight.forecast_title", language, metric=label), columns, rows, sql)


def _daily_block(
    outlooks: list[Outlook], metric: str, group: str | None, layer: SemanticLayer, language: Language
) -> AnswerBlock:
    """Each day forecast with its 95% interval: what the chart draws as a band."""
    label = metric_label(metric, layer)
    columns = [
        column("day", "time", Label.worded(Text("answers.column_grain_day"))),
        *group_column(group, layer),
        *_forecast_columns(metric, layer, ("low_95", "high_95")),
    ]
    rows: list[list[Cell]] = [
        [day.isoformat(), *([o.group] if group else []), mean, low, high]
        for o in outlooks
        for day, mean, low, high in zip(o.days, o.mean, o.daily_low, o.daily_high, strict=True)
    ]
    return table(say("insight.forecast_daily_title", language, metric=label), columns, rows)


def _backtest_block(
    outlooks: list[Outlook], group: str | None, layer: SemanticLayer, language: Language
) -> AnswerBlock:
    columns = [
        column("held_out", "dimension", Label.worded(Text("insight.column_held_out"))),
        *group_column(group, layer),
        column("model_error", "score", Label.worded(Text("insight.column_model_error")), None, "percent"),
        column("naive_error", "score", Label.worded(Text("insight.column_naive_error")), None, "percent"),
    ]
    rows: list[list[Cell]] = [
        [
            f"{o.held_out[0]} – {o.held_out[1]}",
            *([o.group] if group else []),
            o.model_error,
            o.naive_error,
        ]
        for o in outlooks
    ]
    return table(say("insight.backtest_title", language), columns, rows)


def _sentence(
    outlooks: list[Outlook],
    metric: str,
    start: dt.date,
    end: dt.date,
    campaign_days: list[dt.date],
    layer: SemanticLayer,
    language: Language,
) -> str:
    fmt = metric_format(metric, layer)
    currency = layer.currency_of(metric)

    def shown(value: float) -> str:
        return format_value(value, fmt, language, currency)

    parts = [
        say(
            "insight.forecast_total",
            language,
            metric=metric_label(metric, layer),
            group=group_text(o.group, language),
            start=start,
            end=end,
            point=shown(o.totals[0]),
            low=shown(o.totals[1]),
            high=shown(o.totals[4]),
        )
        for o in outlooks[:MAX_SERIES]
    ]
    better = sum(1 for o in outlooks if o.model_error < o.naive_error)
    first = outlooks[0]
    verdict = say(
        "insight.backtest_better" if better == len(outlooks) else "insight.backtest_not_better",
        language,
        model=f"{first.model_error:.1%}",
        naive=f"{first.naive_error:.1%}",
        start=first.held_out[0],
        end=first.held_out[1],
    )
    notes = [say("insight.forecast_campaigns", language, days=len(campaign_days))] if campaign_days else []
    method = say("insight.method_forecast", language, days=HISTORY_DAYS)
    return " ".join(
        [
            say("grammar.list_separator", language).join(parts) + say("insight.sentence_end", language),
            verdict,
            *notes,
            method,
        ]
    )


def _forecast_columns(metric: str, layer: SemanticLayer, bands: tuple[str, ...]) -> list[AnswerColumn]:
    """The forecast figure and the interval bounds beside it, in the metric's format."""
    fmt, label = metric_format(metric, layer), metric_label(metric, layer)
    forecast_label = Label.worded(Text("insight.column_forecast", metric=label))
    return [
        column("forecast", "forecast", forecast_label, metric, fmt),
        *(column(name, "band", Label.worded(Text(f"insight.column_{name}")), metric, fmt) for name in bands),
    ]
