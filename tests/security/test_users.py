"""Users in configuration: a user's role and attributes apply, the attributes
bind the row filters, and the validator reports broken user entries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nlq.pipeline import Pipeline
from nlq.semantic.errors import AccessDenied
from nlq.semantic.loader import load_layer
from nlq.semantic.validate import validate

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"


@pytest.mark.parametrize(("user", "province"), [("wang.fang", "浙江"), ("zhao.lei", "广东")])
def test_a_users_attributes_bind_the_row_filter(warehouse_path: Path, user: str, province: str) -> None:
    pipeline = Pipeline(db=warehouse_path, user=user)
    result = pipeline.ask("今年各省份的订单数")
    pipeline.close()
    assert result.status == "answered"
    assert [row[0] for row in result.answers[0].rows] == [province]
    assert pipeline.role == "province_manager" and pipeline.attributes == {"province": province}


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ("上个月浙江的GMV", "不在您可查看的数据范围内"),
        ("orders in Zhejiang by channel last month", "outside the data"),
    ],
)
def test_a_value_outside_the_users_rows_is_refused_not_answered_as_zero(
    warehouse_path: Path, tmp_path: Path, question: str, said: str
) -> None:
    guangdong = Pipeline(db=warehouse_path, user="zhao.lei", audit=tmp_path / "audit.sqlite")
    zhejiang = guangdong.for_user("wang.fang")
    outside, inside = guangdong.ask(question), zhejiang.ask(question)
    guangdong.close()
    # For 广东's manager 浙江 has no rows: not "0", but not theirs to see.
    assert outside.status == "refused" and said in outside.message and not outside.answers
    assert "浙江" in outside.message and "广东" not in outside.message
    assert inside.status == "answered" and inside.answers[0].rows


def test_unknown_user_is_refused(warehouse_path: Path) -> None:
    with pytest.raises(AccessDenied) as error:
        Pipeline(db=warehouse_path, user="mallory")
    assert "未知用户" in error.value.zh


def test_a_role_needing_an_attribute_refuses_without_it(warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, role="province_manager")
    result = pipeline.ask("今年各省份的订单数")
    pipeline.close()
    assert result.status == "refused" and "province" in result.message


def test_validator_reports_broken_users(tmp_path: Path) -> None:
    layer_dir = tmp_path / "layer"
    shutil.copytree(DEMO, layer_dir)
    (layer_dir / "users.yaml").write_text(
        "users:\n"
        "  - {name: a, role: nosuchrole}\n"
        "  - {name: b, role: province_manager}\n"
        "  - {name: b, role: admin}\n",
        encoding="utf-8",
    )
    layer, source = load_layer(layer_dir)
    messages = [(p.line, p.message) for p in validate(layer, source)]
    assert any("unknown role 'nosuchrole'" in m and line == 2 for line, m in messages)
    assert any("lacks the attribute 'province'" in m and line == 3 for line, m in messages)
    assert any("listed twice" in m for _, m in messages)


def test_configuration_mistakes_are_one_line_with_the_fix(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from nlq.cli import main

    assert (
        main(["ask", "上个月GMV", "--db", str(warehouse_path), "--semantic", str(tmp_path / "nowhere")]) != 0
    )
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and "no semantic layer here" in error and "Traceback" not in error
    # A row filter that is not SQL fails when its role is taken up, not at its first question.
    import shutil

    from nlq.pipeline import DEMO_SEMANTIC
    from nlq.semantic.loader import LayerError

    layer = tmp_path / "layer"
    shutil.copytree(DEMO_SEMANTIC, layer)
    roles = layer / "roles.yaml"
    roles.write_text(
        roles.read_text(encoding="utf-8").replace(
            "orders: province IN ('上海',", "orders: province IN (('上海',", 1
        ),
        encoding="utf-8",
    )
    with pytest.raises(LayerError, match="row filter of orders is not SQL"):
        Pipeline(db=warehouse_path, semantic=layer, role="east_manager", audit=tmp_path / "a.sqlite")
    assert (
        Pipeline(db=warehouse_path, semantic=layer, role="analyst", audit=tmp_path / "a.sqlite").role
        == "analyst"
    )


def test_an_answer_says_whose_rows_it_covers(warehouse_path: Path, tmp_path: Path) -> None:
    analyst = Pipeline(db=warehouse_path, user="chen.jie", audit=tmp_path / "audit.sqlite")
    zhejiang = analyst.for_user("wang.fang")
    everyone, hers, english = (
        analyst.ask("上个月GMV"),
        zhejiang.ask("上个月GMV"),
        zhejiang.ask("GMV last month"),
    )
    analyst.close()
    assert "数据范围" not in everyone.interpretation
    assert hers.interpretation.endswith("数据范围：仅省区经理可见的数据（浙江）。")
    assert "only those the province manager role may see (浙江)" in english.interpretation
