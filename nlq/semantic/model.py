"""The semantic layer as typed objects: what analysts write in YAML.

The vocabulary follows dbt MetricFlow (models, measures, metrics by kind),
Cube (measure filters, access policies) and SuperSonic (labels in two
languages, synonyms, value dictionaries), kept smaller than any of them.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from nlq.messages import LANGUAGES, Bilingual

Grain = Literal["day", "week", "month", "quarter", "year"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month", "quarter", "year")
Aggregation = Literal["sum", "count", "count_distinct", "avg", "min", "max"]
Format = Literal["currency", "percent", "count", "number"]

# Aggregates whose value does not change when a row is repeated by a join:
# only these may cross a one-to-many edge (the fan-out rule).
FANOUT_INVARIANT: frozenset[str] = frozenset({"count_distinct", "min", "max"})

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Label(Strict):
    zh: str
    en: str

    def text(self, language: str) -> str:
        """The label in `language` ("zh" or "en"), else in the other: a drafted layer
        leaves Chinese labels empty rather than mixing languages."""
        own: str = getattr(self, language) if language in LANGUAGES else ""
        return own or self.en or self.zh

    @classmethod
    def worded(cls, message: Bilingual) -> Label:
        """A label worded from a message of the catalogue (a growth column's "GMV
        growth"), in each language."""
        return cls(**{language: message.text(language) for language in LANGUAGES})


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(f"'{value}' is not a valid name: use letters, digits and underscores")
    return value


class Named(Strict):
    name: str
    label: Label
    synonyms: list[str] = Field(default_factory=list)
    description: str = ""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _identifier(value)

    @property
    def called(self) -> Label:
        """How a refusal names it: by its label in Chinese, by its name in English (as
        the layer, the SQL and the command line write it)."""
        return Label(zh=self.label.zh, en=self.name)


class Feature(Strict):
    """One figure of each entity, aggregated over its rows of a segment's facts: the
    number of a buyer's paid orders, the time of their first one."""

    agg: Aggregation
    expr: str | None = None
    # Over the rows of the asked period, or over every row up to its end (a buyer's
    # first paid order ever, which decides whether they are new in the period).
    over: Literal["period", "all"] = "period"


class SegmentCase(Strict):
    value: str
    # A SQL condition over the features and the period's bounds (:start, :end).
    when: str


class Segment(Strict):
    """A governed per-entity attribute (新客/老客, 购买频次, RFM): computed from the
    entity's rows of a model within the asked period, never typed as ad hoc SQL. The
    population is the entities with at least one such row in the period."""

    # The model whose rows are measured, its column naming the entity, and which rows count.
    facts: str
    entity: str
    rows: str | None = None
    features: dict[str, Feature] = Field(min_length=1)
    # The attribute: the first case that holds, or an expression over the features.
    cases: list[SegmentCase] = Field(default_factory=list)
    expr: str | None = None
    # The period when the question names none (RFM over the last 365 days).
    default_days: int | None = Field(default=None, ge=1)
    # The governed metric that counts the population (buyers): what "how many people" of a
    # segment means.
    population: str | None = None

    @model_validator(mode="after")
    def _one_value(self) -> Segment:
        if bool(self.cases) == (self.expr is not None):
            raise ValueError("a segment has either cases or an expr")
        for name in self.features:
            _identifier(name)
        return self

    @property
    def historical(self) -> bool:
        """Whether its value is decided by each entity's whole history (a first order
        ever), not by the period alone."""
        return all(feature.over == "all" for feature in self.features.values())

    @property
    def reaches_back(self) -> bool:
        """Whether any of its features reads rows before the period (a first order ever)."""
        return any(feature.over == "all" for feature in self.features.values())

    @property
    def decided_in_period(self) -> bool:
        """Whether the period asked decides its value: by where the period lies (新客: a first
        order inside it) or by the rows inside it (购买频次), not by the whole history alone."""
        return self.needs_period or not self.historical

    @property
    def needs_period(self) -> bool:
        """Whether its value depends on where the period starts or ends."""
        text = " ".join([*(c.when for c in self.cases), self.expr or ""])
        return bool(re.search(r":(start|end)\b", text))


class Dimension(Named):
    """A categorical attribute. `expr` defaults to the column named like the dimension."""

    expr: str | None = None
    type: Literal["string", "number", "boolean", "date", "timestamp"] = "string"
    values: dict[str, list[str]] = Field(default_factory=dict)
    values_from_data: bool = False
    # A per-entity attribute computed from facts (the dimension's model is the entity).
    segment: Segment | None = None

    @property
    def sql(self) -> str:
        return self.expr or self.name


class TimeDimension(Named):
    expr: str | None = None
    type: Literal["date", "timestamp"] = "timestamp"
    grains: list[Grain] = Field(default_factory=lambda: list(GRAINS))
    # How often rows are dated, where that is a promise (a weekly snapshot: week): no
    # bucket of this grain holds two times. A snapshot metric grouped by this grain or a
    # finer one then needs no search for each bucket's latest snapshot. `nlq semantic
    # validate --db` checks it against the data.
    cadence: Grain | None = None
    # Verbs that date a question's facts by this time when written beside its period
    # (发货, shipped: the freight of orders shipped in 1997), beside its label and synonyms.
    verbs: list[str] = Field(default_factory=list)

    @property
    def sql(self) -> str:
        return self.expr or self.name


class Measure(Strict):
    name: str
    agg: Aggregation
    expr: str | None = None
    filter: str | None = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        return _identifier(value)

    @model_validator(mode="after")
    def _expr_required(self) -> Measure:
        if self.expr is None and self.agg != "count":
            raise ValueError(f"measure '{self.name}' with agg {self.agg} needs an expr")
        return self


class Model(Named):
    """A table, or a SQL query, with a primary key."""

    table: str | None = None
    sql: str | None = None
    primary_key: str | list[str]
    default_time: str | None = None
    time_dimensions: list[TimeDimension] = Field(default_factory=list)
    dimensions: list[Dimension] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    # The dimensions shown, in order, when a question lists rows of this model.
    detail: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> Model:
        if (self.table is None) == (self.sql is None):
            raise ValueError(f"model '{self.name}' needs exactly one of table or sql")
        return self

    def dimension(self, name: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.name == name), None)

    @property
    def key_columns(self) -> list[str]:
        """The primary key's columns (one, or several for a composite key)."""
        return [self.primary_key] if isinstance(self.primary_key, str) else list(self.primary_key)

    @property
    def key_dimension(self) -> Dimension | None:
        """The dimension that is the model's primary key (users.user_id), if one is declared:
        a row named by its key, the rows kept apart from those with a figure."""
        return next((d for d in self.dimensions if d.sql == self.primary_key), None)

    def time_dimension(self, name: str) -> TimeDimension | None:
        return next((d for d in self.time_dimensions if d.name == name), None)

    def column(self, name: str) -> Dimension | None:
        """A dimension, or a time dimension shown as the column it is (a listing's
        refund time): what a query may group or list by."""
        found = self.dimension(name)
        if found is not None:
            return found
        time = self.time_dimension(name)
        if time is None:
            return None
        return Dimension(
            name=time.name, label=time.label, synonyms=time.synonyms, expr=time.expr, type=time.type
        )

    def measure(self, name: str) -> Measure | None:
        return next((m for m in self.measures if m.name == name), None)


