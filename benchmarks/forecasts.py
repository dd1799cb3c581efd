"""The forecast's backtest, beyond the one each answer shows: for GMV, units sold and
orders, rolling origins over the last half year of the demo warehouse, at day grain (the
next 28 days, error per ordinary day) and at month grain (the next calendar month's
total), each against a seasonal naive forecast (day: the same weekday of the last week
seen; month: the same month a year before). Campaign days are left out of the day-grain
error, as the model leaves out their lift.

    .venv/bin/python -m benchmarks.forecasts --db data/demo.duckdb"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.figures import table
from nlq.insight.forecast import HISTORY_DAYS, cleaned_series, fit_model
from nlq.pipeline import Pipeline
from nlq.semantic.periods import month_end
from nlq.semantic.query import SemanticQuery, TimeRange

METRICS = ("gmv", "units_sold", "order_count")
HORIZON = 28
DAY_ORIGINS = 8  # weekly origins, the last one HORIZON days before the last day of data
MONTHS = 6  # the last six whole months, each forecast from the day before it starts


def daily(pipeline: Pipeline, metric: str) -> dict[dt.date, float]:
    query = SemanticQuery(metrics=[metric], time_grain="day", time_range=TimeRange(end=pipeline.latest_date))
    block, _ = pipeline.run(query)
    at = {name: i for i, name in enumerate(block.columns)}
    return {dt.date.fromisoformat(str(r[at["day"]])[:10]): float(r[at[metric]] or 0) for r in block.rows}


def errors(series: dict[dt.date, float], days_off: set[dt.date], last: dt.date) -> dict[str, float]:
    days = sorted(d for d in series if d <= last)
    values = {d: series[d] for d in days}

    def fit_to(origin: dt.date) -> tuple[Any, list[float]]:
        kept = {d: v for d, v in values.items() if origin - dt.timedelta(days=HISTORY_DAYS) < d <= origin}
        cleaned = cleaned_series(kept, days_off)
        return fit_model(cleaned), cleaned

    day_model, day_naive = [], []
    for k in range(DAY_ORIGINS):
        origin = last - dt.timedelta(days=HORIZON + 7 * k)
        fitted, cleaned = fit_to(origin)
        predicted = np.asarray(fitted.forecast(HORIZON), dtype=float)
        week = cleaned[-7:]
        for h in range(HORIZON):
            day = origin + dt.timedelta(days=h + 1)
            truth = values.get(day, 0.0)
            if day in days_off or truth <= 0:
                continue
            day_model.append(abs(truth - predicted[h]) / truth)
            day_naive.append(abs(truth - week[h % 7]) / truth)
    month_model, month_naive = [], []
    first = dt.date(last.year, last.month, 1)
    for k in range(MONTHS):
        start = dt.date(first.year, first.month, 1)
        index = start.year * 12 + start.month - 1 - k
        start = dt.date(index // 12, index % 12 + 1, 1)
        end = month_end(start.year, start.month)
        if end > last:
            continue
        origin = start - dt.timedelta(days=1)
        fitted, _ = fit_to(origin)
        steps = (end - origin).days
        predicted_total = float(np.sum(fitted.forecast(steps)))
        truth = sum(values.get(start + dt.timedelta(days=n), 0.0) for n in range(steps))
        year_before = sum(
            values.get(dt.date(start.year - 1, start.month, 1) + dt.timedelta(days=n), 0.0)
            for n in range(month_end(start.year - 1, start.month).day)
        )
        month_model.append(abs(truth - predicted_total) / truth)
        month_naive.append(abs(truth - year_before) / truth)
    return {
        "day_model": float(np.mean(day_model)),
        "day_naive": float(np.mean(day_naive)),
        "month_model": float(np.mean(month_model)),
        "month_naive": float(np.mean(month_naive)),
    }


def report(db: Path) -> str:
    pipeline = Pipeline(db=db, cache=None)
    days_off = {
        c.start_date + dt.timedelta(days=n)
        for c in pipeline.campaigns()
        for n in range((c.end_date - c.start_date).days + 1)
    }
    rows = []
    for metric in METRICS:
        found = errors(daily(pipeline, metric), days_off, pipeline.latest_date)
        for grain in ("day", "month"):
            model, naive = found[f"{grain}_model"], found[f"{grain}_naive"]
            rows.append(
                [
                    metric,
                    grain,
                    f"{model:.1%}",
                    f"{naive:.1%}",
                    "yes" if model < naive else "no (the answer says so)",
                ]
            )
    return table(["metric", "grain", "model MAPE", "seasonal naive MAPE", "model better"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, default=Path("data/demo.duckdb"))
    args = parser.parse_args()
    print(report(args.db))


if __name__ == "__main__":
    main()
