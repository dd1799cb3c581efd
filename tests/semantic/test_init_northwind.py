"""`nlq semantic init` on a warehouse that declares nothing: Northwind loaded from
its Parquet files as plain tables (no primary or foreign keys), as an analyst
would load it. Keys are found on the data, relationships by names and by values,
every numeric column is a measure, line tables are dated by their parent, and
`validate --db` reports a wrong key or a metric that does not run."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from nlq.cli import main

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "examples" / "northwind" / "data"


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("raw") / "northwind.duckdb"
    con = duckdb.connect(str(path))
    for file in sorted(DATA.glob("*.parquet")):
        con.execute(f"CREATE TABLE {file.stem} AS SELECT * FROM read_parquet('{file}')")
    con.close()
    return path


@pytest.fixture(scope="module")
def draft(raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("draft")
    assert main(["semantic", "init", "--db", str(raw), "--out", str(out)]) == 0
    return out


def models(draft: Path) -> dict[str, dict[str, object]]:
    document = yaml.safe_load((draft / "models.yaml").read_text(encoding="utf-8"))
    return {m["name"]: m for m in document["models"]}


def test_keys_are_found_on_the_data(draft: Path) -> None:
    keys = {name: m["primary_key"] for name, m in models(draft).items()}
    assert keys["orders"] == "order_id" and keys["products"] == "product_id"
    assert keys["order_details"] == ["order_id", "product_id"]  # a line table: two ids together
    assert keys["employee_territories"] == ["employee_id", "territory_id"]
    assert keys["us_states"] == "state_id"  # not every column of the table


def test_relationships_by_name_and_by_values(draft: Path) -> None:
    document = yaml.safe_load((draft / "models.yaml").read_text(encoding="utf-8"))
    edges = {(r["from"], r["to"]) for r in document["relationships"]}
    assert {
        ("order_details.order_id", "orders.order_id"),
        ("order_details.product_id", "products.product_id"),
        ("orders.customer_id", "customers.customer_id"),
        ("orders.employee_id", "employees.employee_id"),
        ("orders.ship_via", "shippers.shipper_id"),  # whatever the column is called
        ("products.category_id", "categories.category_id"),
        ("products.supplier_id", "suppliers.supplier_id"),
    } <= edges
    report = (draft / "init-report.md").read_text(encoding="utf-8")
    assert "orders.ship_via -> shippers.shipper_id (values held)" in report


def test_every_numeric_column_is_a_measure_and_lines_are_dated_by_their_order(draft: Path) -> None:
    found = models(draft)
    measures = {name: {m["name"] for m in model["measures"]} for name, model in found.items()}  # type: ignore[union-attr]
    assert {"total_quantity", "total_unit_price", "total_discount"} <= measures["order_details"]
    assert {"total_units_in_stock", "total_reorder_level"} <= measures["products"]
    assert not any("ship_via" in m for m in measures["orders"])  # a reference, not an amount
    metrics = yaml.safe_load((draft / "metrics.yaml").read_text(encoding="utf-8"))["metrics"]
    quantity = next(m for m in metrics if m["measure"] == "order_details.total_quantity")
    assert quantity["time"] == "orders.order_date"
    stock = next(m for m in metrics if m["measure"] == "products.total_units_in_stock")
    assert "time" not in stock  # a product has no date: its stock is counted as it stands
    # No engine comment, no Chinese label: never an English name inside a Chinese one.
    assert all(m["label"]["zh"] == "" for m in metrics)


def test_the_draft_validates_and_runs(draft: Path, raw: Path) -> None:
    assert main(["semantic", "validate", str(draft), "--db", str(raw)]) == 0


def test_a_wrong_key_is_reported(
    draft: Path, raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = tmp_path / "layer"
    shutil.copytree(draft, changed)
    path = changed / "models.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines = next(m for m in document["models"] if m["name"] == "order_details")
    lines["primary_key"] = "order_id"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert main(["semantic", "validate", str(changed), "--db", str(raw)]) == 1
    assert "primary key order_id of order_details repeats" in capsys.readouterr().out


def test_a_metric_that_does_not_run_is_reported(
    raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layer = tmp_path / "layer"
    shutil.copytree(ROOT / "examples" / "northwind" / "semantic", layer)
    with (layer / "metrics.yaml").open("a", encoding="utf-8") as file:
        file.write(
            "\n  - name: odd_orders\n    measure: orders.orders\n    filter: CAST(ship_name AS INTEGER) > 0\n"
            "    format: count\n    label: {zh: 奇怪订单数, en: odd orders}\n"
        )
    northwind = tmp_path / "northwind.duckdb"
    assert main(["demo", "build", "--example", "northwind", "--out", str(northwind)]) == 0
    assert main(["semantic", "validate", str(layer), "--db", str(northwind)]) == 1
    out = capsys.readouterr().out
    assert "metric odd_orders fails on the database" in out and "metrics.yaml:" in out


def test_a_self_reference_becomes_the_table_in_another_role(draft: Path) -> None:
    found = models(draft)
    manager = found["employees_reports_to"]
    assert manager["table"] == "employees" and manager["primary_key"] == "employee_id"
    assert {"reports_to_last_name", "reports_to_first_name"} <= {d["name"] for d in manager["dimensions"]}  # type: ignore[union-attr]
    document = yaml.safe_load((draft / "models.yaml").read_text(encoding="utf-8"))
    edges = {(r["from"], r["to"]) for r in document["relationships"]}
    assert ("employees.reports_to", "employees_reports_to.employee_id") in edges
    report = (draft / "init-report.md").read_text(encoding="utf-8")
    assert "employees.reports_to -> employees_reports_to.employee_id" in report


def test_each_rows_amount_is_also_an_attribute(draft: Path) -> None:
    products = models(draft)["products"]
    numbers = {d["name"] for d in products["dimensions"] if d.get("type") == "number"}  # type: ignore[union-attr]
    assert {"unit_price", "units_in_stock", "reorder_level"} <= numbers
