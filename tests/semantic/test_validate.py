"""Every message of `nlq semantic validate`: file, line and fix."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest

from nlq.cli import main
from nlq.semantic.loader import LayerError, load_layer
from nlq.semantic.validate import validate

DEMO = Path(__file__).resolve().parents[2] / "nlq" / "demo" / "semantic"

BASE = """
models:
  - name: orders
    table: orders
    primary_key: order_id
    label: {zh: 订单, en: orders}
    default_time: order_time
    time_dimensions:
      - {name: order_time, label: {zh: 下单时间, en: order time}}
    dimensions:
      - {name: channel, label: {zh: 渠道, en: channel}, values: {天猫: [Tmall]}}
    measures:
      - {name: paid_orders, agg: count_distinct, expr: order_id}
  - name: users
    table: users
    primary_key: user_id
    label: {zh: 用户, en: users}
    dimensions:
      - {name: gender, label: {zh: 性别, en: gender}}
relationships:
  - {from: orders.user_id, to: users.user_id}
metrics:
  - name: order_count
    measure: orders.paid_orders
    label: {zh: 订单数, en: orders}
"""

CATALOG = {
    "orders": {"order_id": "BIGINT", "user_id": "BIGINT", "order_time": "TIMESTAMP", "channel": "VARCHAR"},
    "users": {"user_id": "BIGINT", "gender": "VARCHAR"},
}


def write(tmp_path: Path, text: str, name: str = "layer.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(path: Path, catalog: dict[str, dict[str, str]] | None = None) -> list[str]:
    layer, source = load_layer(path)
    return [str(p) for p in validate(layer, source, catalog)]


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_demo_layer_is_valid() -> None:
    assert problems(DEMO) == []


def test_base_layer_is_valid_against_its_catalog(tmp_path: Path) -> None:
    assert problems(write(tmp_path, BASE), CATALOG) == []


def test_unknown_column_against_the_catalog_names_file_line_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("expr: order_id}", "expr: order_key}"))
    found = problems(path, CATALOG)
    assert len(found) == 1
    assert found[0].startswith(f"{path}:{line_of(path, 'order_key')}: column 'order_key' does not exist")
    assert "use one of: channel, order_id, order_time, user_id" in found[0]


def test_unknown_table_against_the_catalog(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("table: users", "table: customers"))
    found = problems(path, CATALOG)
    assert any(f":{line_of(path, 'table: customers')}: table 'customers'" in p for p in found)


def test_unknown_measure_in_a_metric(tmp_path: Path) -> None:
    path = write(tmp_path, BASE.replace("measure: orders.paid_orders", "measure: orders.paid"))
    found = problems(path)
    assert len(found) == 1
    assert f":{line_of(path, 'measure: orders.paid')}: unknown measure 'orders.paid'" in found[0]
    assert "orders.paid_orders" in found[0]


def test_join_cycle(tmp_path: Path) -> None:
    text = BASE.replace(
        "  - {from: orders.user_id, to: users.user_id}",
        "  - {from: orders.user_id, to: users.user_id}\n  - {from: users.user_id, to: orders.user_id}",
    )
    found = problems(write(tmp_path, text))
    assert any(
        ("join cycle: " in p and "orders -> users -> orders" in p) or "users -> orders -> users" in p
        for p in found
    )


def test_two_join_paths_between_the_same_models(tmp_path: Path) -> None:
    lines = (
        "  - name: lines\n"
        "    table: lines\n"
        "    primary_key: line_id\n"
        "    label: {zh: 明细, en: lines}\n"
        "    default_time: orders.order_time\n"
        "    measures:\n"
        "      - {name: n, agg: count}\n"
        "relationships:\n"
        "  - {from: lines.order_id, to: orders.order_id}\n"
        "  - {from: lines.user_id, to: users.user_id}\n"
    )
    text = BASE.replace("relationships:\n", lines)
    found = problems(write(tmp_path, text))
    assert any("two join paths from lines to users" in p and "keep one of them" in p for p in found)


def test_synonym_mapping_to_two_things(tmp_path: Path) -> None:
    text = BASE.replace("label: {zh: 性别, en: gender}", "label: {zh: 性别, en: gender}, synonyms: [订单数]")
    path = write(tmp_path, text)
    found = problems(path)
    assert len(found) == 1
    assert "synonym '订单数' maps to dimension gender and metric order_count" in found[0]


def test_value_alias_mapping_to_two_values(tmp_path: Path) -> None:
    text = BASE.replace("values: {天猫: [Tmall]}", "values: {天猫: [Tmall], 京东: [tmall]}")
    found = problems(write(tmp_path, text))
    assert any("value alias 'tmall' of orders.channel maps to '天猫' and '京东'" in p for p in found)


def test_unreachable_time_dimension(tmp_path: Path) -> None:
    text = BASE.replace(
        "      - {name: gender, label: {zh: 性别, en: gender}}",
        "      - {name: gender, label: {zh: 性别, en: gender}}\n    measures:\n      - {name: everyone, agg: count}",
    ) + (
        "  - name: user_count\n"
        "    measure: users.everyone\n"
        "    time: orders.order_time\n"
        "    label: {zh: 用户数, en: users}\n"
    )
    path = write(tmp_path, text)
    found = problems(path)
    assert len(found) == 1
    assert (
        f":{line_of(path, 'time: orders.order_time')}: time dimension 'orders.order_time' is unreachable from model users"
        in found[0]
    )


def test_metric_without_time_dimension(tmp_path: Path) -> None:
    """A simple metric with no time counts rows as they stand; a snapshot needs a time."""
    text = (
        BASE.replace(
            "      - {name: gender, label: {zh: 性别, en: gender}}",
            "      - {name: gender, label: {zh: 性别, en: gender}}\n    measures:\n      - {name: everyone, agg: count}",
        )
        + "  - {name: user_count, measure: users.everyone, label: {zh: 用户数, en: users}}\n"
        + "  - {name: user_stock, type: semi_additive, measure: users.everyone, label: {zh: 存量, en: stock}}\n"
    )
    found = problems(write(tmp_path, text))
    assert not any("metric user_count" in p for p in found)
    assert any("metric user_stock has no time dimension" in p and "default_time" in p for p in found)


def test_ratio_of_unknown_metric_and_metric_cycle(tmp_path: Path) -> None:
    text = BASE + (
        "  - {name: a, type: ratio, numerator: b, denominator: order_count, label: {zh: 甲, en: a}}\n"
        "  - {name: b, type: derived, expr: a * 2, label: {zh: 乙, en: b}}\n"
        "  - {name: c, type: ratio, numerator: nothing, denominator: order_count, label: {zh: 丙, en: c}}\n"
    )
    found = problems(write(tmp_path, text))
    assert any("metric c refers to unknown metric 'nothing'" in p for p in found)
    assert any("metric a is defined in terms of itself" in p for p in found)


def test_type_errors_are_reported_together_with_lines(tmp_path: Path) -> None:
    text = BASE.replace("agg: count_distinct", "agg: median").replace(
        "primary_key: user_id", "primary_kee: user_id"
    )
    path = write(tmp_path, text)
    with pytest.raises(LayerError) as error:
        load_layer(path)
    messages = [str(p) for p in error.value.problems]
    assert any(
        f":{line_of(path, 'agg: median')}:" in m and "use one of the allowed values" in m for m in messages
    )
    assert any(
        f":{line_of(path, 'primary_kee')}:" in m and "remove it or check its spelling" in m for m in messages
    )
    assert any("primary_key: Field required" in m and "add this field" in m for m in messages)


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "models:\n  - name: [unclosed\n")
    with pytest.raises(LayerError) as error:
        load_layer(path)
    assert str(error.value).startswith(f"{path}:")
    assert "not valid YAML" in str(error.value)


def test_layer_split_over_files_keeps_each_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "layer"
    folder.mkdir()
    models, rest = BASE.split("metrics:\n")
    write(folder, models, "models.yaml")
    metrics = write(folder, "metrics:\n" + rest.replace("orders.paid_orders", "orders.nope"), "metrics.yaml")
    found = problems(folder)
    assert found == [
        f"{metrics}:{line_of(metrics, 'orders.nope')}: unknown measure 'orders.nope' -> write model.measure, one of: orders.paid_orders"
    ]


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["semantic", "validate", str(DEMO)]) == 0
    assert "valid" in capsys.readouterr().out
    bad = write(tmp_path, BASE.replace("measure: orders.paid_orders", "measure: orders.paid"))
    assert main(["semantic", "validate", str(bad)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(f"{bad}:")
    assert main(["semantic", "validate", str(tmp_path / "missing.yaml")]) == 1


def test_cli_checks_the_live_catalog(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["semantic", "validate", str(DEMO), "--db", str(warehouse_path)]) == 0
    assert "valid (9 models" in capsys.readouterr().out
    folder = tmp_path / "layer"
    folder.mkdir()
    for name in ("models.yaml", "metrics.yaml", "roles.yaml"):
        text = (DEMO / name).read_text(encoding="utf-8").replace("expr: stock_qty", "expr: stock_quantity")
        (folder / name).write_text(text, encoding="utf-8")
    assert main(["semantic", "validate", str(folder), "--db", str(warehouse_path)]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "column 'stock_quantity' does not exist" in out[0] and "models.yaml:" in out[0]
    assert main(["semantic", "validate", str(DEMO), "--db", str(tmp_path / "missing.duckdb")]) == 1
    assert "cannot read the database" in capsys.readouterr().err


def test_a_cadence_is_checked_against_the_rows(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A weekly snapshot promised, two snapshots found in one week: the stock of that
    week would be added up twice, so validation names the line and the weeks."""
    db = tmp_path / "twice.duckdb"
    shutil.copy(warehouse_path, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "INSERT INTO inventory_snapshots SELECT snapshot_date + 3, product_id, warehouse, stock_qty"
            " FROM inventory_snapshots WHERE snapshot_date IN ('2026-06-07', '2026-06-14')"
        )
    assert main(["semantic", "validate", str(DEMO), "--db", str(db)]) == 1
    [line] = capsys.readouterr().out.strip().splitlines()
    assert "models.yaml:" in line and "cadence week" in line and "2 week(s)" in line