Cardinality = Literal["many_to_one", "one_to_many", "one_to_one"]


class Relationship(Strict):
    """`from: order_items.order_id` `to: orders.order_id`, written from the many side."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    cardinality: Cardinality = "many_to_one"
    # A promise of referential integrity: every `from` row has its `to` row. Joins
    # along it are then inner joins, which engines plan (and reorder) better.
    required: bool = False
    # Columns of `to` that a `from` row repeats (`{user_id: user_id}` on reviews -> orders:
    # a review's user_id is its order's). The compiler then reaches what hangs off those
    # columns (users) from the `from` model directly, without joining `to`.
    same: dict[str, str] = Field(default_factory=dict)
    # `required` for the `from` rows that meet a condition on them (`event_type IN
    # ('view', 'cart')`: a view or a cart event always has its product). A fact whose
    # rows all meet it (cart adds) joins `to` inner, as along a required relationship.
    required_when: str | None = None
    # The promise the other way round: every `to` row has at least one `from` row (every
    # order has items). A distinct count of `to` rows (buyers) may then be taken from the
    # `from` rows in the same pass as their own sums (GMV), instead of a second scan.
    complete: bool = False

    @field_validator("from_", "to")
    @classmethod
    def _qualified(cls, value: str) -> str:
        parts = value.split(".")
        if len(parts) != 2 or not all(_IDENTIFIER.match(p) for p in parts):
            raise ValueError(f"'{value}' must be model.column")
        return value


class MetricBase(Named):
    format: Format = "number"
    # The currency of a money metric where it is not the layer's (`reading.currency`):
    # sales in US$ beside costs in ¥.
    currency: str | None = None
    # A time dimension, `column` of the home model or `model.column` reachable from it.
    time: str | None = None


class SimpleMetric(MetricBase):
    type: Literal["simple"] = "simple"
    measure: str
    filter: str | None = None


class RatioMetric(MetricBase):
    type: Literal["ratio"]
    numerator: str
    denominator: str


class DerivedMetric(MetricBase):
    """An expression over other metrics, e.g. `gmv - discount_amount`."""

    type: Literal["derived"]
    expr: str


class PerEntityMetric(MetricBase):
    """Share of entities whose measure reaches `at_least`, among those where it is
    at least 1: repurchase rate = buyers with >= 2 paid orders / buyers."""

    type: Literal["per_entity"]
    measure: str
    entity: str
    at_least: int = 2


class SemiAdditiveMetric(MetricBase):
    """A snapshot measure: summed over the latest snapshot in each period, never over time."""

    type: Literal["semi_additive"]
    measure: str


def _metric_type(data: object) -> str:
    # `type` may be left out for the common case, a simple metric.
    if isinstance(data, dict):
        return str(data.get("type", "simple"))
    return str(getattr(data, "type", "simple"))


AnyMetric = SimpleMetric | RatioMetric | DerivedMetric | PerEntityMetric | SemiAdditiveMetric
METRIC_TYPES = ("simple", "ratio", "derived", "per_entity", "semi_additive")
Metric = Annotated[
    Annotated[SimpleMetric, Tag("simple")]
    | Annotated[RatioMetric, Tag("ratio")]
    | Annotated[DerivedMetric, Tag("derived")]
    | Annotated[PerEntityMetric, Tag("per_entity")]
    | Annotated[SemiAdditiveMetric, Tag("semi_additive")],
    Discriminator(_metric_type),
]


class TermFilter(Strict):
    dimension: str
    op: Literal["=", "!=", "in", "not_in", ">", ">=", "<", "<="] = "in"
    values: list[str | int | float]


class Term(Named):
    """A business term: a named filter (核心用户) or a named time window (近期)."""

    filters: list[TermFilter] = Field(default_factory=list)
    last_days: int | None = None


class Role(Named):
    """What a role may see. A user with no role sees nothing."""

    models: list[str] | Literal["*"] = "*"
    metrics: list[str] | Literal["*"] = "*"
    deny_metrics: list[str] = Field(default_factory=list)
    # model -> SQL predicate over that model's columns; `:name` binds a user attribute.
    row_filters: dict[str, str] = Field(default_factory=dict)
    # model.column -> a masking kind (phone, name, email, redact, null) or a SQL expression over `value`.
    masks: dict[str, str] = Field(default_factory=dict)
    hidden: list[str] = Field(default_factory=list)
    # May run SQL typed by a person (`nlq sql`); it still reads through the role's views.
    raw_sql: bool = False
    # May read the engine's catalog (information_schema) in raw SQL.
    catalog: bool = False
    # An administrator: may read the audit log (`nlq audit`, the audit page).
    admin: bool = False


AttributeValue = str | int | float | bool | list[str] | list[int]


class User(Strict):
    """Who asks: a login name, the role it acts in and the attributes that the
    role's row filters bind (`:province`)."""

    name: str = Field(min_length=1, max_length=200)
    role: str
    label: str = ""
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


