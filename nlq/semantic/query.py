"""The typed semantic query: what the understanding step produces and the
compiler turns into SQL. Names refer to the semantic layer, never to SQL."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from nlq.semantic.model import Grain

Scalar = str | int | float | bool
FilterOp = Literal[
    "=",
    "!=",
    "in",
    "not_in",
    "between",
    ">",
    ">=",
    "<",
    "<=",
    "contains",
    "starts_with",
    "is_null",
    "not_null",
]


class QueryModel(BaseModel):
    # Queries are values: kept plans and readings share them, so a change makes a new
    # one (model_copy(update=...)) instead of altering one somebody else holds.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Filter(QueryModel):
    """A filter on a dimension: `channel in [天猫, 京东]`, `rating between [4, 5]`."""

    dimension: str
    op: FilterOp = "in"
    values: list[Scalar] = Field(default_factory=list)

    @model_validator(mode="after")
    def _arity(self) -> Filter:
        expected = {"between": 2, "is_null": 0, "not_null": 0}.get(self.op)
        if expected is not None and len(self.values) != expected:
            raise ValueError(f"filter {self.op} takes {expected} values, got {len(self.values)}")
        if expected is None and not self.values:
            raise ValueError(f"filter {self.op} needs at least one value")
        if self.op not in {"in", "not_in", "between"} and expected is None and len(self.values) != 1:
            raise ValueError(f"filter {self.op} takes one value")
        return self


class MetricFilter(QueryModel):
    """A condition on an aggregated value (HAVING): `gmv > 10000`."""

    metric: str
    op: Literal["=", "!=", ">", ">=", "<", "<="]
    value: float


class TimeRange(QueryModel):
    """A closed date range; an open start means from the beginning of the data."""

    start: dt.date | None = None
    end: dt.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start and self.end and self.start > self.end:
            raise ValueError(f"time range starts ({self.start}) after it ends ({self.end})")
        return self


class OrderBy(QueryModel):
    field: str
    desc: bool = True


class Ratio(QueryModel):
    """One governed metric divided by another over the same rows, asked where no
    governed metric names the quotient: 平均每单优惠 is discount / orders."""

    numerator: str
    denominator: str

    @property
    def name(self) -> str:
        return f"{self.numerator}_per_{self.denominator}"


class DistinctCount(QueryModel):
    """不同商品数, at least 3 different categories: the number of distinct values of a
    dimension over the rows of a governed metric (its home, filter and time: products
    sold are counted over the paid order lines), asked where no governed metric names it."""

    dimension: str
    of: str

    @property
    def name(self) -> str:
        return f"distinct_{self.dimension.rpartition('.')[2]}"


class Band(QueryModel):
    """One band of a per-entity figure the asker defines (2-3 orders, under ¥500, 6 or
    more): its bounds, either open; a bound is included unless it is strict (more than
    2000 leaves 2000 out). `label` names it as asked."""

    label: str
    low: float | None = None
    high: float | None = None
    low_strict: bool = False
    high_strict: bool = False


class Bands(QueryModel):
    """Each `of` (users.user_id) placed in a band of its `metric` over the query's rows
    and period; the answer counts each band's entities, with the totals of the query's
    metrics over them. An entity in no band is left out."""

    metric: str
    of: str
    bands: list[Band] = Field(min_length=2)
    # The figure is the days from each one's last row of `metric` to this day (30天内、
    # 31-90天、180天以上 since the last paid order), not the metric itself.
    since: dt.date | None = None


class Presence(QueryModel):
    """A condition on each listed row (a person): it has (or, `absent`, has not) a figure
    of `metric` within `time_range` over the rows `filters` keep. 服饰和运动户外都买过: a
    presence for each category; 去年双11买过、今年618又买: one for each period; 买过美妆
    但没买过手机数码: a presence and an absence."""

    metric: str
    time_range: TimeRange | None = None
    filters: list[Filter] = Field(default_factory=list)
    absent: bool = False
    # How much of the figure it takes (3 orders or more in the past year, 5000 spent in it:
    # order_count >= 3, gmv >= 5000); any at all by default.
    op: Literal["=", "!=", ">", ">=", "<", "<="] = ">"
    value: float = 0
    # With a share of those counted: the people the share is among (去年只买过一次的客户，
    # 今年又回来买的占这批人的比例), not a condition of the part.
    among: bool = False
    # Within this many days after the listed row's own time `after` (注册后7天内完成首单,
    # a paid order no more than 30 days after signing up): the figure's rows counted are
    # those dated from that day to as many days later, each row's own window.
    within_days: int | None = Field(default=None, ge=0)
    after: str | None = None


class SemanticQuery(QueryModel):
    # No metric lists the distinct rows of the dimensions ("the 20 most expensive products").
    metrics: list[str] = Field(default_factory=list)
    dimensions: list[str] = Field(default_factory=list)
    time_grain: Grain | None = None
    time_range: TimeRange | None = None
    # The time dimension (model.column) that dates every metric instead of its own, when
    # the question's verb chooses one: the freight of orders *shipped* in 1997.
    time_dimension: str | None = None
    filters: list[Filter] = Field(default_factory=list)
    metric_filters: list[MetricFilter] = Field(default_factory=list)
    order_by: list[OrderBy] = Field(default_factory=list)
    limit: int | None = Field(default=None, ge=1)
    # Compare with the same period a year earlier, or with the previous period.
    compare: Literal["yoy", "pop"] | None = None
    # The period compared with when the question names it (这个季度跟上个季度比, February
    # against January), instead of the one `compare` derives.
    baseline: TimeRange | None = None
    # Metrics to add a share-of-total column for.
    share: list[str] = Field(default_factory=list)
    # The share within each value of these dimensions, not of the grand total: each
    # refund reason's share within its channel.
    share_within: list[str] = Field(default_factory=list)
    # Metrics to add a rank column for (1 = the largest), over every group of the query
    # (within each time bucket): 各省GMV排名.
    rank: list[str] = Field(default_factory=list)
    # Rank within each value of these dimensions (每个品类销量前3的商品: within each category).
    rank_within: list[str] = Field(default_factory=list)
    # Keep the rows whose rank is at most (<=) or exactly (=) this: the top N of each
    # group, the Nth (排第二的品类).
    rank_keep: tuple[Literal["<=", "="], int] | None = None
    # Rank 1 is the lowest: 倒数第二的渠道, the bottom 2 brands in each category.
    rank_ascending: bool = False
    # Rank the time buckets within each bucket of this coarser grain, not each bucket
    # alone (每个月GMV最高的一天: days ranked within their month).
    rank_per: Grain | None = None
    # Rank the time buckets themselves, within each group of the dimensions (每个品类单日
    # 销量最高的一天: the days of each category), not the groups within each bucket.
    rank_buckets: bool = False
    # Rows to keep once shares and ranks are computed over all of them: "美妆占GMV的比例" is the
    # 美妆 row of the GMV share by category, not the share within 美妆 (always 1).
    focus: list[Filter] = Field(default_factory=list)
    # How many groups there are, not their values: 销售额超过1万的客户有几个 counts the
    # customers whose revenue passes the condition.
    count_groups: bool = False
    # Counted rows show the totals of their other additive figures; a condition's own
    # metric is shown too when named here (消费超过2万的用户有多少人，他们一共贡献了多少成交额).
    totals_of_conditioned: list[str] = Field(default_factory=list)
    # Counted rows as a share of all the rows before the conditions, in each group: what
    # share of buyers in each city tier ordered at least twice; of a listing's rows, those
    # who meet its presences (2025年注册的用户里有过购买的占比).
    share_of_counted: bool = False
    # Each group's share of all the rows counted (or of all the people of the bands): the
    # big spenders' age groups, 各年龄段人数和占比, not each age group's share of big spenders.
    share_of_all_counted: bool = False
    # The first rows of the ranking (`limit` of them, or `top_fraction` of all, rounded up)
    # totalled, beside the whole and their share: 去年消费最高的前100个用户的GMV占全站多少,
    # the top 20% of customers' share of GMV.
    share_of_top: bool = False
    top_fraction: float | None = Field(default=None, gt=0, le=1)
    # Quotients of two of the metrics, each a column of its own (units per order).
    ratios: list[Ratio] = Field(default_factory=list)
    # Counts of distinct values asked on the fly; each is a metric of the query by its name.
    distinct: list[DistinctCount] = Field(default_factory=list)
    # Each metric averaged over the buckets of this grain within the period (日均GMV,
    # average orders per day): the metric per bucket first, then their mean per group.
    averaged_over: Grain | None = None
    # Or over the groups of this dimension (平均每个品牌有多少买家, 各品牌GMV的最大值): the
    # metric per group first, then their mean (highest, lowest) per group of the query.
    averaged_across: str | None = None
    # What is taken of those per-bucket figures: their mean (the default), highest, lowest
    # (去年各渠道单月GMV的最高值和最低值).
    across: list[Literal["avg", "max", "min"]] = Field(default_factory=list)
    # A running total of each metric along the time buckets, within each group
    # (今年每月的累计GMV).
    cumulative: bool = False
    # A listing's rows that have no figure of this metric in the period (上个月没有销量的
    # 在售商品, users who never ordered): the period and the filters the rows cannot carry
    # are the metric's.
    without: str | None = None
    # The period is the listed rows' own (上个月的订单里没有评价的): they are dated by it, and
    # the figure they lack is looked for in all the data.
    rows_dated: bool = False
    # 去年买过、今年没买的用户: the listed rows also have a figure of this metric (orders)
    # within `with_range` (去年), beside `without` in the query's period.
    with_figure: str | None = None
    with_range: TimeRange | None = None
    # Conditions each listed row meets, every one of them, each with its own period and
    # filters (bought both 服饰 and 运动户外; 双11 and again at 618).
    presences: list[Presence] = Field(default_factory=list)
    # Figures of the listed rows counted, totalled over them, each over `figures_range`
    # (去年下半年买过、一季度没买、二季度又回来的人，二季度一共贡献了多少成交额).
    figures: list[str] = Field(default_factory=list)
    figures_range: TimeRange | None = None
    # A funnel of the layer: its metric at each step, with the conversions (转化漏斗); with
    # steps named, those only, and with two, the conversion between them (加购到下单).
    funnel: str | None = None
    funnel_steps: list[str] = Field(default_factory=list)
    # 放一行里, in one row: a row per group with a column per step, not a row per step
    funnel_wide: bool = False
    # A cohort table of the layer: the cohorts whose bucket lies in the period, followed up
    # to `cohort_until` (the last day of data asked about); `cohort_offsets` keeps those
    # buckets after the cohort's own only (次月留存: 1).
    cohort: str | None = None
    cohort_offsets: list[int] = Field(default_factory=list)
    cohort_until: dt.date | None = None
    # The mean over the cohorts of each bucket after the cohort's (平均次月留存率).
    cohort_averaged: bool = False
    # 第1、2、3个月的留存率各是多少: a row per cohort, a column per month listed
    cohort_wide: bool = False
    # 1, 2-3, 4-5, 6 or more orders: bands of a per-entity figure the question defines.
    bands: Bands | None = None
    # Each metric's mean over this many time buckets ending at each (7日移动平均).
    moving: int | None = Field(default=None, ge=2)
    # Not one query but an analysis of the metric (nlq.insight): why it changed against
    # the period `compare` names, over `dimensions` or every searched one (归因).
    # "rise" and "fall" say which way the asker believes it moved (checked, never assumed).
    # "anomalies": the days of the period on which each metric left its usual range.
    # "forecast": the metric over a period after the last day of data, forecast.
    # "stock": the items whose stock runs out soonest at their recent sales (库存预警).
    explain: Literal["change", "rise", "fall", "anomalies", "forecast", "stock"] | None = None

    @model_validator(mode="after")
    def _something_to_show(self) -> SemanticQuery:
        if (
            not self.metrics
            and not self.dimensions
            and not self.funnel
            and not self.cohort
            and not self.bands
        ):
            raise ValueError("a query needs at least one metric or one dimension")
        if self.moving and not self.time_grain:
            raise ValueError("a moving average needs time buckets to move along")
        if len(self.funnel_steps) == 1:
            raise ValueError("a funnel needs at least two steps")
        outputs = {d.rpartition(".")[2] for d in self.dimensions}
        for ratio in self.ratios:
            if not {ratio.numerator, ratio.denominator} <= set(self.metrics):
                raise ValueError(f"the ratio {ratio.name} divides metrics the query does not compute")
        if (self.without or self.with_figure or self.presences) and self.metrics:
            raise ValueError("rows without or with a figure are a listing: no metric of their own")
        if self.figures and not (
            self.count_groups
            and (self.without or self.with_figure or self.presences)
            and not self.share_of_counted
        ):
            raise ValueError("figures of listed rows are totals over the rows a condition picks, counted")
        if self.cumulative and not self.time_grain:
            raise ValueError("a running total needs time buckets to run along")
        if self.across and not (self.averaged_over or self.averaged_across):
            raise ValueError("the highest or lowest of per-bucket figures needs the buckets' grain")
        if self.averaged_over and self.averaged_across:
            raise ValueError("an average is over time buckets or over groups, not both")
        if (self.averaged_over or self.averaged_across) and (
            self.time_grain or self.compare or self.ratios or self.share
        ):
            raise ValueError("an average over periods is of the metrics alone, over every bucket")
        if self.baseline and not self.compare:
            raise ValueError("a baseline is the period a comparison is with: set compare")
        if self.explain not in {None, "stock"} and (
            not self.metrics or not self.time_range or not self.time_range.start
        ):
            raise ValueError("an analysis needs a metric and its period")
        if self.explain in {"change", "rise", "fall"} and len(self.metrics) != 1:
            raise ValueError("why a metric changed is asked of one metric at a time")
        if self.rank_per and not (self.rank and self.time_grain):
            raise ValueError("ranking buckets within coarser ones needs a rank and a time grain")
        if self.rank_buckets and not (self.rank and self.time_grain):
            raise ValueError("ranking the time buckets needs a rank and a time grain")
        if self.rank_keep and not self.rank:
            raise ValueError("rank_keep needs a rank")
        if self.share_of_counted and not (self.count_groups and (self.metric_filters or self.presences)):
            raise ValueError("a share of the rows counted needs the count and its condition")
        if not set(self.share_within) <= set(self.dimensions):
            raise ValueError("share_within names a dimension the query does not group by")
        if not set(self.rank_within) <= set(self.dimensions):
            raise ValueError("rank_within names a dimension the query does not group by")
        for flt in self.focus:
            if flt.dimension.rpartition(".")[2] not in outputs:
                raise ValueError(f"focus on {flt.dimension}, which is not a dimension of the query")
        return self
