"""report.json and a self-contained report.html of a benchmark run, the
latency table, and the comparison with a previous run."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from nlq.eval.runner import PREVIEW_ROWS, QuestionRecord, RunResult
from nlq.eval.scoring import ResultSet

STAGES = ("understand", "compile", "execute", "total")


def accuracy_by(records: list[QuestionRecord], key: str) -> dict[str, tuple[int, int]]:
    """group -> (correct, total), by tag or by language."""
    groups: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        names = record.item.tags if key == "tag" else [record.item.language]
        for name in names:
            groups[name].append(record.verdict.correct)
    return {name: (sum(v), len(v)) for name, v in sorted(groups.items())}


# What became of a question: right; answered wrongly (a wrong result, or an answer where
# a refusal was expected): the worst failure, a confident wrong number; asked back or
# refused where an answer was expected: a miss the user sees; or an error.
OUTCOMES = ("correct", "silently_wrong", "clarified", "error")


def outcome(record: QuestionRecord) -> str:
    if record.verdict.correct:
        return "correct"
    if record.result.status == "answered":
        return "silently_wrong"
    return "error" if record.result.status == "error" else "clarified"


def outcomes(records: list[QuestionRecord]) -> dict[str, int]:
    counts = dict.fromkeys(OUTCOMES, 0)
    for record in records:
        counts[outcome(record)] += 1
    return counts


def latency(records: list[QuestionRecord]) -> dict[str, dict[str, float]]:
    """p50 / p95 / max in ms of each stage, over answered questions."""
    table: dict[str, dict[str, float]] = {}
    timed = [r for r in records if r.result.status == "answered"] or records
    for stage in STAGES:
        values = np.array([getattr(r.result.timings_ms, stage) for r in timed]) if timed else np.zeros(1)
        table[stage] = {
            "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)),
            "max": float(values.max()),
        }
    return table


def _preview(result: ResultSet | str) -> dict[str, Any] | str:
    if isinstance(result, str):
        return result
    return {"columns": result.columns, "rows": result.rows[:PREVIEW_ROWS], "row_count": len(result.rows)}


def to_json(run: RunResult) -> dict[str, Any]:
    records = run.records
    return {
        "accuracy": run.accuracy,
        "correct": sum(r.verdict.correct for r in records),
        "total": len(records),
        "by_language": {
            k: {"correct": c, "total": t} for k, (c, t) in accuracy_by(records, "language").items()
        },
        "by_tag": {k: {"correct": c, "total": t} for k, (c, t) in accuracy_by(records, "tag").items()},
        "outcomes": outcomes(records),
        "latency_ms": latency(records),
        "questions": [
            {
                "id": r.item.id,
                "question": r.item.question,
                "language": r.item.language,
                "tags": r.item.tags,
                "expect": r.item.expect,
                "status": r.result.status,
                "message": r.result.message,
                "interpretation": r.result.interpretation,
                "predicted_sql": [a.sql for a in r.result.answers],
                "gold_sql": r.item.golds,
                "correct": r.verdict.correct,
                "outcome": outcome(r),
                "reason": r.verdict.reason,
                "timings_ms": {**r.result.timings_ms.model_dump(), "wall": r.wall_ms},
                "gold_results": [_preview(g) for g in r.gold_previews],
                "predicted_results": [_preview(ResultSet(a.columns, a.rows)) for a in r.result.answers],
            }
            for r in records
        ],
    }


def write_reports(run: RunResult, folder: str | Path, title: str = "nlq benchmark") -> tuple[Path, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = to_json(run)
    json_path = folder / "report.json"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    html_path = folder / "report.html"
    html_path.write_text(to_html(data, title), encoding="utf-8")
    return json_path, html_path


def compare(previous: dict[str, Any], current: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Question ids fixed and regressed since the previous report."""
    before = {q["id"]: q["correct"] for q in previous.get("questions", [])}
    fixed, regressed = [], []
    for question in current["questions"]:
        was = before.get(question["id"])
        if was is False and question["correct"]:
            fixed.append(question["id"])
        elif was is True and not question["correct"]:
            regressed.append(question["id"])
    return fixed, regressed