class Profile(Strict):
    """A 用户画像 / buyer profile: the distribution of one metric over these dimensions."""

    metric: str
    dimensions: list[str] = Field(min_length=1)


class CampaignTable(Strict):
    """Named periods of the warehouse (618, 双11), read so that a campaign's name is a time phrase."""

    model: str
    name: str = "campaign_name"
    start: str = "start_date"
    end: str = "end_date"


# The generic words a question may use without naming a metric.
MetricWord = Literal["sales", "orders", "units", "buyers", "users", "registrations"]


class Funnel(Named):
    """Steps users go through (view -> cart -> order -> pay): the metric (distinct users)
    at each value of the step dimension, in order, with each step's conversion."""

    metric: str
    step: str
    steps: list[str] = Field(min_length=2)


class Cohort(Named):
    """Retention: entities grouped by the bucket of a per-entity time (first purchase
    month), the metric of each group followed bucket by bucket after it."""

    metric: str
    cohort: str
    grain: Grain = "month"


class Reading(Strict):
    """What the reader's generic words mean in this warehouse: the domain knowledge a
    reader would otherwise carry in code. Every name here is the layer's own."""

    # 热销 / 畅销 / best-selling rank by this metric, and rank this dimension when the
    # question names none (热销商品).
    best_selling: str | None = None
    ranked_item: str | None = None
    profile: Profile | None = None
    # 卖了多少 (sales), 多少单 (orders), 多少件 (units), 买过的用户 (buyers), 用户 (users),
    # 新注册 (registrations): the metric each word means when the question names none.
    words: dict[MetricWord, str] = Field(default_factory=dict)
    # Offered when a question names no metric at all (else the layer's first four).
    clarify: list[str] = Field(default_factory=list)
    # What the warehouse covers, for the answer to a question outside it.
    covers: Label | None = None
    campaigns: CampaignTable | None = None
    currency: str = "¥"
    # Words of opposite meaning in this business (好评/差评, 新客/老客), beside the
    # language's own: a typo is never read as its opposite.
    opposites: list[tuple[str, str]] = Field(default_factory=list)


