"""For each demo role, every dev benchmark question (and questions probing
personal data): no answer holds a row outside the role's row filter or an
unmasked phone number or name, checked by scanning the results against the
raw warehouse; and every query the role ran was a guarded SELECT."""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.benchmark import load_benchmark
from nlq.pipeline import Pipeline
from semantic_layer.loader import load_cached
from tests.security.scan import RawData, leaks

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "eval" / "benchmarks" / "dev.jsonl"
LAYER = load_cached(ROOT / "nlq" / "demo" / "semantic")
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


def _who(role: str) -> dict[str, object]:
    """A configured user of the role (its attributes bind the row filter), if any."""
    for user in LAYER.users:
        if user.role == role:
            return {"user": user.name}
    return {"role": role}


@pytest.mark.parametrize("role", [r.name for r in LAYER.roles])
def test_no_answer_shows_what_the_role_may_not_see(
    warehouse_path: Path, tmp_path: Path, raw: RawData, role: str, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline = Pipeline(db=warehouse_path, audit=tmp_path / "audit.sqlite", **_who(role))  # type: ignore[arg-type]
    questions = [(item.question, item.as_of) for item in load_benchmark(DEV)] + [(q, None) for q in PROBES]
    problems: list[str] = []
    answered = 0
    for question, as_of in questions:
        result = pipeline.ask(question, as_of=as_of)
        answered += result.status == "answered"
        if result.status == "error":
            problems.append(f"{question} -> error: {result.message}")
        problems += [
            f"{question} -> {leak}"
            for leak in leaks(
                result, role=role, attributes=pipeline.attributes, layer=pipeline.layer, raw=raw
            )
        ]
    pipeline.close()
    crashes = [r.getMessage() for r in caplog.records if r.name == "nlq.pipeline" and r.exc_info]
    assert not crashes and not problems, "\n".join((crashes + problems)[:20])
    # The scan means something only if most questions were answered.
    assert answered > len(questions) // 2
