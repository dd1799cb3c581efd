"""For each demo user, every dev benchmark question (and questions probing
personal data): each answer is a refusal or exactly the gold's rows over what
that user may see (the gold SQL run on allowed.py's database of their rows); no
answer holds a row outside the row filter or an unmasked phone number or name,
checked by scanning the results against the raw warehouse; every query the user
ran was a guarded SELECT, and every question is audited under the user."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from nlq.answer import AskResult
from nlq.eval.benchmark import BenchmarkItem, load_benchmark
from nlq.eval.scoring import ResultSet, score
from nlq.pipeline import Pipeline
from tests.security.allowed import IDENTITIES, Who, allowed_database, read_tables, run
from tests.security.scan import RawData, leaks

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "eval" / "benchmarks" / "dev.jsonl"
# Questions that try to reach personal data or other regions' rows.
PROBES = [
    "list users",
    "用户名单",
    "列出用户的姓名、性别和城市",
    "手机号以138开头的用户有多少",
    "按手机号排序的用户",
    "GMV by user name",
    "各省份的GMV",
    "各城市的订单数",
    "广东的GMV",
    "北京上个月的订单数",
    "list orders last week",
    "最近的订单明细",
    "各省份用户数",
    "top 10 users by GMV",
    "各渠道的客单价",
]


@pytest.fixture(scope="module")
def raw(warehouse_path: Path) -> RawData:
    return RawData.read(warehouse_path)


@pytest.fixture(scope="module")
def tables(warehouse_path: Path) -> dict[str, pa.Table]:
    return read_tables(warehouse_path)


@pytest.mark.parametrize("who", IDENTITIES, ids=lambda w: w.label)
def test_every_answer_is_the_gold_over_the_users_own_rows(
    warehouse_path: Path,
    tmp_path: Path,
    raw: RawData,
    tables: dict[str, pa.Table],
    who: Who,
    caplog: pytest.LogCaptureFixture,
) -> None:
    reference = allowed_database(tables, who, warehouse_path.stem)
    pipeline = Pipeline(db=warehouse_path, user=who.user, audit=tmp_path / "audit.sqlite")
    items = load_benchmark(DEV) + [BenchmarkItem(id=f"probe-{i}", question=q) for i, q in enumerate(PROBES)]
    problems: list[str] = []
    answered = 0
    for item in items:
        result = pipeline.ask(item.question, as_of=item.as_of)
        answered += result.status == "answered"
        if result.status == "error":
            problems.append(f"{item.question} -> error: {result.message}")
        elif result.status == "answered" and item.golds:
            problems += _differences(item, result, reference)
        problems += [
            f"{item.question} -> {leak}"
            for leak in leaks(
                result, role=who.role, attributes=pipeline.attributes, layer=pipeline.layer, raw=raw
            )
        ]
    records = list(pipeline.audit.records())
    pipeline.close()
    reference.close()
    crashes = [r.getMessage() for r in caplog.records if r.name == "nlq.pipeline" and r.exc_info]
    assert not crashes and not problems, f"{len(problems)} problems:\n" + "\n".join((crashes + problems)[:30])
    assert len(records) == len(items)
    assert {(r.user, r.role) for r in records} == {(who.user, who.role)}
    # The comparison means something only if most questions were answered.
    assert answered > len(items) // 2


def _differences(item: BenchmarkItem, result: AskResult, reference: duckdb.DuckDBPyConnection) -> list[str]:
    golds = []
    for sql in item.golds:
        ran = run(reference, _ties_broken(sql))
        if isinstance(ran, str):
            return [f"{item.question} -> gold failed over the allowed rows: {ran}"]
        golds.append(ResultSet(*ran))
    answers = [ResultSet(a.columns, a.rows) for a in result.answers]
    verdict = score(
        expect="answer",
        status="answered",
        answers=answers,
        ran_sql=True,
        golds=golds,
        ordered=item.order_matters,
    )
    return [] if verdict.correct else [f"{item.id} {item.question} -> {verdict.reason[:300]}"]


def _ties_broken(sql: str) -> str:
    """The gold with its top N made deterministic: rows equal in the ORDER BY are
    ordered by each column in turn, as nlq orders them. Over fewer rows than the
    gold was written for, ties at the Nth place are common, and a LIMIT would pick
    among them at random."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for select in tree.find_all(exp.Select):
        order = select.args.get("order")
        if order is None or select.args.get("limit") is None:
            continue
        for position in range(1, len(select.expressions) + 1):
            order.append("expressions", exp.Ordered(this=exp.Literal.number(position)))
    return tree.sql("duckdb")