class AttributionSettings(Strict):
    """Where "why did it change" looks: these dimensions, else every dimension with at
    most `max_values` values (a value list, or values indexed from the data)."""

    dimensions: list[str] = Field(default_factory=list)
    max_values: int = Field(default=100, ge=2)


class AnomalySettings(Strict):
    """How "what is unusual" reads a daily series: the days looked at when the question
    names none, the weeks before them that say what is usual, and how far from usual
    (robust z-score, in median absolute deviations) a day must be to be flagged."""

    window_days: int = Field(default=30, ge=1)
    history_weeks: int = Field(default=8, ge=2)
    threshold: float = Field(default=3.5, gt=0)
    # A whole period above or below its usual level is flagged when it is this far from it
    # (as a share) as well as past the threshold: growth of a few percent is not an anomaly.
    min_shift: float = Field(default=0.2, ge=0)
    # Scanned when the question names no metric ("最近有什么异常").
    metrics: list[str] = Field(default_factory=list)


class StockSettings(Strict):
    """库存预警: the items whose stock covers fewer than `cover_days` of their recent sales
    (the daily mean over the last `window_days`), with the quantity that brings them to
    `target_days`. Off until the layer names its stock and sales metrics and the item."""

    stock: str | None = None
    sales: str | None = None
    item: str | None = None
    window_days: int = Field(default=28, ge=1)
    cover_days: float = Field(default=14, gt=0)
    target_days: float = Field(default=30, gt=0)


