"""The workbench's forms as layer edits: a new metric (simple, ratio, derived), a
metric's 口径 edited, a new dimension value with its aliases, a new term, dimension,
segment and relationship. Each is written into a copy of the demo layer's real files
as a diff that only adds its own lines, the copy loads and validates against the
warehouse, and the pipeline answers with it; a name taken or a target missing is an
EditError that leaves the files as they were."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from pydantic import TypeAdapter, ValidationError

from nlq.engines.duckdb import SETTINGS as DUCKDB_SETTINGS
from nlq.pipeline import DEMO_SEMANTIC, Pipeline
from nlq.semantic import edit
from nlq.semantic.edit import (
    Change,
    EditError,
    EditMetric,
    LayerChange,
    NewDerivedMetric,
    NewDimension,
    NewRatioMetric,
    NewRelationship,
    NewSegment,
    NewSimpleMetric,
    NewTerm,
    NewValue,
    apply_change,
    copy_layer,
    diff,
)
from nlq.semantic.loader import LayerError, Problem, load_layer
from nlq.semantic.model import Feature, Label, RatioMetric, Segment, SegmentCase, TermFilter
from nlq.semantic.validate import validate

AS_OF = dt.date(2026, 6, 30)

PRICE_PER_UNIT = NewRatioMetric(
    name="price_per_unit",
    numerator="gmv",
    denominator="units_sold",
    format="currency",
    label=Label(zh="件单价", en="price per unit"),
    synonyms=["件单价", "单件价格", "price per unit"],
    description="成交额 / 销量：已支付订单的明细金额之和除以商品件数之和，按下单时间计。",
)
PAID_AMOUNT = NewSimpleMetric(
    name="paid_amount",
    model="orders",
    agg="sum",
    expr="pay_amount",
    filter="pay_time IS NOT NULL",
    format="currency",
    label=Label(zh="实付总额", en="amount paid"),
    synonyms=["实付金额合计"],
    description="已支付订单的实付金额之和，按下单时间计。",
)
GMV_LESS_DISCOUNT = NewDerivedMetric(
    name="gmv_less_discount",
    expr="gmv - discount_amount",
    format="currency",
    label=Label(zh="扣除优惠后成交额", en="GMV less discounts"),
    description="成交额 − 优惠金额，均按下单时间计。",
)
PINDUODUO = NewValue(dimension="channel", value="拼多多", aliases=["PDD"])
BIG_CITIES = NewTerm(
    name="big_cities",
    label=Label(zh="大城市", en="big cities"),
    synonyms=["一线和新一线城市"],
    filters=[TermFilter(dimension="city_tier", values=["一线", "新一线"])],
    description="大城市 = 一线与新一线城市。",
)
DISCOUNTED = NewDimension(
    model="orders",
    name="discounted",
    expr="CASE WHEN discount_amount > 0 THEN '有优惠' ELSE '无优惠' END",
    label=Label(zh="是否用券", en="discounted"),
    synonyms=["用券情况"],
    values={"有优惠": ["用了券", "打折订单"], "无优惠": ["没用券", "原价订单"]},
)
SPEND_LEVEL = NewSegment(
    model="users",
    name="spend_level",
    label=Label(zh="消费档次", en="spend level"),
    synonyms=["消费分层"],
    description="期间内实付金额不低于5000的购买用户为大额消费，其余为普通消费。",
    values={"大额消费": [], "普通消费": []},
    segment=Segment(
        facts="orders",
        entity="user_id",
        rows="pay_time IS NOT NULL",
        population="buyers",
        features={"spend": Feature(agg="sum", expr="pay_amount")},
        cases=[
            SegmentCase(value="大额消费", when="spend >= 5000"),
            SegmentCase(value="普通消费", when="TRUE"),
        ],
    ),
)


def changed_lines(text: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines of a unified diff, without its file headers."""
    lines = text.splitlines()
    removed = [line for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def files_of(text: str) -> list[str]:
    return [line.removeprefix("+++ b/") for line in text.splitlines() if line.startswith("+++ b/")]


@pytest.fixture()
def copy(tmp_path: Path) -> Path:
    return copy_layer(DEMO_SEMANTIC, tmp_path / "proposed")


@pytest.fixture(scope="module")
def catalog(warehouse_path: Path) -> dict[str, dict[str, str]]:
    connection = duckdb.connect(str(warehouse_path), read_only=True, config=dict(DUCKDB_SETTINGS))
    try:
        rows = connection.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
        ).fetchall()
    finally:
        connection.close()
    tables: dict[str, dict[str, str]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, {})[column] = kind
    return tables


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy with every new item, for the pipeline to answer from."""
    layer = copy_layer(DEMO_SEMANTIC, tmp_path_factory.mktemp("edited"))
    for change in (
        PRICE_PER_UNIT,
        PAID_AMOUNT,
        GMV_LESS_DISCOUNT,
        PINDUODUO,
        BIG_CITIES,
        DISCOUNTED,
        SPEND_LEVEL,
    ):
        apply_change(layer, change)
    return layer


@pytest.fixture(scope="module")
def pipeline(
    warehouse_path: Path, edited: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    audit = tmp_path_factory.mktemp("audit") / "a.sqlite"
    pipeline = Pipeline(db=warehouse_path, semantic=edited, audit=audit)
    yield pipeline
    pipeline.close()


def one_value(pipeline: Pipeline, question: str) -> float:
    answer = pipeline.ask(question, as_of=AS_OF)
    assert answer.status == "answered", (question, answer.message)
    [block] = answer.answers
    [[value]] = block.rows
    return float(value)


# -- what each change writes ---------------------------------------------------------------------


def test_a_ratio_metric_is_added_at_the_end_of_the_metrics_in_the_layers_own_shape(copy: Path) -> None:
    assert [p.name for p in apply_change(copy, PRICE_PER_UNIT)] == ["metrics.yaml"]
    text = diff(DEMO_SEMANTIC, copy)
    removed, added = changed_lines(text)
    assert removed == []
    assert added == [
        "+",
        "+  - name: price_per_unit",
        "+    type: ratio",
        "+    numerator: gmv",
        "+    denominator: units_sold",
        "+    format: currency",
        "+    label: {zh: 件单价, en: price per unit}",
        "+    synonyms: [件单价, 单件价格, price per unit]",
        "+    description: 成交额 / 销量：已支付订单的明细金额之和除以商品件数之和，按下单时间计。",
    ]
    # After the last metric (stock_qty), before the terms: the blank line that parts the
    # metrics parts the new one too, and the terms keep theirs.
    after = (copy / "metrics.yaml").read_text(encoding="utf-8")
    assert "累加）。\n\n  - name: price_per_unit\n" in after
    assert "按下单时间计。\n\nterms:\n" in after
    layer, _ = load_layer(copy)
    metric = layer.metric("price_per_unit")
    assert isinstance(metric, RatioMetric)
    assert (metric.numerator, metric.denominator, metric.label.zh) == ("gmv", "units_sold", "件单价")
    assert layer.metrics[-1] is metric


def test_a_simple_metric_writes_its_measure_on_the_model_unless_an_identical_one_exists(copy: Path) -> None:
    assert [p.name for p in apply_change(copy, PAID_AMOUNT)] == ["models.yaml", "metrics.yaml"]
    text = diff(DEMO_SEMANTIC, copy)
    assert files_of(text) == ["metrics.yaml", "models.yaml"]
    removed, added = changed_lines(text)
    assert removed == []
    assert added == [
        "+",
        "+  - name: paid_amount",
        "+    measure: orders.paid_amount",
        "+    format: currency",
        "+    label: {zh: 实付总额, en: amount paid}",
        "+    synonyms: [实付金额合计]",
        "+    description: 已支付订单的实付金额之和，按下单时间计。",
        "+      - name: paid_amount",
        "+        agg: sum",
        "+        expr: pay_amount",
        "+        filter: pay_time IS NOT NULL",
    ]
    layer, _ = load_layer(copy)
    found = layer.measure_of("paid_amount")
    assert found is not None and found[0].name == "orders"
    # Units counted as units_sold counts them: the metric reuses order_items.units.
    same = NewSimpleMetric(
        name="items_sold",
        model="order_items",
        agg="sum",
        expr="quantity",
        filter="orders.pay_time IS NOT NULL",
        format="count",
        label=Label(zh="售出件数", en="items sold"),
    )
    assert [p.name for p in apply_change(copy, same)] == ["metrics.yaml"]
    assert "measure: order_items.units\n    format: count\n    label: {zh: 售出件数" in (
        copy / "metrics.yaml"
    ).read_text(encoding="utf-8")


def test_a_derived_metric_names_metrics_of_the_layer(copy: Path) -> None:
    apply_change(copy, GMV_LESS_DISCOUNT)
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed == []
    assert added[1:4] == [
        "+  - name: gmv_less_discount",
        "+    type: derived",
        "+    expr: gmv - discount_amount",
    ]
    with pytest.raises(EditError, match="unknown metric 'gmv_net'"):
        apply_change(copy, NewDerivedMetric(name="twice", expr="gmv_net * 2", label=Label(zh="二", en="two")))


def test_a_new_value_goes_once_into_the_anchored_list_every_channel_shares(copy: Path) -> None:
    assert [p.name for p in apply_change(copy, PINDUODUO)] == ["models.yaml"]
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert (removed, added) == ([], ["+          拼多多: [PDD]"])
    layer, _ = load_layer(copy)
    for model, name in (("orders", "channel"), ("events", "channel"), ("users", "register_channel")):
        found = layer.model(model)
        assert found is not None
        dimension = found.dimension(name)
        assert dimension is not None and dimension.values["拼多多"] == ["PDD"]


def test_a_value_of_a_dimension_read_from_the_data_starts_its_values(copy: Path) -> None:
    apply_change(copy, NewValue(dimension="orders.province", value="香港", aliases=["HK"]))
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert (removed, added) == ([], ["+        values:", "+          香港: [HK]"])
    layer, _ = load_layer(copy)
    orders, users = layer.model("orders"), layer.model("users")
    assert orders is not None and users is not None
    assert orders.dimension("province").values == {"香港": ["HK"]}  # type: ignore[union-attr]
    assert users.dimension("province").values == {}  # type: ignore[union-attr]


def test_editing_a_metrics_kou_jing_changes_only_that_line(copy: Path) -> None:
    new = "已支付且未取消订单的订单明细金额之和，按下单时间计。"
    assert [p.name for p in apply_change(copy, EditMetric(metric="gmv", description=new))] == ["metrics.yaml"]
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed == ["-    description: 已支付订单（pay_time 不为空）的订单明细金额之和，按下单时间计。"]
    assert added == [f"+    description: {new}"]
    # Its filter is its measure's (no other metric counts order_items.gmv): one line there.
    condition = "orders.pay_time IS NOT NULL AND orders.status <> 'cancelled'"
    assert [p.name for p in apply_change(copy, EditMetric(metric="gmv", filter=condition))] == ["models.yaml"]
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed[1:] == ["-        filter: orders.pay_time IS NOT NULL"]
    assert added[1:] == [f"+        filter: {condition}"]
    layer, _ = load_layer(copy)
    gmv = layer.metric("gmv")
    found = layer.measure_of("gmv")
    assert gmv is not None and gmv.description == new
    assert found is not None and found[1].filter == condition


def test_a_filter_is_added_or_removed_keeping_the_blank_line_after_its_model(copy: Path) -> None:
    apply_change(copy, EditMetric(metric="refund_count", filter="reason <> '不想要了'"))
    apply_change(copy, EditMetric(metric="cart_adds", filter=""))
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed == ["-        filter: event_type = 'cart'"]
    assert added == ["+        filter: reason <> '不想要了'"]
    text = (copy / "models.yaml").read_text(encoding="utf-8")
    assert "filter: reason <> '不想要了'\n\n  - name: events\n" in text
    assert "      - name: cart_adds\n        agg: count\n\n  - name: inventory_snapshots\n" in text


def test_a_term_goes_after_the_last_term_before_the_comment_of_the_next_section(copy: Path) -> None:
    assert [p.name for p in apply_change(copy, BIG_CITIES)] == ["metrics.yaml"]
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed == []
    assert added == [
        "+  - name: big_cities",
        "+    label: {zh: 大城市, en: big cities}",
        "+    synonyms: [一线和新一线城市]",
        "+    filters:",
        "+      - {dimension: city_tier, values: [一线, 新一线]}",
        "+    description: 大城市 = 一线与新一线城市。",
    ]
    text = (copy / "metrics.yaml").read_text(encoding="utf-8")
    assert "一线与新一线城市。\n\n# The purchase funnel of the events" in text


def test_a_dimension_and_a_segment_go_at_the_end_of_their_models_dimensions(copy: Path) -> None:
    apply_change(copy, DISCOUNTED)
    apply_change(copy, SPEND_LEVEL)
    removed, added = changed_lines(diff(DEMO_SEMANTIC, copy))
    assert removed == []
    assert added == [
        "+      - name: spend_level",
        "+        label: {zh: 消费档次, en: spend level}",
        "+        synonyms: [消费分层]",
        "+        description: 期间内实付金额不低于5000的购买用户为大额消费，其余为普通消费。",
        "+        values:",
        "+          大额消费: []",
        "+          普通消费: []",
        "+        segment:",
        "+          facts: orders",
        "+          entity: user_id",
        "+          rows: pay_time IS NOT NULL",
        "+          population: buyers",
        "+          features:",
        "+            spend: {agg: sum, expr: pay_amount}",
        "+          cases:",
        "+            - {value: 大额消费, when: spend >= 5000}",
        '+            - {value: 普通消费, when: "TRUE"}',
        "+      - name: discounted",
        "+        expr: CASE WHEN discount_amount > 0 THEN '有优惠' ELSE '无优惠' END",
        "+        label: {zh: 是否用券, en: discounted}",
        "+        synonyms: [用券情况]",
        "+        values:",
        "+          有优惠: [用了券, 打折订单]",
        "+          无优惠: [没用券, 原价订单]",
    ]
    text = (copy / "models.yaml").read_text(encoding="utf-8")
    assert "原价订单]\n    detail: [order_id, order_date" in text
    layer, _ = load_layer(copy)
    found = layer.segment_of("users.spend_level")
    assert found is not None and found[1].segment is not None and found[1].segment.population == "buyers"


def test_a_relationship_is_written_as_a_flow_mapping_like_the_others(copy: Path) -> None:
    # The demo has every relationship its tables have: take one out, and the form
    # writes it back exactly as it was.
    models = copy / "models.yaml"
    line = "  - {from: reviews.product_id, to: products.product_id, required: true}\n"
    text = models.read_text(encoding="utf-8")
    assert text.endswith(line)
    models.write_text(text.removesuffix(line), encoding="utf-8")
    change = NewRelationship.model_validate(
        {"from": "reviews.product_id", "to": "products.product_id", "required": True}
    )
    assert [p.name for p in apply_change(copy, change)] == ["models.yaml"]
    assert diff(DEMO_SEMANTIC, copy) == ""


def test_a_section_no_file_holds_is_started_beside_its_neighbour(copy: Path, tmp_path: Path) -> None:
    metrics = copy / "metrics.yaml"
    text = metrics.read_text(encoding="utf-8")
    metrics.write_text(text[: text.index("terms:")] + text[text.index("# The purchase funnel") :], "utf-8")
    before = copy_layer(copy, tmp_path / "before")
    apply_change(copy, BIG_CITIES)
    removed, added = changed_lines(diff(before, copy))
    assert removed == []
    assert added[:3] == ["+", "+terms:", "+  - name: big_cities"]
    assert [t.name for t in load_layer(copy)[0].terms] == ["big_cities"]


@pytest.mark.parametrize(
    "change",
    [PRICE_PER_UNIT, PAID_AMOUNT, GMV_LESS_DISCOUNT, PINDUODUO, BIG_CITIES, DISCOUNTED, SPEND_LEVEL],
    ids=lambda change: change.kind,
)
def test_every_new_item_validates_against_the_warehouse(
    change: Change, copy: Path, catalog: dict[str, dict[str, str]]
) -> None:
    apply_change(copy, change)
    layer, source = load_layer(copy)
    assert validate(layer, source, catalog) == []


# -- what the pipeline does with them -----------------------------------------------------------


def test_the_new_price_per_unit_answers_gmv_over_units_to_the_cent(
    pipeline: Pipeline, con: duckdb.DuckDBPyConnection
) -> None:
    layer = pipeline.layer
    gmv, units = layer.measure_of("gmv"), layer.measure_of("units_sold")
    assert gmv is not None and units is not None
    # The 口径 the SQL below is written from: both sum order items of paid orders, dated
    # by the order's time.
    assert (gmv[0].name, gmv[1].agg, gmv[1].expr, gmv[1].filter) == (
        "order_items",
        "sum",
        "amount",
        "orders.pay_time IS NOT NULL",
    )
    assert (units[0].name, units[1].agg, units[1].expr, units[1].filter) == (
        "order_items",
        "sum",
        "quantity",
        "orders.pay_time IS NOT NULL",
    )
    assert gmv[0].default_time == "orders.order_time"
    row = con.execute(
        """
        SELECT SUM(i.amount)::DOUBLE / SUM(i.quantity)
        FROM order_items i JOIN orders o ON o.order_id = i.order_id
        WHERE o.pay_time IS NOT NULL
          AND o.order_time >= TIMESTAMP '2026-05-01' AND o.order_time < TIMESTAMP '2026-06-01'
        """
    ).fetchone()
    assert row is not None
    expected = float(row[0])
    for question in ("2026年5月的件单价", "2026年5月的单件价格", "price per unit in May 2026"):
        value = one_value(pipeline, question)
        assert round(value, 2) == round(expected, 2), question
    answer = pipeline.ask("2026年5月的件单价", as_of=AS_OF)
    assert "件单价口径：成交额 / 销量" in answer.interpretation


def test_the_new_simple_and_derived_metrics_answer(pipeline: Pipeline) -> None:
    paid = one_value(pipeline, "2026年5月的实付总额")
    gmv = one_value(pipeline, "2026年5月的GMV")
    discount = one_value(pipeline, "2026年5月的优惠金额")
    assert paid > 0
    assert one_value(pipeline, "2026年5月扣除优惠后成交额") == pytest.approx(gmv - discount)


def test_pinduoduo_is_known_once_added_and_has_no_rows(
    warehouse_path: Path, pipeline: Pipeline, tmp_path: Path
) -> None:
    question = "2026年5月拼多多的GMV"
    current = Pipeline(db=warehouse_path, audit=tmp_path / "a.sqlite")
    try:
        before = current.ask(question, as_of=AS_OF)
    finally:
        current.close()
    assert before.status == "clarify" and "“拼多多”无法对应" in before.message
    after = pipeline.ask(question, as_of=AS_OF)
    # Read as a filter on the channel; no order is from 拼多多, and nlq says so rather
    # than showing a 0.
    assert after.status == "answered"
    assert "筛选 拼多多（渠道）" in after.interpretation
    assert after.answers == []
    assert "拼多多" in after.message and "无法对应" not in after.message
    by_alias = pipeline.ask("2026年5月PDD的订单数", as_of=AS_OF)
    assert "筛选 拼多多（渠道）" in by_alias.interpretation


def test_the_new_term_dimension_and_segment_are_read_from_questions(pipeline: Pipeline) -> None:
    tiers = pipeline.ask("2026年5月各城市等级的GMV", as_of=AS_OF)
    [block] = tiers.answers
    by_tier = dict(block.rows)
    assert one_value(pipeline, "2026年5月大城市的GMV") == pytest.approx(by_tier["一线"] + by_tier["新一线"])
    split = pipeline.ask("2026年5月按是否用券看订单数", as_of=AS_OF)
    [block] = split.answers
    assert {row[0] for row in block.rows} == {"有优惠", "无优惠"}
    assert one_value(pipeline, "2026年5月用了券的订单数") == dict(block.rows)["有优惠"]
    levels = pipeline.ask("2026年5月各消费档次的购买用户数", as_of=AS_OF)
    [block] = levels.answers
    assert {row[0] for row in block.rows} == {"大额消费", "普通消费"}
    assert sum(row[1] for row in block.rows) == one_value(pipeline, "2026年5月的购买用户数")


# -- what is refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            PRICE_PER_UNIT.model_copy(update={"name": "avg_order_value"}),
            "metric 'avg_order_value' already exists",
        ),
        (PRICE_PER_UNIT.model_copy(update={"denominator": "units"}), "unknown metric 'units'"),
        (PAID_AMOUNT.model_copy(update={"model": "payments"}), "model 'payments' is not in the layer"),
        (
            PAID_AMOUNT.model_copy(update={"name": "discount", "model": "orders"}),
            "already has a measure 'discount'",
        ),
        (PAID_AMOUNT.model_copy(update={"expr": "SUM((pay_amount"}), "cannot parse"),
        (GMV_LESS_DISCOUNT.model_copy(update={"expr": "gmv - gmv_less_discount"}), "in terms of itself"),
        (EditMetric(metric="gmv_total", description="x"), "metric 'gmv_total' is not in the layer"),
        (EditMetric(metric="order_count", filter="TRUE"), "counted by repurchase_rate too"),
        (EditMetric(metric="order_count", expr="user_id"), "counted by repurchase_rate too"),
        (EditMetric(metric="avg_order_value", filter="TRUE"), "only its description"),
        (EditMetric(metric="net_gmv", filter="TRUE"), "derived"),
        (NewValue(dimension="channel", value="京东"), "'京东' is already a value of orders.channel"),
        (
            NewValue(dimension="channel", value="狗东", aliases=["jd"]),
            "'jd' already names orders.channel's value '京东'",
        ),
        (
            NewValue(dimension="orders.platform", value="拼多多"),
            "dimension 'orders.platform' is not in the layer",
        ),
        (NewValue(dimension="buyer_type", value="回流客"), "is a segment"),
        (BIG_CITIES.model_copy(update={"name": "recent"}), "term 'recent' already exists"),
        (
            BIG_CITIES.model_copy(update={"filters": [TermFilter(dimension="city_level", values=["一线"])]}),
            "unknown dimension 'city_level'",
        ),
        (DISCOUNTED.model_copy(update={"name": "channel"}), "already has a field 'channel'"),
        (DISCOUNTED.model_copy(update={"name": "order_time"}), "already has a field 'order_time'"),
        (DISCOUNTED.model_copy(update={"model": "shipments"}), "model 'shipments' is not in the layer"),
        (
            SPEND_LEVEL.model_copy(
                update={"segment": SPEND_LEVEL.segment.model_copy(update={"facts": "payments"})}
            ),
            "model 'payments' is not in the layer",
        ),
        (
            NewRelationship.model_validate({"from": "reviews.order_id", "to": "orders.order_id"}),
            "reviews.order_id -> orders.order_id already exists",
        ),
        (
            NewRelationship.model_validate(
                {"from": "orders.order_id", "to": "refunds.order_id", "cardinality": "one_to_many"}
            ),
            "refunds.order_id -> orders.order_id already exists",
        ),
        (NewRelationship.model_validate({"from": "coupons.order_id", "to": "orders.order_id"}), "'coupons'"),
    ],
)
def test_a_taken_name_or_a_missing_target_is_an_edit_error_and_nothing_is_written(
    change: Change, message: str, copy: Path
) -> None:
    with pytest.raises(EditError, match=message.replace("(", r"\(")):
        apply_change(copy, change)
    assert diff(DEMO_SEMANTIC, copy) == ""


def test_a_layer_that_would_not_load_is_put_back(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = edit.load_layer

    def load_once(path: str | Path) -> object:
        calls.append(path)
        if len(calls) > 1:
            raise LayerError([Problem("metrics.yaml", 1, "broken")])
        return real(path)

    monkeypatch.setattr(edit, "load_layer", load_once)
    with pytest.raises(EditError, match="would no longer load"):
        apply_change(copy, PRICE_PER_UNIT)
    assert diff(DEMO_SEMANTIC, copy) == ""


def test_a_form_parses_into_its_change_by_kind_and_checks_names() -> None:
    parse = TypeAdapter(Change).validate_python
    assert parse(
        {"kind": "value_alias", "target": "channel", "value": "京东", "word": "狗东"}
    ) == LayerChange(kind="value_alias", target="channel", value="京东", word="狗东")
    form = PRICE_PER_UNIT.model_dump(mode="json")
    assert form["kind"] == "new_ratio_metric" and parse(form) == PRICE_PER_UNIT
    assert parse(SPEND_LEVEL.model_dump(mode="json")) == SPEND_LEVEL
    assert parse({"kind": "new_relationship", "from": "a.b", "to": "c.d"}) == NewRelationship.model_validate(
        {"from": "a.b", "to": "c.d"}
    )
    for bad in (
        {**form, "name": "件单价"},  # a name is an identifier; the Chinese word is its label
        {
            "kind": "new_simple_metric",
            "name": "x",
            "model": "orders",
            "agg": "sum",
            "label": {"zh": "x", "en": "x"},
        },
        {"kind": "edit_metric", "metric": "gmv"},
        {"kind": "new_term", "name": "t", "label": {"zh": "t", "en": "t"}},
        {"kind": "new_value", "dimension": "channel", "value": " "},
        {"kind": "new_relationship", "from": "orders", "to": "users.user_id"},
        {"kind": "new_metric", "name": "x"},
    ):
        with pytest.raises(ValidationError):
            parse(bad)