def test_a_repeated_column_must_exist_on_both_sides(tmp_path: Path) -> None:
    relationship = "  - {from: orders.user_id, to: users.user_id}"
    path = write(
        tmp_path, BASE.replace(relationship, relationship[:-1] + ", required: true, same: {gender: sex}}")
    )
    found = problems(path, CATALOG)
    assert len(found) == 1 and "column 'sex' does not exist" in found[0]
    assert found[0].startswith(f"{path}:{line_of(path, 'same:')}:")


def test_repeated_columns_need_a_required_relationship(tmp_path: Path) -> None:
    relationship = "  - {from: orders.user_id, to: users.user_id}"
    path = write(tmp_path, BASE.replace(relationship, relationship[:-1] + ", same: {user_id: user_id}}"))
    found = problems(path, CATALOG)
    assert len(found) == 1 and "only along a required many-to-one relationship" in found[0]


def test_what_relationships_promise_is_checked_against_the_rows(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An order without items, a cart event without its product, an item of an unknown
    product: the compiler would answer wrongly on each (one pass for buyers and GMV, an
    inner join), so validation names the relationship's line and the rows."""
    db = tmp_path / "broken.duckdb"
    shutil.copy(warehouse_path, db)
    assert main(["semantic", "validate", str(DEMO), "--db", str(db)]) == 0
    capsys.readouterr()
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM order_items WHERE order_id = (SELECT MIN(order_id) FROM orders)")
        con.execute(
            "UPDATE events SET product_id = NULL WHERE event_id IN "
            "(SELECT event_id FROM events WHERE event_type = 'cart' ORDER BY event_id LIMIT 2)"
        )
        con.execute("UPDATE events SET product_id = NULL WHERE event_type = 'pay'")  # promised nothing
        con.execute(
            "UPDATE order_items SET product_id = -1 WHERE order_item_id = (SELECT MAX(order_item_id) FROM order_items)"
        )
    assert main(["semantic", "validate", str(DEMO), "--db", str(db)]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    models = DEMO / "models.yaml"
    assert len(lines) == 3 and all(line.startswith(f"{models}:") for line in lines)
    complete, required, required_when = sorted(
        lines, key=lambda line: ("complete" not in line, "when" in line)
    )
    assert "is complete, but 1 row(s) of orders have no order_items row" in complete
    assert f":{line_of(models, 'complete: true')}:" in complete
    assert "order_items.product_id -> products.product_id is required, but 1 row(s)" in required
    assert "is required when, but 2 row(s) of events where event_type IN ('view', 'cart')" in required_when
    assert f":{line_of(models, 'required_when')}:" in required_when


def test_a_condition_for_a_required_join_reads_its_own_rows(tmp_path: Path) -> None:
    relationship = "  - {from: orders.user_id, to: users.user_id}"
    for extra, expected in [
        (", required_when: \"users.gender = '女'\"", "'users.gender' is not a column of orders"),
        (", required_when: \"channel = '天猫'\", required: true", "but 'required' says it always does"),
        (", cardinality: one_to_many, complete: true", "are promises of a many-to-one relationship"),
        (", required_when: \"chanel = '天猫'\"", "column 'chanel' does not exist"),
    ]:
        path = write(tmp_path, BASE.replace(relationship, relationship[:-1] + extra + "}"))
        found = problems(path, CATALOG)
        assert len(found) == 1 and expected in found[0], found
        assert found[0].startswith(f"{path}:{line_of(path, 'relationships:') + 1}:")


def test_an_attribute_may_share_a_word_with_the_metric_that_totals_it(tmp_path: Path) -> None:
    # Each order's amount (a number dimension of orders) and the orders metric: 订单数 is both.
    attribute = "      - {name: channel, label: {zh: 渠道, en: channel}, values: {天猫: [Tmall]}}\n"
    text = BASE.replace(
        attribute,
        attribute + "      - {name: order_no, type: number, label: {zh: 订单数, en: order number}}\n",
    )
    assert problems(write(tmp_path, text)) == []
    # A dimension of another model, or one that is not a number, still may not.
    other = BASE.replace(
        "label: {zh: 性别, en: gender}", "label: {zh: 性别, en: gender}, type: number, synonyms: [订单数]"
    )
    assert any(
        "maps to dimension gender and metric order_count" in p for p in problems(write(tmp_path, other))
    )


def test_a_metric_may_not_add_amounts_in_two_currencies(tmp_path: Path) -> None:
    text = BASE + (
        "  - {name: sales, measure: orders.paid_orders, format: currency, currency: US$, label: {zh: 销售, en: sales}}\n"
        "  - {name: costs, measure: orders.paid_orders, format: currency, label: {zh: 成本, en: costs}}\n"
        "  - {name: margin, type: derived, expr: sales - costs, format: currency, label: {zh: 毛利, en: margin}}\n"
    )
    found = problems(write(tmp_path, text))
    assert any("metric margin combines amounts in US$, ¥" in p for p in found), found
    same = text.replace("label: {zh: 成本, en: costs}", "currency: US$, label: {zh: 成本, en: costs}")
    assert not any("combines amounts" in p for p in problems(write(tmp_path, same)))