class Insights(Strict):
    attribution: AttributionSettings = Field(default_factory=AttributionSettings)
    anomalies: AnomalySettings = Field(default_factory=AnomalySettings)
    stock: StockSettings = Field(default_factory=StockSettings)


class SemanticLayer(Strict):
    name: str = "semantic layer"
    dialect: str = "duckdb"
    models: list[Model] = Field(default_factory=list)
    relationships: list[Relationship] = Field(default_factory=list)
    metrics: list[Metric] = Field(default_factory=list)
    terms: list[Term] = Field(default_factory=list)
    funnels: list[Funnel] = Field(default_factory=list)
    cohorts: list[Cohort] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    reading: Reading = Field(default_factory=Reading)
    insights: Insights = Field(default_factory=Insights)

    def model(self, name: str) -> Model | None:
        return next((m for m in self.models if m.name == name), None)

    def is_key(self, reference: str) -> bool:
        """users.user_id: a dimension that is its model's key."""
        holders = self.holders(reference)
        key = holders[0].key_dimension if len(holders) == 1 else None
        return key is not None and reference.rpartition(".")[2] == key.name

    def holders(self, reference: str) -> list[Model]:
        """The models with the column a reference names: `model.name`, or a bare name
        that several models may hold (channel on orders and on events)."""
        owner, _, name = reference.rpartition(".")
        return [m for m in self.models if (not owner or m.name == owner) and m.column(name)]

    def segment_of(self, reference: str) -> tuple[Model, Dimension] | None:
        """The governed segment a dimension reference names, with its entity model."""
        name = reference.rpartition(".")[2]
        for model in self.holders(reference):
            dimension = model.column(name)
            if dimension is not None and dimension.segment is not None:
                return model, dimension
        return None

    def metric(self, name: str) -> AnyMetric | None:
        return next((m for m in self.metrics if m.name == name), None)

    def measure_of(self, name: str) -> tuple[Model, Measure] | None:
        """The home model and measure a simple metric aggregates."""
        metric = self.metric(name)
        if not isinstance(metric, SimpleMetric):
            return None
        model_name, _, measure_name = metric.measure.partition(".")
        model = self.model(model_name)
        measure = model.measure(measure_name) if model else None
        return (model, measure) if model is not None and measure is not None else None

    def home_models(self, name: str, _trail: tuple[str, ...] = ()) -> set[str]:
        """The models whose rows a metric counts, through ratios and derived metrics."""
        metric = self.metric(name)
        if metric is None or name in _trail:
            return set()
        trail = (*_trail, name)
        if isinstance(metric, RatioMetric):
            return self.home_models(metric.numerator, trail) | self.home_models(metric.denominator, trail)
        if isinstance(metric, DerivedMetric):
            names = re.findall(r"[A-Za-z_]\w*", metric.expr)
            return set().union(*(self.home_models(part, trail) for part in names))
        measure = getattr(metric, "measure", "")
        return {measure.partition(".")[0]} if measure else set()

    def time_of(self, metric: AnyMetric) -> str | None:
        """The time dimension that dates a metric's rows: its own `time`, else its home
        model's `default_time`; None for a metric of rows as they stand (products)."""
        if metric.time:
            return metric.time
        measure = getattr(metric, "measure", None)
        home = self.model(measure.partition(".")[0]) if isinstance(measure, str) else None
        return home.default_time if home is not None else None

    def currency_of(self, name: str) -> str:
        """The currency symbol a metric's amounts are in: its own, else the layer's."""
        metric = self.metric(name)
        return (metric.currency if metric else None) or self.reading.currency

    def funnel(self, name: str) -> Funnel | None:
        return next((f for f in self.funnels if f.name == name), None)

    def cohort(self, name: str) -> Cohort | None:
        return next((c for c in self.cohorts if c.name == name), None)

    def role(self, name: str) -> Role | None:
        return next((r for r in self.roles if r.name == name), None)

    def user(self, name: str) -> User | None:
        return next((u for u in self.users if u.name == name), None)