def summary_text(data: dict[str, Any]) -> str:
    lines = [f"accuracy {data['accuracy']:.1%} ({data['correct']}/{data['total']})"]
    for language, counts in data["by_language"].items():
        lines.append(
            f"  {language}: {counts['correct'] / counts['total']:.1%} ({counts['correct']}/{counts['total']})"
        )
    counts = data.get("outcomes", {})
    if counts:
        lines.append(
            f"silently wrong {counts['silently_wrong']}, clarified or refused instead {counts['clarified']},"
            f" errors {counts['error']}"
        )
    lines.append("latency ms     p50      p95      max")
    for stage, values in data["latency_ms"].items():
        lines.append(f"  {stage:<10} {values['p50']:8.1f} {values['p95']:8.1f} {values['max']:8.1f}")
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------------
STYLE = """
body{font-family:-apple-system,"Segoe UI","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em} h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0} td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;font-size:.9em}
th{background:#f4f4f4} .num{text-align:right} .bad{color:#b00020} .good{color:#0a7d30}
pre{background:#f7f7f7;padding:.6em;white-space:pre-wrap;word-break:break-all;font-size:.85em}
.failure{border:1px solid #e3c0c0;border-radius:6px;padding:.8em;margin:1em 0} .side{display:flex;gap:1em} .side>div{flex:1;min-width:0}
"""


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class='num'>{html.escape(_fmt(v))}</td>"
            if isinstance(v, int | float)
            else f"<td>{html.escape(_fmt(v))}</td>"
            for v in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _fmt(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.4f}"
    return str(value)


def _result_block(result: dict[str, Any] | str) -> str:
    if isinstance(result, str):
        return f"<p class='bad'>{html.escape(result)}</p>"
    more = f"<p>{result['row_count']} rows</p>" if result["row_count"] > PREVIEW_ROWS else ""
    return _table(result["columns"], result["rows"]) + more


def to_html(data: dict[str, Any], title: str) -> str:
    parts = [
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{STYLE}</style></head><body>"
    ]
    parts.append(f"<h1>{html.escape(title)}</h1>")
    parts.append(
        f"<p>Execution accuracy <b>{data['accuracy']:.1%}</b> ({data['correct']} of {data['total']} questions).</p>"
        f"<p>Silently wrong (answered, but not the answer asked for): <b>{data['outcomes']['silently_wrong']}</b>;"
        f" clarified or refused where an answer was expected: {data['outcomes']['clarified']};"
        f" errors: {data['outcomes']['error']}.</p>"
    )
    parts.append("<h2>By language</h2>")
    parts.append(
        _table(
            ["language", "accuracy", "correct", "total"],
            [
                [k, f"{v['correct'] / v['total']:.1%}", v["correct"], v["total"]]
                for k, v in data["by_language"].items()
            ],
        )
    )
    parts.append("<h2>By tag</h2>")
    tags = sorted(data["by_tag"].items(), key=lambda kv: kv[1]["correct"] / kv[1]["total"])
    parts.append(
        _table(
            ["tag", "accuracy", "correct", "total"],
            [[k, f"{v['correct'] / v['total']:.1%}", v["correct"], v["total"]] for k, v in tags],
        )
    )
    parts.append("<h2>Latency (ms)</h2>")
    parts.append(
        _table(
            ["stage", "p50", "p95", "max"],
            [
                [s, f"{v['p50']:.1f}", f"{v['p95']:.1f}", f"{v['max']:.1f}"]
                for s, v in data["latency_ms"].items()
            ],
        )
    )
    failures = [q for q in data["questions"] if not q["correct"]]
    parts.append(f"<h2>Failures ({len(failures)})</h2>")
    for q in failures:
        parts.append("<div class='failure'>")
        parts.append(
            f"<p><b>{html.escape(q['id'])}</b> {html.escape(q['question'])} <span class='bad'>{html.escape(q['reason'])}</span></p>"
        )
        parts.append(f"<p>status: {html.escape(q['status'])} · tags: {html.escape(', '.join(q['tags']))}</p>")
        if q["interpretation"] or q["message"]:
            parts.append(f"<p>{html.escape(q['interpretation'] or q['message'])}</p>")
        gold = "".join(
            f"<pre>{html.escape(sql)}</pre>"
            + (
                _result_block(r)
                if i < len(q["gold_results"]) and (r := q["gold_results"][i]) is not None
                else ""
            )
            for i, sql in enumerate(q["gold_sql"])
        )
        predicted = (
            "".join(
                f"<pre>{html.escape(sql)}</pre>" + _result_block(r)
                for sql, r in zip(q["predicted_sql"], q["predicted_results"], strict=False)
            )
            or "<p>no SQL</p>"
        )
        parts.append(
            f"<div class='side'><div><h3>gold</h3>{gold}</div><div><h3>predicted</h3>{predicted}</div></div></div>"
        )
    parts.append("</body></html>")
    return "".join(parts)
