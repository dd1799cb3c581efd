"""Understanding a question: from words to typed semantic queries, offline.

The rules are an analyst's habits written down, and each one reads the
semantic layer rather than the benchmark: the glossary says 热销 ranks by
units sold, an unnamed top-N is 10, no time phrase means everything up to
as_of, and a 用户画像 is the distribution of buyers by the profile dimensions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache, partial
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from rapidfuzz.distance import DamerauLevenshtein

from nlq.accounting import ENGLISH_KNOWN, FRAME_WORDS, WHO_WORDS, unplaced
from nlq.bands import BandList, find_bands
from nlq.bands import Kind as BandKind
from nlq.comparisons import Comparison, find_comparisons
from nlq.cues import LATEST, MOVING, Cue, find_cues, from_the_bottom
from nlq.dating import MEANS_WORD, Dating, date_words, find_dating
from nlq.intents import find_intent
from nlq.intents import message as intent_message
from nlq.language import Language, language_of
from nlq.lexicon import Entry, Lexicon, normalise
from nlq.linker import ENGLISH_WORDS, FILLER, Link, Linker
from nlq.messages import Text, listed, say
from nlq.negation import Negations, find_negations
from nlq.numerals import number
from nlq.ratios import RATIO_BEFORE, Averaged, divided, find_averaged, find_per, ratio_of
from nlq.safety import screen
from nlq.semantic.cohorts import RATE as COHORT_RANKED
from nlq.semantic.distinct import with_distinct_counts
from nlq.semantic.errors import QueryError
from nlq.semantic.funnels import FROM_PREVIOUS as FUNNEL_RANKED
from nlq.semantic.funnels import step_metrics
from nlq.semantic.graph import JoinGraph
from nlq.semantic.model import (
    GRAINS,
    DerivedMetric,
    Dimension,
    Funnel,
    Grain,
    MetricWord,
    Model,
    PerEntityMetric,
    Profile,
    RatioMetric,
    Segment,
    SemanticLayer,
    SemiAdditiveMetric,
    SimpleMetric,
)
from nlq.semantic.periods import grain_start, shift_by_grain, shift_months
from nlq.semantic.query import (
    Bands,
    DistinctCount,
    Filter,
    MetricFilter,
    OrderBy,
    Presence,
    Ratio,
    SemanticQuery,
    TimeRange,
)
from nlq.timeparse import Campaign, TimeMatch, find_times

LISTING_ROWS = 100
# Questions whose reading is kept (see Understander.understand).
READINGS_KEPT = 2048
PRICE_WORDS = re.compile(r"贵|便宜|expensive|cheap|pric")
# Chat phrasing that says how to look, not what: 分一下层, 看一下.
CAMPAIGN_AGAIN = re.compile(
    r"\b(?:the|that|this) (?:promo|promotion|campaign|sale|event)\b|(?:活动|大促|促销)(?=期间|里|中|内|当天)"
)
# 抖音注册的, signed up through douyin: a value right before a dated verb, or after it with
# the word that says it is the means
MEANS_BEFORE = re.compile(r"\s*(?:上|端|平台|渠道)?\s*")
MEANS_AFTER = re.compile(rf"\s*(?:{MEANS_WORD})\s*")
# 一笔支付订单都没有, 没有下单, didn't buy anything, no paid order: orders not placed
NOT_BOUGHT = re.compile(
    r"一[笔单次件个]\s*(?:支付|付款|已支付的?|已付款的?)?\s*(?:订单)?\s*都(?:没有?|未)(?:下过?|买过?|付过款|有过?)?"
    r"|(?:没有?|未|从没|从未)(?:再|有过?)?\s*(?:下过?单|买过?(?:东西)?|购买过?|付过?款|付过?钱|支付过?|下过?(?:支付|付款)?订单|(?:支付|付款)订单)"
    r"|\b(?:didn'?t|did not|haven'?t|have not|hasn'?t|has not|never)\s+(?:(?:buy|bought|order|ordered|purchase|purchased|place|placed|make|made)\b"
    # haven't had a paid order, didn't end up with any paid order: had none of them
    r"|(?:had|have|get|got|end(?:ed)? up with)(?=\s+(?:any|a|a single|an?)\s+(?:paid\s+)?(?:orders?|purchases?)\b))"
    r"(?:\s+(?:anything|any|a single|an?))*(?:\s+(?:paid\s+)?(?:orders?|purchases?))?"
    r"|\bno (?:paid )?(?:orders?|purchases?)\b"
)
# one group set against another: one-time buyers vs repeat buyers, 新客对比老客
CONTRASTED = re.compile(r"\bvs\.?(?=\s)|\bversus\b|\bcompared (?:with|to)\b|对比|相比|\bagainst\b")
# , i.e. / , meaning / ，也就是 / ，就是: what the words before it mean follows
NAMED_THEN = re.compile(
    r"\s*[,，]?\s*(?:\bi\.\s?e\.?,?|\bthat is,|\bmeaning\b)\s*|[,，]\s*(?:也就是说?|就是|即)\s*"
)
# the asker's name just before it: up to three words after the verb or break that starts it
NAME_CLAUSE = re.compile(
    r"(?:^|[,，;；:：]|\b(?:have|has|had|are|is|were|was|who|that|be|been|got|gone)\b|了|已经?|是)\s*"
    r"((?:[a-z][a-z'-]*\s*){1,3}|[\u4e00-\u9fff]{1,6})$"
)
# 用户的省份, 用户档案里的省份: between a table word and a column of its own
OWNER_GAP = re.compile(r"\s*(?:里面的|里的|中的|上的|所在的|所在|的|'s\b|')?\s*")
# Where what happened ends and what did not begins: 买过美妆、但去年没买过, bought X but not Y
SIDES_BREAK = re.compile(r"[、，,;；]|但|却|\bbut\b|\byet\b")
# Lapsed users: …, 沉默用户：…: a name of people, set before what defines them
HEADING = re.compile(
    # channel switchers: users who …: a name of any words, when people are what follows
    r"^\s*(?:[a-z'-]+\s+){0,2}[a-z'-]+\s*[:：](?=\s*(?:users|customers|buyers|members|shoppers|people|ppl)\b)|"
    r"^\s*(?:(?:[a-z'\u4e00-\u9fff-]+\s+){0,3}(?:users|customers|buyers|members|shoppers|people)"
    r"|[^：:，,。？?]{0,20}?(?:用户|客户|买家|会员|人群|顾客))\s*(?:[:：=＝]|\bmeans\b|\bare\b(?=\s+(?:those|people|users|customers|buyers)\b))"
)
# 想看下召回效果：…: what the asker wants to see, named before the question that says it
FRAMING = re.compile(r"^(?:我?想|帮我|请)?(?:看下|看看|看一下|了解一下|了解下|知道)[^：:，,。？?]{0,12}[：:]")
CHAT_PHRASES = re.compile(
    r"是?(?:啥样|什么样|怎么样)的?(?=[？?。]|$)|分一?下层|分个层|分层(?:看看?|一下)?|看一下|看看|就行|就好|就可以|即可"
)
SALES_WORDS = re.compile(
    r"卖|销售|业绩|生意|消费|花了多少|花了(?=\s*[\d几])|花钱|花的钱|花费|sales|sold|sell|revenue|spend|spent|spending"
)
# per-head spend, spending per customer: the amount spent, as a noun
SPEND_NOUN = re.compile(r"\b(?:spend|spending)\b")
# 累计消费满1万, 花了5000以上, spent over 5,000: an amount compared is what was spent
SPENT_BEFORE = re.compile(
    r"(?:消费|花了?|花费|花销|spent|spend|spending)(?:金额|总额)?\s*(?:了|总共|一共|累计|in total|a total of)?\s*$"
)
FIGURE_ASKED = re.compile(r"\bhow (?:much|many)\b|多少|几个|几位")
FIGURE_CLAUSE_BREAK = re.compile(r"[，,；;？?。:：]|\band\b")
# how much did they spend, 花了多少钱: an amount asked of the people a question picks
AMOUNT_ASKED = re.compile(
    r"\bhow much\b[^.;?]*?\b(?:spend|spent|pay|paid)\b|\btotal spend\b|花了多少|消费了?多少|贡献了?多少"
)
HOT_PHRASE = re.compile(
    r"热销|畅销|爆款|[卖买][得的](?:最好|最多)|购买最多|(?:最|最常|最爱|喜欢|爱)买|best[- ]?sel+|most popular"
)
BUY_WORDS = re.compile(
    r"买过|购买过|下过单|下单过|下了单|下单的|买了|bought|purchased|ordered|placed (?:an |any )?orders?"
)
# After a table word or a key's name: the key of one row (用户84, order #196910, 订单号为196813).
KEY_NUMBER = r"\s*(?P<marker>id|编号|号|#|no\.?|number)?\s*(?:为|是|=|:|：)?\s*#?(?P<number>\d+)(?![\d.%]|\s*(?:元|块|件|个|笔|单|万|年|月|日|号|天|k\b))"
# Between two columns of a list: 、 , 和 and.
LIST_JOINER = re.compile(r"\s*(?:、|,|，|和|及|以及|与|and|&|/|\+)\s*(?:the\s+)?")
# A grouping word right before a column: 各渠道, by channel, 按品类.
GROUPING_BEFORE = re.compile(r"(?:各|每个|每|按|分|by|per|for each|each)\s*(?:个)?\s*$")
# A period named as what another is compared with: 比上个月, compared with last year.
COMPARED_BASE = re.compile(
    r"(?:比|较|相比|对比|跟|和|与)\s*"
    r"(上个?月|上周|上季度|上一季度|去年同期|去年|上一年|前一(?:个)?(?:月|周|天|季度|年)|上年同期)"
    r"|\b(?:compared (?:with|to)|vs\.?|versus|than)\s+(the (?:previous|prior) (?:month|week|quarter|year)|last (?:month|week|quarter|year))"
)
# Between two periods compared: 二季度比一季度, Q2 vs Q1, this month compared with last month.
PERIODS_COMPARED = re.compile(
    r"\s*(?:的\S{0,6})?(?:比|较|相比|对比|vs\.?|versus|compared (?:with|to)|than)\s*"
)
# Between a participle and a place: shipped to 上海.
DESTINATION = re.compile(r"\s+(?:to|into)\s+")
# The amount of a listed row, named generically (金额最大的10笔退款).
AMOUNT_WORD = re.compile(r"金额|\bamounts?\b")
OTHERWISE = re.compile(r"否则|不然的话|\botherwise\b")
# 从银卡升级到金卡, upgraded from silver to gold: a value's change, between the two values
MOVED_VERB = r"升级|降级|升|降|变更?|转|换|迁移?|跳|upgraded|downgraded|moved|switched|changed|migrated|went"
MOVED_TO = re.compile(rf"\s*(?:会员)?\s*(?P<verb>{MOVED_VERB})?\s*(?:成|为|到|至|\bto\b|\binto\b)\s*")
MOVED_FROM = re.compile(rf"(?P<verb>{MOVED_VERB})?\s*(?:从|由|\bfrom\b)\s*$")
# 按支付订单算, by paid orders: the glossary's basis of the order figures, said again
PAID_BASIS = re.compile(r"(?:已?支付|已?付款|paid)\s*的?\s*(?:订单|单|orders?)")
# 按订单收货省份算: the column a question says it means.
BASIS = re.compile(r"按(?:照)?(.{1,12}?)(?:来)?(?:算|计算|统计)")
# Between a period and a table word it dates: 上个月的订单, last month's orders, orders placed in May.
DATED_ROWS_BEFORE = re.compile(r"\s*(?:的|'s|’s)?\s*(?:新?注册的?)?\s*")
DATED_ROWS_AFTER = re.compile(r"\s*(?:placed|created|made|registered|signed up|from)?\s*(?:in|during)?\s*")
# A grouping asked for in so many words (各品类, 按渠道, by channel): figures, not rows.
GROUPED_BY = re.compile(
    r"(?:各(?:家|个|位|款|种|类)?|每一?(?:家|个|位|款|种|类)?|按|分)\s*$|\b(?:by|per)\s+(?:[a-z]+\s+)?$"
)
# A "did not happen" marker and what did not: 一条评价都没收到, 一件都没卖出去, never ordered.
ABSENCE_BEFORE = re.compile(r"一(?:[件单条个笔次]|[件单条个笔次]?[\u4e00-\u9fff]{0,5}[都也])还?\s*$")
# 一单都没下, 一件都没卖出去: a counter of orders or of units sold
ORDER_COUNTER = re.compile(r"一([单笔件])(?![\u4e00-\u9fff]{0,5}(?:评价|退款|订单|商品))")
# 没有收到任何评价, 没得到过一条: the verb and "any" between a marker and what did not happen
ABSENCE_GAP = re.compile(
    r"\s*(?:收到|得到|获得|拿到|产生|有)?过?\s*(?:任何|一条|一个|一笔|一次|一单)?\s*(?:的)?\s*"
)
# How far after a "did not happen" marker its verb may reach (没买过; never placed a paid order).
ABSENCE_REACH = 32
BUY_VERB = re.compile(
    r"\s*(?:成功|再|真正)?\s*(?:付款|支付|付过款)?\s*(?:(?:下过?单|下单)\s*(?=购买|买))?(?:买过?|购买过?|下过?(?:已支付的?|已付款的?|付款的?|支付的?)?订单|下过?单|下单|消费过?|付过款|付款|支付过?|(?:place|placed|make|made|have|had)\s+(?:an?\s+|any\s+|a\s+single\s+)?(?:paid\s+)?(?:orders?|purchases?)|ordered|bought|purchased|(?:order|buy|purchase)\b)"
)
# A verb of buying or selling written beside a period (去年买过, bought ... in Q1).
HAD_VERB = re.compile(
    r"买过?|购买过?|(?:付款|支付)?下过?单|消费过?|有成交|bought|purchased|ordered|shopped|卖出|售出|sold"
)
HAD_REACH = 24
# 距今超过180天, 超过90天没下单: a time since the last purchase, not a bound on a figure
SINCE_LAST = re.compile(r"距(?:今|离今天|现在)(?:已经?)?$")
NOT_SINCE = re.compile(r"\s*(?:天|个?月|年|周)(?:以上|多)?\s*(?:都|还|一直|也)?\s*(?:没|未|不曾)")
# 超过半年(没买), 超过90天: a time since the last purchase, which was before it
LAPSED_FOR = re.compile(r"(?:已经?|已有)?(?:超过|超出|大于|多于)")
# 以前买过, 之前下过单, bought before, used to buy: a presence before the period asked
EARLIER_BOUGHT = re.compile(
    r"(?:以前|之前|此前|曾经|过去|从前|早先)(?:有)?(?:买过|购买过|下过单|消费过|在我们这儿?买过)|"
    r"\b(?:bought|purchased|ordered|shopped)(?: from us| with us| something| anything)? (?:before|previously|earlier)\b|"
    r"\b(?:previously|once|used to) (?:bought|purchased|ordered|shopped|buy|order|shop)\b"
)

CLAUSE_TURN = re.compile(r"但|却|，|,|；|;|\bbut\b|\byet\b")
SELL_VERB = re.compile(r"\s*(?:卖出?去?|售出|卖掉|动销|sold|been sold)")
# A count of times (超过3次, more than 5 times): a number of rows, orders when nothing else is named.
TIMES = re.compile(r"[次单笔条](?:及?以上|及?以下)?$|\btimes?\b|\b(?:once|twice|thrice)\b")
TIMES_AFTER = re.compile(
    r"\s*(?:times?\b|次|条)|\s+(?:paid\s+|completed\s+)?(?:orders?|purchases?|transactions?)\b"
)
# A share taken inside a group: within the channel, 渠道内, 在各品类中.
WITHIN_BEFORE = re.compile(
    r"\b(?:within|inside|in each|of each|of its|within each|within its)\s+(?:the\s+|its\s+|each\s+)?(?:parent\s+)?$|"
    # 占这个品类总销量的比重, 占所在省份: the share's whole is the row's own group
    r"占\s*(?:这个|该|所在|所属|其|本|对应)(?:的)?\s*$"
)
# A part that points back at the answer of the part before: how much that week, 那天卖了多少.
BACK_REFERENCE = re.compile(
    r"\bthat (?:day|week|month|quarter|year)\b|那一?(?:天|周|个月|月|季度|年)|当(?:天|周|月)|"
    # and how many were there, how much was it: the figure of what the part before found
    r"^\W*(?:and\s+)?how (?:many|much) (?:were|was|is|are|did) (?:there|it|they|that)\b|"
    r"^\W*(?:以及|并且|和)?(?:有|是)?(?:多少|几)(?:单|笔|件|个)?(?:呢)?\W*$"
)
# Show product name and stock, 要订单号和金额: a part that says what to show
SHOW_OPENING = re.compile(
    r"\W*(?:(?:also|and|plus)\s+)?(?:show|give|list|display|include|need|want|"
    r"(?:顺便|顺带|另外|同时|再)?(?:把|将)?.{0,6}?(?:也|都)?(?:要|给我|列出?|显示|需要|带上|加上))"
)
# Words before bands that say they count orders (how many paid orders they placed: 1, 2-3).
BANDED_COUNT = re.compile(
    r"\b(?:orders?|ordered|purchases?|times)\b|次数|单数|订单|笔数|下单|下了|购买|买过|买了"
)
# 给用户ID就行, just the user id: what is named is all that is to be shown.
JUST_THAT = re.compile(r"就行|就可以|即可|就好|\bjust\b|\bonly (?:need|want)\b")
# Words that say the people are put in bands (bucket our buyers, 分档, spend bands).
BANDED_MONEY = re.compile(r"金额|\bamounts?\b|上?花(?:了)?的钱|花费|\bspen(?:t|d|ding)\b")
# headcount by gender and age group, 按性别和年龄段: sides of a profile named as one grouping
SIDES_JOINED = re.compile(r"\s*(?:and|和|与|及|x|×|、)\s*", re.IGNORECASE)
SIDES_GROUPED_BY = re.compile(r"(?:\bby|按|分)\s*(?:the\s+)?$", re.IGNORECASE)
# 占全部流失用户, of all lapsed customers, of the total: the whole is everyone counted
ALL_OF_THEM = re.compile(r"全部|所有|全体|\s*of (?:all|the total|everyone)\b", re.IGNORECASE)
COUNTED_TO = re.compile(r"为(?:基准|准)日?|基准日|\b(?:as of|counted to)\b", re.IGNORECASE)
DAYS_DEFINED = re.compile(r"\s*[（(]\s*(?:天数|days?|recency)\s*(?:[=＝:：]|is|means)", re.IGNORECASE)
# 最近一次购买距今多少天, days since their last paid order: bands of the days since the last
# one (recency), not of a number of orders or of days
BANDED_DAYS = re.compile(
    r"(?:(?:最近|最后)一(?:次|笔|单)[^，,。？?；;]{0,12}?)?距(?:今|离今天|离现在|现在)的?(?:多少|几)?天数?|"
    r"沉睡|\bdays?\s+since\b[^,.;:?]{0,40}|\brecency\b(?:\s+(?:bands?|buckets?|tiers?))?",
    re.IGNORECASE,
)
BAND_WORDS = re.compile(
    r"\b(?:buckets?|bands?|tiers? of|brackets?)\b|\b(?:spend(?:ing)?|purchase|order|frequency)\s+tiers?\b|分(?:个|成|为)?(?:几|[一二三四五六七八九十\d])?个?档|档位|区间|分段|分组"
)
# 3+ times: the unit after the last band
LAST_BAND_UNIT = re.compile(r"\s*(?:times|orders?|purchases?|次|单|笔)?\b", re.IGNORECASE)
# within those 3 months, 这3个月内, 同期: the period said before, referred to again
SAME_PERIOD = re.compile(
    r"\b(?:those|these|that|the same)\s+(?:\d+\s+)?(?:days?|weeks?|months?|quarters?|years?|period)\b|"
    r"(?:这|该|同)(?:\d+|[一二三四五六七八九十两]+)?(?:个)?(?:天|周|月|季度|年|期间|时间段|期)",
    re.IGNORECASE,
)
# 按累计已支付订单数(把用户分成): what the bands that follow are of
BANDED_BY = re.compile(r"按[^，,。？?：:]{1,16}?(?=把|将|对|分)")
# how much GMV came from each of those groups, 每档有多少人: the bands, referred to again
BANDS_AGAIN = re.compile(
    r"\b(?:each of )?(?:those|these|the|each|every) (?:groups?|bands?|buckets?|tiers?|brackets?)\b|"
    r"(?:每|各|这几|这些)个?(?:档|组|区间|段|层)"
)
# 6月又买了, came back and ordered again: the same people doing it again in a later period
AGAIN = re.compile(
    r"又(?=回来|来|买|下单|下了|购买|消费|付款)|也(?=买|下单|下了|购买|消费)|再次|重新(?=购买|下单)|回流|"
    r"(?<=[没不])再(?=回来|来买|买|下单|购买|消费|付款)|"
    r"还(?=(?:有)?(?:多少|几)?个?人?(?:在|会)(?:买|下单|购买|消费))|"
    r"\balso (?=bought|purchased|ordered|shopped|buy|purchase|order)|"
    r"\b(?:again|came back|come back|comes back|returned to (?:buy|order|shop))\b|"
    # placed another paid order, 又买了第二单: a later order than the first
    r"\banother(?= (?:paid )?(?:order|purchase))|(?<=买了)第二[单笔次]|(?<=下了)第二[单笔次]"
)
# bought both 服饰 and 运动户外, 两类都买过: each of the values, not either of them
BOTH = re.compile(
    r"\bboth\b(?! (?:ends|inclusive|included))|都买|同时(?:买|购买|下单)|(?:两|二)(?:个|类|种|者)?都"
)
# Is the 80/20 rule true for us, 二八定律成立吗: the top fifth's share, asked by its name
PARETO = re.compile(
    r"(?:\bis (?:the )?)?\b80/20 (?:rule|principle)(?: (?:true|valid|holds?))?(?: for us)?|\bpareto(?: principle| rule)?\b|"
    r"二八(?:定律|法则|原则)(?:成立吗?)?"
)
# 每个月, for each month: month by month
EACH_MONTH = re.compile(r"每一?个?月|各月|逐月|\b(?:each|every|per) month\b|\bmonth by month\b|\bmonthly\b")
# provinces (where the customer lives), home city, from their profile: the people's column
PEOPLE_OWN = re.compile(
    r"\b(?:where|in which) (?:the |our |each )?(?:customers?|users?|buyers?|members?|people|they|shoppers?) lives?\b|"
    r"\bhome(?= (?:province|city|region|area))|\bfrom (?:their|the (?:customer|user|buyer|member)s?'?) profiles?\b|"
    r"\b(?:the )?(?:customer|user|buyer|member)'s(?= (?:own )?(?:province|city|region|area|city tier))"
)
PEOPLE_OWN_REACH = 6
# (win-back = bought in 2025, …), （回流用户=…）: a name said before, defined in brackets
NAME_RESTATED = re.compile(r"[（(]\s*([^（()）=:：,，]{2,24}?)\s*(?:=|:|：|指的是|是指|\bmeans\b)")
# the top 20% of customers: a share of them, not a number
PERCENT_AFTER = re.compile(r"\s*(?:%|％|percent\b|per cent\b)")
# how many sold fewer than 10, how many of them ordered twice: the rows named before, counted
HOW_MANY_DID = re.compile(
    r"\bhow many (?:of (?:them|those|these) )?(?=(?:sold|bought|had|have|has|were|are|did|placed|made|got|received|ordered)\b)"
)
# 卖出过商品, sold products: a verb of selling or buying right before what it sold
VERB_BEFORE_OBJECT = re.compile(
    r"(?:卖出|售出|卖|购买|买)(?:过|了)\s*$|\b(?:sold|bought|purchased)\s+(?:any\s+)?$"
)
# 按性别和年龄段交叉看, a cross-tab of gender and age group: grouped by both at once
CROSSED = re.compile(r"交叉|\bcross(?:-?tab(?:ulated|ulation)?|ed with)?\b")
# 是什么年龄段的, 在哪些城市等级, which tier are they in: the group someone falls into, asked
WHICH_GROUP = re.compile(r"(?:什么|哪些|哪个|哪几个|\bwhich|\bwhat)\s*$")
# 既浏览过又加购过, viewed and also added to cart: each of what is said was done
DID_EACH = re.compile(rf"{BOTH.pattern}|既[^，,。]{{1,12}}?又|同时|\band also\b|\bas well as\b")
# 1月、2月和3月都买过, 每个月都买过, in every single month of Q1, in each of Jan, Feb and Mar:
# a condition for each period (or each bucket of one), not the buyers of all of them together
EVERY_PERIOD = re.compile(
    r"每一?个?(?:月|周|星期|季度|年|天)都|(?:月|季度|年|周|天)份?都(?=有?(?:买|下单|下过|购买|消费|付款))|"
    r"\b(?:in )?(?:every|each)(?: single)? (?:day|week|month|quarter|year)\b|\b(?:each|every one) of\b"
)
EVERY_GRAIN: dict[str, Grain] = {
    "天": "day",
    "周": "week",
    "星期": "week",
    "月": "month",
    "季度": "quarter",
    "年": "year",
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}
# The clauses of a question, for which figures a comparison is on: 花了超过2万的用户有多少人，
# 一共贡献了多少成交额; how many spent over ¥10,000, and how much GMV did they account for.
CLAUSE_OF_FIGURE = re.compile(r"(?:[^，,；;？?。]|,(?! and\b))+")
# 有过付款订单, placed a paid order: orders had, as a verb of buying says
HAD_ORDERS = re.compile(
    r"有过?(?:已?付款|已?支付)?的?订单|下[过了](?:已?付款|已?支付)?的?订单|"
    r"\b(?:placed|made|had) (?:a |an |any |a single )?(?:paid )?orders?\b"
)
DISTRIBUTION_WORD = re.compile(r"分布|\bdistribution\b|\bbreakdown\b")
DURATION_AFTER = re.compile(
    r"\s*(?:个)?(?:天|日(?!期)|周|星期|小时|分钟|月(?!份)|(?:days?|weeks?|hours?|minutes?|months?)\b)"
)
DURATION_NAMED = re.compile(r"天数|时长|周期|\b(?:days?|time|lead time)\b")
DISTRIBUTED_AFTER = re.compile(r"[\s的]*(?:分布|构成|结构|(?:distribution|breakdown|mix|composition)\b)")
# 从没买过, never: at any time
EVER = re.compile(r"从来|从没|从未|至今|到现在|一直|\bnever\b|\bever\b|\bat all\b")
EVERYONE = re.compile(r"\b(?:everyone|everybody|those|who|whose)\b|的人|那些人")
# people, 人: who did or did not (users are USER_WORDS)
PEOPLE_NOUN = re.compile(
    r"\b(?:people|ppl|shoppers?|buyers?|persons?|any(?:one|body)|every(?:one|body))\b|人"
)
# 苹果 (Apple): a name of one to three words in brackets, no number
ALIAS = re.compile(r"[^\W\d_]+(?:[ '&.-][^\W\d_]+){0,2}")
# 首次购买的人: people a dimension describes, not grouped by it (各城市等级的用户 is grouped)
PEOPLE_OF = re.compile(r"的(?:人|用户|买家|顾客|客户|消费者|会员)")
DIFFERENT = re.compile(r"(?:不同|各个|各类|各种|哪个|哪些|哪一?种|哪类)\s*$")
# 第一次来买的新买家: a word of which people, before the value it describes
WHO_WORD = re.compile("|".join(sorted((re.escape(w) for w in WHO_WORDS), key=len, reverse=True)), re.I)
WHO_REACH = 8
# 第一次在我们这儿买东西, first ever purchase, buying from us for the first time
BUY_WORD = re.compile(
    r"买|购买|下单|消费|\b(?:purchases?|purchasing|purchased|buying|bought|buy|orders?|ordering|ordered|shopping|shopped)\b"
)
FIRST_REACH = 24
# 之前就买过的, customers who'd already bought from us before: having bought before the period
BOUGHT_BEFORE = re.compile(
    r"(?:之前|以前|此前|早就|已经|曾经)就?(?:在我们这儿?)?(?:买过|购买过|下过单)|"
    r"\b(?:already|previously) (?:bought|purchased|ordered|shopped)(?: (?:from|with) us)?(?: before)?\b|"
    r"\b(?:bought|purchased|ordered|shopped)(?: (?:from|with) us)? before\b"
)
# The clauses of a chain of periods (2024年买过、2025年一单没买、今年又回来买; bought in 2024,
# skipped all of 2025, and then came back)
PERIOD_BREAK = re.compile(r"[，、；;？?。]|,(?!\d{3})|\b(?:and )?then\b|然后|后来|接着")  # 5,000: no break
# 最近一次购买在, last purchase within: the latest purchase in a period is a purchase in it
LAST_BOUGHT = re.compile(
    r"最近一次(?:付款|支付)?(?:购买|下单|消费|买东西|付款|支付)(?:订单)?(?:时间)?(?:在|是)?"
    r"|\b(?:last|latest|most recent) (?:paid )?(?:purchase|order)(?: was| is)?(?: (?:in|within))?"
)
# 符合条件的, who meet all of these: the people the conditions said pick
MEETING_THEM = re.compile(
    r"(?:符合|满足)(?:以上|上述|这些|这几个|所有)?(?:条件|要求)|\b(?:meet|meets|meeting|match|matching)"
    r" (?:all )?(?:of )?(?:these|the|those|all)(?: (?:conditions|criteria|rules))?\b"
)
# first-time and returning buyers: the word before "and" whose noun is said once, after
ELIDED_BEFORE = re.compile(r"\b([a-z][a-z-]*)\s*(?:,|\band\b|\bor\b|&|/|\bvs\.?|\bversus\b)\s*$")
# 整体的客单价, the overall AOV: a figure of everything, not of the rows said before
WHOLE_WORDS = re.compile(r"整体|总|全部|所有|全站|全平台|大盘|合计|\b(?:overall|total|all|whole|entire)\b")
# the parts of a question that set conditions of their own (近一年买了3次以上，而且近90天内也买过)
CONDITION_BREAK = re.compile(rf"{PERIOD_BREAK.pattern}|而且|并且|且|同时|但是?|\b(?:and|but)\b")
EARLIER = re.compile(r"更早(?:以前|之前|的时候)?|在此之前|\bbefore (?:that|then)\b|\bearlier\b")
SKIPPED = re.compile(r"\bskip(?:ped|s)?\b|\bsat out\b|\bmissed\b|跳过|断了|空了")
# 不是收货地址, not the shipping one: the column the people's own is set against
NOT_THE_OTHER = re.compile(
    r"(?:而)?不是(?:按)?(?:订单的?)?收货(?:地址|地|省份|城市)?(?:的)?(?:省份|城市)?|"
    r"\b(?:and )?not (?:the )?(?:shipping|delivery|ship-to)(?: one| address| province| city)?\b",
    re.IGNORECASE,
)
CAME_BACK = re.compile(r"\b(?:came|come|comes) back\b|\bagain\b|\breturned\b", re.IGNORECASE)
# one more order, another purchase: one beyond those counted
ADDITIONAL = re.compile(
    r"\b(?:one|two|three|\d+) more (?!than\b)[a-z]+|\banother (?:order|purchase|paid order)\b"
)
ORDER_NOUN = re.compile(r"订单|\border\b")
# first-timers: people buying for the first time, in a word
FIRST_TIMERS = re.compile(r"[- ]?timers?\b")
# 新客就是…, first-time buyers, meaning …, New = …: what a word means, said after it
DEFINES = re.compile(
    r"就是|是指|指的是|定义为|按(?=[^，。？?]{2,40}?算)|(?<=[客户家人])(?:指|是)(?![标数定])|\bmeaning\b|\bmeans\b|\bi\.e\.|(?<![<>!])="
)
# 2025年1月首购的, first purchase in January: a period, then a word of first purchase
FIRST_STEM = re.compile(r"首|\bfirst\b")
# first ever paid order, 首次付款: the first purchase, which a cohort of buyers is of
COHORT_FIRST = re.compile(
    r"\bfirst(?:[- ]ever)?(?= (?:paid |completed )?(?:purchase|order|buy))|首次|首单|首购|第一(?:次|笔|单)"
)
PERIOD_THEN_FIRST = re.compile(r"\s*(?:的|内|里|才|就|期间)?\s*")
# 在天猫买过, bought on Tmall: where they bought
BOUGHT_AT = re.compile(r"(?:在|从|通过)$|\b(?:on|at|via|from|through)\s+$")
# never (bought) anything from 华为, 没在京东 (买过): between a marker and the value not bought
NOT_BOUGHT_GAP = re.compile(
    r"[在从]|\s*(?:(?:bought|purchased|ordered|shopped)\s+)?(?:anything|any|one|a thing)?\s*(?:from|of|at|on|in)?\s*"
)
# which channel was that first purchase on, 首单是在哪个渠道下的: a column of the first order
FIRST_ORDER_OWN = re.compile(
    r"\bfirst(?:[- ]ever)? (?:purchase|order)s? (?:was |were )?(?:made )?(?:on|via|through|at)\b|"
    r"\b(?:was|were) (?:that|their|the|this) first(?:[- ]ever)? (?:purchase|order)|"
    r"(?:首单|第一笔(?:订单)?|第一单)(?:是)?(?:在|来自|通过)(?:哪|什么)"
)
# 城市等级是一线, member level = gold: a dimension's word, then the value it names
NAMES_VALUE = re.compile(r"\s*(?:是|为|=|:|：|\bis\b|\bof\b)\s*")
# buyers (exactly one paid order): a bracket after the people defines them, bounds no count
BRACKET_OPEN = re.compile(r"[(（]")
# one-time buyers: the people a name ends with
PEOPLE_LAST = re.compile(r"\b(?:buyers|customers|shoppers|users|people)\s*$")
# top 10 spenders, big spenders: the people ranked by what they spent
SPENDERS = re.compile(r"\bspenders?\b")
# top 10 customers by spend, 花钱最多的前10位: people ranked by what they spent
RANKED_BY_SPEND = re.compile(
    r"\bby (?:total )?(?:spend|spending|what they spent|how much they spent)\b|\bspent the most\b|"
    r"\b(?:top|biggest) spenders\b|(?:花钱|消费|花费)(?:金额)?最(?:多|高)"
)
# 注册后30天内（注册当天算第1天）, within 30 days of signing up, no more than 7 days after
# signing up: a window after each person's own registration
WITHIN_SIGNUP = re.compile(
    r"注册(?:后|之后|以后)的?\s*(?P<n>\d+|[一二三四五六七八九十两]+)\s*天(?:内|以内|之内)(?:\s*[（(][^（）()]*[)）])?"
    # …就完成首单付款: what they did in it, the first order
    r"(?:\s*(?:就|才)?\s*(?:完成|下了?|有了?)?\s*(?:了)?\s*(?:首[单笔次]|第一[单笔次])?\s*(?:的)?\s*(?:付款|支付|购买|下单|消费)?)|"
    r"\b(?:with)?in\s+(?:the\s+first\s+)?(?P<n2>\d+)\s+days\s+(?:of|after|from)\s+"
    r"(?:signing\s+up|sign-?up|signup|registering|registration|they\s+(?:signed\s+up|registered))"
    r"(?:\s*\([^()]*\))?|"
    r"\bno\s+(?:more|later)\s+than\s+(?P<n3>\d+)\s+days\s+after\s+(?:signing\s+up|sign-?up|signup|registering|registration)",
    re.IGNORECASE,
)
# 复购率=…, repurchase = …, repurchase means …: a figure's name, then what it is
RESTATED_AS = re.compile(r"([^=＝:：]{1,24}?)\s*(?:=|＝|:|：|\bmeans\b|\bis\b)", re.IGNORECASE)
# 美妆买家里, among 美妆 buyers: a value said as the people a share is among
AMONG_AFTER = re.compile(r"\s*的?\s*(?:买家|用户|客户|顾客|会员|人群|人)?\s*(?:里面|里|中|当中|之中)")
# 金卡或钻石会员, gold or diamond: either of two values
EITHER = re.compile(r"\s*(?:或者?|or|/|、或)\s*", re.IGNORECASE)
# 第一笔已支付订单, first ever paid order: the first order a segment of first buyers is defined by
FIRST_ORDER_WORDS = re.compile(
    r"第一[笔单次]|首[单笔次]|首次(?:购买|下单|付款)|历史上第一|\bfirst[- ](?:ever[- ])?(?:paid )?(?:order|purchase)",
    re.IGNORECASE,
)
# 各渠道多少人, how many in each channel: heads counted by the groups named
HEADS_BY = re.compile(
    r"(?:各|每个?)?(?:有|各有|分别有)?(?:多少|几)(?:个)?(?:人|用户|客户|买家)|"
    r"(?:and )?how many (?:people |users |customers |buyers )?(?:in |per |for )?(?:each|every)?\s*",
    re.IGNORECASE,
)
# Split by gender please, 按注册渠道分别看, broken down by city tier: a split and nothing else
GROUPING_ONLY = re.compile(
    r"(?:(?:and |also )?(?:please )?(?:split|break(?: it| that| them)? down|broken down|group(?:ed)?|show(?: it| that)?)?"
    r"\s*(?:by|per|for each|across)\s*(?:please)?|(?:再|并|请)?按\s*(?:分别|各自)?\s*(?:看|拆分|分|统计|分组)?(?:一下)?|"
    r"(?:分|拆)\s*(?:看|开)?)"
)
# only ever bought 手机数码, 只在线下门店买过, 只买过美妆: one value and nothing else of it
ONLY_EVER = re.compile(
    r"\bonly (?:ever )?(?:bought|purchased|ordered|shopped)(?: (?:from|in|at|on|via))?(?: the)?\b|"
    r"\b(?:bought|purchased|ordered|shopped) only(?: (?:from|in|at|on|via))?\b|"
    r"(?:只|仅)(?:在|从|通过)|(?:只|仅)(?=买过|购买过|买了)(?:买过|购买过|买了)"
)
# …and never anything from another category, 没买过其他品类: "only" said once more
ANOTHER = re.compile(
    r"\b(?:anything|any|one|something)?\s*(?:from|in|at|on)?\s*(?:an?other|other|a different|different)\s+[a-z]+|"
    r"(?:其他|其它|别的)[\u4e00-\u9fff]{1,3}"
)
# in an earlier month, 之前: before the period a value is decided in
EARLIER_MONTH = re.compile(r"\b(?:earlier|previous|prior|before)\b|之前|以前|此前|更早")
SENTENCE_END = re.compile(r"[。？?！!；;]|\.(?:\s|$)")
# big spenders - ppl who spent more than 5000, 高消费用户（消费超过2万的）: a name, then what
# the asker means by it, set apart in the same sentence
DEFINED_AFTER = re.compile(
    r"\s*(?:last year|this year)?\s*(?:(?:-|–|—|:|：|,\s*i\.e\.,?|,?\s*meaning|就是|即|指的是|指)\s*"
    r"(?:ppl|people|customers|users|buyers|those|any(?:one|body)|every(?:one|body)|用户|客户|人|the ones)\s*"
    r"(?:who|that|with)?|[(（])[^.;?。？；()（）]*$"
)
# 以前从没买过, never bought before: the before of a first purchase
NEVER = re.compile(r"没|未|不曾|\bnever\b|\bnot\b|n't\b")
BEFORE_EVER = re.compile(r"以前|之前|此前|\bbefore\b|\bpreviously\b|\bever\b")
WHO_APART_STRONG = re.compile(r"[。；;？?！!]|但|\bbut\b")
WHO_APART = re.compile(r"[，,、。；;？?！!]|\b(?:and|but|or)\b|和|或|但")
# its buyers, 这些商品的买家: a part about the rows the part before found
POINTS_BACK = re.compile(
    r"\b(?:its|their|those|these|(?:among|of) them)\b|这些|那些|[它他她]们(?:的|各自|分别)|其(?=买家|用户|客户|画像)|"
    # Break it down by member tier ... what share that is: what the part before found
    r"\b(?:break|split|cut) (?:it|that|this)\b|\b(?:that is|is that|is this|that makes)\W*$"
)
# …一共多少人？其中…: the people of the part before, said by the break between the parts
AMONG_THEM = re.compile(r"其中")
# One row of a table whose figure is the highest or lowest: any single user, 单个用户.
ANY_SINGLE = re.compile(r"\bany (?:single |one |individual )?|单个|任何一个|任一")
ANY_EXTREME = re.compile(
    r"\b(?:highest|most|largest|maximum|lowest|least|fewest|minimum)\b|最多|最高|最大|最少|最低|最小"
)
LOWEST_WORDS = frozenset({"lowest", "least", "fewest", "minimum", "最少", "最低", "最小"})
# The part a share within each group is of: came from 美妆, 来自美妆.
SHARE_FROM = re.compile(
    r"\b(?:came|come|comes|coming|went|go|goes|going) (?:from|through|via)\s+$|"
    r"\b(?:were|was|are|is) (?:placed |made |paid |sold )?(?:through|via)\s+$|(?:来自|通过|出自)\s*$"
)
# A count of distinct values: 不同(的)商品数, 多少种商品, different/distinct/unique categories.
DISTINCT_BEFORE = re.compile(r"(?:不同(?:的)?|多少种|多少款|\b(?:different|distinct|unique)\s+)$")
# A number or a "how many" before those words: 3个不同的, at least 3 different, how many distinct.
COUNT_BEFORE = re.compile(
    r"(?:\d+|[一二两三四五六七八九十]+|多少|几)\s*(?:个|种|款|家)?\s*(?:及以上|或以上|以上|及以下|以下)?\s*$|"
    r"\b(?:how many|number of|\d+)\s*$|\b\d+\s+or\s+more\s*$"
)
DISTINCT_COUNTED_AFTER = re.compile(
    r"(?:数|数量|个数)(?=\s*(?:超过|大于|多于|少于|不到|至少|是|为|有|多少|几|\d|$|[，,。？?]))"
)
# 母婴类商品, 美妆的商品: what may stand between a value and the word of its table's rows
VALUE_ROWS_GAP = re.compile(r"(?:类|品类|类目)?的?\s*")
# 两个及以上渠道, at least 3 different categories: what may stand between a count and
# the dimension whose values it counts
COUNTED_VALUES_GAP = re.compile(r"\s*(?:个|种|类|家)?\s*(?:不同的?|different\s+|distinct\s+)?")
# 超过150款: pieces of the items the warehouse ranks by default (products), counted.
PIECES_COUNTED = re.compile(r"\s*款")
SELL_WORDS = re.compile(r"卖出去|卖出|卖掉|卖了|售出|\bsold\b|\bsell(?:s|ing)?\b")
# What opens a request before its verb, the verbs of a request, and what the verb acts
# on (Name the 5 cities).
REQUEST_VERBS = frozenset(
    [
        "name",
        "count",
        "list",
        "show",
        "give",
        "tell",
        "find",
        "get",
        "pull",
        "report",
        "sort",
        "order",
        "rank",
        "compare",
        "chart",
        "plot",
        "display",
        "identify",
        "put",
        "return",
        "fetch",
        "break",
    ]
)
IMPERATIVE_OPENING = re.compile(r"\s*(?:please\s+|(?:can|could|would) you\s+)?")
ACTED_ON = re.compile(
    r"\s+(?:the|all|every|each|a|an|\d+|one|two|three|four|five|six|seven|eight|nine|ten)\b"
)
WITHIN_AFTER = re.compile(r"\s*(?:内|里|之中|内部|中(?!国)|下面|下属|底下)")
# After a number: the rows it counts, when they are not what the metric counts.
COUNTED_ROWS = re.compile(r"\s*(?:(?:different|distinct|unique|separate)\s+[a-z]+|[款种家])")
PEOPLE_BEFORE_COUNT = re.compile(r"(?:用户|客户|顾客|会员|买家|人)有?\s*$")
UNIT_WORDS = re.compile(
    r"多少(?:台|件|个|份|部|瓶|盒|双|套|支|杯|罐|包|袋|只|箱|斤)|几(?:台|件|个|份|部|杯|瓶|盒|罐|包|箱)"
    r"|how many (?:units|items|pieces|cups|bottles|boxes)|how many\b.{1,40}\b(?:did we |we )?(?:sell|sold)\b"
)
ORDER_WORDS = re.compile(r"多少单|几单|多少笔|how many orders")
# The verb itself, with no word of newness (2025年注册的用户)
REGISTERED = re.compile(r"注册|\bregistered\b|\bsigned up\b")
REGISTER_WORDS = re.compile(r"新注册|注册了|注册用户|sign(?:ed)? ?ups?\b|registered|registrations?")
# People named as such after a condition (付款了2单及以上的那批人, people who ordered twice).
THOSE_PEOPLE = re.compile(
    r"(?:那批|这批|这些|那些|的)人|\bpeople\b|\bshoppers\b|\b(?:those|any(?:one|body)|every(?:one|body)) who\b|\bthe ones who\b"
)
# The people of a segment (新客有多少人, how many customers).
PEOPLE_WORDS = re.compile(
    r"多少人|几个人|人数|每层多少|多少个|有几个|有?多大|\bhow big\b|\bpeople\b|\bhow many\b|buyers?|shoppers?|"
    r"\bheadcounts?\b|"
    r"\bnumber of (?:customers|users|people|members)\b"
)
# A part of a compound question grouped as the one before it (…and the AOV of each group).
GROUP_BACK = re.compile(
    r"每组|各组|每一组|每个组|每类|各类|这几类|\beach (?:group|segment|of them)\b|\bper group\b|"
    # 成交额分别是多少, 客单价各是多少, and their GMV respectively: of each group before
    r"分别|各自|各(?:是|为)|各多少|\brespectively\b|\bfor each\W*$"
)
# The groups of a segment (每层多少人, 各类客户, each segment).
SEGMENT_GROUPS = re.compile(
    r"每层|各层|每一层|各类|每类|每个分群|各分群|各群|\beach (?:segment|bucket|group|tier)\b|\bper (?:segment|bucket)\b"
)
# Words framing a funnel or a cohort table, which they are anyway.
CONSTRUCT_FRAME = re.compile(
    r"这批|这一批|那批|客群|人群|群体|\bgroups? of\b|表格?|矩阵|曲线|情况|\btable\b|\bmatrix\b|\bcurve\b|\bchart\b"
)
# How a funnel is laid out: 放一行里, in one row (the steps side by side), or a row per step.
ONE_ROW = re.compile(
    r"(?:不用|不要|别)分行|放(?:在|到)?一行|一行(?:里|内|显示|展示)|横着|横向|"
    r"\b(?:in|on|as) (?:a single|one) row\b|\bone row (?:per|for each|by) (?!step)\w+|\bside by side\b|\bas columns\b"
)
ROW_PER_STEP = re.compile(r"每(?:一|个)?(?:步|环节)一行|分行|\b(?:one )?row (?:per|for each) step\b")
# What a funnel's conversions are measured against: the first step, or the step before.
CONVERSION_BASE = re.compile(
    r"(?:相对于?|占|对比)(?:第一步|首步|第一个环节|浏览)|环节间|逐步|"
    r"\b(?:measured |taken |computed )?(?:against|relative to|from|versus|vs\.?) (?:the )?(?:first|top|previous|prior) (?:step|stage)(?: only)?\b|"
    r"\b(?:not |rather than )?step[- ]to[- ]step\b|\bstep[- ]over[- ]step\b|\bof the funnel\b"
)
# Where a funnel loses its users (哪一步流失最多, the biggest drop-off).
LOSS_WORDS = re.compile(r"流失|掉得最多|损失|drop[- ]?off|drops?\b|los(?:e|es|t|ing)\b|leak")
# A cohort's later months, said without a word of the layer for retention: 首购后每个月还有
# 多少人买, bought again in each of months 1 through 6, placed a paid order in each later month.
LATER_MONTHS = re.compile(
    r"(?:之后|后续|此后|以后|后面|后)的?(?:每一?个?月|各月|几个月)|后续|"
    r"\b(?:each|every) (?:later|following|subsequent) month|\blater months\b|\bfollowing months\b|"
    r"\bmonths? (?:after|later)\b|\bafter that\b"
)
RETAINED = re.compile(
    r"回购|复购|再次购买|再买|又买|还在买|还有.{0,8}?(?:付款|下单|购买|买)|"
    r"\b(?:bought|ordered|purchased|buy|order|purchase|came|come) (?:again|back)\b|\bstill (?:buying|ordering|active)\b|"
    r"\bplaced an?(?:other)? (?:paid )?order\b"
)
# 首购后第1到第3个月, months 1 through 6, months 0 to 6: every month after between the two.
MONTH_RANGE = re.compile(
    r"(?:之?后的?)?第\s*(\d+)\s*(?:个月)?\s*(?:到|至|-|~|—)\s*第?\s*(\d+)\s*个?月|"
    r"(?:之?后的?)?(\d+)\s*(?:到|至|-|~|—)\s*(\d+)\s*个月|"
    r"\bmonths?\s+(\d+)\s*(?:to|through|thru|-|–)\s*(\d+)\b"
)
# 第1、2、3个月, 1, 2 and 3 months after: the months after a cohort's own, listed.
MONTH_LIST = re.compile(
    r"第\s*(\d+(?:\s*[、,，和及与]\s*\d+)+)\s*个?月|"
    r"\b(\d+(?:\s*,\s*\d+)*,?\s+(?:and|or)\s+\d+)\s+months?\b"
)
# 首购客群各有多大, how big each cohort was: a cohort's size, its own month (0) only.
COHORT_SIZE = re.compile(
    r"有?多大(?!的?(?:比例|占比|比重|份额|程度))|规模|\bhow big\b|\bhow large\b|\bsizes?\b"
)
# 每个月的首购客群, monthly cohorts: the cohorts' own month, their grain.
COHORT_GRAIN = re.compile(r"每一?个?月|各月|按月|逐月|\bmonthly\b|\beach month\b|\bby month\b")
# The cohort's own month said relative to it (首购当月), not a period of the calendar.
OWN_MONTH = re.compile(
    r"当月|当期|同月|\bthat (?:same )?(?:calendar )?month\b|\bthe same (?:calendar )?month(?: they (?:registered|signed up))?"
)
OWN_YEAR = re.compile(r"(?:注册)?(?:当年|同年|同一年)|\bthat (?:same )?year\b|\bthe same year\b")
# The months after a cohort's own: 次月留存 (the next), 第3个月, month-3, month 3.
NEXT_MONTH = re.compile(r"次月|下个?月留存|month[- ]?1\b|next[- ]month")
MONTH_AFTER = re.compile(
    r"第\s*(\d+|[一二三四五六七八九十]+)\s*个?月|month[- ]([2-9]|1[0-2])\b|"
    r"\b(first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth)\s+month\b"
)
# What is taken of each bucket's figure when several are asked: 平均值、最高和最低.
ACROSS_WORDS: tuple[tuple[Literal["avg", "max", "min"], re.Pattern[str]], ...] = (
    ("avg", re.compile(r"平均值|均值|平均|\baverage\b|\bmean\b|\bavg\b")),
    ("max", re.compile(r"最高值?|最大值?|峰值|最多|\bhighest\b|\bmaximum\b|\bmax\b|\bpeak\b|\bbest\b")),
    ("min", re.compile(r"最低值?|最小值?|谷值|最少|\blowest\b|\bminimum\b|\bmin\b|\bworst\b")),
)
VALUE_NOUN = re.compile(r"值|maximum|minimum")
# across provinces, over all the channels: the groups a figure is taken over
ACROSS_GROUPS_BEFORE = re.compile(r"\b(?:across|over)\s+(?:all\s+)?(?:the\s+)?$")
# 峰值是哪天: which bucket had it, not only its value.
WHICH_BUCKET = re.compile(
    r"哪一?[天日周月年]|哪个月|哪个季度|\bwhich (?:day|week|month|quarter|year)s?\b|\bwhen\b"
)
# 平均次月留存: the mean over the cohorts.
# The direction a "why" question says the figure moved in (checked against the data).
FALL_WORDS = re.compile(
    r"下降|下滑|下跌|跌|降(?!序)|掉|减少|少了|变少|走低|不如|拖后腿|拖累|拉低|"
    r"\b(?:drop(?:s|ped)?|f[ae]ll(?:s|en)?(?: off)?|slipp?(?:ed|s)?|declin(?:e|ed|es|ing)|decreas(?:e|ed|es)|(?<!break )(?<!breaks )(?<!broken )(?<!breaking )(?<!it )(?<!them )(?<!that )(?<!this )(?<!those )down|lower|dip(?:ped)?|slump(?:ed)?)\b"
)
RISE_WORDS = re.compile(
    r"上升|上涨|增长|涨|增加|多了|变多|走高|提升|飙升|拉高|带起来|带动|拉动|猛增|大增|"
    r"\b(?:(?:way )?up|ris(?:e|es|en|ing)|rose|more|gr[eo]w(?:n|th|s)?|increas(?:e|ed|es)|up|higher|jump(?:ed)?|spike[sd]?|surge[sd]?)\b"
)
# 拆一下, break it down, 涨得最多, grew the most: which values a change is made of.
BROKEN_DOWN = re.compile(
    r"拆|分解|(?:多|少|涨|降|跌|增|减|掉)得?最(?:多|快|厉害|猛)|(?:多|少|涨|降|跌|增|减|掉)得(?:多|快|厉害|猛)|"
    r"\b(?:break(?:s|ing)?|broken) (?:it |this |that )?down\b|\bbreakdown\b|\bdecompos|"
    r"\b(?:grew|rose|increased|dropped|fell|declined) the most\b|\bbiggest (?:drop|increase|rise|decline|gain|loss)\b"
)
# 哪几天, any day, spikes or drops, 波动: the words around an anomaly question.
ODD_DAYS = re.compile(
    r"哪几天|哪些天|哪天|哪一天|哪些日子|日子|有没有|有什么|什么|波动|检测|情况|最近|"
    r"\b(?:any|which|what) days?\b|\bspikes?\b|\bdrops?\b|\bdips?\b|\bjumps?\b|\bdays?\b|"
    r"\bflag\b|\bspot\b|\bcheck\b|\bany\b|\blately\b"
)
# 未来7天, 接下来3个月, the next 30 days: a span ahead of the data.
FUTURE_SPAN = re.compile(
    r"(?:未来|接下来|之后|往后|下)\s*(\d+|[一二两三四五六七八九十]+)\s*(天|日|周|星期|个月|月)|"
    r"\b(?:next|coming|following)\s+(\d+)\s+(days?|weeks?|months?)\b"
)
# 今年剩下的时间, the rest of the year: from the day after the data to the year's end.
REST_OF_YEAR = re.compile(
    r"今年剩下的?(?:时间|日子|几个月)?|今年余下的?(?:时间)?|年底前|\b(?:the )?rest of (?:the|this) year\b"
)
# The words around a forecast: 会, 多少, will, be.
FUTURE_WORDS = re.compile(
    r"大概|大约|可能|会|能|将|多少|做|\b(?:will|be|about|roughly|likely|going to|should|we|how many|spend|over)\b"
)
# The words around a stock warning: 哪些商品, 库存, items, stock.
STOCK_WORDS = re.compile(
    r"哪些|哪几个|哪个|的|了|吗|快|库存|清单|有没有|现在|要|每个|建议补多少|补多少|"
    r"\b(?:which|what|items?|products?|skus?|is|are|of|stock|alerts?|warnings?|list|suggest(?:ions?|ed)|"
    r"quantit(?:y|ies)|show|soon|about to|"
    r"any|we|need|should|how many|units?)\b"
)
# The intents nlq.insight answers when the cue of the same name is there.
ANSWERED_INTENTS = frozenset({"why", "anomaly", "forecast"})
# How much, how surely: 涨得很猛, 掉了不少, 主要是什么原因, dropped sharply.
CHANGE_DEGREE = re.compile(
    r"很猛|不少|很多|明显|大幅|厉害|这么多|那么多|这么|那么|得|主要|到底|究竟|变化|变动|波动|跟|靠什么|靠|一大截|"
    r"挺大|很大|较大|前\d+天|"
    r"\b(?:sharply|a lot|so much|significantly|mainly|mostly|main|so|much|change[sd]?|difference|from|to|any idea|idea|between|and|mov(?:e|ed|ing))\b"
)
# Words of where something comes from: a change's cause only beside a change named.
ORIGIN_WORDS = re.compile(r"com(?:e|es|ing) from|主要来自|来自哪")
CHANGE_NAMED = re.compile(
    r"下降|下滑|下跌|减少|上升|上涨|增长|增加|变化|波动|涨|跌|降(?!序)|增量|"
    r"\b(?:drop|fall|fell|declin|decreas|rise|rose|risen|grow|grew|increas|chang|jump|spike|surg|dip|slump|swing)\w*"
)
AVERAGE_WORD = re.compile(r"平均|均值|\baverage\b|\bmean\b|\bavg\b")
# The one group an average is taken per: 平均每个品牌, (on average) a brand, per brand.
AVERAGED_EACH = re.compile(r"(?:平均(?:每|一)(?:个|家|位|款|种)?|\b(?:a|an|per)\s+)$")
ORDINALS = (
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
)
# The unit of a moving average's window.
MOVING_UNIT = re.compile(r"日|天|day|周|week|月|month")
MOVING_UNITS: dict[str, Grain] = {
    "日": "day",
    "天": "day",
    "day": "day",
    "周": "week",
    "week": "week",
    "月": "month",
    "month": "month",
}
MOVING_DEFAULT: dict[str, int] = {"day": 7, "week": 4, "month": 3, "quarter": 4, "year": 3}
# 订单的人, 订单的用户: the people a figure's rows belong to
PEOPLE_AFTER = re.compile(r"\s*的\s*(?:人|用户|客户|顾客|买家|会员)(?![数量])")
USER_WORDS = re.compile(r"用户|会员|客户|顾客|人群|users?|customers?|members?")
SINGULAR = re.compile(r"哪个|哪一个|哪家|哪款|哪位|是什么")  # English number comes from the noun
# Chat shorthand, spelled out before reading (amt -> amount, last mnth -> last month).
ABBREVIATIONS = [
    (re.compile(rf"\b(?:{short})\b"), word)
    for short, word in [
        ("amt", "amount"),
        ("qty", "quantity"),
        ("yrs", "years"),
        ("yr", "year"),
        ("mnths|mths", "months"),
        ("mnth|mth", "month"),
        ("wks", "weeks"),
        ("wk", "week"),
        ("pct", "percent"),
        ("pls|plz", "please"),
        ("thx", "thanks"),
        ("cnt", "count"),
        ("ppl", "people"),
        ("custs", "customers"),
    ]
]
# bought something in Q1 but nothing in Q2: the verb of the clause before is the one denied
NOTHING_AFTER_BUYING = re.compile(
    r"(\b(?:bought|ordered|purchased|shopped|spent)\b[^.;:?!]*?\bbut\s+)(?:nothing|none)\b(?=\s+(?:in|during|since|after|at|this|last)\b)"
)
# A body of people named as one (the customer base): the people themselves.
PEOPLE_BODY = re.compile(r"\b(customer|user|buyer|shopper|member)s?(?: base| population)\b")
# new customers versus returning ones: "ones" is the plural noun said before it
ONES = re.compile(r"(?<=[a-z] )ones\b")
PLURAL_NOUN = re.compile(
    r"\b(?:customers|buyers|users|shoppers|members|people|orders|products|brands|categories|items|stores)\b"
)
MIXED_COUNT = re.compile(r"(?<![a-z])([a-z]{3,}[^s\W\d])(?:数|量)")
FOLLOW_UP = re.compile(
    r"呢[?？]?$|^那|^再|只看|换成|改成|换为|按.{1,6}(?:拆分|分|看)|拆分|what about|how about|instead|only|break (?:it )?down|split by|^and "
)
# Words naming a kind of figure: a rate or ratio, an average.
FIGURE_WORDS = re.compile(r"\b(?:rates?|ratios?|averages?|avg|mean)\b|平均|人均|比率|比例|率")
# What a follow-up changes in the question before it besides metrics, values and periods.
FOLLOW_UP_CUES = frozenset({"grain", "yoy", "pop"})
PLURAL_WORDS = re.compile(r"哪些|这些|那些|们|各个|排个名|排名|排行|榜")
# 多少个商品, how many customers: the count of a model's rows, named by its dimension word.
# Between an attribute and a comparison after it (list price is over 50, 标价在35到45之间),
# and between a comparison and an attribute after it (more than 100 units in stock).
ATTRIBUTE_BEFORE = re.compile(r"^\s*(?:的)?\s*(?:(?:is|are|was|were|of|at)\s+)*(?:为|是|都|在)?\s*$")
# 不止一次, 超过3笔: a comparison of a number of things, which no amount attribute holds
COUNTED_UNIT = re.compile(
    r"[次笔单个件人位款家种天回条]|\b(?:times|orders?|items?|units?|people|users?|days?)\b"
)
ATTRIBUTE_AFTER = re.compile(r"^\s*(?:(?:of|in)\s+)?$")
# 订单的运费, the freight of orders, revenue on orders: the table whose rows a metric measures.
POSSESSED_AFTER = re.compile(r"^\s*的")
POSSESSED_BEFORE = re.compile(r"\b(?:of|on|for|from)\s+(?:the\s+|our\s+|all\s+|those\s+)?$")
# Between a table word and a condition on its rows: products priced over, orders with /
# whose / where we paid …
ROWS_WITH = re.compile(
    r"^\s+$|^\s+(?:with|whose|where|that|which|having)\b[^,;.?，。；？]*$|^\s*(?:中|里|里面|当中)\s*$"
)
WHICH_ROWS = re.compile(r"有哪些|是哪些|哪几[个位家款]|\bwhich\b|\bwhat are the\b")
HOW_MANY = re.compile(r"(?:有)?(?:多少|几)(?:个|家|位|款|种|名)?\s*$|how many\s+$|number of\s+$")
SUMMED_OVER_TIME = re.compile(r"加起来|加总|累计|求和|合计|\bsum(?:med)?\b|\badd(?:ed)? up\b|\bcumulative\b")
HOW_MANY_ANYWHERE = re.compile(r"多少|几[条个笔次]|how many|number of|人数")
# 各年龄段人数: the number of the people counted, which the count of them is
HEADCOUNT = re.compile(r"人数|headcount")
# A comparison on a total is a yes/no question (GMV超过100万了吗): the total answers it.
YES_NO = re.compile(r"吗|是否|有没有|是不是|\b(?:did|does|do|was|were|is|are|has|have)\b")
# Grammar a reading turns on, as facts about the languages read. Those whose nouns say
# their number ("top products" asks for a list, "top product" for one):
NOUNS_WITH_NUMBER: frozenset[Language] = frozenset({"en"})
# Those that name the value a share is asked of beside the share word (X中Y占比), not
# last (what % of X were Y):
SHARE_BESIDE_VALUE: frozenset[Language] = frozenset({"zh"})


def _miscased_code(link: Link, question: str) -> bool:
    """A short code from the data (TO, WA, SP) links only as written, as a whole word:
    "to" and "sp" in a sentence are words, not state codes."""
    codes = [e for e in link.entries if e.kind == "value" and e.source == "data"]
    if not codes or len(codes) < len(link.entries) or not link.text.isascii() or len(link.text) > 3:
        return False
    return not any(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(e.surface)}(?![A-Za-z0-9])", question) for e in codes
    )


def _written_as_code(link: Link, question: str) -> bool:
    """US, UK written in capitals: a code of the data's, not the common word (us)."""
    surfaces = [e.surface for e in link.entries if e.kind == "value" and e.surface.isupper()]
    return any(re.search(rf"(?<![A-Za-z]){re.escape(s)}(?![A-Za-z])", question) for s in surfaces)


def _beside(start: int, end: int, marker: tuple[int, int, int], text: str = "") -> bool:
    """Words of what did not happen: in the clause before a marker (一条评价都没) or just
    after it (没收到评价, 没有收到任何评价). `marker` is (clause start, marker start, marker end)."""
    first, before, after = marker
    if first <= start and end <= before:
        return True
    return after <= start <= after + 3 or (
        after <= start and ABSENCE_GAP.fullmatch(text[after:start]) is not None
    )


def _refined(times: list[TimeMatch]) -> list[TimeMatch]:
    """The periods that hold no other period of the question, each once (Double 11
    (双11) names one period twice)."""
    seen: set[tuple[dt.date | None, dt.date | None]] = set()
    unique = []
    for t in times:
        if (t.range.start, t.range.end) not in seen:
            seen.add((t.range.start, t.range.end))
            unique.append(t)
    times = unique

    def inside(a: TimeMatch, b: TimeMatch) -> bool:
        ra, rb = a.range, b.range
        if ra.start is None or ra.end is None or rb.start is None or rb.end is None:
            return False
        return rb.start <= ra.start and ra.end <= rb.end and (ra.start, ra.end) != (rb.start, rb.end)

    # 当月, that same month: a month of each row's own (新买家按第一笔订单在当月算), no
    # period of the question narrowing another
    narrower = [t for t in times if not OWN_MONTH.fullmatch(t.text)]
    return [t for t in times if not any(inside(other, t) for other in narrower if other is not t)]


def _amount_asked(parse: Parse) -> re.Match[str] | None:
    """How much did they spend, 花了多少钱: an amount asked in words no link took (人均消费
    多少 names its own metric)."""
    return next(
        (
            m
            for m in AMOUNT_ASKED.finditer(parse.text)
            if not any(x.start < m.end() and m.start() < x.end for x in parse.links)
        ),
        None,
    )


def _clause_around(text: str, at: int) -> tuple[int, int]:
    """The clause of `text` that holds position `at`: between the breaks of a sentence or
    of its parts (，？; , and) around it."""
    starts = [0, *(m.end() for m in FIGURE_CLAUSE_BREAK.finditer(text) if m.end() <= at)]
    ends = [m.start() for m in FIGURE_CLAUSE_BREAK.finditer(text) if m.start() > at]
    return max(starts), min(ends, default=len(text))


def _clauses_in_periods(parse: Parse) -> list[tuple[int, int, TimeMatch | None, bool]] | None:
    """The parts of a question that may each set a condition of their own, each with the
    period it names, or the one before when it names none (and whether it named it); None
    when a part names two (one refines the other)."""
    found: list[tuple[int, int, TimeMatch | None, bool]] = []
    period: TimeMatch | None = None
    for a, b in _period_clauses(parse.text, CONDITION_BREAK):
        dated = list({t.range: t for t in parse.found_times if a <= t.span[0] < b}.values())
        if len(dated) > 1:
            return None
        period = dated[0] if dated else period
        found.append((a, b, period, bool(dated)))
    return found


def _shortened_again(
    links: list[Link], same_table: Callable[[str, str], bool], before: Sequence[Link] = ()
) -> list[Link]:
    """注册渠道 … 各渠道多少人, registration channel … each channel: a dimension named again by
    the end of its name is the one named before (in the question, or in a part before),
    not another table's column the short word also names. Two columns of one table stay
    two (the weakest sub-category in each category)."""
    said: list[Link] = [y for y in before if y.kind == "dimension"]
    kept: list[Link] = []
    for x in links:
        if x.kind == "dimension":
            earlier = next(
                (
                    y
                    for y in reversed(said)
                    if len(y.text) > len(x.text)
                    and y.text.lower().endswith(x.text.lower())
                    and y.entries[0].target != x.entries[0].target
                    and not same_table(y.entries[0].target, x.entries[0].target)
                ),
                None,
            )
            if earlier is not None:
                x = replace(x, entries=(earlier.entries[0], *x.entries[1:]))
            said.append(x)
        kept.append(x)
    return kept


def _unlinked_words(parse: Parse) -> str:
    """A part's text without its linked words, trimmed of punctuation: what else it says."""
    rest = parse.text
    for x in sorted(parse.links, key=lambda x: -x.start):
        rest = rest[: x.start] + rest[x.end :]
    return rest.strip(" ，,。.？?；;!！")


def _set_aside(
    parse: Parse, spans: list[tuple[int, int]], *, cues: bool = True, comparisons: bool = True
) -> None:
    """Words a rule has read as a whole (a window after registering, a definition restated
    in brackets, the words of a figure): read, and no link, cue, period or bound found in
    them is read again as one of its own."""

    def said(start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in spans)

    parse.read_spans += spans
    parse.links = [x for x in parse.links if not said(x.start, x.end)]
    parse.times = [t for t in parse.times if not said(*t.span)]
    if cues:
        parse.cues = [c for c in parse.cues if not said(c.start, c.end)]
    if comparisons:
        parse.comparisons = [c for c in parse.comparisons if not said(c.start, c.end)]


def _own_column(parse: Parse, model: Model, name: str) -> None:
    """Every link of the column `name` becomes `model`'s column of it (the people's
    province, where the orders have one too)."""
    owned = f"{model.name}.{name}"
    parse.links = [
        replace(x, entries=(replace(x.entries[0], target=owned), *x.entries[1:]))
        if x.kind == "dimension" and x.entries[0].target.rpartition(".")[2] == name
        else x
        for x in parse.links
    ]


def _whole_months(period: TimeRange) -> bool:
    """A period from the first of a month to the last day of one (or open)."""
    starts = period.start is None or period.start.day == 1
    ends = period.end is None or (period.end + dt.timedelta(days=1)).day == 1
    return starts and ends


def _period_clauses(text: str, breaks: re.Pattern[str] = PERIOD_BREAK) -> list[tuple[int, int]]:
    """The clauses a chain of periods is written in (2024年买过、2025年一单没买、今年又回来买;
    bought in 2024, skipped all of 2025, and then came back), as spans; or those `breaks`
    part (CONDITION_BREAK: the parts that may each set a condition of their own)."""
    cuts = [0, *(x for m in breaks.finditer(text) for x in m.span()), len(text)]
    return list(zip(cuts[::2], cuts[1::2], strict=True))


def _contradictory(filters: list[MetricFilter]) -> bool:
    """Whether conditions on one metric leave no value (under 1000 and at least 20000)."""
    for metric in {f.metric for f in filters}:
        lows = [(f.value, f.op == ">") for f in filters if f.metric == metric and f.op in {">", ">="}]
        highs = [(f.value, f.op == "<") for f in filters if f.metric == metric and f.op in {"<", "<="}]
        if lows and highs:
            low, low_strict = max(lows)
            high, high_strict = min(highs, key=lambda h: (h[0], not h[1]))
            if low > high or (low == high and (low_strict or high_strict)):
                return True
    return False


def _read_with_negations(parse: Parse, start: int, end: int) -> None:
    """The words from start to end read, their negations with them (之前从没付款下过单的 says
    what a value is: its 没 negates nothing left out)."""
    said = [m for m in parse.negations.markers if start <= m[0] < end]
    parse.negations.markers = [m for m in parse.negations.markers if m not in said]
    negated = {m[2].strip() for m in said}
    parse.negations.unscoped = [u for u in parse.negations.unscoped if u not in negated]
    parse.read_spans.append((start, end))


def _clause_at(clauses: list[tuple[int, int]], at: int) -> tuple[int, int]:
    """The clause of `_period_clauses` that holds position `at` (an empty span if none)."""
    return next(((a, b) for a, b in clauses if a <= at < b), (0, 0))


MAX_EVERY = 12  # at most a condition for each month of a year


def _one_month(period: TimeRange) -> bool:
    """Whether a period lies within one calendar month."""
    start, end = period.start, period.end
    return start is not None and end is not None and (start.year, start.month) == (end.year, end.month)


def _one_year(period: TimeRange) -> bool:
    """Whether a period lies within one calendar year."""
    start, end = period.start, period.end
    return start is not None and end is not None and start.year == end.year


def _listed_months(time: TimeMatch) -> list[TimeRange]:
    """The months a time lists (1月、2月 is January and February, each), else its range."""
    start, end = time.range.start, time.range.end
    if start is None or end is None or not re.search(r"[、,，和与及]", time.text):
        return [time.range]
    months: list[TimeRange] = []
    while start <= end:
        after = shift_months(start, 1)
        months.append(TimeRange(start=start, end=min(after - dt.timedelta(days=1), end)))
        start = after
    return months


def _within(inner: TimeRange, outer: TimeRange) -> bool:
    """Whether one closed range of days lies inside another."""
    return (outer.start is None or (inner.start is not None and outer.start <= inner.start)) and (
        outer.end is None or (inner.end is not None and inner.end <= outer.end)
    )


PEOPLE_SPELLED = ("customer", "member", "buyer", "shopper")


def _people_respelled(text: str) -> tuple[str, list[str]]:
    """custmers, memebers: a word no dictionary knows, one letter off a word the
    reader has for people, spelled right; and what was respelled, for the evidence."""
    said: list[str] = []

    def respell(match: re.Match[str]) -> str:
        word = match.group(0)
        plural = word.endswith("s")
        stem = word[:-1] if plural else word
        if word in ENGLISH_WORDS or stem in ENGLISH_WORDS or stem in PEOPLE_SPELLED:
            return word
        # one letter off (a swap counts one): custom or remember are other words
        close = [p for p in PEOPLE_SPELLED if DamerauLevenshtein.distance(stem, p, score_cutoff=1) <= 1]
        if not close:
            return word
        right = close[0] + ("s" if plural else "")
        said.append(f"“{word}”→{right}")
        return right

    return re.sub(r"\b[a-z]{5,}\b", respell, text), said


def _noun_before(text: str, at: int) -> str:
    """The plural noun "ones" stands for: the last one said before it, else "ones"."""
    nouns = list(PLURAL_NOUN.finditer(text, 0, at))
    return nouns[-1].group(0) if nouns else "ones"


def _run_on(words: list[str], language: Language) -> str:
    """Words one after the other, as the language writes them (今年1月, this year January)."""
    text = words[0] if words else ""
    for word in words[1:]:
        text = say("reading.run_on", language, before=text, after=word)
    return text


def _shape(query: SemanticQuery) -> str:
    """What a part of a question asks for, apart from which metrics: its grouping, time
    buckets, period, ranking, filters and shares."""
    return query.model_dump_json(exclude={"metrics", "share"}) + ("share" if query.share else "")


class Ambiguous(Exception):
    """A word that reads equally well as a value of several dimensions."""

    def __init__(self, word: str, dimensions: list[str]) -> None:
        super().__init__(word)
        self.word = word
        self.dimensions = dimensions


@dataclass(frozen=True)
class Picked:
    """A value word read as a filter of its dimension, or as left out of it (除了天猫)."""

    entry: Entry
    negated: bool = False

    @property
    def value(self) -> str | int | float | None:
        return self.entry.value


GROWTH_WORDS = re.compile(
    r"增长率|增速|增幅|涨幅|增长额|增加额|增长量|变化率|变化额|变化量|变动|差额|差值|多了多少|少了多少|差了多少"
    r"|growth rate|rate of change|change amount|change rate|(?:count |amount )?difference|\bdiff\b"
    r"|\(?absolute(?: change)?(?: and %| and percent(?:age)?)?\)?"
)
QUALIFIED_GAP = re.compile(r"^[\s类的]*$")
QUALIFYING_AFTER = re.compile(
    r"^\s*(?:(?:that|which|who) (?:are|is|were|was)\s*)?(?:not\s*|outside(?: of)?\s*|except\s*|excluding\s*)?"
    r"(?:in|from|at|of|based in|located in)?\s*(?:the\s*)?$"
)
# A total asked in so many words: 向Fuller汇报的员工一共做了多少销售额 is one figure.
TOTAL_WORD = re.compile(r"一共|总共|合计|总计|加起来|\btotal\b|altogether|combined|all together")
COLUMN_AFTER_TOTAL = re.compile(r"\s+[a-z]")
# 一共有多少人: a total of the people counted, not a total of the figure.
TOTAL_OF_PEOPLE = re.compile(r"(?:一共|总共)(?:有)?(?:多少|几)(?:人|个|位|家|名)")
# Dimensions named in one grouping: by category and supplier, 按省份、渠道.
# Where a compound question turns to another part: 上个月的GMV和订单数，以及各渠道的退款率;
# "GMV last month, and the AOV by channel". Each part keeps its own grouping.
CLAUSE_BREAK = re.compile(
    r"\s*(?:[，,；;？?。]\s*(?:以及|另外|此外|同时|其中|还有|并且)|以及|另外|[；;？?]"
    r"|,\s*(?:and|plus|as well as|also)\b|\bplus\b|\band also\b)\s*",
    re.IGNORECASE,
)
LISTED_WITH = re.compile(r"^\s*(?:和|与|及|以及|、|,|，|/|and|&|or|x|×|\*)\s*$")
# A dimension grouped by the word after it: 品类分别, channel by channel (a word of its own).
GROUPED_AFTER = re.compile(r"^\s*(?:分别|各自|逐一|分布|\b(?:split|breakdown|mix|distribution)\b)")
# month over month, week-over-week, 逐月环比: a comparison of each bucket with the one before
STEP_OVER_STEP = re.compile(r"\b(day|week|month|quarter)[- ]over[- ]\1\b|\b(mom|wow)\b|逐(月|周|日|季)")
STEP_GRAINS: dict[str, Grain] = {
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "mom": "month",
    "wow": "week",
    "月": "month",
    "周": "week",
    "日": "day",
    "季": "quarter",
}
# of any status, 不限渠道, 无论什么渠道: whatever the value of the dimension after it
ANY_VALUE_BEFORE = re.compile(
    r"\b(?:of|in|with|at|for)\s+any\s+$|(?:不限|不管|不论|无论|不分)(?:什么|哪个|哪种)?\s*$"
)
# （1星或2星）, (1 or 2 stars): words in brackets
BRACKETED = re.compile(r"\s*[（(][^（()）]*[)）]")
# A bracket that says how to group (by channel, 按渠道), not what a value is; nor one
# that widens or narrows it (of any status, 不含退款).
GLOSS_GROUPING = re.compile(
    r"\b(?:by|per|each|split|any|all|every|no|not|only|excluding|including|except|without)\b|"
    r"按|分|各|每|任何|所有|全部|包括|包含|含|除|不|没|只|仅"
)
# The name a bracket defines: the Chinese words right before it, back to 的 or a stop.
NAME_BEFORE = re.compile(
    r"(?:(?!的)[\u4e00-\u9fff]){1,8}$|"
    r"(?<![a-z-])(?:(?!(?:of|for|by|in|the|a|an|and|or)\b)[a-z][a-z-]*\s+)?(?!(?:of|for|by|in|the)\b)[a-z][a-z-]*$"
)
# 4000元, 1万块, 4,000 yuan, $20: an amount of money
MONEY = re.compile(r"[元块¥$￥]|\b(?:yuan|rmb|cny|dollars?|bucks|usd|euros?)\b")
# 5笔, 10条: a number of rows, counted as rows are (an order, a record)
ROW_CLASSIFIER = re.compile(r"[笔条单]\s*$")
ROW_CLASSIFIER_AFTER = re.compile(r"\s*([笔条单])?\s*")
# separately for men and for women: each value of the dimension on its own
SEPARATELY_BEFORE = re.compile(
    r"\bseparately\s+(?:for\s+|among\s+|within\s+)?(?:the\s+)?$|\bfor each of\s+(?:the\s+)?$"
)
# 按支付金额从高到低排: the column before it sorts
SORTED_AFTER = re.compile(
    r"\s*(?:从高到低|从低到高|从大到小|从小到大|由高到低|由低到高|降序|升序|倒序|排序|排列|排)"
)
# 每个品类, 各渠道, for each category: the groups named one by one
EACH_GROUP_BEFORE = re.compile(r"(?:每个|每一个|各个?)\s*$|\beach\s+$")
# 每天, 每月, each month, every week: every bucket is a group of its own
EACH_BUCKET = re.compile(
    r"每(?:一)?(?:天|日|周|个?月|个?季度|年)|各(?:月|天|周|季度|年)|"
    r"\b(?:each|every|per|by)\s+(?:day|week|month|quarter|year)\b"
)
EACH_WORD = re.compile(
    r"分别|各自|各多少|各是|各有|各(?=[卖买下花赚占])|每个|\beach\b|respectively|\bper\b|\bby\b"
)
# 按X拆一下, split by X: X is the grouping the question asks for
GROUPING_ASKED = re.compile(
    r"按照?([\u4e00-\u9fffA-Za-z0-9]{1,8}?)(?:来|去)?(?:拆分?|分(?:组|类|开|别|一下|下)|看|统计|汇总|细分|区分|划分)|"
    r"\b(?:split|broken|break|grouped?|segmented|cut)(?: it| them| this| that)?(?: down| out| up)? by ((?:[a-z]+ ){0,2}[a-z]+)"
)
GROUPING_WORD = re.compile(
    r"(?:各(?:家|个|位|款|种|类)?|每个|每|分|按|哪个|哪些)\s*$"
    # by order channel, each sales channel: one word may stand between
    r"|\b(?:by|per|each|every|which)\s+(?:[a-z]+\s+)?$"
)


class Feed(BaseModel):
    """In a compound question, filter `dimension` by the `column` values of an earlier answer."""

    model_config = ConfigDict(frozen=True)

    source: int
    column: str
    dimension: str


class Step(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    query: SemanticQuery
    feed: Feed | None = None


class Understanding(BaseModel):
    # Kept readings are handed out as they are (a copy per question cost more than the
    # reading it saved): nobody may change one, a change makes a new one (model_copy).
    model_config = ConfigDict(frozen=True)

    language: Language
    status: Literal["answer", "clarify", "refuse"]
    message: str = ""
    steps: list[Step] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    time_text: str = ""
    # Words of the question that no time phrase, analysis word or layer word covered:
    # the rules answered without them, so a language model (when configured) gets a say.
    unlinked: list[str] = Field(default_factory=list)
    # The unlinked words that name something (a place, a thing: nouns in the dictionary):
    # most likely a filter nlq could not apply, so the interpretation says it was left out.
    ignored: list[str] = Field(default_factory=list)
    # True when the safety screen refused: no other reader may overrule it.
    screened: bool = False
    # Who read the question: the rules, or the language model (said in the interpretation).
    read_by: Literal["rules", "model"] = "rules"
    # Raw-SQL mode: the SQL the language model wrote (secured and guarded before it runs).
    sql: str = ""
    # What the words linked to: `metric:gmv`, `dimension:channel`, `value:channel=天猫`.
    linked: list[str] = Field(default_factory=list)
    # For a clarification: the question rewritten once per reading, each one answerable as it stands.
    options: list[str] = Field(default_factory=list)
    # Words linked by nearness, not by name (狗东→京东): a guess the analyst should confirm.
    fuzzy: list[str] = Field(default_factory=list)
    # A follow-up naming no metric: the metrics it kept from the question before.
    carried: list[str] = Field(default_factory=list)


@dataclass
class Parse:
    """What was found in the question, before the queries are assembled."""

    text: str
    language: Language
    as_of: dt.date
    times: list[TimeMatch]
    cues: list[Cue]
    links: list[Link]
    evidence: list[str] = field(default_factory=list)
    question: str = ""  # as asked, for rewriting it in a clarification
    comparisons: list[Comparison] = field(default_factory=list)
    negations: Negations = field(default_factory=Negations)
    time_spans: list[tuple[int, int]] = field(default_factory=list)  # every time phrase, refined or not
    found_times: list[TimeMatch] = field(default_factory=list)  # every period, a narrower one or not
    counted: list[tuple[int, int]] = field(default_factory=list)  # the entity a "how many" counts
    datings: list[Dating] = field(default_factory=list)  # date words beside a period (shipped in 1997)
    # Conditions on a numeric attribute of each row (标价超过100的商品) and the spans they took.
    attributes: list[Filter] = field(default_factory=list)
    attribute_spans: list[tuple[int, int]] = field(default_factory=list)
    unplaced: list[str] | None = None  # the words no rule used, once the reading is done
    unread: list[str] = field(default_factory=list)  # linked words the reading could not use
    # 平均每单优惠, units per order: what the asked metrics are divided by, and the words
    # that said so; 日均GMV: the buckets a metric is averaged over.
    denominators: list[str] = field(default_factory=list)
    ratio_spans: list[tuple[int, int]] = field(default_factory=list)
    averaged: Averaged | None = None
    # Words a rule read that no link or cue holds: 退款时间 listed as a column, the
    # "shipped" of "shipped to 上海".
    read_spans: list[tuple[int, int]] = field(default_factory=list)
    # The metric a funnel or a cohort table of the layer is built on, while it is read.
    construct: str = ""
    # Table words that do not name the rows listed: 用户 of 用户84, 评价 of 一条评价都没收到.
    keyed: list[tuple[int, int]] = field(default_factory=list)
    absent: str | None = None  # 没卖出去的商品: the metric the rows listed have no figure of
    absent_at: int = 0  # where the question says it did not happen
    # 新客=…: a sentence after the question that defines its values, no question of its own;
    # …last year, and this year … but not …: conditions on one set of people across clauses
    read_whole: bool = False
    # 1, 2-3, 4-5, 6 or more orders: bands of each person's figure the question defines
    bands: tuple[BandKind, BandList] | None = None
    # 注册后7天内, within 30 days of signing up: how many days after their own registration
    # the people's figure is counted (the last day's distance from it)
    within_signup: int | None = None
    signup_span: tuple[int, int] | None = None
    # The words of what did not happen (没下过单, never placed an order): no rows are named there.
    absent_spans: list[tuple[int, int]] = field(default_factory=list)
    # A comparison (by its start) bound to the metric counting what its number counts.
    bound: dict[int, str] = field(default_factory=dict)
    # 不同商品数, at least 3 different categories: counts of distinct values asked
    distinct: list[DistinctCount] = field(default_factory=list)

    def has(self, *kinds: str) -> bool:
        return any(c.kind in kinds for c in self.cues)

    def cue(self, *kinds: str) -> Cue | None:
        return next((c for c in self.cues if c.kind in kinds), None)


class Understander:
    def __init__(self, layer: SemanticLayer, lexicon: Lexicon, campaigns: Sequence[Campaign] = ()) -> None:
        self.layer = layer
        self.lexicon = lexicon
        self.campaigns = list(campaigns)
        self.graph = JoinGraph(layer)
        cue_words = [
            "画像",
            "热销",
            "畅销",
            "爆款",
            "同比",
            "环比",
            "占比",
            "趋势",
            "走势",
            "分布",
            "用户画像",
            "排名",
            "排第几",
            "第几名",
            "名次",
        ]
        # Table words (退款, orders) are the understanding's, not the lexicon's (see
        # _entity): the linker still knows them, so that a typo never swallows one.
        table_words = [w for m in layer.models for w in (m.label.zh, m.label.en, m.name, *m.synonyms) if w]

        self.linker = Linker(lexicon, cue_words, known_words=table_words, opposites=layer.reading.opposites)
        self._first_reading = lru_cache(maxsize=READINGS_KEPT)(partial(self.read, previous=None))

    # -- entry point ---------------------------------------------------------------------
    def understand(
        self, question: str, as_of: dt.date, previous: Understanding | None = None
    ) -> Understanding:
        """`previous` is the last answered question of a conversation: a follow-up
        ("那上个月呢", "只看天猫", "换成销售额") changes it instead of starting anew."""
        if previous is not None:
            return self.read(question, as_of, previous)
        # A question that opens a conversation reads the same every time it is asked on
        # the same day: read once.
        return self._first_reading(question, as_of)

    def forget(self) -> None:
        """Drops the kept readings (benchmarks measure a first reading with it)."""
        self._first_reading.cache_clear()
        self.linker.tokenizer.spans.cache_clear()

    def read(self, question: str, as_of: dt.date, previous: Understanding | None) -> Understanding:
        """The question read afresh, whether or not it was read before."""
        language = language_of(question)
        verdict = screen(question, language)
        if verdict is not None:
            return Understanding(language=language, status="refuse", message=verdict, screened=True)
        intent = find_intent(normalise(question))
        if intent is not None and intent.name == "redefine" and self._basis(normalise(question)):
            intent = None  # 按订单收货省份算, 按下单时间算: which column, not a new 口径
        if intent is not None and intent.name in ANSWERED_INTENTS:
            # 为什么GMV下降了, 近30天哪天的订单数不正常: explained by nlq.insight when its own cue
            # is there (对GMV的影响 is a why of another kind, still refused)
            text = normalise(question)
            cues = [c for c in find_cues(text) if c.kind == intent.name]
            # 异常订单, unusual orders: rows out of the ordinary, not days of a metric (asked back)
            if cues and not any(self._qualifies_rows(text[c.end :]) for c in cues if c.kind == "anomaly"):
                intent = None
        if intent is not None:
            return Understanding(
                language=language,
                status="refuse",
                message=intent_message(intent, language),
                evidence=[f"intent: {intent.name}"],
            )
        parse = self._parse(question, language, as_of)
        # a funnel or a cohort table is one table; its parts say what of it to show
        one_table = self._analysis_word(parse) is not None or self._cohort_described(parse) is not None
        whole = self._read_parse(parse, previous)
        # 为啥变少了？按注册渠道拆一下: one change explained, its parts are not questions of their own
        linked_parts = any(
            step.feed or step.query.metric_filters or step.query.explain for step in whole.steps
        )
        if previous is None and not linked_parts and not one_table and not parse.read_whole:
            # A part that builds on the one before (畅销商品以及买家画像: those products'
            # buyers) is read whole; parts that stand apart are read apart.
            parts = self._parts(question, language, as_of)
            if parts is not None:
                return parts
        return whole

    def _only_columns(self, parse: Parse) -> bool:
        """A clause that only names columns (two or more, no figure, value or period; or
        one with a word saying that is all: 给用户ID就行, just the user id)."""
        times = [span for _, span in self._time_columns(parse)]
        kinds = [x.kind for x in parse.links if not any(a <= x.start and x.end <= b for a, b in times)]
        enough = 1 if JUST_THAT.search(parse.text) else 2
        return len(kinds) + len(times) >= enough and set(kinds) <= {"dimension"} and not parse.times

    @cached_property
    def _time_words(self) -> list[tuple[str, str]]:
        """The words of every time of rows (退款时间, order time), longest first, with the
        time dimension they name."""
        words = [
            (normalise(word), f"{model.name}.{time.name}")
            for model in self.layer.models
            for time in model.time_dimensions
            for word in (time.label.zh, time.label.en, *time.synonyms)
            if word
        ]
        return sorted(words, key=lambda pair: -len(pair[0]))

    def _basis(self, text: str) -> re.Match[str] | None:
        """按X算 where X ends with a dimension or a time of the layer: the question says
        which column it means (a shipping province, an order time), not a definition."""
        match = BASIS.search(text)
        if match is None:
            return None
        inner = match.group(1).rstrip("的")
        if re.fullmatch(r"(?:每|各)?(?:个)?(?:天|日|周|月|月份|季度|季|年|年度)", inner):
            return match  # 按月算: the buckets of a grain, not a new 口径
        links = self.linker.link(inner)
        last = links[-1] if links else None
        if last is not None and last.kind == "dimension" and last.end == len(inner):
            return match
        ranked = any(
            c.kind in {"top", "bottom", "hot", "rank", "nth", "sort", "sort_asc"} for c in find_cues(text)
        )
        if (
            last is not None
            and last.kind == "metric"
            and last.start == 0
            and last.end == len(inner)
            and ranked
        ):
            return match  # 买得最多的3个品牌，按成交额算: what the ranking goes by, not a new 口径
        if PAID_BASIS.search(inner) and not self._beside_paid_basis(inner):
            return match  # 消费按支付订单的GMV算: the governed basis said again, no new 口径
        return match if any(inner.endswith(normalise(word)) for word in self._date_words) else None

    def _beside_paid_basis(self, inner: str) -> str:
        """What `inner` says beside paid orders, a figure of the layer and a period."""
        spans = [m.span() for m in PAID_BASIS.finditer(inner)]
        spans += [(x.start, x.end) for x in self.linker.link(inner) if x.kind == "metric"]
        spans += [t.span for t in find_times(inner, dt.date.today(), self.campaigns)]
        rest = "".join(c for i, c in enumerate(inner) if not any(a <= i < b for a, b in spans))
        return re.sub(r"[的都来\s]|以来|全部|全都", "", rest)

    @staticmethod
    def _only_shows(parse: Parse, named: set[str]) -> bool:
        """A part that names only columns and figures the part before named, with no
        value, period or condition of its own (Show product name and stock)."""
        dimensions = [x for x in parse.links if x.kind == "dimension"]
        metrics = [x for x in parse.links if x.kind == "metric"]
        return (
            bool(parse.links)
            and SHOW_OPENING.match(parse.text) is not None
            and len(dimensions) + len(metrics) == len(parse.links)
            # figures the part before asked, and columns given as a list (order id, user id)
            and all(x.entries[0].target in named for x in metrics)
            and (len(dimensions) >= 2 or all(x.entries[0].target in named for x in dimensions))
            and not parse.times
            and not parse.comparisons
        )

    @staticmethod
    def _only_compared(parse: Parse) -> bool:
        """A part that names nothing (no figure, group, value or period) and only asks
        for a comparison or an order: 放一行对比, 以及环比上季度的增长额和增长率, 按从高到低排."""
        compared = parse.has("compare", "pop", "yoy", "sort", "sort_asc", "cumulative", "moving", "share")
        compared = compared or bool(GROWTH_WORDS.search(parse.text))
        # 再给一列今年以来的累计数: a running total of the part before, its period restated
        restated = parse.has("cumulative", "moving") and len(parse.times) <= 1
        return bool(compared) and not parse.links and (not parse.times or restated)

    @staticmethod
    def _only_grouping(parse: Parse) -> bool:
        """A part that only says how to split what the rest asks: Split by gender please,
        按注册渠道分别看 - dimensions and grouping words, nothing else."""
        if (
            not parse.links
            or parse.times
            or parse.comparisons
            or any(x.kind != "dimension" for x in parse.links)
        ):
            return False
        return GROUPING_ONLY.fullmatch(_unlinked_words(parse)) is not None

    def _same_table(self, a: str, b: str) -> bool:
        """Whether two dimensions are columns of one model (category and sub-category)."""
        return bool({m.name for m in self.layer.holders(a)} & {m.name for m in self.layer.holders(b)})

    @staticmethod
    def _counts_again(parse: Parse, before: list[Parse]) -> bool:
        """A part that only counts heads by a dimension a part before named (各渠道多少人 after
        注册渠道, each channel after registration channel): what to show of it, not a question."""
        grouped = {x.entries[0].target for p in before for x in p.links if x.kind == "dimension"}
        if not parse.links or parse.times or parse.comparisons:
            return False
        if any(x.kind != "dimension" or x.entries[0].target not in grouped for x in parse.links):
            return False
        return HEADS_BY.fullmatch(_unlinked_words(parse)) is not None

    def _parts(self, question: str, language: Language, as_of: dt.date) -> Understanding | None:
        """A compound question whose parts ask differently shaped things (totals, then a
        breakdown: 上个月的GMV和订单数，以及各渠道的退款率), read part by part: each part
        keeps its own grouping, and a part without a period takes the one before it.
        None when it has one part, a part cannot be read alone, or all parts ask the
        same shape (one reading then answers them together)."""
        pieces = [p for p in CLAUSE_BREAK.split(question) if p and p.strip(" ，,。.？?；;")]
        if len(pieces) < 2:
            return None
        if any(BASIS.fullmatch(normalise(p).strip(" ，,。.？?；;")) for p in pieces):
            return None  # 按订单收货省份算 qualifies the question, it asks nothing of its own
        note = pieces[-1].strip(" ，,。.？?；;")
        if BRACKETED.fullmatch(note) and RESTATED_AS.match(note.strip("（()）")):
            return None  # …是多少？（复购率=…）: what a word of it means, in brackets, not a part
        parses = [self._parse(p, language, as_of) for p in pieces]
        for index, later in enumerate(parses[1:], start=1):
            later.links = _shortened_again(
                later.links, self._same_table, [x for p in parses[:index] for x in p.links]
            )
        if any(self._only_columns(parse) for parse in parses):
            return None  # 给我订单号、用户ID和实付金额 says what to show of the rows the rest asks for
        first_named = {x.entries[0].target for parse in parses[:1] for x in parse.links}
        if parses[0].has("hot") and self.layer.reading.best_selling:
            first_named.add(self.layer.reading.best_selling)  # 卖得最好的3个商品 ranks by units sold
        if any(self._only_shows(parse, first_named) for parse in parses[1:]):
            return None  # Show product name and stock, lowest first: what to show of the rest
        if any(BACK_REFERENCE.search(normalise(p)) for p in pieces[1:]):
            return None  # the best week ..., and how much that week: one reading of both
        bands = find_bands(normalise(question))
        if bands and (
            len(CLAUSE_BREAK.split(bands.text)) > 1 or any(BANDS_AGAIN.search(p.text) for p in parses[1:])
        ):
            # just once, 2-3 times, and 4 or more times (how much GMV from each of those
            # groups): one list of bands, not parts
            return None
        if any(self._counts_again(parse, parses[:index]) for index, parse in enumerate(parses[1:], start=1)):
            return None  # …都是从哪些注册渠道来的？各渠道多少人: the same people by the same groups
        if any(self._only_grouping(parse) for parse in parses[1:]):
            return None  # Split by gender please: how to split the part before, one reading
        if any(self._only_compared(parse) for parse in parses[1:]):
            # 放一行对比, 以及环比的增长额, Sort from highest to lowest: how to show the part
            # before, not a question of its own
            return None
        whole = self._parse(question, language, as_of)
        if self._period_chain(whole, whole.times):
            return None  # bought in 2024, skipped 2025, and then came back: one chain of periods
        self._take_first_defined(whole)
        if any(a >= len(pieces[0]) for a, _ in whole.read_spans):
            return None  # …？新客就是第一笔付款订单落在上个月的人: what a word of it means
        for parse in parses[1:]:
            defined = DEFINES.search(parse.text)
            words = [x for x in parse.links if defined and x.end <= defined.start()]
            if defined and words and not parse.text[words[-1].end : defined.start()].strip(" ,，"):
                # 新客就是最近30天注册的人: the asker's own meaning of a word, which the
                # layer's does not say; asked, never answered as another question
                return self._cannot_use(parse, [parse.text.strip(" ，,。.？?；;")])
        pointing = next(
            (m for p in parses[1:] if (m := POINTS_BACK.search(p.text) or AGAIN.search(p.text))), None
        )
        # 今年新注册的用户一共多少人？其中…的有多少: "among them" said by the break between the
        # parts, of people the part before counts (其中销量前5的商品 of all units sold is
        # the same period's top 5: read apart)
        counts_people = PEOPLE_NOUN.search(parses[0].text) or USER_WORDS.search(parses[0].text)
        pointing = pointing or next(
            (
                m
                for b in CLAUSE_BREAK.finditer(normalise(question))
                if counts_people and (m := AMONG_THEM.search(b.group(0)))
            ),
            None,
        )
        if self._share_within_groups_before(parses):
            # 各城市等级的新买家有多少人？占该城市等级全部买家的比例: the value's share within
            # each group the part before named, one reading
            return None
        if self._share_of_people_picked(parses):
            # 消费不到200块的买家有多少？占上季度全部买家的比例呢: their count and their share
            # of everyone, one reading
            return None
        if self._rate_of_people_counted(parses):
            # 1月注册的用户有多少人下过单？转化率多少: the rate of the people the part before
            # counts, one reading
            return None
        if pointing is not None and self._figures_of_people_picked(parses, pointing):
            # 消费超过2万元的用户有多少人？他们一共贡献了多少成交额: the figures of the people
            # the condition picked, beside their count: one reading of both
            return None
        if pointing is not None and self._figures_of_groups_before(parses):
            # first-time and returning buyers: how many of each, and their AOV: the figures of
            # each group the part before named, beside its count: one reading of both
            return None
        if pointing is not None:
            # Break its buyers down by age group: the rows the part before found, which
            # neither part alone nor both read as one can name: asked
            return self._cannot_use(parses[0], [pointing.group(0)], "reading.cannot_combine")
        periods = [_run_on([t.text for t in parse.times], language) for parse in parses]
        readings: list[Understanding] = []
        for index, piece in enumerate(pieces):
            # A part without a period takes the one before it, else the one after it
            # (English says the period last: "GMV, and the AOV by channel, last month").
            before = [p for p in periods[:index] if p]
            after = [p for p in periods[index + 1 :] if p]
            period = periods[index] or (before[-1] if before else after[0] if after else "")
            parse = parses[index]
            earlier_links = [x for p in parses[:index] for x in p.links]

            def part(text: str) -> Parse:
                # 各渠道: the 注册渠道 of the part before, as in the question read whole
                parsed = self._parse(text, language, as_of)
                parsed.links = _shortened_again(parsed.links, self._same_table, earlier_links)  # noqa: B023
                return parsed

            if period and not periods[index]:
                piece = say("reading.part_with_period", language, period=period, part=piece)
                parse = part(piece)
            reading = self._read_parse(parse, None)
            named = any(x.kind == "metric" for x in parse.links)
            earlier = readings[-1].steps[0].query.metrics[:1] if readings and readings[-1].steps else []
            if reading.status != "answer" and earlier and not named:
                # 二季度比一季度多了多少: a part naming no figure asks of the one before it
                metric = self._label(earlier[0], language)
                carried = say("reading.part_with_metric", language, metric=metric, part=piece)
                reading = self._read_parse(part(carried), None)
            back = GROUP_BACK.search(normalise(piece))
            if back and readings and reading.status == "answer" and not reading.steps[0].query.dimensions:
                # …, and the AOV of each group: grouped as the part before it
                grouped = readings[-1].steps[0].query.dimensions
                if not grouped:
                    return None
                dimension = self._dimension_label(grouped[0], language)
                carried = say("reading.part_with_grouping", language, dimension=dimension, part=piece)
                reading = self._read_parse(part(carried), None)
                joined = self._with_figures_of(readings[-1], reading, language)
                if joined is not None:
                    # 新客和老客各有多少人？成交额分别是多少: one table, a column per figure
                    readings[-1] = joined
                    continue
            inherited = self._of_the_part_before(parses[index], piece, reading, readings, language)
            if inherited is not None:
                joined = self._with_figures_of(readings[-1], inherited, language)
                if joined is not None:
                    # 上个月天猫的GMV是多少？客单价多少？: one table, a column per figure
                    readings[-1] = joined
                    continue
                reading = inherited
            if reading.status != "answer" or reading.sql:
                return None
            readings.append(reading)
        if len(readings) == 1 and len(pieces) > 1:
            return readings[0]  # its parts were one table's columns
        if len({tuple(_shape(step.query) for step in r.steps) for r in readings}) < 2:
            return None
        steps: list[Step] = []
        for reading in readings:
            offset = len(steps)
            steps += [
                s
                if s.feed is None
                else s.model_copy(
                    update={"feed": s.feed.model_copy(update={"source": s.feed.source + offset})}
                )
                for s in reading.steps
            ]
        return readings[0].model_copy(
            update={
                "steps": steps,
                "evidence": [f"part: {p.strip()}" for p in pieces]
                + [e for r in readings for e in r.evidence],
                "unlinked": list(dict.fromkeys(w for r in readings for w in r.unlinked)),
                "ignored": list(dict.fromkeys(w for r in readings for w in r.ignored)),
                "linked": list(dict.fromkeys(w for r in readings for w in r.linked)),
                "fuzzy": list(dict.fromkeys(w for r in readings for w in r.fuzzy)),
            }
        )

    def _of_the_part_before(
        self,
        parse: Parse,
        piece: str,
        reading: Understanding,
        readings: list[Understanding],
        language: Language,
    ) -> Understanding | None:
        """上个月天猫的GMV是多少？客单价多少？, GMV by channel? and the AOV?: a part that names
        figures only is asked of the rows the part before kept and grouped, as it takes its
        period; not when it says it is of everything (整体, 总, overall)."""
        if (
            not readings
            or len(readings[-1].steps) != 1
            or reading.status != "answer"
            or len(reading.steps) != 1
        ):
            return None
        if not self._names_figures_only(parse) or parse.cues or WHOLE_WORDS.search(normalise(piece)):
            return None
        before = readings[-1].steps[0].query
        if not (before.dimensions or before.filters) or before.count_groups or before.presences:
            return None
        query = reading.steps[0].query
        if query.dimensions or query.filters:
            return None
        query = query.model_copy(update={"dimensions": before.dimensions, "filters": before.filters})
        return reading.model_copy(update={"steps": [Step(title=self.title(query, language), query=query)]})

    @staticmethod
    def _share_within_groups_before(parses: list[Parse]) -> bool:
        """The first part counts a value in groups; the second asks only a share and names
        nothing but those groups again (占该城市等级全部买家的比例), in no period of its own."""
        if len(parses) != 2:
            return False
        first, later = parses
        grouped = {x.entries[0].target for x in first.links if x.kind == "dimension"}
        named = [x for x in later.links if x.kind != "metric"]
        return (
            later.has("share")
            and any(x.kind == "value" for x in first.links)
            and bool(named)
            and all(x.kind == "dimension" and x.entries[0].target in grouped for x in named)
            and not later.times
            and not later.comparisons
        )

    def _share_of_people_picked(self, parses: list[Parse]) -> bool:
        """The first part counts people a comparison picks (or who did not buy in a period),
        the second asks only their share of all such people (占全部买家的比例, what fraction of
        the H1 2025 buyers is that), in the same period if it names one."""
        picked = bool(parses) and bool(parses[0].comparisons or NOT_BOUGHT.search(parses[0].text))
        said_before = {x.entries[0] for x in parses[0].links if x.kind == "value"} if parses else set()
        if len(parses) == 2 and not picked and HAD_VERB.search(parses[0].text):
            # 买过母婴的用户里，有多少人也买过服饰？占母婴买家的比例: a share among the buyers
            # of a value the part before said
            picked = any(x.kind == "value" and x.entries[0] in said_before for x in parses[1].links)
        if len(parses) != 2 or not picked or not HOW_MANY_ANYWHERE.search(parses[0].text):
            return False
        later = parses[1]
        people = {self._profile.metric} if self.layer.reading.profile else set()
        same_period = {t.range for t in later.times} <= {t.range for t in parses[0].times}
        return (
            later.has("share")
            and not later.comparisons
            and same_period
            and all(
                (x.kind == "metric" and x.entries[0].target in people)
                or (x.kind == "value" and x.entries[0] in said_before)
                for x in later.links
            )
        )

    def _rate_of_people_counted(self, parses: list[Parse]) -> bool:
        """The first part counts people, the second names only a rate of people (转化率多少,
        and the conversion rate)."""
        if len(parses) != 2 or not HOW_MANY_ANYWHERE.search(parses[0].text):
            return False
        first, later = parses
        people = PEOPLE_NOUN.search(first.text) or USER_WORDS.search(first.text)
        return (
            people is not None
            and self._registered(first) is not None
            and self._names_figures_only(later)
            and all(self._rate_of_people(x.entries[0].target) for x in later.links)
        )

    @staticmethod
    def _names_figures_only(parse: Parse) -> bool:
        """A part that names figures and nothing else: no group, value, period or condition
        (他们一共贡献了多少成交额, and their AOV)."""
        return (
            bool(parse.links)
            and all(x.kind == "metric" for x in parse.links)
            and not parse.comparisons
            and not parse.times
        )

    @staticmethod
    def _figures_of_groups_before(parses: list[Parse]) -> bool:
        """The first part names two or more values of one dimension (first-time and returning
        buyers, 新客和老客) and the part pointing back at them asks figures only."""
        if len(parses) != 2:
            return False
        first, later = parses
        kinds = [x.entries[0].target.partition("=")[0] for x in first.links if x.kind == "value"]
        grouped = any(kinds.count(k) >= 2 for k in kinds)
        return grouped and not first.comparisons and Understander._names_figures_only(later)

    @staticmethod
    def _figures_of_people_picked(parses: list[Parse], pointing: re.Match[str]) -> bool:
        """The first part counts people a comparison or what they bought picks (花了超过2万
        的用户有多少人, 只在线下门店买过东西的顾客有几个), and the part pointing back at them
        (他们, they) asks figures only."""
        first = parses[0]
        if AGAIN.fullmatch(pointing.group(0)) or len(parses) != 2:
            return False
        if not (first.comparisons or HAD_VERB.search(first.text) or RANKED_BY_SPEND.search(first.text)):
            return False
        # how many of them, or which of them (花钱最多的前10位客户是谁)
        picked = HOW_MANY_ANYWHERE.search(first.text) or RANKED_BY_SPEND.search(first.text)
        if not picked or not (PEOPLE_NOUN.search(first.text) or USER_WORDS.search(first.text)):
            return False
        return Understander._names_figures_only(parses[1])

    def _with_figures_of(
        self, before: Understanding, part: Understanding, language: Language
    ) -> Understanding | None:
        """The reading before with the figures of a part grouped as it (成交额分别是多少
        after 新客和老客各有多少人), when the part asks nothing else of its own: its
        filters are the ones before or none."""
        if part.status != "answer" or len(before.steps) != 1 or len(part.steps) != 1:
            return None
        first, then = before.steps[0].query, part.steps[0].query
        if then.filters and then.filters != first.filters:
            return None
        # 人均下了几单？客单价多少？: a figure divided on the fly beside a governed one
        plain = {"filters": first.filters, "ratios": []}
        if _shape(then.model_copy(update=plain)) != _shape(first.model_copy(update={"ratios": []})):
            return None
        query = first.model_copy(
            update={
                "metrics": list(dict.fromkeys([*first.metrics, *then.metrics])),
                "ratios": [*first.ratios, *(r for r in then.ratios if r not in first.ratios)],
            }
        )
        step = Step(title=self.title(query, language), query=query)
        return before.model_copy(update={"steps": [step], "evidence": [*before.evidence, *part.evidence]})

    def _read_parse(self, parse: Parse, previous: Understanding | None) -> Understanding:
        """A parsed question (or one part of a compound question, on its own), read."""
        linked = dict.fromkeys(
            f"{e.kind}:{e.target}" + (f"={e.value}" if e.value is not None else "")
            for x in parse.links
            for e in x.entries[:1]
        )
        understood = self._understand(parse, previous)
        lost = self._grouping_lost(parse) if understood.status == "answer" else []
        if lost:
            understood = self._cannot_use(parse, lost)
        redefined = self._term_redefined(parse) if understood.status == "answer" else []
        if redefined:
            understood = self._cannot_use(parse, redefined, "reading.cannot_combine")
        # After the reading: the words its rules took (a segment's people, a funnel's word) are used.
        unlinked = list(dict.fromkeys([*parse.negations.unscoped, *self._unlinked(parse)]))
        return understood.model_copy(
            update={
                "unlinked": unlinked,
                "ignored": parse.unplaced if parse.unplaced is not None else self._unplaced(parse),
                "linked": list(linked),
                "fuzzy": [f"{x.text}→{x.entries[0].surface}" for x in parse.links if x.match == "fuzzy"],
            }
        )

    def _understand(self, parse: Parse, previous: Understanding | None) -> Understanding:
        follow_up = (
            previous is not None
            and previous.status == "answer"
            and previous.steps
            and self._is_follow_up(parse)
        )
        self._take_heading(parse)  # Lapsed users: bought …: the words after it say who they are
        self._take_named_then_defined(parse)  # have gone quiet, i.e. no purchase in …
        self._take_paid_orders(parse)  # 支付订单数: orders, not the event type 支付
        self._take_metric_restated(parse)  # 复购率（复购率=…2笔及以上的买家/…全部买家）: the 口径
        self._take_defined(parse)  # 复购用户（…≥2笔的人）: the brackets say what the name is
        self._take_glossed(parse)  # new customers (first purchase ever): what the value is
        self._take_values_defined(parse)  # （新客=之前从没…，老客=之前有过…）: as the layer says
        self._take_described(parse)  # 第一次来买的新买家: what the value is
        self._take_first_purchase(parse)  # 第一次买东西的人: the value the words describe
        self._take_bought_before(parse)  # …compared with those who had bought before: the other
        self._take_first_defined(parse)  # 新客就是第一笔付款订单落在上个月的人: what it means
        self._take_profile_breakdown(parse)  # the gender and age breakdown of big spenders
        self._take_crossed(parse)  # 按性别和年龄段交叉看: grouped by both
        self._take_people_own(parse)  # provinces (where the customer lives): the people's column
        self._take_verb_objects(parse)  # 卖出过商品的品牌: what was sold, not a grouping
        extra = ADDITIONAL.search(parse.text)
        if extra is not None and not (CAME_BACK.search(parse.text) and len(parse.times) == 2):
            # at least one more paid order: one beyond those the question counts, which no
            # reading computes yet; asked, never answered as a count of orders (came back and
            # placed another paid order in Q1 2026 is an order in the later period, as "again")
            return self._cannot_use(parse, [extra.group(0)])
        otherwise = OTHERWISE.search(parse.text)
        if otherwise is not None:
            # 近90天内下过单算“近”，否则算“远”: groups the asker names by rules of their own,
            # which no reading builds yet; answered without them, another question
            return self._cannot_use(parse, [otherwise.group(0)])
        moved = self._value_moved(parse)
        if moved is not None:
            # 从银卡升级到金卡的会员, upgraded from silver to gold: a change of a value over
            # time, which the layer keeps no history of; the rows with either value now
            # would answer another question
            return self._cannot_use(parse, [moved])
        of_first = FIRST_ORDER_OWN.search(parse.text)
        if of_first is not None:
            # which channel was that first purchase on, 首单是在哪个渠道: a column of one
            # order of each person, which no reading picks out yet; the channels of all
            # their orders would answer another question
            return self._cannot_use(parse, [of_first.group(0)])
        # A value written off (京冬, 天毛) filters other rows if the guess is wrong: asked
        # back with the guess as a choice, never applied unasked.
        unsure = next(
            (x for x in parse.links if x.alternatives or self._guessed_value(x)),
            None,
        )
        if unsure is not None:
            return self._which_word(parse, unsure)
        reading = self._reading(parse, previous if follow_up else None)
        unusable = self._unusable(parse)
        conditioned = any(step.query.presences for step in reading.steps)
        both = None if conditioned else BOTH.search(parse.text)
        named = Counter(x.entries[0].target for x in parse.links if x.kind == "value")
        if both and reading.status == "answer" and any(n > 1 for n in named.values()):
            # users who bought both 服饰 and 运动户外: rows with each value, which a filter on
            # either value does not find
            unusable.append(both.group(0))
        again = None if conditioned else AGAIN.search(parse.text)
        if again and len(parse.times) > 1 and not parse.absent and reading.status == "answer":
            # 5月买过、6月又买了的用户: the people of one period in another, which nlq does
            # not compute (it would answer each period's buyers)
            unusable.append(again.group(0))
        if reading.status == "answer":
            unusable += self._figures_left(parse, reading)
            covered = self._covered(parse)
            unusable += self._total_of_rows(parse, reading, covered)
            # 只在抖音买过的占比, bought only on douyin: "only", which no reading took, is asked
            unusable += [
                m.group(0) for m in ONLY_EVER.finditer(parse.text) if not any(covered[m.start() : m.end()])
            ]
        if unusable and reading.status == "answer":
            # The reading without those words stays with the clarification: a language
            # model (when configured) is shown it and the words it left out.
            return self._cannot_use(parse, unusable).model_copy(update={"steps": reading.steps})
        if unusable and reading.status == "clarify" and reading.options and not parse.negations.unscoped:
            # 上个月的件单价 asked which metric: the word the layer lacks is likely the one, so
            # it is named, and the metrics offered stay as choices
            return self._cannot_use(parse, unusable).model_copy(update={"options": reading.options})
        return reading

    def _reading(self, parse: Parse, previous: Understanding | None) -> Understanding:
        try:
            if previous is not None:
                return self._follow_up(parse, previous)
            self._take_imperative(parse)
            self._take_bands(parse)
            self._take_within_signup(parse)
            self._take_distinct(parse)
            self._take_ratios(parse)
            self._take_destinations(parse)
            self._take_basis(parse)
            self._take_restated(parse)
            self._take_defined_segments(parse)
            self._take_unrestricted(parse)
            self._take_counts(parse)
            self._take_keys(parse)
            self._take_attributes(parse)
            self._take_value_wholes(parse)
            self._take_value_rows(parse)
            self._take_table_words(parse)
            # viewed but did not buy: no funnel of those steps, though it names two of them
            did = self._did_and_did_not(parse)
            if did is not None:
                return did
            analysis = self._analysis(parse)
            if analysis is not None:
                return analysis
            if (parse.has("why") and not self._origin_only(parse)) or self._change_broken_down(parse):
                return self._why(parse)
            if parse.has("anomaly"):
                return self._anomalies(parse)
            if parse.has("forecast"):
                return self._forecast(parse)
            if parse.has("stock_alert") and self.layer.insights.stock.stock:
                return self._stock_alert(parse)
            named_metric = any(x.entries[0].kind == "metric" for x in parse.links)
            by_price = any(c.kind in {"top", "bottom"} and PRICE_WORDS.search(c.text) for c in parse.cues)
            numbered = any(c.kind in {"top", "bottom"} and c.number for c in parse.cues)
            # 最贵的5个商品, 实付金额最高的5笔订单: rows of a table ranked, by nothing or by a number of
            # each row; a category named (销量最高的5个品类) is a grouping instead
            rows_ranked = (
                numbered
                and self._table_word(parse)
                and all(self._is_number(d) for d in self._dimensions(parse, []))
            )
            # 1993年入职的员工有哪些, 库存为0的商品: rows of a table, no metric named
            which_rows = (
                not named_metric
                and not parse.comparisons
                and not HOW_MANY_ANYWHERE.search(parse.text)
                and not any(w.search(parse.text) for w in (SALES_WORDS, ORDER_WORDS, UNIT_WORDS))
                and (WHICH_ROWS.search(parse.text) or parse.attributes)
                and self._table_word(parse)
            )
            # 各品类的销量列一下: a grouping named with its word asks for figures, not rows
            grouped = any(
                x.kind == "dimension" and GROUPED_BY.search(parse.text[: x.start]) for x in parse.links
            )
            # 金额最大的5笔退款: rows counted by their own classifier (笔, 条) before a table word
            rows_counted = any(
                c.number and self._rows_counted_at(parse, c)
                for c in parse.cues
                if c.kind in {"top", "bottom", "count", "latest"}
            )
            rows_ranked = rows_ranked or rows_counted
            # list the bottom two brands by gross margin: groups ranked by a figure, not rows
            ranked_groups = named_metric and numbered and not rows_ranked
            wants_rows = (
                not parse.has("profile")
                and (  # 画像给我拉一下: a profile, not rows
                    (self._detail_asked(parse) and not grouped and not ranked_groups)
                    or (by_price and not named_metric)
                    or rows_ranked
                    or which_rows
                    or (parse.has("latest") and self._table_word(parse))
                    or self._columns_listed(parse)
                )
                and not (named_metric and parse.has("rank", "nth"))
            )  # its rank within the province: groups
            absent = self._take_absence(parse)
            split = self._values_around_absence(parse) if absent else []
            by_period = self._conditions_by_period(parse)
            if by_period is not None:
                return by_period
            each = self._people_each(parse, split)
            if each is not None:
                return each
            if split:
                # bought 手机数码 but nothing from 美妆, asked of more than a count: one value
                # for what happened, another for what did not
                return self._cannot_use(parse, split, "reading.cannot_combine")
            listing = self._listing(parse) if wants_rows or absent else None
            ranked = parse.cue("top", "bottom", "hot")
            unordered = listing is not None and any(
                s.query.limit is not None and not s.query.order_by for s in listing.steps
            )
            by_spend = RANKED_BY_SPEND.search(parse.text) is not None
            if listing is not None and listing.status == "answer" and ranked is not None and by_spend:
                # top 10 customers by spend, with their order counts: ranked by what they
                # spent, never by the other figure named
                ranked_by_sales = self._ranked_by_sales(parse, listing, ranked)
                if ranked_by_sales is not None:
                    return self._top_share_of(parse, ranked_by_sales, ranked) or ranked_by_sales
            if listing is not None and listing.status == "answer" and ranked is not None and unordered:
                # top 10 customers, 消费最多的10个客户 with no figure to rank them by: ten rows,
                # any ten, silently; asked by what to rank them, unless they are ranked by
                # what they spent (top 10 spenders, 消费最多的): the layer's sales
                by_sales = self._ranked_by_sales(parse, listing, ranked)
                return by_sales or self._cannot_use(parse, [ranked.text])
            share = parse.cue("share")
            shared = listing is not None and any(
                s.query.share_of_counted or s.query.share_of_all_counted for s in listing.steps
            )
            if listing is not None and listing.status == "answer" and share is not None and not shared:
                top_share = self._top_share_of(parse, listing, ranked) if ranked is not None else None
                if top_share is not None:
                    # 消费最高的前100个用户的GMV占全站多少: the first rows' total, of the whole
                    return top_share
                # 消费排前100名的客户里女性占多大比例: a share within the rows listed, which a
                # listing does not compute (it listed the women among them, silently)
                return self._cannot_use(parse, [share.text], "reading.cannot_combine")
            percent = PERCENT_AFTER.match(parse.text, ranked.end) if ranked is not None else None
            if listing is not None and ranked is not None and percent is not None:
                # the top 20% of customers, listed: not the top 20 of them
                return self._cannot_use(parse, [ranked.text + percent.group(0)], "reading.cannot_combine")
            if listing is not None:
                return listing
            if absent:
                # 从没买过的用户 with no table of rows to list: asked, not answered as a total
                return self._cannot_use(parse, [parse.text[a:b] for a, b in parse.read_spans[:1]])
            metrics = self._metrics(parse)
            if parse.bands is not None:
                return self._banded(parse, metrics)
            if not metrics:
                return self._clarify(parse)
            return self._assemble(parse, metrics)
        except Ambiguous as ambiguity:
            return self._clarify_value(parse, ambiguity)

    def _unusable(self, parse: Parse) -> list[str]:
        """Words that change what is asked and that no rule can use: a negation with
        nothing to negate (没买过, didn't order) and names nlq could not place (拼多多).
        Answering without them answers another question."""
        # Kept on the parse for read(): the reading has taken its words (counted entities) by now.
        parse.unplaced = self._unplaced(parse)
        # a marker a reading took as its own words (not step to step) negates nothing left out
        taken = {
            word.strip()
            for start, end, word in parse.negations.markers
            if any(a <= start and end <= b for a, b in parse.read_spans)
        }
        unscoped = [w for w in parse.negations.unscoped if w not in taken]
        described = [x.text for x in parse.links if self._people_described(parse, x)]
        return list(dict.fromkeys([*unscoped, *parse.unplaced, *parse.unread, *described]))

    @staticmethod
    def _people_described(parse: Parse, link: Link) -> bool:
        """首次购买的人: people a dimension describes without a value of it, which no
        grouping, filter or cohort of the reading says (各城市等级的用户 is grouped, 2026年1月
        首购的用户 has its month, 母婴类目的买家 its category)."""
        if link.kind != "dimension" or not PEOPLE_OF.match(parse.text[link.end :]):
            return False
        before = parse.text[: link.start]
        if GROUPED_BY.search(before) or DIFFERENT.search(before) or COHORT_GRAIN.search(before[-4:]):
            return False
        # 哪个省份的买家数最少: the buyers are a figure of each province
        counted = any(x.kind == "metric" and x.start == link.end + 1 for x in parse.links)
        valued = counted or any(0 <= link.start - x.end <= 1 for x in parse.links if x.kind == "value")
        timed = any(0 <= link.start - t.span[1] <= 1 for t in parse.times)
        return not valued and not timed

    def _total_of_rows(self, parse: Parse, reading: Understanding, covered: list[bool]) -> list[str]:
        """前100个用户，他们的GMV加起来: a total asked of rows the reading lists one by one
        (the top 100 customers), which no total of the reading sums."""
        listed = any(
            step.query.limit is not None
            and not step.query.count_groups
            and any(d in self._entity_keys for d in step.query.dimensions)
            for step in reading.steps
        )
        if not listed:
            return []
        return [
            m.group(0)
            for m in TOTAL_WORD.finditer(parse.text)
            if not any(covered[m.start() : m.end()])
            and not COLUMN_AFTER_TOTAL.match(parse.text, m.end())  # total spend: a column of each row
        ]

    def _figures_left(self, parse: Parse, reading: Understanding) -> list[str]:
        """Words that ask for a kind of figure (a rate, an average) that the reading
        computes nowhere: sell-through rate read as sales, 每笔订单平均多少钱 read as a
        count of orders would answer another question."""
        if any(self._divides(step.query) for step in reading.steps):
            return []  # a ratio, a mean or a share is computed: the word is its
        covered = self._covered(parse)
        return [
            m.group(0) for m in FIGURE_WORDS.finditer(parse.text) if not any(covered[m.start() : m.end()])
        ]

    def _divides(self, query: SemanticQuery) -> bool:
        """Does the query compute a ratio, a share, a growth rate or a mean?"""
        if (
            query.ratios
            or query.share
            or query.compare
            or query.funnel
            or query.cohort
            or "avg" in query.across
        ):
            return True
        if query.averaged_over or query.averaged_across:
            return True
        for name in query.metrics:
            metric = self.layer.metric(name)
            if isinstance(metric, RatioMetric | DerivedMetric) or (
                metric is not None and metric.format == "percent"
            ):
                return True
            home = self.layer.measure_of(name)
            if home is not None and home[1].agg == "avg":
                return True
        return False

    @staticmethod
    def _guessed_value(link: Link) -> bool:
        """A value reached by nearness, not by its name with a suffix (广东省 is 广东)."""
        if link.match != "fuzzy" or link.entries[0].kind != "value":
            return False
        return not normalise(link.text).startswith(link.entries[0].key)

    def _which_word(self, parse: Parse, link: Link) -> Understanding:
        """A typo equally near words of different meaning: ask which one was meant."""
        candidates = list(dict.fromkeys([link.entries[0].surface, *link.alternatives]))
        asked = parse.question if link.text in parse.question else parse.text
        message = say(
            "reading.which_word" if len(candidates) > 1 else "reading.did_you_mean",
            parse.language,
            word=link.text,
            candidates=say("reading.or_separator", parse.language).join(candidates),
        )
        return Understanding(
            language=parse.language,
            status="clarify",
            message=message,
            evidence=parse.evidence,
            options=[asked.replace(link.text, c, 1) for c in candidates],
        )

    @staticmethod
    def _periods_apart(parse: Parse) -> list[str]:
        """The periods of a question with a condition on each person (3 orders or more, over
        5000) that clauses of their own name, when they are not one period: each clause
        may set its own condition in its own period. Empty when they are one."""
        clauses = _period_clauses(parse.text, CONDITION_BREAK)
        conditioned = {_clause_at(clauses, c.start) for c in parse.comparisons}
        dated = [t for t in parse.found_times if _clause_at(clauses, t.span[0]) != (0, 0)]
        of_conditions = {t.range for t in dated if _clause_at(clauses, t.span[0]) in conditioned}
        ranges = {t.range for t in dated}
        placed = {_clause_at(clauses, t.span[0]) for t in dated}
        if len(ranges) < 2 or len(placed) < 2 or not of_conditions:
            return []
        return list(dict.fromkeys(t.text for t in dated))

    @staticmethod
    def _value_moved(parse: Parse) -> str | None:
        """The words of a move from one value of a dimension to another (从银卡升级到金卡,
        upgraded from silver to gold), or None."""
        values = [x for x in parse.links if x.kind == "value"]
        for before, after in itertools.pairwise(values):
            if before.entries[0].target.partition("=")[0] != after.entries[0].target.partition("=")[0]:
                continue
            between = MOVED_TO.fullmatch(parse.text[before.end : after.start])
            lead = MOVED_FROM.search(parse.text[: before.start])
            verb = (between.group("verb") if between else None) or (lead.group("verb") if lead else None)
            if between is not None and verb:
                return verb
        return None

    def _cannot_use(
        self, parse: Parse, words: list[str], reason: str = "reading.cannot_use"
    ) -> Understanding:
        """Asked back: `reason` says why (words the layer lacks: reading.cannot_use; words
        of the layer that this reading cannot compute together: reading.cannot_combine)."""
        named = listed((Text("reading.quoted", word=w) for w in words), parse.language)
        message = say(reason, parse.language, words=named)
        return Understanding(
            language=parse.language, status="clarify", message=message, evidence=parse.evidence
        )

    def _not_listed_values(self, text: str, comparisons: list[Comparison]) -> list[Comparison]:
        """买1次、2次、3次及以上的各有多少人: a comparison that is the name of a value listed
        beside other values of its dimension is that value, not a condition."""
        if not comparisons:
            return comparisons
        links = [x for x in self.linker.link(text, []) if x.match != "fuzzy"]
        values = [x for x in links if x.kind == "value"]
        kept = []
        for c in comparisons:
            named = next((x for x in values if x.start <= c.start and c.end <= x.end), None)
            dimension = named.entries[0].target if named else None
            others = [x for x in values if x is not named and x.entries[0].target == dimension]
            # purchase frequency buckets (1 / 2 / 3+ orders): the values in brackets after
            # their dimension restate its groups
            restating = any(
                x.kind == "dimension"
                and x.entries[0].target == dimension
                and any(b.start() <= c.start and c.end <= b.end() for b in BRACKETED.finditer(text, x.end))
                for x in links
            )
            if named is None or not (others or restating):
                kept.append(c)
        return kept

    @staticmethod
    def _covered(parse: Parse) -> list[bool]:
        """Which characters a time, cue, operator, negation or link took."""
        covered = [False] * len(parse.text)
        spans = [*parse.time_spans, *(t.span for t in parse.times)]
        spans += [(c.start, c.end) for c in parse.cues]
        spans += [(c.start, c.end) for c in parse.comparisons]
        spans += parse.negations.spans + parse.counted + [(d.start, d.end) for d in parse.datings]
        spans += parse.attribute_spans + parse.ratio_spans + parse.read_spans
        spans += [m.span() for m in CHAT_PHRASES.finditer(parse.text)]
        spans += [m.span() for m in FRAMING.finditer(parse.text)]
        if parse.has("yoy", "pop"):  # 同比增长率: the comparison's own word for what it outputs
            spans += [m.span() for m in GROWTH_WORDS.finditer(parse.text)]
        for start, end in spans + [(x.start, x.end) for x in parse.links]:
            for i in range(start, end):
                covered[i] = True
        return covered

    @staticmethod
    def _term_redefined(parse: Parse) -> list[str]:
        """近一年累计消费满1万的高价值用户: a term of the layer right after a condition of the
        asker's is the asker's name for who meets it, or the layer's people among them;
        the two differ (the layer's 高价值用户 are gold and diamond members), so it is asked."""
        return [
            x.text
            for x in parse.links
            if x.kind == "term"
            and any(
                c.end <= x.start and parse.text[c.end : x.start].strip() == "的" for c in parse.comparisons
            )
        ]

    def _grouping_lost(self, parse: Parse) -> list[str]:
        """按会员登记拆一下, split by store region: a grouping asked by words nothing took (a
        typo, a word the layer lacks) is asked, never answered ungrouped."""
        covered = self._covered(parse)
        lost = []
        for match in GROUPING_ASKED.finditer(parse.text):
            start, end = match.span(1)
            left = [i for i in range(start, end) if not covered[i] and parse.text[i].isalnum()]
            if len(left) >= 2:
                lost.append(match.group(1).strip())
        return lost

    def _unlinked(self, parse: Parse) -> list[str]:
        """The content words left over once times, cues and links took their spans."""
        covered = self._covered(parse)
        words: list[str] = []
        for word, start, end in self.linker.tokenizer.spans(parse.text):
            if any(covered[start:end]):
                continue
            word = word.strip()
            if not word or word.isdigit() or all(ch in FILLER or not ch.isalnum() for ch in word):
                continue
            if word in ENGLISH_WORDS or word in FRAME_WORDS:
                continue
            words.append(word)
        return words

    def _unplaced(self, parse: Parse) -> list[str]:
        """The words of the question that name something no link, time, cue or
        operator used (see nlq.accounting)."""
        covered = self._covered(parse)
        tokens = [
            (word, any(covered[start:end])) for word, start, end in self.linker.tokenizer.spans(parse.text)
        ]
        return unplaced(
            tokens,
            self.linker.tokenizer.tag,
            # the event channel: the singular of a name the layer knows in the plural
            lambda word: any(form in self.linker.known for form in (word, f"{word}s", f"{word}es")),
            glued=not parse.ratio_spans,
        )

    def _clarify_value(self, parse: Parse, ambiguity: Ambiguous) -> Understanding:
        """Two dimensions are equally near the metric: ask instead of guessing."""
        language = parse.language
        dimensions = list(dict.fromkeys(ambiguity.dimensions))
        labels = [self._dimension_label(d, language) for d in dimensions]
        readings = say("reading.or_separator", language).join(
            say("reading.value_reading", language, dimension=label, word=ambiguity.word) for label in labels
        )
        message = say("reading.which_dimension", language, word=ambiguity.word, readings=readings)
        # Naming the dimension next to the word is what resolves it ("客户地区是华东的销售额").
        asked = parse.question if ambiguity.word in parse.question else parse.text
        rewrites = [
            asked.replace(
                ambiguity.word, say("reading.value_named", language, dimension=label, word=ambiguity.word), 1
            )
            for label in labels
        ]
        return Understanding(
            language=parse.language,
            status="clarify",
            message=message,
            evidence=parse.evidence,
            options=rewrites,
        )

    # -- listings -------------------------------------------------------------------------------
    def _listing(self, parse: Parse) -> Understanding | None:
        """列出上个月退款金额超过1000元的订单 / show the 20 most expensive products in 美妆:
        rows of a model, with the columns its `detail` declares, the question's
        filters and conditions, an order and a row cap."""
        entity = self._entity(parse)
        if entity is None:
            return None
        link, model = entity
        # 1星评价里最新的10条: the words naming the listed table are read as its rows
        parse.read_spans += [(a, b) for a, b, m in self._table_names(parse.text) if m.name == model.name]
        latest = parse.cue("latest")
        named = [m for _, _, m in self._named_tables(parse)]
        if latest is not None and latest.number and named and named[0].name != model.name:
            # 最近一笔订单买了什么: the newest order's lines are not the newest lines; a cap on
            # the lines would cut the order short
            return self._cannot_use(parse, [latest.text.strip()], "reading.cannot_combine")
        # 下单时间 listed is the order time, not the event type 下单 inside it
        times = [span for _, span in self._time_columns(parse)]
        parse.links = [x for x in parse.links if not any(a <= x.start and x.end <= b for a, b in times)]
        # A value (diamond members) names the rows and filters them; a table word does not
        # filter, nor does a value the rows do not reach (订单 as the event type of events).
        names_rows = link is not None and link.entries[0].kind == "value"
        if link is not None and names_rows:
            names_rows = self._reaches_one(model.name, self._qualified(link.entries[0].target))
        # the 6 most recent paid orders: a table word that is a filtered count of the rows
        # (paid orders) still says which rows
        filtered_count = (
            link is not None
            and link.kind == "metric"
            and normalise(link.text) not in {word for word, m in self._table_words if m.name == model.name}
            and self._counts_rows_of(link.entries[0].target, model)
            and not self._counts_rows_of(link.entries[0].target, model, unfiltered=True)
        )
        others = [x for x in parse.links if x is not link or names_rows or filtered_count]
        others = self._verbs_of_rows(parse, model, others)
        metrics = list(dict.fromkeys(e.target for x in others for e in x.entries[:1] if e.kind == "metric"))
        # 新注册的用户: a count of the listed rows themselves is 1 on each row; unfiltered, it
        # only names them (a filtered one, paid orders, still keeps the rows it counts)
        metrics = [m for m in metrics if not self._counts_rows_of(m, model, unfiltered=True)]
        scoped = replace(parse, links=others)
        mentioned = self._dimensions(scoped, metrics)
        # 最贵的10款, 从贵到便宜, cheapest first: the rows ranked, or only sorted
        ranking = [c for c in parse.cues if c.kind in {"top", "bottom", "hot", "sort", "sort_asc"}]
        amount = AMOUNT_WORD.search(parse.text)
        magnitude = self._magnitude(model)
        if amount and magnitude and not self._covered(parse)[amount.start()]:
            # 金额最大的10笔退款, the amount: the listed rows' own amount
            metrics = list(dict.fromkeys([*metrics, magnitude]))
            parse.read_spans.append(amount.span())
        shortened = self._shortened_columns(parse, model)
        mentioned = list(dict.fromkeys([*mentioned, *shortened]))
        if ranking and not metrics and self._numeric_column(model, mentioned) is None:
            # 最大的5笔退款: with no number among the columns, rows rank by the model's amount.
            metrics = [m for m in [self._magnitude(model)] if m is not None]
        values = self._values(scoped, metrics, mentioned, homes={model.name})
        earlier = self._present_before(parse) if parse.absent else None
        had_end = earlier[1].range.end if earlier else None
        lacked_start = earlier[2].range.start if earlier else None
        if had_end and lacked_start and had_end < lacked_start:
            # 2025年买过、今年没再买的老客: having bought in a period before, they are its
            # returning buyers by what the question says: the word adds nothing
            values = self._without_returning(parse, values)
        filters = self._value_filters(values) + parse.attributes
        filters += self._term_filters(scoped)
        segmented = [
            p.entry.surface
            for dimension, picked in values.items()
            if parse.absent and self._segment_of(dimension)
            for p in picked
        ]
        if segmented:
            # 今年没再买的老客: a segment of the period's buyers holds none of the people
            # who did not buy in it; what the word adds is asked, never an empty count
            return self._cannot_use(parse, segmented, "reading.cannot_combine")
        columns = self._listing_columns(parse, model, shortened)
        time_range, time_text = self._time_range(parse)
        if time_range.start is None and parse.has("yoy", "pop"):
            time_range, time_text = self._comparison_default(parse)
        present = self._present_before(parse) if parse.absent else None
        if present is not None:
            # 去年买过、今年没再买的用户: the period of what did not happen is the one asked
            time_range, time_text = present[2].range, present[2].text
        too_late = self._no_data_yet(parse, time_range)
        if too_late is not None:
            return too_late
        key_of_rows = self._entity_key(model)
        if present is not None and parse.absent and parse.has("share") and key_of_rows:
            return self._share_lapsed(parse, present, filters, key_of_rows, model)
        figure_words = [
            x
            for x in others
            if x.kind == "metric"
            and x.entries[0].target in metrics
            and not self._counts_rows_of(x.entries[0].target, model)  # 有多少单: the rows counted
            # 去年有过支付订单: the orders of the verb that says what they had
            and not any(a <= x.start and x.end <= b for a, b in parse.read_spans)
        ]
        people = self._profile.metric if self.layer.reading.profile else None
        of_them = (
            self._figures_of_people(
                parse, {m for m in (parse.absent, people, *(present[:1] if present else [])) if m}
            )
            if parse.absent and present is not None and HOW_MANY_ANYWHERE.search(parse.text)
            else None
        )
        read = of_them[1] if of_them is not None and of_them[2] is not None else []
        # how many are there, and how much did they spend in Jan-Mar: their total, read;
        # a figure asked anywhere else is still asked back
        parse.read_spans += read
        figures_asked = [x.text for x in figure_words if not any(a <= x.start < b for a, b in read)]
        amount = _amount_asked(parse)
        if parse.absent and amount is not None and not (of_them and of_them[2]):
            figures_asked.append(amount.group(0))  # and how much did they spend: asked, never dropped
        if parse.absent and figures_asked:
            # 剔除有退款的订单后的GMV: a figure of the rows without one is not computed, asked
            return self._cannot_use(parse, figures_asked, "reading.cannot_combine")
        limit = (
            next(
                (
                    c.number
                    for c in parse.cues
                    if c.kind in {"detail", "top", "bottom", "latest", "count"} and c.number
                ),
                None,
            )
            or LISTING_ROWS
        )
        key_column = self._entity_key(model)
        by = [
            c
            for c in columns
            if c != key_column
            and any(self._named_with_grouping_word(parse, n) for n in {c, c.rpartition(".")[2]})
        ]
        # 有多少人, and 以前买过但近半年没买的用户按会员等级拆一下: the people counted in each group
        counting = bool(parse.absent and (HOW_MANY_ANYWHERE.search(parse.text) or (by and key_column)))
        if counting and key_column:
            # the rows counted (by their key), in each group named: 有多少？按城市等级拆一下
            columns = [*by, key_column]
        query = SemanticQuery(
            metrics=[] if parse.absent else metrics,
            dimensions=columns,
            filters=filters,
            time_range=time_range,
            # the periods are of the figure had and lacked, each dated by its own time
            time_dimension=None if present else self._dated_by(parse),
            limit=limit,
            without=parse.absent,
            with_figure=present[0] if present else None,
            with_range=present[1].range if present else None,
            rows_dated=bool(parse.absent) and not present and self._rows_dated(parse, model),
            count_groups=counting,
            figures=of_them[0] if of_them and of_them[2] and counting else [],
            figures_range=of_them[2] if of_them and counting else None,
        )
        query = query.model_copy(update={"metric_filters": self._thresholds(parse, query)})
        if parse.comparisons and not query.metric_filters:
            # 实付超过3000元的订单 with no figure or column to hold the number: never dropped
            return self._cannot_use(parse, [c.text for c in parse.comparisons])
        # ranked by a figure of each row, never by the count of the rows themselves (1 each)
        figures = [m for m in metrics if not self._counts_rows_of(m, model)]
        key = figures[0] if figures else None if metrics else self._numeric_column(model, mentioned)
        newest = (query.time_dimension or self._newest(model)) if parse.has("latest", "earliest") else None
        sorted_by = self._sorted_by_time(parse)
        if sorted_by is not None and not parse.has("latest"):
            # 按下单时间排: the rows in the order of that time (oldest first unless said)
            newest = sorted_by
        if newest is not None:
            # 最近10笔退款, the last 5 orders: the newest rows first; 从早到晚, the oldest
            query = query.model_copy(
                update={"order_by": [OrderBy(field=newest.rsplit(".", 1)[-1], desc=parse.has("latest"))]}
            )
        elif key is not None and (metrics or ranking):
            descending = not ranking or ranking[-1].kind not in {"bottom", "sort_asc"}
            query = query.model_copy(
                update={"order_by": [OrderBy(field=key.rsplit(".", 1)[-1], desc=descending)]}
            )
        if query.figures:  # counted, with their totals: no order, no rows kept
            query = query.model_copy(update={"order_by": [], "limit": None})
        ordered = {o.field for o in query.order_by}
        shown = {d.rsplit(".", 1)[-1] for d in query.dimensions}
        unseen = [
            ref
            for ref in dict.fromkeys(r for r in (newest, key) if r and r not in metrics)
            if ref.rsplit(".", 1)[-1] in ordered - shown
        ]
        if unseen:  # the 20 most expensive products: the price they are ordered by is shown
            query = query.model_copy(update={"dimensions": [*query.dimensions, *unseen]})
        if parse.has("profile") and parse.absent and key_column and self.layer.reading.profile:
            return self._listed_profile(parse, query, model, key_column, time_text)
        return self._listing_answer(parse, model, query, time_text)

    @staticmethod
    def _listing_answer(parse: Parse, model: Model, query: SemanticQuery, time_text: str) -> Understanding:
        """The answer of one query that lists (or counts) a model's rows, titled by it."""
        title = say("reading.listing_title", parse.language, model=model.label)
        return Understanding(
            language=parse.language,
            status="answer",
            steps=[Step(title=title, query=query)],
            evidence=parse.evidence,
            time_text=time_text,
        )

    def _listed_profile(
        self, parse: Parse, query: SemanticQuery, model: Model, key: str, time_text: str
    ) -> Understanding:
        """The profile of people a presence and an absence pick (buyer profile for people
        who bought during Double 11 and haven't bought since): they are counted by each
        attribute of the profile, not listed."""
        steps = []
        for dimension in self._profile_sides(parse) or self._profile.dimensions:
            bare = dimension.rpartition(".")[2]
            column = f"{model.name}.{bare}" if model.column(bare) is not None else dimension
            each = query.model_copy(
                update={
                    "dimensions": [column, key],
                    "count_groups": True,
                    "limit": None,
                    "order_by": [OrderBy(field=bare, desc=False)],
                }
            )
            steps.append(Step(title=self.title(each, parse.language), query=each))
        return Understanding(
            language=parse.language,
            status="answer",
            steps=steps,
            evidence=parse.evidence,
            time_text=time_text,
        )

    def _figures_of_people(
        self, parse: Parse, counting: set[str]
    ) -> tuple[list[str], list[tuple[int, int]], TimeRange | None] | None:
        """这些人二季度一共贡献了多少成交额, and how much did they spend in Jan-Mar: the figures
        asked of the people a presence or an absence picks, in a clause of their own, the
        words asking them, and the one period said in that clause (None when there is
        not one: which of the question's periods is then not known). None when the
        question asks no figure of them."""
        words = [
            (x.entries[0].target, (x.start, x.end))
            for x in parse.links
            if x.kind == "metric"
            and x.entries[0].target not in counting
            and self._figure_asked_at(parse, x.start)
        ]
        amount = _amount_asked(parse)
        sales = self._word("sales")
        if amount is not None and sales and not any(a >= amount.start() for _, (a, _) in words):
            words.append((sales[0], amount.span()))
        if not words:
            return None
        a, b = _clause_around(parse.text, words[0][1][0])
        said = {normalise(parse.text[x:y]) for x, y in parse.time_spans if a <= x < b}
        periods = list(dict.fromkeys(t.range for t in parse.found_times if normalise(t.text) in said))
        if not parse.times:
            periods = [TimeRange(end=parse.as_of)]  # no period anywhere: all of it
        figures = list(dict.fromkeys(name for name, _ in words))
        return figures, [span for _, span in words], periods[0] if len(periods) == 1 else None

    def _figure_asked_at(self, parse: Parse, at: int) -> bool:
        """Whether a figure at `at` is asked in a clause no period of a condition is in
        before it (这些人二季度一共贡献了多少成交额, not 二季度有成交额的)."""
        a, b = _clause_around(parse.text, at)
        return bool(FIGURE_ASKED.search(parse.text[a:b])) and not any(
            a <= c.start < at for c in parse.comparisons
        )

    def _share_lapsed(
        self,
        parse: Parse,
        present: tuple[str, TimeMatch, TimeMatch],
        filters: list[Filter],
        key: str,
        model: Model,
    ) -> Understanding:
        """去年买过、今年没买的占去年买家的比例, what fraction of 2025's buyers is that: the
        people with the figure in the earlier period are the whole, those of them without
        one in the later the part. The buyers named are that whole, not a figure asked."""
        metric, had, lacked = present
        absent = parse.absent
        assert absent is not None
        people = self._profile.metric if self.layer.reading.profile else None
        parse.read_spans += [
            (x.start, x.end) for x in parse.links if x.kind == "metric" and x.entries[0].target == people
        ]
        # by member level: each level's lapsed buyers among its own buyers of the earlier period
        by = [
            f"{model.name}.{home[1]}"
            for x in parse.links
            if x.kind == "dimension"
            and (home := self._dimension_home(x.entries[0].target)) is not None
            and model.dimension(home[1]) is not None
            and f"{model.name}.{home[1]}" != key
        ]
        # 按城市等级分布，占全部流失用户的比例: each group's share of all the lapsed, not of
        # its own buyers of the earlier period
        of_all = bool(by) and self._whole_is_the_counted(parse)
        query = SemanticQuery(
            dimensions=[*dict.fromkeys(by), key],
            filters=filters,
            count_groups=True,
            share_of_counted=not of_all,
            share_of_all_counted=of_all,
            presences=[
                Presence(metric=metric, time_range=had.range, among=True),
                Presence(metric=absent, time_range=lacked.range, absent=True),
            ],
        )
        return self._listing_answer(parse, model, query, _run_on([had.text, lacked.text], parse.language))

    def _conditions_by_period(self, parse: Parse) -> Understanding | None:
        """最近一次购买在近90天内、近一年买了3次及以上、近一年累计花了5000以上，这群人有多少个;
        customers who ordered 3+ times in the past year and bought in the last 90 days: a
        condition on each person in each clause, in the period the clause names (one
        without a period keeps the one before): bought in it, or a count or an amount of
        it compared. The people who meet them all are counted, with the figures asked of
        them. None when the conditions are not in periods of their own."""
        people = self._people_model
        key = self._entity_key(people) if people is not None else None
        orders = next(iter(self._word("orders")), None)
        if people is None or key is None or orders is None or not parse.comparisons or parse.absent:
            return None
        if parse.bands is not None or not HOW_MANY_ANYWHERE.search(parse.text):
            return None
        read: list[tuple[int, int]] = []
        conditions: list[Presence] = []
        clauses = _clauses_in_periods(parse)
        if clauses is None:
            return None  # two periods in one clause: one refines the other
        for a, b, period, dated in clauses:
            compared = [
                (c, self._condition_metric(parse, c, (a, b), read))
                for c in parse.comparisons
                if a <= c.start < b
            ]
            # 近一年买了3次及以上: a layer's value named like a count, in a period of its own
            # clause, is that count of orders in it
            for x in parse.links:
                said = find_comparisons(x.text) if x.kind == "value" and a <= x.start < b else []
                if len(said) == 1 and TIMES.search(x.text) and period is not None:
                    compared.append((said[0], orders))
                    read.append((x.start, x.end))
            asking = FIGURE_ASKED.search(parse.text, a, b)
            bought = [
                m for m in (*HAD_VERB.finditer(parse.text, a, b), *LAST_BOUGHT.finditer(parse.text, a, b))
            ]
            bought += list(HAD_ORDERS.finditer(parse.text, a, b))
            for comparison, metric in compared:
                if metric is None:
                    return None
                conditions.append(
                    Presence(
                        metric=metric,
                        time_range=period.range if period else None,
                        op=comparison.op,
                        value=comparison.value,
                    )
                )
            # …近90天有购买的用户有多少: a clause may ask, after its condition
            amount = [m.span() for m in AMOUNT_ASKED.finditer(parse.text, a, b)]
            bought = [m for m in bought if not any(x <= m.start() < y for x, y in amount)]  # 总共消费多少
            condition = bool(bought) and (asking is None or bought[0].start() < asking.start())
            if not compared and condition and dated and period is not None:
                # 最近一次购买在近90天内, bought in the last 90 days: any order in it
                conditions.append(Presence(metric=orders, time_range=period.range))
            if compared or (condition and dated):
                # 近一年付款订单不少于3笔: the glossary's paid orders, what is counted anyway
                read += [m.span() for m in (*bought, *PAID_BASIS.finditer(parse.text, a, b))]
        periods = {c.time_range for c in conditions}
        if len(conditions) < 2 or len(periods) < 2:
            return None
        used = {(x.start, x.end) for x in parse.links if any(a <= x.start and x.end <= b for a, b in read)}
        if any(x.kind == "value" and (x.start, x.end) not in used for x in parse.links):
            return None  # what they bought, or a value of theirs: not read here yet
        by = [
            f"{people.name}.{x.entries[0].target.rpartition('.')[2]}"
            for x in parse.links
            if x.kind == "dimension"
            and (home := self._dimension_home(x.entries[0].target)) is not None
            and home[0] is people
        ]
        of_them = self._figures_of_people(parse, {orders, self._profile.metric})
        query = SemanticQuery(dimensions=[*dict.fromkeys(by), key], presences=conditions, count_groups=True)
        if of_them is not None:
            figures, spans, figures_range = of_them
            if figures_range is None:
                return None
            read += spans
            query = query.model_copy(update={"figures": figures, "figures_range": figures_range})
        parse.read_spans += read
        people_words = (*PEOPLE_NOUN.finditer(parse.text), *USER_WORDS.finditer(parse.text))
        parse.read_spans += [m.span() for m in (*people_words, *MEETING_THEM.finditer(parse.text))]
        parse.links = [x for x in parse.links if (x.start, x.end) not in used]
        parse.cues = [
            c for c in parse.cues if not (c.kind == "latest" and any(a <= c.start < b for a, b in read))
        ]
        texts = list(dict.fromkeys(t.text for t in parse.found_times))
        return self._listing_answer(parse, people, query, _run_on(texts, parse.language))

    def _did_and_did_not(self, parse: Parse) -> Understanding | None:
        """近30天加购过商品、但一笔支付订单都没有的用户有多少, people who viewed products in
        the last 7 days but didn't buy anything that week: what people did in the layer's
        other tables (an event type of the events said as a verb), and the orders they did
        not place, each in the period its clause names (or the one before), people
        counted who meet them all. None when the question is not that."""
        people = self._people_model
        key = self._entity_key(people) if people is not None else None
        orders = next(iter(self._word("orders")), None)
        if people is None or key is None or orders is None or parse.bands:
            return None
        if not (
            HOW_MANY_ANYWHERE.search(parse.text)
            and (PEOPLE_NOUN.search(parse.text) or USER_WORDS.search(parse.text))
        ):
            return None
        orders_home = next(iter(self._homes(orders)), None)
        read: list[tuple[int, int]] = []
        used: list[Link] = []
        conditions: list[Presence] = []
        valued = False
        evented = 0
        clauses = _clauses_in_periods(parse)
        if clauses is None:
            return None
        compared = 0
        bought_alone = 0
        for a, b, period, named in clauses:
            span = period.range if period else None
            lacked = NOT_BOUGHT.search(parse.text, a, b)
            bounds = [c for c in parse.comparisons if a <= c.start < b]
            if bounds:
                # spent over 5,000 yuan in 2025 (but no order in the last 60 days): how much
                # of a figure each had in the clause's period
                if lacked is not None or len(bounds) > 1:
                    return None
                bound = bounds[0]
                metric = self._condition_metric(parse, bound, (a, b), read)
                if metric is None or isinstance(self.layer.metric(metric), RatioMetric):
                    return None
                conditions.append(Presence(metric=metric, time_range=span, op=bound.op, value=bound.value))
                read.append((bound.start, bound.end))
                used += [
                    x
                    for x in parse.links
                    if x.kind == "metric" and x.entries[0].target == metric and a <= x.start < b
                ]
                compared += 1
                continue
            did = [
                x
                for x in parse.links
                if a <= x.start < b
                and not (lacked and lacked.start() <= x.start < lacked.end())
                and x.kind == "value"
                and (home := self._dimension_home(x.entries[0].target)) is not None
                and home[0] is not people
                and home[0].name != orders_home
                and self.graph.path(home[0].name, people.name, forward_only=True) is not None
            ]
            # bought on JD last year, this year on Tmall but not on JD: what they bought, or not
            said = self._bought_in(parse, a, b, did, lacked)
            bought = [self._of_what_was_bought(x, people) for x in said]
            negated = [x for x in bought if x.start in parse.negations.negated]
            if bought and did:
                return None
            if bought:
                lacking = negated or (bought if lacked is not None else [])
                having = [x for x in bought if x not in lacking]
                if having and (HAD_VERB.search(parse.text, a, b) or BUY_VERB.search(parse.text, a, b)):
                    conditions.append(
                        Presence(metric=orders, time_range=span, filters=self._value_filters_of(having))
                    )
                elif having:
                    return None
                if lacking:
                    conditions.append(
                        Presence(
                            metric=orders,
                            time_range=span,
                            filters=self._value_filters_of(lacking),
                            absent=True,
                        )
                    )
                valued = True
                used += said
                read += [(m[0], m[1]) for m in parse.negations.markers if a <= m[0] < b]
                read += [
                    m.span()
                    for m in (*HAD_VERB.finditer(parse.text, a, b), *BUY_VERB.finditer(parse.text, a, b))
                ]
                if lacked is not None:
                    read.append(lacked.span())
                    used += [x for x in parse.links if lacked.start() <= x.start < lacked.end()]
                continue
            if did and lacked is None:
                model = self._dimension_home(did[0].entries[0].target)
                # any row of theirs in the period (活跃用户数 of the events) is that they did it
                metric = self._row_count(model[0], any_column=True) if model else None
                if metric is None or len({x.entries[0].target for x in did}) > 1:
                    return None
                values = [x.entries[0].value for x in did]
                dimension = did[0].entries[0].target
                # 既浏览过又加购过: did each; 浏览或加购过: did any of them
                each = [[v] for v in values] if DID_EACH.search(parse.text, a, b) else [values]
                conditions += [
                    Presence(metric=metric, time_range=span, filters=[Filter(dimension=dimension, values=v)])
                    for v in each
                ]
                evented += len(each)
                used += did
                # 浏览过商品, viewed products: what they did it to, any of it
                used += [
                    x
                    for x in parse.links
                    if x.kind == "dimension"
                    and a <= x.start < b
                    and any(0 <= x.start - y.end <= 3 for y in did)
                    and (home := self._dimension_home(x.entries[0].target)) is not None
                    and home[0] is not people
                ]
            elif lacked is not None and not did:
                # but have never had a paid order, 却从没下过单: at any time, not in the period
                # of the clause before
                ever = not named and EVER.search(parse.text[max(a, lacked.start() - 8) : lacked.end()])
                never = TimeRange(end=parse.as_of)  # at any time up to the day asked
                conditions.append(Presence(metric=orders, time_range=never if ever else span, absent=True))
                read.append(lacked.span())
                # 一笔支付订单都没有, no paid order: the glossary's paid orders, what is counted anyway
                used += [x for x in parse.links if lacked.start() <= x.start < lacked.end()]
            elif did or lacked is not None:
                return None
            elif named and (verb := HAD_VERB.search(parse.text, a, b)) is not None:
                # bought in 2025, 2025年买过: any paid order in the clause's own period
                conditions.append(Presence(metric=orders, time_range=span))
                read.append(verb.span())
                bought_alone += 1
        if len(parse.comparisons) != compared or (bought_alone and not compared):
            # 2024年买过、2025年一单没买、今年又回来买: a chain of periods, its reader's
            return None
        if not any(c.absent for c in conditions):
            if compared or bought_alone:
                return None  # conditions on figures alone: the reader of conditions in periods
            # 上个月浏览过商品的用户有多少, how many users viewed products: what they did in the
            # events alone (what they bought alone is the reader of buyers')
            if not conditions or valued or len(conditions) != evented:
                return None
            if parse.has("share") or self._registered(parse) is not None or self._buying_said(parse, used):
                # 注册当月就付款下单的人占比: buying (the orders' reader), among registrants
                return None
            if len(conditions) > 1 and not DID_EACH.search(parse.text):
                return None  # 浏览、加购、下单分别有多少人: each step's people, not those who did all
        elif len(conditions) < 2 or all(c.absent for c in conditions):
            return None
        if valued and len({c.time_range for c in conditions}) < 2:
            return None  # bought one value but not another in one period: read as before
        by = [
            f"{people.name}.{x.entries[0].target.rpartition('.')[2]}"
            for x in parse.links
            if x.kind == "dimension"
            and x not in used
            and (home := self._dimension_home(x.entries[0].target)) is not None
            and home[0] is people
        ]
        # a column of the people's name, whoever's word said it, is their grouping
        grouping = [
            x
            for x in parse.links
            if x.kind == "dimension"
            and x not in used
            and f"{people.name}.{x.entries[0].target.rpartition('.')[2]}" in by
        ]
        if any(x not in used and x not in grouping for x in parse.links):
            return None  # a figure asked of them, or a value of theirs: not read here
        parse.read_spans += read + [(x.start, x.end) for x in used]
        people_words = (*PEOPLE_NOUN.finditer(parse.text), *USER_WORDS.finditer(parse.text))
        parse.read_spans += [m.span() for m in people_words]
        parse.links = [x for x in parse.links if x not in used]
        parse.read_whole = True
        query = SemanticQuery(dimensions=[*dict.fromkeys(by), key], presences=conditions, count_groups=True)
        texts = list(dict.fromkeys(t.text for t in parse.found_times))
        return self._listing_answer(parse, people, query, _run_on(texts, parse.language))

    @staticmethod
    def _buying_said(parse: Parse, links: list[Link]) -> bool:
        """付款下单, placed an order: an event type said with the words of buying, which
        the orders tell (paid orders), not the events."""
        verbs = [m.span() for m in (*BUY_VERB.finditer(parse.text), *HAD_ORDERS.finditer(parse.text))]
        return any(a <= x.start < b or x.start <= a < x.end for x in links for a, b in verbs)

    def _bought_in(
        self, parse: Parse, start: int, end: int, did: list[Link], lacked: re.Match[str] | None
    ) -> list[Link]:
        """The values of what was bought said in a clause: of the orders or what they hold
        (a channel, a category), not the people's own nor an event's."""
        people = self._people_model
        found = []
        for x in parse.links:
            if not (start <= x.start < end) or x.kind != "value" or x in did:
                continue
            if lacked is not None and lacked.start() <= x.start < lacked.end():
                continue
            if any(
                (home := self._dimension_home(e.target)) is not None and home[0] is not people
                for e in x.entries
                if e.kind == "value"
            ):
                found.append(x)
        return found

    def _of_what_was_bought(self, link: Link, people: Model | None) -> Link:
        """在京东买过, bought on JD: the value's reading of what was bought first (the orders'
        channel), the people's own (the one they registered in) after it."""
        theirs = [
            e
            for e in link.entries
            if e.kind == "value" and (home := self._dimension_home(e.target)) and home[0] is people
        ]
        others = [e for e in link.entries if e not in theirs]
        return replace(link, entries=(*others, *theirs)) if others and theirs else link

    def _per_person(self, parse: Parse, base: SemanticQuery, with_people: SemanticQuery) -> SemanticQuery:
        """累计消费超过5000元的用户 read as 人均消费 over 5000: a figure per head of one person
        is the figure itself (their GMV), compared without counting them one by one; unless
        it is also asked of them (…的用户有多少，人均消费多少)."""
        people = self._profile.metric if self.layer.reading.profile else None
        if people is None or base.ratios or not any(d in with_people.dimensions for d in self._entity_keys):
            return base
        swapped: dict[str, str] = {}
        for condition in base.metric_filters:
            found = self.layer.metric(condition.metric)
            said = [x for x in parse.links if x.kind == "metric" and x.entries[0].target == condition.metric]
            if isinstance(found, RatioMetric) and found.denominator == people and len(said) <= 1:
                swapped[condition.metric] = found.numerator
        if not swapped:
            return base
        return base.model_copy(
            update={
                "metrics": list(dict.fromkeys(swapped.get(m, m) for m in base.metrics)),
                "metric_filters": [
                    f.model_copy(update={"metric": swapped.get(f.metric, f.metric)})
                    for f in base.metric_filters
                ],
            }
        )

    def _condition_metric(
        self, parse: Parse, comparison: Comparison, clause: tuple[int, int], read: list[tuple[int, int]]
    ) -> str | None:
        """The metric a condition of a clause compares: the rows its number counts (3次,
        3 orders), what was spent (累计花了5000以上, spent over 5000), or the figure the
        clause names before it (付款订单不少于3笔); None when it is none of them."""
        if comparison.start in parse.bound:
            return parse.bound[comparison.start]
        spent = SPENT_BEFORE.search(parse.text[clause[0] : comparison.start])
        sales = next(iter(self._word("sales")), None)
        if spent is not None and sales is not None:
            read.append((clause[0] + spent.start(), clause[0] + spent.end()))
            return sales
        named = [
            x
            for x in parse.links
            if x.kind == "metric" and clause[0] <= x.start and x.end <= comparison.start
        ]
        if named:
            read.append((named[-1].start, named[-1].end))
            return named[-1].entries[0].target
        return None

    def _people_each(self, parse: Parse, split: list[str]) -> Understanding | None:
        """How many people bought both 服饰 and 运动户外, 去年双11买过、今年618又回来买的,
        bought 美妆 last year but never 手机数码: people counted who meet each condition,
        a condition for each value of one dimension of what they bought (or each period),
        and for what did not happen one of its own. None when the question is not that."""
        people = self._people_model
        key = self._entity_key(people) if people is not None else None
        marker = BOTH.search(parse.text) or AGAIN.search(parse.text)
        # 买过, 有过付款订单: the verbs of buying (their own words, 付款, are how it buys)
        verbs = [m.span() for m in (*HAD_VERB.finditer(parse.text), *HAD_ORDERS.finditer(parse.text))]
        if parse.signup_span is not None:
            verbs.append(parse.signup_span)  # 注册后7天内完成首单付款: bought within the days
        metric = next(iter(self._word("orders")), None)
        registered = self._registered(parse)
        if people is None or key is None or not verbs or metric is None:
            return None
        counted = (
            HOW_MANY_ANYWHERE.search(parse.text)
            or (registered and parse.has("distribution", "share"))
            or (marker is not None and parse.has("share"))  # what fraction also bought in 2025
        )
        if not counted or parse.comparisons or parse.bands:
            return None
        # 2026年1月注册的用户有多少人下过支付订单，转化率多少: a rate of people asked of the
        # people the period registered is the share of them who did, not the layer's rate of
        # its own people (visitors who paid)
        rates = [
            x
            for x in parse.links
            if registered and x.kind == "metric" and self._rate_of_people(x.entries[0].target)
        ]
        counting = {metric, self._profile.metric, *(x.entries[0].target for x in rates)}
        # 这些人二季度一共贡献了多少成交额: what they spent in a period said, totalled
        of_them = self._figures_of_people(parse, counting) if HOW_MANY_ANYWHERE.search(parse.text) else None
        figures = (of_them[0], of_them[2]) if of_them is not None and of_them[2] is not None else None
        figure_spans = of_them[1] if figures is not None and of_them is not None else []
        times = sorted(parse.times, key=lambda t: t.span[0])
        # got a refund in Q1, came back and placed an order in Q2: what each period had
        had = (
            self._period_figures(parse, times) if marker is not None and AGAIN.search(marker.group(0)) else {}
        )
        if any(
            x.kind == "metric"
            and x.entries[0].target not in counting
            and x not in had.values()
            and not (registered and x.start <= registered.start() < x.end)  # 新注册的用户: who, not a figure
            and not (registered and self._registrants_named(parse, x, registered, people))
            and not any(a <= x.start < b for a, b in figure_spans)
            for x in parse.links
        ):
            return None  # 他们的成交额: a figure of those people, which this does not compute
        # 在天猫买过: a value said where they bought is of what they bought (the order's
        # channel), though the people have a column of the same values (registered on 天猫)
        self._first_purchase_in_period(parse, times)
        values = [self._bought_at(parse, x, people) for x in parse.links if x.kind == "value"]
        theirs = [
            x for x in values if (home := self._dimension_home(x.entries[0].target)) and home[0] is people
        ]
        bought = [
            x for x in values if x not in theirs and not any(a <= x.start and x.end <= b for a, b in verbs)
        ]
        kinds = {x.entries[0].target for x in bought}
        dated: TimeRange | None = None
        conditions: list[Presence] | None
        periods = self._registered_and_bought(parse, times) if registered else None
        chain = self._periods_each(parse, times) if not split and not registered else None
        every = self._every_period(parse, times) if chain is None and not split and not registered else None
        only = (
            self._only_ever(parse, bought or theirs)
            if chain is None and every is None and not split and not registered
            else None
        )
        if only is not None:
            # only ever bought 手机数码, 只在线下门店买过: bought it, and nothing but it
            period = times[0].range if len(times) == 1 else TimeRange(end=parse.as_of)
            theirs = [x for x in theirs if x not in (bought or theirs)[:1]]
            conditions = [
                Presence(metric=metric, time_range=period, filters=[only]),
                Presence(
                    metric=metric,
                    time_range=period,
                    filters=[only.model_copy(update={"op": "not_in"})],
                    absent=True,
                ),
            ]
        elif every is not None:
            # bought in every month of Q1: a condition for each month, over what was bought
            shared = self._value_filters_of(bought)
            conditions = [Presence(metric=metric, time_range=r, filters=shared) for r in every]
        elif chain is not None:
            # bought in 2024, skipped 2025, came back this year: a condition for each period
            first_period = min(chain, key=lambda c: c[0].range.end or dt.date.max)
            if not first_period[1]:  # 回流老客: bought in the earliest, so returning buyers
                kept = self._without_returning(
                    parse, {x.entries[0].target: [Picked(x.entries[0])] for x in theirs}
                )
                theirs = [x for x in theirs if x.entries[0].target in kept]
            shared = self._value_filters_of(bought)
            conditions = [
                Presence(metric=metric, time_range=t.range, filters=shared, absent=a) for t, a in chain
            ]
        elif split:
            conditions = self._around_absence(parse, bought, metric)
        elif registered and marker is None and not parse.absent and periods is not None:
            # 近3个月新注册、而且这3个月里有过付款订单的用户, 2025年注册的用户里到现在有过购买的:
            # the people the period registered (their own date), who bought when it is said
            dated, bought_in = periods
            conditions = [
                Presence(metric=metric, time_range=bought_in, filters=self._value_filters_of(bought))
                if parse.within_signup is None or people.default_time is None
                # 注册后7天内完成首单: each one's days after their own registration
                else Presence(
                    metric=metric,
                    time_range=TimeRange(end=parse.as_of),
                    filters=self._value_filters_of(bought),
                    within_days=parse.within_signup,
                    after=f"{people.name}.{people.default_time}",
                )
            ]
            parse.read_spans.append(registered.span())
        elif (
            marker is not None
            and len(kinds) == 1
            and len(bought) > 1
            and len(times) <= 1
            and not parse.absent
        ):
            # both 服饰 and 运动户外: a condition for each value, over the same period; a value
            # said again with the share (what share of each gender's 手机数码 buyers is that)
            # names the people the share is among, not a condition of its own
            period = times[0].range if times else TimeRange(end=parse.as_of)
            share = parse.cue("share")
            whole = [
                x
                for x in bought
                if share is not None
                and x.start > share.start
                and any(y.start < share.start and y.entries[0] == x.entries[0] for y in bought)
            ]
            first = [x for x in bought if x not in whole]
            among = {whole[0].entries[0]} if whole else set()
            conditions = [
                Presence(
                    metric=metric,
                    time_range=period,
                    filters=self._value_filters_of([x]),
                    among=x.entries[0] in among,
                )
                for x in first
            ]
            parse.read_spans += [(x.start, x.end) for x in whole]
        elif (
            marker is not None
            and len(times) == 2
            and (not parse.absent or self._not_again(parse) is not None)
            and len(kinds) <= 1
            and len(bought) <= 1
        ):
            # 去年双11买过、今年618又买了: a condition for each period, over what was bought;
            # a segment of the period said in its clause (去年只买过一次的) is of that period
            shared = self._value_filters_of(bought)
            # didn't come back for this year's 618, 今年没再回来买: the later one did not happen
            missed = self._not_again(parse)
            if missed is not None:
                self._use_negation(parse, missed)
            own = self._period_segments(parse, times, theirs)
            theirs = [x for x in theirs if not any(x in links for links in own.values())]
            conditions = [
                Presence(
                    metric=had[index].entries[0].target if index in had else metric,
                    time_range=t.range,
                    filters=[*shared, *self._value_filters_of(own.get(index, []))],
                    # 占这批人的比例: the share is among those of the first period
                    among=index == 0 and parse.has("share"),
                    absent=missed is not None and index == 1,
                )
                for index, t in enumerate(times)
            ]
        else:
            return None
        if conditions is None:
            return None
        by = [
            x.entries[0].target
            for x in parse.links
            if x.kind == "dimension"
            and (home := self._dimension_home(x.entries[0].target)) is not None
            and home[0] is people
        ]
        by = [f"{people.name}.{d.rpartition('.')[2]}" for d in dict.fromkeys(by)]
        grains = [c.text for c in parse.cues if c.kind == "grain"]
        if grains:
            # 按注册月份分组看：每月…: people counted per month, which these conditions do not
            # compute; asked, never one count for the whole period
            return self._cannot_use(parse, grains, "reading.cannot_combine")
        if marker is not None:  # came back and bought again: every word of it
            parse.read_spans += [m.span() for m in (*BOTH.finditer(parse.text), *AGAIN.finditer(parse.text))]
        parse.read_spans += verbs
        parse.read_spans += [(x.start, x.end) for x in rates]
        parse.read_spans += [
            m.span() for m in (*PEOPLE_NOUN.finditer(parse.text), *USER_WORDS.finditer(parse.text))
        ]
        if dated is not None:
            parse.read_spans += [m.span() for m in DISTRIBUTION_WORD.finditer(parse.text)]
        query = SemanticQuery(
            dimensions=[*by, key],
            filters=self._value_filters_of(theirs),
            presences=conditions,
            count_groups=True,
            time_range=dated,
            rows_dated=dated is not None,
            # 有过购买的人占比: those who did, beside all the people the period registered
            share_of_counted=(parse.has("share") or bool(rates))
            and (dated is not None or any(c.among for c in conditions)),
        )
        if figures is not None and query.share_of_counted:
            # their share and their figures: not computed together, asked (never dropped)
            return self._cannot_use(
                parse, [parse.text[a:b] for a, b in figure_spans], "reading.cannot_combine"
            )
        if figures is not None:
            parse.read_spans += figure_spans
            query = query.model_copy(update={"figures": figures[0], "figures_range": figures[1]})
        return self._listing_answer(parse, people, query, _run_on([t.text for t in times], parse.language))

    def _period_segments(
        self, parse: Parse, times: list[TimeMatch], links: list[Link]
    ) -> dict[int, list[Link]]:
        """The values of a segment decided in a period (只买过一次的) written in the clause
        of one of the periods, by the period's place."""
        clauses = _period_clauses(parse.text)
        found: dict[int, list[Link]] = {}
        for link in links:
            segment = self._segment_of(link.entries[0].target)
            if segment is None or not segment.decided_in_period:
                continue
            a, b = _clause_at(clauses, link.start)
            inside = [i for i, t in enumerate(times) if a <= t.span[0] < b]
            # 去年双11新客里今年又买过的: the period right before the value is its own
            right_before = [
                i
                for i in inside
                if times[i].span[1] <= link.start
                and PERIOD_THEN_FIRST.fullmatch(parse.text[times[i].span[1] : link.start])
            ]
            if len(inside) == 1 or len(right_before) == 1:
                found.setdefault((right_before or inside)[0], []).append(link)
        return found

    @staticmethod
    def _period_figures(parse: Parse, times: list[TimeMatch]) -> dict[int, Link]:
        """The one figure named in the clause of each period, by the period's place (who
        got a refund in Q1 2026, how many came back and placed a paid order in Q2)."""
        clauses = _period_clauses(parse.text)
        figures: dict[int, Link] = {}
        for index, time in enumerate(times):
            a, b = _clause_at(clauses, time.span[0])
            named = [x for x in parse.links if x.kind == "metric" and a <= x.start < b]
            if len(named) == 1 and sum(1 for t in times if a <= t.span[0] < b) == 1:
                figures[index] = named[0]
        return figures

    def _top_share_of(self, parse: Parse, listing: Understanding, ranked: Cue) -> Understanding | None:
        """去年消费金额最高的前100个用户的GMV占全站GMV的多少, the top 20% of customers by spend
        and their share of GMV: the rows a ranking keeps, totalled beside all rows' total,
        when a share is asked of the one figure they are ranked by. None otherwise."""
        percent = PERCENT_AFTER.match(parse.text, ranked.end)
        # the top 20% of customers: the percent sign of the ranking asks no share
        share = next(
            (
                c
                for c in parse.cues
                if c.kind == "share" and not (percent and c.start < percent.end() and percent.start() < c.end)
            ),
            None,
        )
        if share is None or len(listing.steps) != 1 or ranked.kind == "hot":
            return None
        query = listing.steps[0].query
        keys = [d for d in query.dimensions if d in self._entity_keys]
        if not keys or not query.order_by or query.limit is None or query.filters:
            # 排前100名的客户里女性占多大比例: a value's share among them, which this is not
            return None
        metric = query.order_by[0].field
        named = {x.entries[0].target for x in parse.links if x.kind == "metric"}
        if metric not in query.metrics or not named <= {metric}:
            return None
        number = ranked.number or query.limit
        fraction = number / 100 if percent is not None and number <= 100 else None
        if percent is not None and fraction is None:
            return None
        top = SemanticQuery(
            metrics=[metric],
            dimensions=keys[:1],
            time_range=query.time_range,
            time_dimension=query.time_dimension,
            filters=query.filters,
            order_by=query.order_by[:1],
            limit=None if fraction else query.limit,
            top_fraction=fraction,
            share_of_top=True,
        )
        said = (*TOTAL_WORD.finditer(parse.text), *WHOLE_WORDS.finditer(parse.text))
        parse.read_spans += [(share.start, share.end), *(m.span() for m in said)]
        parse.read_spans += [percent.span()] if percent is not None else []
        parse.read_spans += [
            m.span() for m in (*POINTS_BACK.finditer(parse.text), *PARETO.finditer(parse.text))
        ]
        step = Step(title=self.title(top, parse.language), query=top)
        return listing.model_copy(update={"steps": [step]})

    def _ranked_by_sales(self, parse: Parse, listing: Understanding, ranked: Cue) -> Understanding | None:
        """The rows a ranking asks of with words of spending and no figure named (top 10
        spenders, 消费最多的10个客户, how much they spent): ranked by the layer's sales."""
        linked = [(x.start, x.end) for x in parse.links]
        said = [m for m in SALES_WORDS.finditer(parse.text) if not any(a <= m.start() < b for a, b in linked)]
        spend = next(iter(said), None)
        sales = self._word("sales")
        figured = any(s.query.metrics for s in listing.steps)
        if spend is None or not sales or (figured and not RANKED_BY_SPEND.search(parse.text)):
            return None
        order = [OrderBy(field=sales[0], desc=ranked.kind != "bottom")]
        # grouped by the rows' key, and by the columns the question names (a name may be
        # masked from the asker: no grouping by what was not asked for)
        named = self._columns_listed(parse)
        steps = [
            s.model_copy(
                update={
                    "query": s.query.model_copy(
                        update={
                            # what they spent first, then the figures named beside it
                            "metrics": list(dict.fromkeys([*sales, *s.query.metrics])),
                            "order_by": order,
                            "dimensions": s.query.dimensions if named else s.query.dimensions[:1],
                        }
                    )
                }
            )
            for s in listing.steps
        ]
        parse.read_spans += [m.span() for m in said]
        parse.read_spans += [m.span() for m in SPENDERS.finditer(parse.text)]
        return listing.model_copy(update={"steps": steps})

    def _only_ever(self, parse: Parse, bought: list[Link]) -> Filter | None:
        """The one value people bought and nothing else of its dimension: only ever bought
        手机数码 products (and never anything from another category), 只在线下门店买过 -
        said right before it, of what they bought (the order's channel, not the one they
        registered in); the words of never another are used up."""
        if len(bought) != 1 or (parse.absent and not ANOTHER.search(parse.text)):
            return None
        value = bought[0]
        only = next((m for m in ONLY_EVER.finditer(parse.text) if 0 <= value.start - m.end() <= 3), None)
        people = self._people_model
        entry = next(
            (
                e
                for e in value.entries
                if e.kind == "value"
                and (home := self._dimension_home(e.target)) is not None
                and home[0] is not people
            ),
            None,
        )
        if only is None or entry is None:
            return None
        filters = self._value_filters({entry.target: [Picked(entry)]})
        if len(filters) != 1 or filters[0].op != "in":
            return None
        parse.read_spans.append(only.span())
        another = ANOTHER.search(parse.text, value.end)
        if another is not None:
            # never anything from another category: what "only" says, once more
            marker = next((m for m in parse.negations.markers if value.end <= m[0] < another.start()), None)
            if marker is not None:
                self._use_negation(parse, (marker[0], marker[1]))
            parse.read_spans.append((another.start(), another.end()))
        return filters[0]

    @staticmethod
    def _not_again(parse: Parse) -> tuple[int, int] | None:
        """The negation said right before the words of coming back (didn't come back,
        没再回来买), when it is the question's only one."""
        again = AGAIN.search(parse.text)
        if again is None or len(parse.negations.markers) != 1:
            return None
        start, end, _ = parse.negations.markers[0]
        between = parse.text[end : again.start()]
        return (start, end) if start < again.start() and re.fullmatch(r"\s*", between) else None

    @staticmethod
    def _use_negation(parse: Parse, span: tuple[int, int]) -> None:
        """A negation a rule has read: no value is negated by it, nothing is left absent."""
        parse.read_spans.append(span)
        parse.negations.markers = [m for m in parse.negations.markers if (m[0], m[1]) != span]
        left = {m[2].strip() for m in parse.negations.markers}
        parse.negations.unscoped = [u for u in parse.negations.unscoped if u in left]
        parse.absent = None

    @staticmethod
    def _every_period(parse: Parse, times: list[TimeMatch]) -> list[TimeRange] | None:
        """The periods each of which people bought in (1月、2月和3月都买过; in every single
        month of Q1 this year (Jan, Feb and Mar)): the periods listed, else each bucket
        of the one period said; the words that said every, used."""
        said = EVERY_PERIOD.search(parse.text)
        if said is None or parse.absent or parse.negations.markers:
            return None
        ranges: list[TimeRange] = []
        for time in times:
            ranges += _listed_months(time)
        ranges = list(dict.fromkeys(ranges))
        # the finest periods: Jan, Feb and Mar, not the Q1 (this year) they are of
        finest = [
            r
            for r in ranges
            if not any(o != r and _within(o, r) for o in ranges) and r.start is not None and r.end is not None
        ]
        named = re.search("|".join(EVERY_GRAIN), said.group(0))
        grain = EVERY_GRAIN[named.group(0)] if named else None
        if len(finest) == 1 and grain is not None:
            period = finest[0]
            assert period.start is not None and period.end is not None
            finest = []
            start = grain_start(period.start, grain)
            while start <= period.end and len(finest) <= MAX_EVERY:
                after = shift_by_grain(start, grain, 1)
                end = min(after - dt.timedelta(days=1), period.end)
                finest.append(TimeRange(start=max(start, period.start), end=end))
                start = after
        if not 2 <= len(finest) <= MAX_EVERY:
            return None
        parse.read_spans.append(said.span())
        parse.cues = [
            c for c in parse.cues if not (c.kind == "grain" and c.start < said.end() and said.start() < c.end)
        ]
        return sorted(finest, key=lambda r: r.start or dt.date.min)

    @staticmethod
    def _periods_each(parse: Parse, times: list[TimeMatch]) -> list[tuple[TimeMatch, bool]] | None:
        """A chain of periods (`_period_chain`), its words of not buying used up."""
        found = Understander._period_chain(parse, times)
        if found is None:
            return None
        chain, used = found
        for span in used:
            Understander._use_negation(parse, span)
        parse.absent = None
        return chain

    @staticmethod
    def _period_chain(
        parse: Parse, times: list[TimeMatch]
    ) -> tuple[list[tuple[TimeMatch, bool]], list[tuple[int, int]]] | None:
        """2024年买过、2025年一单没买、今年又回来买; bought in 2024, skipped all of 2025, then
        came back this year: three periods or more, each in a clause of its own whose verb
        says whether they bought (or again) or not (没, skipped) - a condition for each, and
        the words that said not. Two periods are read by the rules of one after the other."""
        clauses = _period_clauses(parse.text)
        starts = [t.range.start for t in times if t.range.start]
        earlier = next(
            (
                m
                for m in EARLIER.finditer(parse.text)
                if not any(a <= m.start() < b and a <= t.span[0] < b for a, b in clauses for t in times)
            ),
            None,
        )
        if earlier is not None and len(starts) == len(times) >= 2:
            # 更早以前买过, bought before that: any time before the earliest period said
            before = TimeRange(end=min(starts) - dt.timedelta(days=1))
            times = [*times, TimeMatch(span=earlier.span(), text=earlier.group(0), range=before)]
        if len({t.range for t in times}) < 3 or len(times) != len({t.range for t in times}):
            return None
        chain: list[tuple[TimeMatch, bool]] = []
        used: list[tuple[int, int]] = [earlier.span()] if earlier is not None else []
        for time in times:
            a, b = _clause_at(clauses, time.span[0])
            if sum(1 for t in times if a <= t.span[0] < b) != 1:
                return None
            words = parse.text[a:b]
            negated = [(m[0], m[1]) for m in parse.negations.markers if a <= m[0] < b]
            skipped = SKIPPED.search(words)
            bought = HAD_VERB.search(words) or BUY_WORD.search(words) or AGAIN.search(words)
            if negated or skipped:
                chain.append((time, True))
                used += negated + ([(a + skipped.start(), a + skipped.end())] if skipped else [])
            elif bought:
                chain.append((time, False))
            else:
                return None
        if all(absent for _, absent in chain) or not any(absent for _, absent in chain):
            return None
        return chain, used

    def _registrants_named(self, parse: Parse, link: Link, registered: re.Match[str], people: Model) -> bool:
        """2025年注册的新用户里: a metric counting the people's own rows, written right after
        their registering, names who they are, not a figure asked of them."""
        between = parse.text[registered.end() : link.start]
        return (
            link.start >= registered.end()
            and between.strip() in {"", "的"}
            and self._counts_rows_of(link.entries[0].target, people)
        )

    @staticmethod
    def _registered(parse: Parse) -> re.Match[str] | None:
        """注册, registered: the verb that dates people by their own registration, not a
        word of a dimension's name (注册渠道)."""
        dimensions = [(x.start, x.end) for x in parse.links if x.kind == "dimension"]
        return next(
            (
                m
                for m in REGISTERED.finditer(parse.text)
                if not any(a <= m.start() < b for a, b in dimensions)
            ),
            None,
        )

    @staticmethod
    def _registered_and_bought(parse: Parse, times: list[TimeMatch]) -> tuple[TimeRange, TimeRange] | None:
        """The period people registered in, and the one they bought in: the same when it
        is said again (近3个月新注册、而且这3个月里) or as its own (当月就付款下单); when
        said once, any time up to the day asked (2025年注册的用户里到现在有过购买的). None
        unless one period is said."""
        own = [t for t in times if OWN_MONTH.fullmatch(t.text)]
        said = [t for t in times if t not in own]
        ranges = list(dict.fromkeys(t.range for t in said))
        if len(ranges) != 1:
            return None
        registered = ranges[0]
        if own and not _one_month(registered):
            # 2025年注册的用户里注册当月就付款的: each one's own month, which is no one period
            # of the question (it was all of 2025, silently); asked
            return None
        same_year = OWN_YEAR.search(parse.text)
        if same_year is not None and not _one_year(registered):
            return None  # 近两年注册的用户里注册当年就买过的: each one's own year, asked
        if same_year is not None:
            parse.read_spans.append(same_year.span())  # 2025年注册的用户里注册当年就买过的
        if (
            len(said) > 1
            or own
            or same_year
            or (registered.end is not None and registered.end >= parse.as_of)
        ):
            return registered, registered
        return registered, TimeRange(end=parse.as_of)

    def _around_absence(self, parse: Parse, bought: list[Link], metric: str) -> list[Presence] | None:
        """买过美妆、但从没买过手机数码: what was bought before the marker and what was not
        after it, each with its period: one said on each side, or one said for both (that
        year), or none for what never happened (从没, never)."""
        at = parse.absent_at
        if at is None:
            return None
        had = [x for x in bought if x.end <= at]
        lacked = [x for x in bought if x.start > at]
        # 去年买过美妆、但去年没买过母婴, never bought 母婴 last year: the same period said on
        # each side is one of each side
        times = parse.found_times or parse.times
        if not had or not lacked or len(times) > 2:
            return None
        # 买过美妆、但去年没买过: the sides part at the break between them, not at the marker
        breaks = list(SIDES_BREAK.finditer(parse.text, max(x.end for x in had), at))
        cut = breaks[-1].start() if breaks else at
        before = [t for t in times if t.span[1] <= cut]
        after = [t for t in times if t.span[0] >= cut]
        if len(before) > 1 or len(after) > 1:
            return None
        # 截至目前买过: any time up to the day asked (the data may run past it)
        until_now = TimeRange(end=parse.as_of)
        had_period = before[0].range if before else after[0].range if after else until_now
        lacked_period = after[0].range if after else had_period
        if EVER.search(parse.text[max(0, at - 6) : at + 6]) and not after:
            lacked_period = until_now  # 从没买过, never: at any time up to the day asked
        # the marker's words are used by the conditions, not by the period asked
        parse.absent = None
        return [
            Presence(metric=metric, time_range=had_period, filters=self._value_filters_of(had)),
            Presence(
                metric=metric, time_range=lacked_period, filters=self._value_filters_of(lacked), absent=True
            ),
        ]

    def _value_filters_of(self, links: list[Link]) -> list[Filter]:
        values: dict[str, list[Picked]] = {}
        for x in links:
            values.setdefault(x.entries[0].target, []).append(Picked(x.entries[0]))
        return self._value_filters(values)

    def _present_before(self, parse: Parse) -> tuple[str, TimeMatch, TimeMatch] | None:
        """去年买过东西、但今年没有再买的用户, customers who bought in Q1 but haven't
        purchased in Q2: of two periods, the one a buying (or selling) verb is written
        beside says when the rows did have a figure; the other, nearest the marker, when
        they did not. The metric they had, the period they had it and the period asked."""
        if len(parse.times) == 1:
            return self._present_earlier(parse)
        if len(parse.times) != 2:
            return None

        def apart(time: TimeMatch) -> tuple[bool, bool, int]:
            # the period in the marker's own clause (去年买过、但今年没再买; bought last year
            # but haven't bought this year), else the nearest
            a, b = sorted((time.span[0], parse.absent_at))
            # English says the period after the verb (haven't bought anything this month),
            # Chinese before it (今年没买): the marker's script says which
            after = time.span[0] > parse.absent_at
            wrong_side = not after if parse.text[parse.absent_at].isascii() else after
            turned = bool(CLAUSE_TURN.search(parse.text[a:b]))
            return turned, wrong_side, abs(time.span[0] - parse.absent_at)

        absent = min(parse.times, key=apart)
        had = next(t for t in parse.times if t is not absent)
        near = parse.text[max(0, had.span[0] - HAD_REACH) : had.span[1] + HAD_REACH]
        offset = max(0, had.span[0] - HAD_REACH)
        # the verb nearest the period (去年有过支付订单, not the 买 of 没买 further on)
        verbs = [m for m in (HAD_VERB.search(near), HAD_ORDERS.search(near)) if m is not None]
        verb = min(verbs, key=lambda m: abs(offset + m.start() - had.span[0]), default=None)
        if verb is None:
            return None
        parse.read_spans.append((offset + verb.start(), offset + verb.end()))
        metric = next(iter(self._word("units" if SELL_VERB.match(verb.group(0)) else "orders")), None)
        return (metric, had, absent) if metric else None

    def _present_earlier(self, parse: Parse) -> tuple[str, TimeMatch, TimeMatch] | None:
        """以前买过但近半年一单都没买, customers who bought before but not in the last 6
        months: "before" beside a buying verb is everything before the one period named,
        the period they did not buy in."""
        (absent,) = parse.times
        earlier = next(
            (m for m in EARLIER_BOUGHT.finditer(parse.text) if not _overlap(m.span(), absent.span)), None
        )
        if earlier is None:
            # 超过半年没买了: more than half a year since they last bought, so they did before
            earlier = LAPSED_FOR.match(absent.text)
            if earlier is None or absent.range.start is None:
                return None
            had = TimeMatch(
                span=absent.span,
                text=absent.text,
                range=TimeRange(end=absent.range.start - dt.timedelta(days=1)),
            )
            metric = next(iter(self._word("orders")), None)
            return (metric, had, absent) if metric else None
        if absent.range.start is None:
            return None
        parse.read_spans.append(earlier.span())
        end = absent.range.start - dt.timedelta(days=1)
        had = TimeMatch(span=earlier.span(), text=earlier.group(0), range=TimeRange(start=None, end=end))
        metric = next(iter(self._word("orders")), None)
        return (metric, had, absent) if metric else None

    def _take_absence(self, parse: Parse) -> bool:
        """上个月一件都没卖出去的在售商品, 一条评价都没收到的商品, users who never ordered:
        rows of a table the question names that have no figure of a metric in the period.
        The metric is the one named beside the marker, the rows of a table counted there
        (评价), or the layer's orders for a buying verb and units for a selling one."""
        unscoped = set(parse.negations.unscoped)
        for start, end, marker in parse.negations.markers:
            if marker.strip() not in unscoped and not self._value_not_bought(
                parse, start, end, verb_after=True
            ):
                continue
            clause = ABSENCE_BEFORE.search(parse.text[:start])
            marker_span = (clause.start() if clause else start, start, end)
            metrics = [
                x
                for x in parse.links
                if x.kind == "metric" and _beside(x.start, x.end, marker_span, parse.text)
            ]
            # the rows of a table whose rows did not happen, counted
            tables = [
                (a, b, count)
                for a, b, m in self._table_names(parse.text)
                if _beside(a, b, marker_span, parse.text) and (count := self._row_count(m))
            ]
            after = parse.text[end : end + ABSENCE_REACH]
            bought, sold = BUY_VERB.match(after), SELL_VERB.match(after)
            said = bought or sold
            # bought 苹果 but never (anything from) 华为, 在天猫买过但从来没在京东买过: the value
            # names what was not bought; the verb is the one said before it
            reach = self._value_not_bought(parse, start, end) if said is None else 0
            verb_end = said.end() if said is not None else (reach or None)
            named_after = reach > 0
            buys = bought is not None or named_after
            # the nearest to the marker is what did not happen
            candidates = sorted(
                [(max(start - x.end, x.start - end), x.entries[0].target) for x in metrics]
                + [(max(start - b, a - end), count) for a, b, count in tables]
            )
            # 今年一单都没下, 一件都没卖: the counter of "not even one" says what did not happen
            counter = ORDER_COUNTER.match(parse.text, clause.start()) if clause else None
            if verb_end is not None:
                metric = next(iter(self._word("orders" if buys else "units")), None)
            elif counter is not None and not metrics:
                metric = next(iter(self._word("orders" if counter.group(1) in "单笔" else "units")), None)
            else:
                metric = candidates[0][1] if candidates else None
            if metric is None:
                continue
            # the words of what did not happen are used up; a table word among them (评价)
            # names no rows to list
            used = [x for x in metrics if x.entries[0].target == metric]
            # 一次都没有: "not even once" counts nothing, it names no value (1次); nor does
            # the verb of what did not happen (付款买过: no filter on payment events)
            spoken = [(clause.start(), start)] if clause else []
            # 一次母婴都没买过: a value inside "not even once" is what was not bought
            inside = [
                x
                for x in parse.links
                if clause and x.kind == "value" and clause.start() + 2 <= x.start and x.end <= start
            ]
            # 一笔付款订单都没有过: the rows that did not happen are no rows listed
            parse.absent_spans += spoken
            if verb_end is not None:
                spoken.append((end, end + verb_end))
            used += [
                x
                for x in parse.links
                if any(a <= x.start and x.end <= b for a, b in spoken)
                and not (named_after and x.kind == "value")
                and x not in inside
            ]
            parse.read_spans += spoken
            counted = [(a, b) for a, b, count in tables if verb_end is None and count == metric]
            parse.read_spans += [(end, a) for a, _ in counted if a > end]  # 收到任何 (评价)
            parse.absent = metric
            parse.absent_at = clause.start() if inside and clause else start
            parse.links = [x for x in parse.links if x not in used]
            parse.keyed += counted
            parse.read_spans += [(start, end), *((x.start, x.end) for x in used), *counted]
            if verb_end is not None:
                parse.read_spans.append((end, end + verb_end))
                parse.absent_spans.append((end, end + verb_end))
            parse.negations.unscoped = [u for u in parse.negations.unscoped if u != marker.strip()]
            return True
        return False

    def _take_bands(self, parse: Parse) -> None:
        """买1次、2次、3-4次、5次及以上的用户, under ¥500, ¥500 to ¥2,000, over ¥2,000: bands
        of each person's orders or spending, defined in the question. Bands that are the
        values of one of the layer's dimensions (its governed 1次/2次/3次及以上) are its."""
        found = find_bands(parse.text)
        if found is None:
            return

        def inside(start: int, end: int) -> bool:
            return found.start <= start and end <= found.end

        linked = [x for x in parse.links if inside(x.start, x.end)]
        governed = {x.entries[0].target for x in linked if x.kind == "value"}
        if len(linked) == len(found.bands) and len(governed) == 1:
            # 按累计已支付订单数把用户分成三档：1次、2次、3次及以上，每档各有多少人: the words
            # of the bands and the figure they are of are the governed segment's
            said = [m.span() for m in BAND_WORDS.finditer(parse.text)]
            said += [m.span() for m in BANDS_AGAIN.finditer(parse.text, found.end)]
            of = BANDED_BY.search(parse.text, max(0, found.start - 40), found.start)
            if of is not None:
                said.append(of.span())
                parse.links = [
                    x for x in parse.links if not (x.kind == "metric" and of.start() <= x.start < of.end())
                ]
            parse.read_spans += said
            return
        named = self._bands_named(parse, found)
        if named is not None:
            dimension, restated = named
            if restated:
                return  # purchase frequency (1 / 2 / 3+ orders): the dimension's own buckets
            # purchase frequency (1 / 2-3 / 4+ orders): the asker's own bands of what the
            # segment measures, which its word names
            parse.links = [x for x in parse.links if x is not dimension]
            parse.read_spans.append((dimension.start, dimension.end))
        # the figure is named by the units written with the bands, else by the nearest
        # word before them (how many paid orders they placed: 1, 2-3, ...)
        kind = found.kind
        preceding = parse.text[max(0, found.start - 40) : found.start]
        if BANDED_DAYS.search(preceding) and kind in {None, "days"}:
            kind = "days"
        # by their total GMV: a figure of money named just before the bands
        money_named = any(
            x.kind == "metric"
            and found.start - 40 <= x.start < found.start
            and (metric := self.layer.metric(x.entries[0].target)) is not None
            and metric.format == "currency"
            for x in parse.links
        )
        for text in (preceding, parse.text):
            if kind is None and money_named:
                kind = "money"
            elif kind is None and BANDED_COUNT.search(text):
                kind = "count"
            elif kind is None and (SALES_WORDS.search(text) or MONEY.search(text)):
                kind = "money"
        if kind is None:
            return
        parse.bands = (kind, found)
        if kind == "count":
            # how many buyers ordered 1, 2-3, 4+ times: the verb says what the bands count
            before = max(0, found.start - 40)
            parse.read_spans += [
                (before + a, before + b)
                for a, b in (m.span() for m in BANDED_COUNT.finditer(parse.text[before : found.start]))
            ]
        if kind == "days":
            self._take_days_words(parse, found)
        if kind == "money":
            # 按金额分三档, by amount: the money the bands are of
            before = max(0, found.start - 40)
            parse.read_spans += [
                (before + a, before + b)
                for a, b in (m.span() for m in BANDED_MONEY.finditer(parse.text[before : found.start]))
            ]
        parse.links = [x for x in parse.links if not inside(x.start, x.end)]
        parse.comparisons = [c for c in parse.comparisons if not inside(c.start, c.end)]
        parse.times = [t for t in parse.times if not inside(*t.span)]  # 500-2000元: not the year 2000
        parse.read_spans.append((found.start, found.end))
        unit = LAST_BAND_UNIT.match(parse.text, found.end)
        note = BRACKETED.match(parse.text, unit.end() if unit else found.end)
        if note is not None and BANDED_COUNT.search(note.group(0)) and SAME_PERIOD.search(note.group(0)):
            # once / twice / 3+ times (paid orders within those 3 months): the bands' figure
            # and period said again
            _set_aside(parse, [note.span()], cues=False)
        said = [m.span() for m in BAND_WORDS.finditer(parse.text)]
        # each of those groups, 每档: the bands themselves, after them
        said += [m.span() for m in BANDS_AGAIN.finditer(parse.text, found.end)]
        parse.read_spans += said
        # spend tiers, in each tier: the bands' own word, not a dimension named like it (city tier)
        parse.links = [
            x
            for x in parse.links
            if not (x.kind == "dimension" and any(a <= x.start and x.end <= b for a, b in said))
        ]

    def _bands_named(self, parse: Parse, found: BandList) -> tuple[Link, bool] | None:
        """A segment's word with the bands in brackets after it, and whether they are its
        own values restated (as many, its top value among them) or the asker's bands."""
        for bracket in BRACKETED.finditer(parse.text):
            if not (bracket.start() <= found.start and found.end <= bracket.end()):
                continue
            before = [
                x
                for x in parse.links
                if x.kind == "dimension" and x.end <= bracket.start() and bracket.start() - x.end <= 30
            ]
            found_segment = self.layer.segment_of(before[-1].entries[0].target) if before else None
            if found_segment is None:
                return None
            dimension = found_segment[1]
            values = [
                x
                for x in parse.links
                if found.start <= x.start < found.end and x.entries[0].target == dimension.name
            ]
            return before[-1], bool(values) and len(found.bands) == len(dimension.values)
        return None

    def _banded(self, parse: Parse, metrics: list[str]) -> Understanding:
        """The people in each band of their orders or spending (how many users, and their
        average spend, in each): the question read as a whole, its figure and its people
        the bands', the rest its groups, filters and period."""
        assert parse.bands is not None
        kind, found = parse.bands
        figure = next(iter(self._word("sales" if kind == "money" else "orders")), None)
        them = self._people_model
        key = self._entity_key(them) if them is not None else None
        if figure is None or them is None or key is None or parse.comparisons:
            # a bound beside the bands (exactly 1 paid order that year, ...) is not one of them
            return self._cannot_use(parse, [found.text, *(c.text for c in parse.comparisons)])
        counting = {self._profile.metric} if self.layer.reading.profile else set()
        # the figure named before the bands says what they are of; after them, it is asked
        # of each band too (how much GMV in each band)
        asked_after = any(
            x.kind == "metric"
            and x.entries[0].target == figure
            and x.start >= found.end
            and parse.text[found.end : x.start].strip()  # 4+ orders: the unit of the last band
            for x in parse.links
        )
        others = [
            m
            for m in metrics
            if (m != figure or asked_after) and m not in counting and not self._counts_rows_of(m, them)
        ]
        # 成交额和人均消费: a figure per head of each band is the layer's quotient of it over
        # the people; one the layer lacks is asked, never dropped
        per_head = self._per_head_of(parse, others or [figure])
        if per_head is None:
            return self._cannot_use(
                parse, [parse.text[a:b] for a, b in parse.ratio_spans], "reading.cannot_combine"
            )
        others = list(dict.fromkeys([*others, *per_head]))
        # the people the bands count (shoppers, 用户) are the bands' own
        parse.read_spans += [
            m.span() for m in (*PEOPLE_WORDS.finditer(parse.text), *USER_WORDS.finditer(parse.text))
        ]
        # each bucket's share of all buyers: of the bands' people, not a share of a figure
        shared = [c for c in parse.cues if c.kind == "share"]
        parse.cues = [c for c in parse.cues if c not in shared]
        parse.read_spans += [(c.start, c.end) for c in shared]
        reading = self._assemble(parse, others or [figure])
        if reading.status != "answer" or len(reading.steps) != 1:
            return reading
        query = reading.steps[0].query
        if query.metric_filters or (query.count_groups and not HOW_MANY_ANYWHERE.search(parse.text)):
            # 付款1次的用户里，买2次、3次…: a condition beside the bands is not one of them
            return self._cannot_use(parse, [found.text])
        bands = Bands(metric=figure, of=key, bands=found.bands)
        if kind == "days":
            since = self._counted_to(query.time_range, parse.as_of)
            if since is None:
                return self._cannot_use(parse, [found.text])
            # 30天内、180天以上: the asker's own words name their bands of days
            bands = Bands(metric=figure, of=key, bands=found.as_written(), since=since)
            if query.time_range is None or query.time_range.start == since:
                query = query.model_copy(update={"time_range": TimeRange(end=since)})
        query = query.model_copy(
            update={
                "metrics": others,
                "dimensions": [d for d in query.dimensions if d != key],
                "bands": bands,
                # the number in each bucket and its share of all buyers
                "share_of_all_counted": bool(shared),
                "count_groups": False,
                "metric_filters": [],
                "order_by": [],
                "limit": None,
                "share": [],
                "ratios": [],
            }
        )
        step = Step(title=self.title(query, parse.language), query=query)
        return reading.model_copy(update={"steps": [step]})

    def _take_days_words(self, parse: Parse, found: BandList) -> None:
        """按最后一次已支付订单距今天数, days since their last paid order, recency band: the
        last order and today the days run between, not the newest row, the period of today
        or the layer's recency level; 以6月30日为基准 and （天数=今天减去最近一笔付款订单的
        下单日期）: the day they are counted to, and the figure's definition restated."""
        before = max(0, found.start - 40)
        spans = [m.span() for m in BANDED_DAYS.finditer(parse.text)] + [
            (before + a, before + b)
            for a, b in (m.span() for m in BANDED_COUNT.finditer(parse.text[before : found.start]))
        ]
        spans += [m.span() for m in COUNTED_TO.finditer(parse.text)]
        spans += [b.span() for b in BRACKETED.finditer(parse.text) if DAYS_DEFINED.match(b.group(0))]
        _set_aside(parse, spans, comparisons=False)
        parse.links = [x for x in parse.links if not self._recency_word(x)]

    def _recency_word(self, link: Link) -> bool:
        """做个R分层, recency: a word of the layer's own recency segment (one decided by each
        one's last time), which bands of days since the last order the asker defines replace."""
        if link.kind != "dimension":
            return False
        found = self.layer.segment_of(link.entries[0].target)
        segment = found[1].segment if found is not None else None
        return (
            segment is not None
            and segment.needs_period
            and any(f.agg == "max" for f in segment.features.values())
        )

    @staticmethod
    def _counted_to(period: TimeRange | None, as_of: dt.date) -> dt.date | None:
        """The day the days since a last order are counted to: today, or the one day named
        (以6月30日为基准); a period asked beside them (近一年买过的) must end on it, since the
        days are counted from the last order in it. None when they cannot be placed."""
        if period is None:
            return as_of
        if period.start is not None and period.start == period.end:
            return period.end
        return as_of if period.end is not None and period.end >= as_of else None

    def _per_head_of(self, parse: Parse, figures: list[str]) -> list[str] | None:
        """The layer's quotients of the figures over the denominators the question says
        per (人均: per buyer), each by its name; None when the layer has none of one."""
        found: list[str] = []
        people = self._people_model
        # per user, 人均: the people of the bands, counted by the layer's people metric
        heads = {self._profile.metric} if self.layer.reading.profile else set()
        for denominator in dict.fromkeys(parse.denominators):
            counts_people = people is not None and self._counts_rows_of(denominator, people)
            over = {denominator, *(heads if counts_people else ())}
            for figure in figures:
                if isinstance(self.layer.metric(figure), RatioMetric):
                    continue  # average spend per user: a figure per head already
                quotient = next(
                    (
                        m.name
                        for m in self.layer.metrics
                        if isinstance(m, RatioMetric) and m.numerator == figure and m.denominator in over
                    ),
                    None,
                )
                if quotient is None:
                    return None
                found.append(quotient)
        return found

    def _first_purchase_in_period(self, parse: Parse, times: list[TimeMatch]) -> None:
        """2025年1月首购的用户, people whose first purchase was in January: a segment's word of
        first purchase right after a period names the first-purchase value decided in it
        (the period's 新客), not a grouping by the first purchase's month."""
        first = self._first_values.get("首") or self._first_values.get("first")
        if first is None:
            return
        for index, link in enumerate(parse.links):
            if (
                link.kind != "dimension"
                or not FIRST_STEM.search(link.text)
                or not self._segment_of(link.entries[0].target)
            ):
                continue
            if any(
                t.span[1] <= link.start and PERIOD_THEN_FIRST.fullmatch(parse.text[t.span[1] : link.start])
                for t in times
            ):
                parse.links[index] = replace(link, entries=(first,))

    def _bought_at(self, parse: Parse, link: Link, people: Model | None) -> Link:
        """A value right after 在/从/on/at and right before a verb of buying, with its entry
        of what was bought first (the orders' channel, not the one people registered in)."""
        before = parse.text[max(0, link.start - 4) : link.start]
        if not (BOUGHT_AT.search(before) and BUY_VERB.match(parse.text, link.end)):
            return link
        return self._of_what_was_bought(link, people)

    @staticmethod
    def _value_not_bought(parse: Parse, start: int, end: int, *, verb_after: bool = False) -> int:
        """How far after a marker its words of not buying reach, to the value right after
        it and a verb after that (never anything from 华为, 没在京东买过), when the question
        bought something before the marker; else 0 (and 0 without a verb after the value,
        `verb_after`: 不是天猫的 names a value not wanted)."""
        if not BUY_WORD.search(parse.text[:start]):
            return 0
        gap = NOT_BOUGHT_GAP.match(parse.text, end)
        at = gap.end() if gap else end
        value = next((x for x in parse.links if x.kind == "value" and x.start == at), None)
        if value is None:
            return 0
        verb = BUY_VERB.match(parse.text, value.end)
        if verb_after and not (verb and verb.group(0).strip()):
            return 0
        stop = verb.end() if verb and verb.group(0).strip() else at
        return stop - end

    @staticmethod
    def _values_around_absence(parse: Parse) -> list[str]:
        """Values of one dimension on both sides of what did not happen (买过A、没买过B)."""
        at = parse.absent_at
        if at is None:
            return []
        values = [x for x in parse.links if x.kind == "value"]

        def side(inside: Callable[[Link], bool]) -> dict[str, set[object]]:
            found: dict[str, set[object]] = {}
            for x in values:
                if inside(x):
                    found.setdefault(x.entries[0].target, set()).add(x.entries[0].value)
            return found

        before, after = side(lambda x: x.end <= at), side(lambda x: x.start > at)
        # the same value on both sides (美妆 last year, no 美妆 this year) applies to both
        split = {d for d in before.keys() & after.keys() if before[d] != after[d]}
        return [x.text for x in values if x.entries[0].target in split]

    def _take_basis(self, parse: Parse) -> None:
        """按订单收货省份算: the words before the column only say whose column it is (订单
        is no metric asked); the column itself stays linked."""
        match = self._basis(parse.text)
        if match is None:
            return
        start, end = match.span(1)
        if PAID_BASIS.search(parse.text[start:end]) and not self._beside_paid_basis(parse.text[start:end]):
            # 都按今年以来的支付订单算: what every figure is anyway, nothing to filter by
            parse.links = [x for x in parse.links if not (match.start() <= x.start and x.end <= match.end())]
            parse.read_spans.append(match.span())
            return
        owners = [x for x in parse.links if start <= x.start and x.end <= end and x.kind == "metric"]
        if owners and owners[-1].start == start and owners[-1].end >= end - 1:
            # 按成交额算: the figure itself, which the ranking goes by
            parse.read_spans += [(match.start(), start), (end, match.end())]
            return
        parse.links = [x for x in parse.links if x not in owners]
        parse.read_spans += [(match.start(), start), (end, match.end())] + [(x.start, x.end) for x in owners]

    def _take_distinct(self, parse: Parse) -> None:
        """卖出去的不同商品数超过140个, at least 3 different categories, 超过150款, 卖了多少种
        商品: a number of distinct values (or of rows of a table: 款 counts products) over
        the rows of the figure the question names, or of the one its verb sells or buys;
        the condition binds to it."""
        for link in list(parse.links):
            before = DISTINCT_BEFORE.search(parse.text[: link.start])
            if link.kind != "dimension" or before is None:
                continue
            # 不同会员等级的客单价, for different channels: a grouping, unless a count is
            # asked of them (不同商品数, 多少种商品, more than 25 different products)
            counted_after = DISTINCT_COUNTED_AFTER.match(parse.text[link.end :])
            kinds = before.group(0).startswith("多少") and not re.match(r"\s*的", parse.text[link.end :])
            if not (counted_after or kinds or COUNT_BEFORE.search(parse.text[: before.start()])):
                continue
            head = self._compound_head(parse, link)
            counted = self._counted_dimension(parse, head)
            if counted is None:
                continue
            if head is not link:  # product categories: the whole compound is read
                parse.links = [x for x in parse.links if x is not link]
            self._count_distinct(parse, head, counted, (link.start, head.end))
        for comparison in parse.comparisons:
            # 在两个及以上渠道下过单, from at least 3 categories: a number of the values of
            # the dimension named right after it
            gap = COUNTED_VALUES_GAP.match(parse.text, comparison.end)
            named = next(
                (x for x in parse.links if x.kind == "dimension" and gap and x.start == gap.end()), None
            )
            named = self._compound_head(parse, named) if named is not None else None
            counted = self._counted_dimension(parse, named) if named is not None else None
            if (
                counted is not None
                and not parse.bound.get(comparison.start)
                and not MONEY.search(comparison.text)
            ):
                self._count_distinct(parse, named, counted)
        for comparison in parse.comparisons:
            piece = PIECES_COUNTED.match(parse.text, comparison.end)
            item = self.layer.reading.ranked_item
            if piece is None or item is None or parse.bound.get(comparison.start):
                continue
            model = self.layer.holders(item)[0] if self.layer.holders(item) else None
            key = self._entity_key(model) if model else None
            if key is not None:
                self._count_distinct(parse, None, key, (piece.start(), piece.end()))

    @staticmethod
    def _compound_head(parse: Parse, link: Link) -> Link:
        """3 different product categories: of two dimension words written as one noun, the
        last is what is counted (the categories), the first only says of what."""
        following = next((x for x in parse.links if x.start > link.start), None)
        if (
            following is not None
            and following.kind == "dimension"
            and parse.text[link.end : following.start].isspace()
            and link.text.isascii()
        ):
            return following
        return link

    def _counted_dimension(self, parse: Parse, link: Link) -> str | None:
        """What a distinct count counts: a table named (商品, products) counts its rows by
        their key; a dimension word (categories) its values."""
        if link.kind != "dimension":
            return None
        for start, end, model in self._table_names(parse.text):
            if (start <= link.start and link.end <= end) or (link.start <= start and end <= link.end):
                return self._entity_key(model)
        return link.entries[0].target

    def _count_distinct(
        self, parse: Parse, link: Link | None, dimension: str, span: tuple[int, int] | None = None
    ) -> None:
        holders = self.layer.holders(dimension)
        if not holders:
            return
        counted_model = holders[0].name
        named = [x for x in parse.links if x.kind == "metric" and x is not link]
        sold = SELL_WORDS.search(parse.text)
        if sold:
            parse.read_spans.append(sold.span())
        candidates = [x.entries[0].target for x in named] + self._word("units" if sold else "orders")
        candidates += self._word("orders" if sold else "units")
        of = next(
            (
                m
                for m in candidates
                if isinstance(self.layer.metric(m), SimpleMetric)
                and any(self.graph.one_each(h, counted_model) or h == counted_model for h in self._homes(m))
            ),
            None,
        )
        if of is None:
            return
        count = DistinctCount(dimension=dimension, of=of)
        if count not in parse.distinct:
            parse.distinct.append(count)
        if span is None:
            assert link is not None  # a count is named by a link or by the words counted
            span = (link.start, link.end)
        where = span
        for comparison in parse.comparisons:
            gap = (
                parse.text[comparison.end : where[0]]
                if comparison.end <= where[0]
                else parse.text[where[1] : comparison.start]
            )
            if len(gap) <= 12:
                parse.bound[comparison.start] = count.name
        used = [x for x in named if x.entries[0].target == of]
        # 有销量的商品超过150款, bought products from 3 categories: the table whose rows are
        # counted is no grouping of its own
        used += [
            x
            for x in parse.links
            if x.kind == "dimension"
            and not GROUPED_BY.search(parse.text[: x.start])
            and any(
                model.name == counted_model and a <= x.start and x.end <= b
                for a, b, model in self._table_names(parse.text)
            )
        ]
        parse.links = [x for x in parse.links if x is not link and x not in used]
        parse.read_spans.append(where)
        parse.read_spans += [(x.start, x.end) for x in used]
        for marker in (*DISTINCT_BEFORE.finditer(parse.text), *DISTINCT_COUNTED_AFTER.finditer(parse.text)):
            parse.read_spans.append(marker.span())

    @staticmethod
    def _take_imperative(parse: Parse) -> None:
        """Name the 5 cities..., Count the orders...: a word that opens an English request
        and is followed by what it acts on (the, all, a number) is the request's verb,
        not the layer's word of the same spelling (a user's name)."""
        if not parse.links:
            return
        first = min(parse.links, key=lambda x: x.start)
        opening = IMPERATIVE_OPENING.fullmatch(parse.text[: first.start])
        verb = first.text.strip() in REQUEST_VERBS
        if opening and verb and ACTED_ON.match(parse.text[first.end :]):
            parse.links = [x for x in parse.links if x is not first]
            parse.read_spans.append((first.start, first.end))

    def _take_destinations(self, parse: Parse) -> None:
        """orders shipped to 上海, delivered to Germany: a status-like participle before
        "to" and a place is where the rows went (the place filters them), not a status."""
        for link, after in itertools.pairwise(list(parse.links)):
            if (
                link.kind == "value"
                and after.kind == "value"
                and link.text.endswith("ed")
                and DESTINATION.fullmatch(parse.text[link.end : after.start])
            ):
                parse.links = [x for x in parse.links if x is not link]
                parse.read_spans.append((link.start, link.end))

    def _take_keys(self, parse: Parse) -> None:
        """用户84, order #196910, 订单号为196813: one row named by its key, a filter on
        the key. A bare number after a table word must not look like a year or an
        amount (orders 2025, 订单100元)."""
        for word, model, key in self._key_words:
            for match in re.finditer(rf"(?<![a-z]){re.escape(word)}{KEY_NUMBER}", parse.text):
                number = match.group("number")
                marked = match.group("marker") is not None
                if not marked and (len(number) < 2 or 1900 <= int(number) <= 2100):
                    continue
                if any(a < match.end() and match.start() < b for a, b in parse.attribute_spans):
                    continue
                parse.attributes.append(Filter(dimension=f"{model.name}.{key}", values=[int(number)]))
                parse.attribute_spans.append(match.span())
                parse.keyed.append(match.span())
                parse.links = [x for x in parse.links if not (match.start() <= x.start < match.end())]
                # 订单号为196813: the key's "为" is no comparison of its own
                parse.comparisons = [
                    c for c in parse.comparisons if not (c.start < match.end() and match.start() < c.end)
                ]
                parse.evidence.append(f"“{match.group(0)}”→{model.name}.{key} = {number}")

    @cached_property
    def _key_words(self) -> list[tuple[str, Model, str]]:
        """Words naming a model or its key, longest first, with the key dimension."""
        words = []
        for model in self.layer.models:
            key = model.key_dimension
            if key is None or key.type != "number":
                continue  # a key named by a number only: 用户84, order 196910
            for word in (
                model.label.zh,
                model.label.en,
                *model.synonyms,
                key.label.zh,
                key.label.en,
                *key.synonyms,
            ):
                if word:
                    written = normalise(word)
                    # user 84 as well as users: an English plural names one row in the singular
                    singular = written[:-1] if re.fullmatch(r"[a-z ]+s", written) else None
                    words += [(w, model, key.name) for w in (written, singular) if w]
        return sorted(words, key=lambda item: -len(item[0]))

    def _columns_listed(self, parse: Parse) -> bool:
        """给我订单号、用户ID和实付金额 / with order id, refund time, amount and reason: two
        or more columns written as a list about a table's rows, none of them grouped by."""
        keyed = any(x.kind == "dimension" and self._names_a_key(x.entries[0].target) for x in parse.links)
        if not (self._table_word(parse) or keyed):
            return False
        spans = sorted(
            [(x.start, x.end) for x in parse.links if x.kind == "dimension"]
            + [span for _, span in self._time_columns(parse)]
            # the amount: the listed rows' own (see _listing)
            + [m.span() for m in AMOUNT_WORD.finditer(parse.text)]
        )
        listed = any(
            LIST_JOINER.fullmatch(parse.text[a_end:b_start])
            for (_, a_end), (b_start, _) in itertools.pairwise(spans)
        )
        # 按支付金额从高到低排: a sort, not a grouping
        grouped = any(
            GROUPING_BEFORE.search(parse.text[:start]) and not SORTED_AFTER.match(parse.text, end)
            for start, end in spans
        )
        return listed and not grouped

    def _names_a_key(self, dimension: str) -> bool:
        """user id, 订单号: the key of a listable table, which names its rows one by one."""
        home = self._dimension_home(dimension)
        if home is None or not home[0].detail:
            return False
        keys = home[0].key_columns
        found = home[0].dimension(home[1])
        return found is not None and found.sql in keys

    def _measured_not_grouped(self, parse: Parse, dimension: str) -> bool:
        """A number of each row (a list price) is grouped by only when asked in so many
        words (by list price, 各价格): "the average selling price" names no grouping."""
        found = self._dimension_named(dimension)
        return (
            found is not None
            and found.type == "number"
            and not self._names_a_key(dimension)  # 用户ID names users, it measures nothing
            and not found.values
            and not parse.has("distribution")
            and not self._named_with_grouping_word(parse, dimension)
        )

    def _is_number(self, dimension: str) -> bool:
        found = self._dimension_named(dimension)
        return found is not None and found.type == "number"

    def _dimension_named(self, name: str) -> Dimension | None:
        home = self._dimension_home(name)
        return home[0].dimension(home[1]) if home else None

    def _rows_dated(self, parse: Parse, model: Model) -> bool:
        """上个月的订单, last month's orders, 去年注册的用户: a period written onto the table
        word (or a date word of the table's own) dates the rows, not what they lack."""
        if any(d.dimension.split(".")[0] == model.name for d in parse.datings):
            return True
        for start, end, named in self._table_names(parse.text):
            if named.name != model.name:
                continue
            for time in parse.times:
                before, after = time.span[1] <= start, time.span[0] >= end
                if before and DATED_ROWS_BEFORE.fullmatch(parse.text[time.span[1] : start]):
                    return True
                # orders placed in May; but 商品上个月一件都没卖出去: a Chinese period after the
                # table word is when what follows happened (or did not)
                english = parse.text[time.span[0] : time.span[1]].isascii()
                if after and english and DATED_ROWS_AFTER.fullmatch(parse.text[end : time.span[0]]):
                    return True
        return False

    def _listing_columns(self, parse: Parse, model: Model, shortened: list[str]) -> list[str]:
        """The columns a question lists (用户ID、城市和会员等级), after the row's key so each
        row stays itself, and the time that orders the newest rows when those are asked;
        the model's detail columns, and any column named, when it lists none. A column is shown only when
        each row has one value of it (用户ID of an order, not its products)."""
        newest = self._newest(model) if parse.has("latest", "earliest") else None
        # 省份 of an order is the order's own province, not its user's
        named = [
            f"{model.name}.{bare}" if model.column(bare := c.rsplit(".", 1)[-1]) is not None else c
            for c in [*self._named_columns(parse), *shortened]
        ]
        key = model.key_dimension
        # a list of columns (用户ID、城市和会员等级): those; a single word may only date the rows
        if len(named) >= 2 and key is not None and key.name in {c.rsplit(".", 1)[-1] for c in model.detail}:
            shown = [f"{model.name}.{key.name}"]
        else:
            shown = [c if "." in c else f"{model.name}.{c}" for c in model.detail]
        for column in [*named, *self._listed_columns(parse), *([newest] if newest else [])]:
            if column.rsplit(".", 1)[-1] not in {c.rsplit(".", 1)[-1] for c in shown} and (
                column in shortened or self._reaches_one(model.name, column)
            ):
                shown.append(column)
        parse.read_spans += [span for _, span in self._time_columns(parse)]
        return shown

    @staticmethod
    def _newest(model: Model) -> str | None:
        """The time a model's rows are dated by, which "the newest rows" sort by."""
        if model.default_time is None:
            return None
        return model.default_time if "." in model.default_time else f"{model.name}.{model.default_time}"

    def _entity(self, parse: Parse) -> tuple[Link | None, Model] | None:
        """The model whose rows are listed: the rows of a table the question names
        (订单, refunds), unless the columns asked are below it (what was in order 196910:
        product name, quantity: its order lines), or the model of the columns and values
        named (商品, diamond members). A table word inside a longer name (订单 in 订单号)
        names that column, not the rows. Table words are matched here only, so they never
        compete with metric words."""
        for start, end, model in self._named_tables(parse):
            if not model.detail:
                continue
            self._own_columns(parse, model)
            table_word = next((x for x in parse.links if x.start <= start and end <= x.end), None)
            return table_word, self._rows_below(model, self._listed_columns(parse)) or model
        columns = self._listed_columns(parse)
        for link in parse.links:
            # user id, city and member level: the rows the key names
            if link.kind == "dimension" and self._names_a_key(link.entries[0].target):
                home = self._dimension_home(link.entries[0].target)
                if home is not None:
                    return None, self._rows_below(home[0], columns) or home[0]
        for link in parse.links:
            for entry in link.entries:
                if entry.kind in {"dimension", "value"}:
                    owner = next((m for m in self.layer.models if entry.target in m.detail), None)
                    if owner is not None:
                        return link, self._rows_below(owner, columns) or owner
        rows_of = next((self.layer.model(f.dimension.split(".")[0]) for f in parse.attributes), None)
        if rows_of is not None and rows_of.detail:  # order 196910: the rows of that order
            return None, self._rows_below(rows_of, columns) or rows_of
        return self._people_absent(parse)

    def _people_absent(self, parse: Parse) -> tuple[Link | None, Model] | None:
        """customers who bought last month but haven't this month, 上个月买过、这个月没买的
        人: with no table named, the people who did not are the layer's people (the users
        its buyers count), named by a people word or by the buyers' own metric."""
        people = self._people_model
        if not parse.absent or not parse.absent_spans or people is None or not people.detail:
            return None  # 没回购的用户: with no verb of buying, what did not happen is unread
        buyers = [
            x for x in parse.links if x.kind == "metric" and x.entries[0].target == self._profile.metric
        ]
        word = PEOPLE_NOUN.search(parse.text) or USER_WORDS.search(parse.text)
        if not buyers and word is None:
            return None
        parse.links = [x for x in parse.links if x not in buyers]
        parse.read_spans += [(x.start, x.end) for x in buyers] + ([word.span()] if word else [])
        return (buyers[0] if buyers else None), people

    def _verbs_of_rows(self, parse: Parse, model: Model, links: list[Link]) -> list[Link]:
        """上海下单的订单, 下过付款订单的人: a verb of the rows' own times is no value of another
        table's column (the event types 下单 and 付款). The verb of the time the rows are
        dated by (下单 of orders) only names them; that of another time (付款 of pay_time)
        keeps the rows that have it. The links left."""
        times = {t.name: f"{model.name}.{t.name}" for t in model.time_dimensions}
        verbs = {normalise(v): t.name for t in model.time_dimensions for v in t.verbs}
        taken = [
            x
            for x in links
            if x.kind == "value"
            and normalise(x.text) in verbs
            and not self._reaches_one(model.name, self._qualified(x.entries[0].target))
            # 用支付宝付款: a look-alike of the same value (支付宝 for 支付) is left to be asked
            and not any(
                y is not x
                and y.match == "fuzzy"
                and (y.entries[0].target, y.entries[0].value) == (x.entries[0].target, x.entries[0].value)
                for y in links
            )
        ]
        for x in taken:
            name = verbs[normalise(x.text)]
            if name != model.default_time:
                parse.attributes.append(Filter(dimension=times[name], op="not_null"))
        parse.read_spans += [(x.start, x.end) for x in taken]
        return [x for x in links if x not in taken]

    def _unused_date_words(self, parse: Parse, homes: set[str]) -> list[str]:
        """The verbs and names of times (注册, launched) the reading left unused, of
        tables none of the figures asked is measured on."""
        covered = self._covered(parse)
        cuts = self.linker.boundaries(parse.text)
        found = []
        for word, dimension in self._date_words.items():
            if dimension.split(".")[0] in homes or not word.strip():
                continue
            for match in re.finditer(re.escape(word), parse.text):
                on_cuts = match.start() in cuts and match.end() in cuts
                if on_cuts and not any(covered[match.start() : match.end()]):
                    found.append(match.group(0))
        return list(dict.fromkeys(found))

    def _sorted_by_time(self, parse: Parse) -> str | None:
        """按下单时间排(序), sorted by order time: the time column the rows are sorted by."""
        for column, (start, end) in self._time_columns(parse):
            before = re.search(r"(?:按|按照|依|\bsorted by|\border(?:ed)? by|\bby)\s*$", parse.text[:start])
            after = re.match(r"\s*(?:先后)?(?:排序|排列|排|顺序)", parse.text[end:])
            if before and (after or before.group(0).strip().startswith(("sorted", "order"))):
                parse.read_spans += [before.span(), *([(end, end + after.end())] if after else [])]
                return column
        return None

    def _shortened_columns(self, parse: Parse, model: Model) -> list[str]:
        """订单号、下单时间和总额, 金额从高到低: a word no link took that starts or ends the
        name of exactly one column the listed rows have (总额 of 订单总额, 金额 of 实付金额);
        labels are looked at first, then synonyms. The columns, as model.name."""
        covered = self._covered(parse)
        reachable = [
            (other, d)
            for other in self.layer.models
            if other.name == model.name or self.graph.one_each(model.name, other.name)
            for d in other.dimensions
        ]
        found: list[str] = []
        for word, start, end in self.linker.tokenizer.spans(parse.text):
            word = normalise(word.strip())
            if any(covered[start:end]) or len(word) < 2 or word.isascii() or word in FRAME_WORDS:
                continue
            for names in (lambda d: (d.label.zh,), lambda d: tuple(d.synonyms)):
                hits = {
                    f"{other.name}.{d.name}"
                    for other, d in reachable
                    if any(
                        n != word and (n.startswith(word) or n.endswith(word))
                        for n in map(normalise, names(d))
                        if n
                    )
                }
                if len(hits) == 1:
                    found.append(hits.pop())
                    parse.read_spans.append((start, end))
                    break
                if hits:
                    break  # 金额 of two columns' labels: not chosen among them
        return list(dict.fromkeys(found))

    def _own_columns(self, parse: Parse, model: Model) -> None:
        """products: name, brand and list price; 商品的名称: a column word the listed rows
        do not reach is the rows' own column whose name ends with it (the product name,
        not the user's), when exactly one of theirs does."""
        for i, link in enumerate(parse.links):
            if link.kind != "dimension" or self._reaches_one(
                model.name, self._qualified(link.entries[0].target)
            ):
                continue
            word = normalise(link.text)
            own = [
                d
                for d in model.dimensions
                if any(
                    _ends_with_word(normalise(name), word) for name in (d.label.zh, d.label.en, *d.synonyms)
                )
            ]
            if len(own) == 1:
                entry = Entry(kind="dimension", target=own[0].name, surface=link.text, source="label")
                parse.links[i] = replace(link, entries=(entry,))

    def _named_tables(self, parse: Parse) -> list[tuple[int, int, Model]]:
        """The table words that name rows, left to right: not part of a longer name (订单
        in 订单号 or 订单明细 names that), unless the longer name counts those rows (用户
        in 新注册的用户), and not a table named only to pick one row by its key (用户84)."""
        names = sorted(self._table_names(parse.text), key=lambda n: (n[0], n[0] - n[1]))
        named = []
        for start, end, model in names:
            longer = [(a, b) for a, b, _ in names] + [
                (x.start, x.end)
                for x in parse.links
                if not (
                    x.kind == "metric" and x.end == end and self._counts_rows_of(x.entries[0].target, model)
                )
            ]
            inside = any(a <= start and end <= b and b - a > end - start for a, b in longer)
            # 没下过单, never placed an order: the verb of what did not happen names no rows
            keyed = any(a <= start and end <= b for a, b in [*parse.keyed, *parse.absent_spans])
            # 去年有过支付订单的用户: the orders they had pick the people named after them
            had = any(
                m.start() <= start
                and end <= m.end()
                and (USER_WORDS.search(parse.text, m.end()) or PEOPLE_NOUN.search(parse.text, m.end()))
                for m in HAD_ORDERS.finditer(parse.text)
            )
            if not inside and not keyed and not had:
                named.append((start, end, model))
        return named

    def _rows_below(self, model: Model, columns: list[str]) -> Model | None:
        """The listable model whose rows reach `model` and every column one to one,
        when `model` itself does not reach them all: the rows those columns describe."""
        if all(self._reaches_one(model.name, c) for c in columns):
            return None
        return next(
            (
                candidate
                for candidate in self.layer.models
                if candidate.detail
                and self.graph.one_each(candidate.name, model.name)
                and all(self._reaches_one(candidate.name, c) for c in columns)
            ),
            None,
        )

    def _reaches_one(self, source: str, column: str) -> bool:
        """Can each row of `source` be read with `column` (model.name, or a bare name
        some model holds) without fanning out?"""
        return any(self.graph.one_each(source, holder.name) for holder in self.layer.holders(column))

    def _listed_columns(self, parse: Parse) -> list[str]:
        """The columns a listing question names, and the keys of rows it names by value
        (用户13963's orders reach users.user_id), as model.name."""
        keys = [f.dimension for f in parse.attributes]
        return list(dict.fromkeys(self._named_columns(parse) + keys))

    def _named_columns(self, parse: Parse) -> list[str]:
        """The columns a question names by their words: its dimensions, and the times of
        rows it names by their own words (退款时间, order time)."""
        named = [
            self._qualified(e.target) for x in parse.links for e in x.entries[:1] if e.kind == "dimension"
        ]
        return list(dict.fromkeys(named + [column for column, _ in self._time_columns(parse)]))

    def _qualified(self, dimension: str) -> str:
        if "." in dimension:
            return dimension
        home = self._dimension_home(dimension)
        return f"{home[0].name}.{dimension}" if home else dimension

    def _time_columns(self, parse: Parse) -> list[tuple[str, tuple[int, int]]]:
        """退款时间, order time: a time of rows written as a column, with its span."""
        found: list[tuple[str, tuple[int, int]]] = []
        taken = [False] * len(parse.text)
        for word, column in self._time_words:
            for match in re.finditer(re.escape(word), parse.text):
                if any(taken[match.start() : match.end()]):
                    continue
                found.append((column, match.span()))
                for i in range(*match.span()):
                    taken[i] = True
        return found

    def _rows_counted_at(self, parse: Parse, cue: Cue) -> bool:
        """最大的5笔退款, 最近10条评价: the cue's number counts rows by their classifier (笔,
        条, written in the cue or just after it) and a table word follows."""
        after = ROW_CLASSIFIER_AFTER.match(parse.text, cue.end)
        counted = ROW_CLASSIFIER.search(cue.text) or (after is not None and after.group(1))
        at = after.end() if after else cue.end
        return bool(counted) and any(start == at for start, _, _ in self._table_names(parse.text))

    def _table_word(self, parse: Parse) -> bool:
        """Does the question name a listable table (最大的5笔退款)?"""
        return any(word in parse.text for word, model in self._table_words if model.detail)

    @cached_property
    def _table_words(self) -> list[tuple[str, Model]]:
        """Every word that names a table (its labels and synonyms, normalised), with its
        model; an English name of several words in the singular too (the latest inventory
        snapshot), where a single word (order) would name too much else."""
        words = [
            (normalise(word), model)
            for model in self.layer.models
            for word in dict.fromkeys((model.label.zh, model.label.en, *model.synonyms))
            if word
        ]
        singular = [(word[:-1], model) for word, model in words if re.fullmatch(r"[a-z]+(?: [a-z]+)+s", word)]
        return words + singular

    def _numeric_column(self, model: Model, mentioned: list[str]) -> str | None:
        """What "the most expensive" ranks by: a numeric dimension the question names,
        else the model's first numeric detail column. An identifier (its key, or a
        reference to another model) is a number but not a magnitude."""
        keys = model.key_columns
        keys += [edge.source_key for edge in self.graph.edges.get(model.name, [])]
        for name in [*mentioned, *model.detail]:
            dimension = model.dimension(name.rsplit(".", 1)[-1])
            if dimension is not None and dimension.type == "number" and dimension.sql not in keys:
                return name
        return None

    def _counts_rows_of(self, metric: str, model: Model, *, unfiltered: bool = False) -> bool:
        """Does the metric count `model`'s own rows (orders of orders, new users of users)?"""
        found = self.layer.metric(metric)
        measured = self.layer.measure_of(metric)
        if measured is None or measured[0].name != model.name:
            return False
        home, measure = measured
        counts = measure.agg == "count" or (
            measure.agg == "count_distinct" and measure.expr == home.primary_key
        )
        filtered = bool(measure.filter) or bool(getattr(found, "filter", None))
        return counts and not (unfiltered and filtered)

    def _magnitude(self, model: Model) -> str | None:
        """The metric that sums an amount of the model's own rows (refund_amount for
        refunds), if one is governed."""
        for metric in self.layer.metrics:
            if not isinstance(metric, SimpleMetric) or metric.filter:
                continue
            home, _, name = metric.measure.partition(".")
            measure = model.measure(name) if home == model.name else None
            if measure is not None and measure.agg == "sum":
                return metric.name
        return None

    # -- follow-ups ---------------------------------------------------------------------------
    def _is_follow_up(self, parse: Parse) -> bool:
        if FOLLOW_UP.search(parse.text):
            return True
        # A short question naming no metric ("上个月", "京东") only makes sense in context,
        # unless it asks for something a follow-up cannot carry over (上个月的爆款: the
        # best sellers of last month, a question of its own).
        named_metric = any(link.entries[0].kind == "metric" for link in parse.links)
        own = [c for c in parse.cues if c.kind not in FOLLOW_UP_CUES]
        return not named_metric and not own and bool(parse.links or parse.times) and len(parse.text) <= 12

    def _follow_up(self, parse: Parse, previous: Understanding) -> Understanding:
        """The previous question, with what this one changes: its metrics, period,
        grouping, values (a value replaces the old filter of its dimension) and grain."""
        first = previous.steps[0].query
        metrics = list(
            dict.fromkeys(e.target for link in parse.links for e in link.entries[:1] if e.kind == "metric")
        )
        mentioned = self._dimensions(parse, metrics or first.metrics)
        values = self._values(parse, metrics or first.metrics, mentioned)
        changes: dict[str, object] = {}
        if parse.times:
            changes["time_range"] = parse.times[0].range
        replaced = set(values)
        new_filters = self._value_filters(values)
        grain = next((c.grain for c in parse.cues if c.kind == "grain" and c.grain), None)
        if grain:
            changes["time_grain"] = grain
        if parse.has("yoy") or parse.has("pop"):
            changes["compare"] = "yoy" if parse.has("yoy") else "pop"
        steps = []
        for index, step in enumerate(previous.steps):
            query = step.query.model_copy(update=changes)
            query = query.model_copy(
                update={"filters": [f for f in query.filters if f.dimension not in replaced] + new_filters}
            )
            if index == 0 and metrics:
                order = [
                    o if o.field not in first.metrics else o.model_copy(update={"field": metrics[0]})
                    for o in query.order_by
                ]
                query = query.model_copy(
                    update={
                        "metrics": metrics,
                        "order_by": order,
                        "share": [m for m in metrics if query.share],
                    }
                )
            added = [d for d in mentioned if d not in values and d not in query.dimensions]
            if index == 0 and added:
                query = query.model_copy(update={"dimensions": [*query.dimensions, *added]})
            steps.append(Step(title=self.title(query, parse.language), query=query, feed=step.feed))
        # The previous phrase is reused only in its own language; otherwise the dates speak.
        time_text = (
            parse.times[0].text
            if parse.times
            else previous.time_text
            if previous.language == parse.language
            else ""
        )
        evidence = [*parse.evidence, "follow-up of the previous question"]
        return Understanding(
            language=parse.language,
            status="answer",
            steps=steps,
            evidence=evidence,
            time_text=time_text,
            carried=[] if metrics else list(first.metrics),
        )

    def _parse(self, question: str, language: Language, as_of: dt.date) -> Parse:
        # "order数" is the English noun with a Chinese counter: read it as "orders".
        text = MIXED_COUNT.sub(lambda m: m.group(1) + "s", normalise(question))
        text = re.sub(r"\bavg\b", "average", text)
        for short, word in ABBREVIATIONS:
            text = short.sub(word, text)
        text = PEOPLE_BODY.sub(r"\1s", text)
        text, respelled = _people_respelled(text)
        text = ONES.sub(lambda m: _noun_before(text, m.start()), text)
        text = NOTHING_AFTER_BUYING.sub(lambda m: f"{m.group(1)}didn't buy anything", text)
        # A number after a comparison word is an amount, even one that looks like a
        # year (at least 2000 buyers); a period inside another refines it (上个月月底
        # （29号到31号）): the narrowest is the one asked about.
        comparisons = self._not_listed_values(text, find_comparisons(text))
        # 距今超过180天, 超过90天没下单: a time since the last purchase, not a bound on a figure
        comparisons = [
            c for c in comparisons if not (SINCE_LAST.search(text[: c.start]) or NOT_SINCE.match(text, c.end))
        ]
        # 最近10笔 asks for the newest rows: its 最近 is no period
        newest = [(m.start(), m.end()) for m in LATEST.finditer(text)]
        # 近3个月滚动平均: the window's length, not the period asked
        newest += [m.span() for m in MOVING.finditer(text)]
        found = [
            t
            for t in find_times(text, as_of, self.campaigns)
            if not any(c.start < t.span[1] and t.span[0] < c.end for c in comparisons)
            and not any(a < t.span[1] and t.span[0] < b for a, b in newest)
        ]
        # 距今天数, 距离今天: the day a span of days runs to, not the period of today
        found = [t for t in found if not re.search(r"距离?$", text[: t.span[0]])]
        # 今年每月比上个月: the period compared with is the comparison's, not the question's
        bases = [m.span(1) for m in COMPARED_BASE.finditer(text)]
        found = [t for t in found if not any(a <= t.span[0] and t.span[1] <= b for a, b in bases)]
        times = _refined(found)
        if len(times) > 1:
            # registered in 2025, never ordered (up to today): "to date" beside another period
            # says what no period says anyway, for what did not happen
            times = [t for t in times if not (t.range.start is None and t.range.end == as_of)] or times
        periods = [t.span for t in found]
        taken = periods + [(c.start, c.end) for c in comparisons]
        cuts = self.linker.boundaries(text)
        datings = self._datings(text, periods, taken, cuts)
        taken += [(d.start, d.end) for d in datings if not d.within_name]
        cues = find_cues(text, taken, cuts)
        # A metric named with an analysis word (delivery share, 外卖占比, member mix) is the
        # metric, an attribute named with one (list price) the attribute: the name outranks
        # the word's reading as a cue.
        unreserved = self.linker.link(text, taken)
        named = [
            x
            for x in unreserved
            if x.match != "fuzzy" and (x.kind == "metric" or (x.kind == "dimension" and " " in x.text))
        ]
        cues = [c for c in cues if not any(x.start <= c.start and c.end <= x.end for x in named)]
        if not self.layer.insights.stock.stock:
            # out of stock where the layer sets no stock warning: the words are its columns' (库存为0)
            cues = [c for c in cues if c.kind != "stock_alert"]
        reserved = taken + [(c.start, c.end) for c in cues]
        if any(c.kind in {"yoy", "pop"} for c in cues):
            # 环比变化率: the comparison's own words for what it outputs, never a metric (转化率)
            reserved += [m.span() for m in GROWTH_WORDS.finditer(text)]
        # With no cue to keep clear, the links are those already found.
        linked = self.linker.link(text, reserved) if cues else unreserved
        links = [x for x in linked if not _miscased_code(x, question)]
        links = sorted([*links, *self._within_words(text, links, reserved)], key=lambda x: x.start)
        links = sorted([*links, *self._elided_values(text, links, reserved)], key=lambda x: x.start)
        links = _shortened_again(links, self._same_table)
        negations = find_negations(text, links, reserved)
        parse = Parse(
            text,
            language,
            as_of,
            times,
            cues,
            links,
            question=question,
            comparisons=comparisons,
            negations=negations,
            time_spans=[t.span for t in found],
            found_times=found,
            datings=datings,
        )
        dates = {(c.start_date, c.end_date) for c in self.campaigns}
        if any((t.range.start, t.range.end) in dates for t in times):
            # during the promo, 活动期间: the campaign the question named, said again
            parse.read_spans += [m.span() for m in CAMPAIGN_AGAIN.finditer(text)]
        parse.evidence += respelled
        parse.evidence += [f"“{text[a:b]}”→NOT" for a, b, _ in negations.markers]
        parse.evidence += [f"“{c.text}”→{c.op} {c.value:g}" for c in comparisons]
        parse.evidence += [t.evidence for t in times]
        parse.evidence += [link.evidence() for link in links]
        parse.evidence += [f"“{c.text}”→{c.kind}" + (f"={c.number}" if c.number else "") for c in cues]
        return parse

    def _elided_values(self, text: str, links: list[Link], reserved: list[tuple[int, int]]) -> list[Link]:
        """first-time and returning buyers, new or repeat customers: a value's head noun said
        once for two values. The word before "and" is the value its words and that noun
        name, when they name one of the same dimension."""
        found: list[Link] = []
        spans = [(x.start, x.end) for x in links] + reserved
        for link in links:
            words = link.text.split()
            if link.kind != "value" or len(words) < 2 or not link.text.isascii():
                continue
            before = ELIDED_BEFORE.search(text[: link.start])
            if before is None or any(a < before.end(1) and before.start(1) < b for a, b in spans):
                continue
            said = f"{before.group(1)} {words[-1]}"
            dimension = link.entries[0].target.partition("=")[0]
            named = [
                x
                for x in self.linker.link(said)
                if x.kind == "value"
                and (x.start, x.end) == (0, len(said))
                and x.match != "fuzzy"
                and x.entries[0].target.partition("=")[0] == dimension
            ]
            if named:
                found.append(
                    replace(named[0], start=before.start(1), end=before.end(1), text=before.group(1))
                )
        return found

    def _within_words(self, text: str, links: list[Link], reserved: list[tuple[int, int]]) -> list[Link]:
        """各省内, 品类里: a dimension's word with 内/里/中 that the segmenter kept as one word
        (省内), so that no link took it: the dimension's link, over the word's first part."""
        found: list[Link] = []
        spans = [(x.start, x.end) for x in links] + reserved
        for word, start, end in self.linker.tokenizer.spans(text):
            if len(word) < 2 or word[-1] not in "内里中" or any(a < end and start < b for a, b in spans):
                continue
            inner = [x for x in self.linker.link(word[:-1]) if x.kind == "dimension" and x.match != "fuzzy"]
            if len(inner) == 1 and inner[0].start == 0 and inner[0].end == len(word) - 1:
                found.append(replace(inner[0], start=start, end=end - 1))
        return found

    def _datings(
        self, text: str, periods: list[tuple[int, int]], taken: list[tuple[int, int]], cuts: set[int]
    ) -> list[Dating]:
        """Date words beside a period (shipped in 1997). One inside a longer name of the
        layer (customers who ordered, orders shipped) dates the question and stays part
        of that name."""
        names = [x for x in self.linker.link(text, taken) if x.match != "fuzzy"]
        values = [(x.start, x.end) for x in names if x.kind == "value"]
        datings = find_dating(text, periods, self._date_words, cuts, self._model_nouns, values)
        if not datings:
            return []
        return [
            replace(
                d,
                within_name=any(
                    x.start <= d.start and d.end <= x.end and x.end - x.start > d.end - d.start for x in names
                ),
            )
            for d in datings
        ]

    # -- metrics -------------------------------------------------------------------------
    def _metrics(self, parse: Parse) -> list[str]:
        """The metrics asked for: named ones, else the glossary's defaults for the
        question's words, but only when the question is about the data at all and
        only defaults this layer defines."""
        if parse.distinct:
            # 不同商品数超过140的品类: the counts asked, beside any figure named
            named = [x.entries[0].target for x in parse.links if x.kind == "metric"]
            return list(dict.fromkeys([*(d.name for d in parse.distinct), *named]))
        return [m for m in self._asked_metrics(parse) if self.layer.metric(m) is not None]

    def _asked_metrics(self, parse: Parse) -> list[str]:
        counts = list(dict.fromkeys(parse.bound.values()))
        if not parse.links and not parse.times and not parse.attributes and not counts:
            return []
        population = self._segment_population(parse)
        # 评分分布 counts a model's rows by a column; 流失风险用户的城市等级分布 counts a segment's people
        # (not of the people a count condition picks: 付款了2单及以上的那批人的会员等级分布)
        # (nor of the people an amount they spent picks: users who spent over ¥5,000 by gender)
        spent = any(
            MONEY.search(c.text) or SPENT_BEFORE.search(parse.text[: c.start]) for c in parse.comparisons
        ) and SALES_WORDS.search(parse.text)
        histogram = self._histogram(parse) if population is None and not counts and not spent else None
        if histogram is not None:
            return [histogram]
        named = list(
            dict.fromkeys(e.target for link in parse.links for e in link.entries[:1] if e.kind == "metric")
        )
        buyers = self._word("buyers")
        people_of = [
            (x, found)
            for x in parse.links
            if x.kind == "metric" and (found := PEOPLE_AFTER.match(parse.text, x.end)) is not None
        ]
        if buyers and people_of and parse.has("distribution") and not parse.comparisons:
            # 下过付款订单的人按城市等级的分布: the people who placed them, counted
            wanted = {x.entries[0].target for x, _ in people_of}
            named = list(dict.fromkeys(buyers[0] if m in wanted else m for m in named))
            parse.read_spans += [found.span() for _, found in people_of]
        if population is not None:  # per bucket, 每层: a segment's groups
            parse.read_spans += [m.span() for m in SEGMENT_GROUPS.finditer(parse.text)]
        weakly_named = all(x.match == "fuzzy" for x in parse.links if x.entries[0].kind == "metric")
        if named and weakly_named and UNIT_WORDS.search(parse.text):
            return self._word("units")  # 卖了多少台 counts units, whatever 卖了多少 looked like
        if named and weakly_named and ORDER_WORDS.search(parse.text):
            return self._word("orders")
        profile = self._profile.metric if self.layer.reading.profile else None
        if spent and named == [profile]:
            # 消费不到200块的买家有多少: what they spent is compared, the buyers counted
            named = [*self._word("sales"), *named]
        sales = self._word("sales")
        spent_said = any(SPENT_BEFORE.search(parse.text[: c.start]) for c in parse.comparisons)
        counted_only = all((m := self.layer.metric(n)) is not None and m.format == "count" for n in named)
        if spent_said and (counts or named) and counted_only and sales and sales[0] not in [*named, *counts]:
            # 买了3次以上、累计花了5000以上的用户, 订单数超过3且花了超过1000元的: what they
            # spent is compared beside their orders
            named = [*named, *sales]
        amount = _amount_asked(parse)
        if amount is not None and (named or counts) and sales and sales[0] not in named:
            # customers with 3+ orders: how much did they spend: what they spent, beside
            parse.read_spans.append(amount.span())
            named = [*named, *sales]
        if named or counts:
            # buyers of first-time buyers is the value's word, not people asked for
            people = [
                m
                for m in PEOPLE_WORDS.finditer(parse.text)
                if not any(x.start <= m.start() and m.end() <= x.end for x in parse.links)
            ]
            if population is not None and people:
                # 新老客分别多少人、GMV多少: the people of each group, and the figure named
                parse.read_spans += [m.span() for m in people]
                named = [population, *named]
            # the refund amount of users with more than 2 refunds: the amount, and the count
            return list(dict.fromkeys(named + counts))
        people = [*USER_WORDS.finditer(parse.text), *PEOPLE_WORDS.finditer(parse.text)]
        if population is not None and (people or parse.has("distribution", "share")):
            # 新客有多少人, 每层多少人, 流失风险用户分布: the people of a segment are its population,
            # before any second reading of a word as a metric
            parse.read_spans += [m.span() for m in people]
            return [population]
        # A question is about a metric: when no word names one first-hand, a word that
        # can also be read as one ("order" as orders rather than the event type) is.
        for link in parse.links:
            metric = next((e for e in link.entries if e.kind == "metric"), None)
            if metric is not None:
                parse.links = [
                    Link(x.start, x.end, x.text, (metric,), x.match, x.score) if x is link else x
                    for x in parse.links
                ]
                return [metric.target]
        reading = self.layer.reading
        if parse.has("hot") or HOT_PHRASE.search(parse.text):
            return [reading.best_selling] if reading.best_selling else []
        if parse.has("profile") and spent and reading.profile:
            # the profile of customers who spent over ¥5,000: what they spent picks them
            return [*self._word("sales"), reading.profile.metric]
        if parse.has("profile"):
            return [reading.profile.metric] if reading.profile else []
        if spent:
            # 消费超过5000块的客户有几个: the amount compared is what they spent, the people counted
            return self._word("sales")
        if parse.denominators and SPEND_NOUN.search(parse.text):
            return self._word("sales")  # spend per order, per-head spend: what was spent, divided
        counted = self._counted_entity(parse) or self._counted_rows(parse)
        if counted is not None:
            return [counted]
        units = UNIT_WORDS.search(parse.text)
        if units is not None and not PEOPLE_BEFORE_COUNT.search(parse.text[: units.start()]):
            # 卖了多少件; but 用户有多少个 counts people, not units
            return self._word("units")
        if ORDER_WORDS.search(parse.text):
            return self._word("orders")
        if SALES_WORDS.search(parse.text):
            return self._word("sales")
        if REGISTER_WORDS.search(parse.text):
            return self._word("registrations")
        if (USER_WORDS.search(parse.text) or PEOPLE_NOUN.search(parse.text)) and BUY_WORDS.search(parse.text):
            # 有多少用户买过美妆, 今年买过东西的人里男女各占多少: people who bought are buyers
            return self._word("buyers")
        if USER_WORDS.search(parse.text) and (
            parse.has("distribution", "share") or self._dimensions(parse, [])
        ):
            return self._word("users")
        if population is not None:
            return [population]  # 购买频次分布: a segment's breakdown counts its people
        rows = self._table_rows(parse)
        return [rows] if rows is not None else []

    @staticmethod
    def _across(parse: Parse) -> list[Literal["avg", "max", "min"]]:
        """The figures asked of each bucket's value, when more than one is (平均值、最高和最低,
        the highest and lowest month): one alone ranks the buckets instead (单月GMV最高是多少
        shows the month too)."""
        found: list[tuple[int, Literal["avg", "max", "min"], tuple[int, int]]] = []
        for function, pattern in ACROSS_WORDS:
            for match in pattern.finditer(parse.text):
                found.append((match.start(), function, match.span()))
        functions = list(dict.fromkeys(function for _, function, _ in sorted(found)))
        ranked = any(
            x.entries[0].kind == "dimension"
            and 0 <= x.start - end <= 2
            and not parse.text[end : x.start].strip("的 ")
            for _, _, (_, end) in found
            for x in parse.links
        )
        # 单月订单量的最高值: the value itself named (值, maximum), not which bucket had it
        valued = any(VALUE_NOUN.search(parse.text[a:b]) for _, _, (a, b) in found) and not (
            WHICH_BUCKET.search(parse.text)
        )
        if (len(functions) < 2 and not valued) or ranked:  # 每月GMV最高和最低的渠道 ranks the channels
            return []
        parse.read_spans += [span for _, _, span in found]
        return functions

    def _over_groups(
        self, parse: Parse, group: list[str]
    ) -> tuple[str, list[Literal["avg", "max", "min"]]] | None:
        """平均每个品牌有多少买家, on average ... a brand, average GMV per brand: the mean of
        the groups' figures; 各品牌GMV的最大值: their highest. The dimension whose groups
        are taken, and what is taken of them."""
        if parse.denominators:
            return None  # average units per order: a quotient, not a mean over groups
        single = self._any_single(parse)
        if single is not None:
            return single
        links = [x for x in parse.links if x.kind == "dimension" and x.entries[0].target in group]
        # 最大值, 平均值, maximum: the value itself named, outside any word of the layer
        found = sorted(
            (m.start(), function, m.span())
            for function, pattern in ACROSS_WORDS
            for m in pattern.finditer(parse.text)
            if not any(x.start <= m.start() < x.end for x in parse.links)
        )
        functions: list[Literal["avg", "max", "min"]] = list(dict.fromkeys(f for _, f, _ in found))
        across = next((x for x in links if ACROSS_GROUPS_BEFORE.search(parse.text[: x.start])), None)
        if found and across is not None:
            # the highest, lowest and average across provinces: of the provinces' figures
            words = ACROSS_GROUPS_BEFORE.search(parse.text[: across.start])
            parse.read_spans += [span for _, _, span in found] + ([words.span()] if words else [])
            return across.entries[0].target, functions
        if any(VALUE_NOUN.search(parse.text[a:b]) for _, _, (a, b) in found):
            before = [x for x in links if x.end <= found[0][0]]
            if before:
                parse.read_spans += [span for _, _, span in found]
                return before[-1].entries[0].target, functions
            return None
        averaging = AVERAGE_WORD.search(parse.text)
        if averaging is None or any(x.start <= averaging.start() < x.end for x in parse.links):
            return None  # average order value: the word is the metric's
        values = [(x.start, x.end) for x in parse.links if x.kind == "value"]
        for link in (x for x in parse.links if x.kind == "dimension"):
            # a 美妆 brand: a value may qualify the one group
            ahead = _uncovered(parse.text, 0, link.start, values).rstrip()
            # 平均每个 right before the group; "a" or "per" and a space before it in English
            each = AVERAGED_EACH.search(ahead) or AVERAGED_EACH.search(ahead + " ")
            if each is not None:
                parse.read_spans += [averaging.span(), each.span()]
                return link.entries[0].target, ["avg"]
        return None

    def _any_single(self, parse: Parse) -> tuple[str, list[Literal["avg", "max", "min"]]] | None:
        """the highest number of orders any single user placed, 单个用户最多下了几单: the
        highest (lowest) of each row's figure, over the rows of the table named."""
        for match in ANY_SINGLE.finditer(parse.text):
            word = re.match(r"[a-z]+|", parse.text[match.end() :]).group(0)  # type: ignore[union-attr]
            named = next(
                (model for start, _, model in self._table_names(parse.text) if start == match.end()),
                None,
            ) or next((model for table, model in self._table_words if word and table == f"{word}s"), None)
            if named is not None and word:
                parse.read_spans.append((match.end(), match.end() + len(word)))
            key = self._entity_key(named) if named is not None else None
            outside = [
                m
                for m in ANY_EXTREME.finditer(parse.text)
                if not any(x.start <= m.start() < x.end for x in parse.links)
            ]
            if key is None or not outside:
                continue
            lowest = any(m.group(0) in LOWEST_WORDS for m in outside)
            parse.read_spans += [match.span(), *(m.span() for m in outside)]
            return key, ["min" if lowest else "max"]
        return None

    def _segment_days(self, dimensions: list[str]) -> int | None:
        """The default period of the first governed segment among these that has one."""
        for name in dimensions:
            segment = self._segment_of(name)
            if segment is not None and segment.default_days:
                return segment.default_days
        return None

    def _segment_of(self, name: str) -> Segment | None:
        found = self.layer.segment_of(name)
        return found[1].segment if found is not None else None

    def _segment_entity(self, parse: Parse, metrics: list[str]) -> Model | None:
        """The model of a segment's people when the question counts them (its population)."""
        for link in parse.links:
            entry = link.entries[0]
            found = self.layer.segment_of(entry.target) if entry.kind in {"dimension", "value"} else None
            # only its people asked: with a figure of the rows beside them (新老客的GMV), places
            # are the rows' (广东的订单)
            if found is not None and found[1].segment and metrics == [found[1].segment.population]:
                return found[0]
        return None

    def _on_entity(self, dimension: str, entity: Model) -> str:
        """A dimension several models hold (province: an order's, a user's), as the entity's."""
        if "." in dimension or entity.column(dimension) is None or len(self.layer.holders(dimension)) < 2:
            return dimension
        return f"{entity.name}.{dimension}"

    def _segment_population(self, parse: Parse) -> str | None:
        """The metric counting the population of the first governed segment the question
        names (新老客, 重要价值客户): its buyers, not the registered users."""
        for link in parse.links:
            entry = link.entries[0]
            if entry.kind not in {"dimension", "value"}:
                continue
            segment = self._segment_of(entry.target)
            if segment is not None and segment.population:
                return segment.population
        return None

    # -- funnels and cohorts -----------------------------------------------------------------
    def _analysis(self, parse: Parse) -> Understanding | None:
        """A funnel or a cohort table of the layer named by its word (转化漏斗, 留存): the
        question's period, groups and filters read as for any metric, then the construct."""
        worded = self._analysis_word(parse) or self._cohort_described(parse)
        found = worded or self._steps_converted(parse) or self._steps_counted(parse)
        if found is None:
            return None
        kind, name, span = found
        parse.read_spans.append(span)
        if kind == "cohort":
            self._own_month(parse, name)
            followed = self._followed_to(parse)
        if kind == "funnel":
            funnel = self.layer.funnel(name)
            assert funnel is not None
            return self._constructed(
                parse, funnel.metric, lambda query: self._funnel_query(parse, query, name, worded is not None)
            )
        cohort = self.layer.cohort(name)
        assert cohort is not None
        return self._constructed(
            parse, cohort.metric, lambda query: self._cohort_query(parse, query, name, followed)
        )

    def _followed_to(self, parse: Parse) -> tuple[dt.date | None, list[int]]:
        """今年1月首购的新客到4月还在买, followed to June (到6月为止): a period after the
        cohorts' own is the last month they are followed to (为止, until, through), else the
        month looked at, as the months after a single cohort month. The periods taken out."""
        if len(parse.times) < 2:
            return None, []
        first, later = parse.times[0], parse.times[1:]
        until: dt.date | None = None
        offsets: list[int] = []
        for time in later:
            start, end = time.range.start, time.range.end
            if start is None or first.range.start is None or start <= first.range.start:
                if end is not None and start is None:
                    until = end  # 到6月为止: a period read as up to its end
                    parse.times.remove(time)
                continue
            after = parse.text[time.span[1] : time.span[1] + 4]
            before = parse.text[max(0, time.span[0] - 10) : time.span[0]]
            if re.match(r"\s*(?:为止|止)", after) or re.search(r"(?:through|until|up to|to)\s*$", before):
                until = end
            elif first.range.end is not None and (first.range.start.year, first.range.start.month) == (
                first.range.end.year,
                first.range.end.month,
            ):
                # 2月到6月每个月: every month of a later span said month by month, each its
                # months after the cohort's
                last = (end or start) if EACH_MONTH.search(parse.text) else start
                offsets += list(
                    range(
                        (start.year - first.range.start.year) * 12 + start.month - first.range.start.month,
                        (last.year - first.range.start.year) * 12 + last.month - first.range.start.month + 1,
                    )
                )
            else:
                continue
            parse.times.remove(time)
            parse.read_spans.append(time.span)
        return until, offsets

    def _why(self, parse: Parse) -> Understanding:
        """为什么上个月GMV下降了, 哪个品类拖后腿, what drove the rise in refunds: the change of
        each metric asked against the period before (同比: a year before), explained over
        the dimensions named, or every one the layer lets it be grouped by."""
        moves = {"fall": FALL_WORDS, "rise": RISE_WORDS}
        said = [kind for kind, words in moves.items() if words.search(parse.text)]
        for words in [*moves.values(), CHANGE_DEGREE, BROKEN_DOWN]:
            parse.read_spans += [m.span() for m in words.finditer(parse.text)]
        metrics = self._metrics(parse)
        if not metrics:
            return self._clarify(parse)
        reading = self._assemble(parse, metrics)
        if reading.status != "answer":
            return reading
        explain: Literal["change", "rise", "fall"] = said[0] if len(said) == 1 else "change"  # type: ignore[assignment]
        whole, _ = self._comparison_default(parse)
        # 这个季度跟上个季度比, Q1 to Q2: the later period is explained against the earlier
        named = sorted({(t.range.start, t.range.end) for t in parse.times if t.range.start and t.range.end})
        periods = [TimeRange(start=a, end=b) for a, b in named]
        baseline = periods[0] if len(periods) == 2 else None
        queries: list[SemanticQuery] = []
        for step in reading.steps:
            query = step.query
            for metric in query.metrics:
                asked = SemanticQuery(
                    metrics=[metric],
                    dimensions=query.dimensions,
                    # 客单价为什么涨了: this month so far against the month before
                    time_range=periods[1]
                    if baseline
                    else (query.time_range if query.time_range and query.time_range.start else whole),
                    time_dimension=query.time_dimension,
                    filters=query.filters,
                    compare=query.compare or "pop",
                    baseline=baseline,
                    explain=explain,
                )
                if asked not in queries:
                    queries.append(asked)
        return self._analysed(reading, parse, queries)

    def _anomalies(self, parse: Parse) -> Understanding:
        """最近有什么异常, 近30天哪天的订单数不正常, anomalies in refunds by channel last month:
        the days of the period (the layer's window when none is named) on which each metric
        asked (the layer's list when none is) left its usual range, by the dimension asked."""
        settings = self.layer.insights.anomalies
        parse.read_spans += [m.span() for m in ODD_DAYS.finditer(parse.text)]
        metrics = self._metrics(parse)
        if not metrics and self._unlinked(parse):
            return self._clarify(parse)  # 退款数据里有没有异常: a metric named, but not one nlq knows
        metrics = metrics or list(settings.metrics or self.layer.reading.clarify)
        reading = self._assemble(parse, metrics)
        if reading.status != "answer" or not reading.steps:
            return reading
        query = reading.steps[0].query
        window = query.time_range
        if window is None or window.start is None:
            end = parse.as_of
            window = TimeRange(start=end - dt.timedelta(days=settings.window_days - 1), end=end)
        if len(query.dimensions) > 1:
            return self._split_once(parse, query)
        asked = SemanticQuery(
            metrics=list(dict.fromkeys(m for s in reading.steps for m in s.query.metrics)),
            dimensions=query.dimensions,
            time_range=window,
            time_dimension=query.time_dimension,
            filters=query.filters,
            explain="anomalies",
        )
        return self._analysed(reading, parse, [asked])

    def _forecast(self, parse: Parse) -> Understanding:
        """预测下个月的销量, forecast GMV for Q3 by channel, 未来7天的订单数预计多少: each metric
        asked over a period after the last day of data (the next 30 days when none is named),
        by the dimension asked."""
        window, said = self._future(parse)
        if any(self._campaign_dates(t) for t in parse.times) or self._campaign_named(parse.text):
            # 双11的GMV预测: a campaign's lift is what the model leaves out; asked back, never understated
            return Understanding(
                language=parse.language,
                status="clarify",
                message=say("reading.forecast_campaign", parse.language),
                evidence=parse.evidence,
            )
        parse.times = []  # the period is ahead of the data: no figure of it is read, one is forecast
        future = (FUTURE_WORDS, FUTURE_SPAN, REST_OF_YEAR)
        parse.read_spans += [m.span() for words in future for m in words.finditer(parse.text)]
        metrics = self._metrics(parse)
        if not metrics:
            return self._clarify(parse)
        reading = self._assemble(parse, metrics)
        if reading.status != "answer" or not reading.steps:
            return reading
        query = reading.steps[0].query
        if len(query.dimensions) > 1:
            return self._split_once(parse, query)
        asked = [
            SemanticQuery(
                metrics=[metric],
                dimensions=query.dimensions,
                time_range=window,
                filters=query.filters,
                explain="forecast",
            )
            for metric in dict.fromkeys(m for s in reading.steps for m in s.query.metrics)
        ]
        return self._analysed(reading, parse, asked).model_copy(update={"time_text": said})

    @staticmethod
    def _future(parse: Parse) -> tuple[TimeRange, str]:
        """The period a forecast is of: the one named (a quarter or a campaign without a year
        is its next one), N days, weeks or months ahead, or the next 30 days."""
        rest = REST_OF_YEAR.search(parse.text)
        if rest:
            start = parse.as_of + dt.timedelta(days=1)
            return TimeRange(start=start, end=dt.date(parse.as_of.year, 12, 31)), rest.group(0)
        ahead = FUTURE_SPAN.search(parse.text)
        if ahead:
            count = number(ahead.group(1) or ahead.group(3)) or 1
            unit = ahead.group(2) or ahead.group(4)
            days = count * (
                30
                if unit in {"个月", "月"} or unit.startswith("month")
                else 7
                if unit in {"周", "星期"} or unit.startswith("week")
                else 1
            )
            start = parse.as_of + dt.timedelta(days=1)
            return TimeRange(start=start, end=parse.as_of + dt.timedelta(days=days)), ahead.group(0)
        for match in parse.times:
            if match.range.start is None or match.range.end is None:
                continue
            first, end = match.range.start, match.whole_end or match.range.end
            unit = match.unit
            if unit is not None and grain_start(first, unit) == first:
                # 今年全年, 本季度: the whole calendar period, not the part of it with data
                end = max(end, shift_by_grain(first, unit, 1) - dt.timedelta(days=1))
            yearless = not re.search(r"\d{4}|去年|今年|明年|last year|this year|next year", match.text)
            for _ in range(2):  # "Q3" asked for a forecast on 2026-06-30 is the coming one
                if end > parse.as_of or not yearless:
                    break
                first, end = shift_months(first, 12), shift_months(end, 12, keep_month_end=True)
            return TimeRange(start=first, end=end), match.text
        start = parse.as_of + dt.timedelta(days=1)
        return TimeRange(start=start, end=parse.as_of + dt.timedelta(days=30)), ""

    def _stock_alert(self, parse: Parse) -> Understanding:
        """库存不足的商品, 美妆哪些商品快断货了, what is running out of stock: the layer's stock
        warning, under the question's filters."""
        settings = self.layer.insights.stock
        assert settings.stock is not None
        parse.read_spans += [m.span() for m in STOCK_WORDS.finditer(parse.text)]
        reading = self._assemble(parse, [settings.stock])
        if reading.status != "answer" or not reading.steps:
            return reading
        asked = SemanticQuery(
            metrics=[settings.stock], filters=reading.steps[0].query.filters, explain="stock"
        )
        return self._analysed(reading, parse, [asked])

    def _analysed(self, reading: Understanding, parse: Parse, queries: list[SemanticQuery]) -> Understanding:
        """A reading whose steps are these analyses (nlq.insight), each titled as any query."""
        steps = [Step(title=self.title(query, parse.language), query=query) for query in queries]
        return reading.model_copy(update={"steps": steps})

    def _split_once(self, parse: Parse, query: SemanticQuery) -> Understanding:
        """An anomaly scan or a forecast splits its series by one dimension: the others are
        named back, not dropped."""
        return self._cannot_use(
            parse, [self._dimension_label(d, parse.language) for d in query.dimensions[1:]]
        )

    def _campaign_named(self, text: str) -> bool:
        """Whether a campaign is named by its name without a year (今年双11 before its rows exist)."""
        names = {re.sub(r"^\d{4}", "", normalise(c.name)) for c in self.campaigns}
        return any(name and name in text for name in names)

    def _campaign_dates(self, match: TimeMatch) -> bool:
        """Whether a time phrase named a campaign's days (双11, 618)."""
        return any((c.start_date, c.end_date) == (match.range.start, match.range.end) for c in self.campaigns)

    def _qualifies_rows(self, after: str) -> bool:
        """Whether an anomaly word stands right before the name of a table's rows (异常订单,
        unusual orders): the rows themselves are asked for."""
        rest = re.sub(r"^\s*(?:的)?\s*", "", after)
        return any(rest.startswith(word) for word, _ in self._table_words)

    @staticmethod
    def _origin_only(parse: Parse) -> bool:
        """Which cities do our repeat customers come from, 新客主要来自哪些渠道: where the
        rows come from, a grouping; only with a change named (where did the rise come
        from, 增长主要来自哪) is it asked why a figure changed."""
        whys = [c for c in parse.cues if c.kind == "why"]
        return all(ORIGIN_WORDS.fullmatch(c.text) for c in whys) and not CHANGE_NAMED.search(parse.text)

    def _change_broken_down(self, parse: Parse) -> bool:
        """A change stated between two periods and broken down by a dimension (618的优惠金额
        比去年多了不少，哪个省多得最多; units grew from Q1 to Q2, break it down by member
        level): how much of it each value explains, not each period's figures."""
        periods = {(t.range.start, t.range.end) for t in parse.times}
        return (
            bool(FALL_WORDS.search(parse.text) or RISE_WORDS.search(parse.text))
            and (len(periods) >= 2 or parse.has("pop", "yoy"))
            and any(x.entries[0].kind == "dimension" for x in parse.links)
            and bool(BROKEN_DOWN.search(parse.text))
        )

    def _steps_converted(self, parse: Parse) -> tuple[str, str, tuple[int, int]] | None:
        """加购到下单的转化率, cart-to-order conversion: two steps of a funnel and a rate
        between them are that funnel's conversion, not the rate's own 口径."""
        for funnel in self.layer.funnels:
            step = funnel.step.rpartition(".")[2]
            steps = {
                e.value
                for x in parse.links
                for e in x.entries[:1]
                if e.kind == "value" and e.target == step and e.value in funnel.steps
            }
            rate = next(
                (
                    x
                    for x in parse.links
                    if x.entries[0].kind == "metric"
                    and (m := self.layer.metric(x.entries[0].target)) is not None
                    and m.format == "percent"
                ),
                None,
            )
            if len(steps) >= 2 and rate is not None:
                parse.links = [x for x in parse.links if x is not rate]
                return ("funnel", funnel.name, (rate.start, rate.end))
        return None

    def _cohort_described(self, parse: Parse) -> tuple[str, str, tuple[int, int]] | None:
        """2025年10月首购的客户之后每个月还有多少人回购, customers whose first purchase was in
        March, share who bought again in months 1 to 3: the cohort's own dimension named,
        with the months after it or buying again, is the cohort table without its word."""
        later = [LATER_MONTHS, RETAINED, MONTH_RANGE, MONTH_LIST, MONTH_AFTER, NEXT_MONTH, COHORT_SIZE]
        if not any(words.search(parse.text) for words in later):
            return None
        if any(not _whole_months(t.range) for t in parse.found_times):
            return None  # 双11期间首单的新客: cohorts are months; a campaign's days are people of their own
        if self._bought_again_within(parse):
            return None  # 1月首购的用户2-3月又买过的占比: did they buy in that time at all, one figure
        for cohort in self.layer.cohorts:
            named = self._cohort_named(parse, cohort.name)
            if named:
                return ("cohort", cohort.name, (named[0].start, named[0].end))
        return None

    @staticmethod
    def _bought_again_within(parse: Parse) -> bool:
        """2-3月又买过的, bought again in Feb or March, between February and March: a later
        time of the calendar that spans months (or names more than one), asked of as a
        whole (no 每个月, each month): whether they bought in it, not a month-by-month table."""
        ordered = sorted({t.range: t for t in parse.found_times}.values(), key=lambda t: t.span[0])
        if len(ordered) < 2 or LATER_MONTHS.search(parse.text) or EACH_WORD.search(parse.text):
            return False
        first, later = ordered[0].range, ordered[1:]
        if first.end is None or any(t.range.start is None or t.range.start <= first.end for t in later):
            return False
        spans_months = any(
            t.range.end is not None
            and (t.range.start.year, t.range.start.month) != (t.range.end.year, t.range.end.month)
            for t in later
            if t.range.start is not None
        )
        return spans_months or len(later) > 1

    def _cohort_named(self, parse: Parse, name: str) -> list[Link]:
        """The words of a question that name a cohort's own dimension (首购, first purchase)."""
        cohort = self.layer.cohort(name)
        own = cohort.cohort.rpartition(".")[2] if cohort else ""
        return [
            x for x in parse.links if x.kind == "dimension" and x.entries[0].target.rpartition(".")[2] == own
        ]

    def _own_month(self, parse: Parse, name: str) -> None:
        """首购当月: the cohort's own month, month 0 of the table, not this calendar month."""
        ends = [x.end for x in self._cohort_named(parse, name)]
        relative = [
            t
            for t in parse.times
            if OWN_MONTH.fullmatch(t.text) and any(0 <= t.span[0] - end <= 2 for end in ends)
        ]
        parse.times = [t for t in parse.times if t not in relative]
        parse.read_spans += [t.span for t in relative]

    def _steps_counted(self, parse: Parse) -> tuple[str, str, tuple[int, int]] | None:
        """浏览、加购、下单、支付分别有多少人: three steps of a funnel or more, and their people
        counted, are that funnel without its word."""
        people = PEOPLE_WORDS.search(parse.text) or USER_WORDS.search(parse.text)
        if people is None:
            return None
        for funnel in self.layer.funnels:
            said = self._steps_said(parse, funnel)
            spans = [span for spans in said.values() for span in spans]
            figures = [x for x in parse.links if x.kind == "metric"]
            if len(said) >= 3 and all(any(_overlap((x.start, x.end), s) for s in spans) for x in figures):
                # 支付人数 is the pay step's people here, not the paying users of orders
                parse.links = [x for x in parse.links if x not in figures]
                return ("funnel", funnel.name, people.span())
        return None

    @staticmethod
    def _pairs_listed(parse: Parse, said: dict[str, list[tuple[int, int]]]) -> re.Match[str] | None:
        """浏览到加购、加购到下单的转化率: conversions of step pairs listed one by one are
        figures side by side (an arrow chain, 浏览→加购→下单, names the funnel). `said`:
        the steps the question names, where (_steps_said)."""
        spans = sorted((span, value) for value, spans in said.items() for span in spans)
        pairs = [
            (a[0][0], b[0][1])
            for a, b in itertools.pairwise(spans)
            if re.fullmatch(r"\s*(?:到|至|→|->|to)\s*", parse.text[a[0][1] : b[0][0]])
        ]
        for first, second in itertools.pairwise(pairs):
            listed = re.fullmatch(r"\s*(?:、|,|，|和|及|以及|and)\s*", parse.text[first[1] : second[0]])
            if listed:
                return listed
        return None

    def _steps_said(self, parse: Parse, funnel: Funnel) -> dict[str, list[tuple[int, int]]]:
        """The steps of a funnel the question names, by their values' words wherever they
        stand (支付 of 支付人数 too), each with where it is said."""
        said: dict[str, list[tuple[int, int]]] = {}
        for value, pattern in self._step_words[funnel.name]:
            spans = [m.span() for m in pattern.finditer(parse.text)]
            if spans:
                said.setdefault(value, []).extend(spans)
        steps_of = self._step_metrics[funnel.name]
        for link in parse.links:
            step = steps_of.get(link.entries[0].target) if link.kind == "metric" else None
            if step is not None:  # visitors, paying users: the people of a step
                said.setdefault(step, []).append((link.start, link.end))
        return said

    @cached_property
    def _step_words(self) -> dict[str, list[tuple[str, re.Pattern[str]]]]:
        """Each funnel's steps with a pattern for each of their words (the value and its
        aliases; added to cart, viewed, paid: each English word in any of its forms)."""
        found: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for funnel in self.layer.funnels:
            name = funnel.step.rpartition(".")[2]
            dimension = next(
                (d for h in self.layer.holders(funnel.step) for d in h.dimensions if d.name == name), None
            )
            found[funnel.name] = []
            for value in funnel.steps:
                for word in [value, *(dimension.values.get(value, []) if dimension else [])]:
                    form = r"\s+".join(_inflected(w) for w in normalise(word).split())
                    pattern = rf"(?<![a-z]){form}(?![a-z])" if word.isascii() else re.escape(normalise(word))
                    found[funnel.name].append((value, re.compile(pattern)))
        return found

    @cached_property
    def _step_metrics(self) -> dict[str, dict[str, str]]:
        """Each funnel's metrics that count one step's people (funnels.step_metrics)."""
        return {funnel.name: step_metrics(self.layer, funnel) for funnel in self.layer.funnels}

    def _analysis_word(self, parse: Parse) -> tuple[str, str, tuple[int, int]] | None:
        words = [
            (normalise(word), kind, item.name)
            for kind, items in (("funnel", self.layer.funnels), ("cohort", self.layer.cohorts))
            for item in items
            for word in [item.label.zh, item.label.en, *item.synonyms]
            if word
        ]
        best: tuple[str, str, tuple[int, int]] | None = None
        for word, kind, name in sorted(words, key=lambda w: -len(w[0])):
            match = re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", parse.text)
            if match and (best is None or match.start() < best[2][0]):
                best = (kind, name, match.span())
        return best

    def _constructed(
        self, parse: Parse, metric: str, build: Callable[[SemanticQuery], SemanticQuery]
    ) -> Understanding:
        parse.construct = metric
        # 各环节人数, 这批首购用户的留存表: the construct's people, its rows and its table
        frame = [
            *PEOPLE_WORDS.finditer(parse.text),
            *USER_WORDS.finditer(parse.text),
            *CONSTRUCT_FRAME.finditer(parse.text),
        ]
        parse.read_spans += [m.span() for m in frame]
        reading = self._assemble(parse, [metric])
        if reading.status != "answer" or len(reading.steps) != 1:
            return reading
        query = build(reading.steps[0].query)
        step = Step(title=self.title(query, parse.language), query=query)
        return reading.model_copy(update={"steps": [step]})

    def _funnel_query(self, parse: Parse, query: SemanticQuery, name: str, worded: bool) -> SemanticQuery:
        """The steps named (加购到下单) pick the steps; a ranking ranks the conversion from
        the step before, the lowest first where the question asks where users are lost."""
        funnel = self.layer.funnel(name)
        assert funnel is not None
        step = funnel.step.rpartition(".")[2]
        named = [
            e.value for x in parse.links for e in x.entries[:1] if e.kind == "value" and e.target == step
        ]
        said = self._steps_said(parse, funnel)
        parse.read_spans += [span for spans in said.values() for span in spans]
        if len(said) >= 3:
            named = list(said)
        positions = sorted({funnel.steps.index(v) for v in named if v in funnel.steps})
        steps: list[str] = []
        if len(positions) >= 3:
            # viewed, added to cart and paid: the steps named, each from the one before
            steps = [funnel.steps[p] for p in dict.fromkeys(positions)]
            steps = [] if steps == funnel.steps else steps
        elif len(positions) >= 2:
            # the view-to-pay funnel: every step from the first named to the last; two steps
            # next to each other, or named without the funnel's word, their conversion
            between = funnel.steps[positions[0] : positions[-1] + 1]
            steps = [funnel.steps[positions[0]], funnel.steps[positions[-1]]] if not worded else between
            steps = [] if steps == funnel.steps else steps
        lost = LOSS_WORDS.search(parse.text) is not None
        # the figures of named steps by channel, by month: a row per group, the steps side by side
        groups = [d for d in query.dimensions if d.rpartition(".")[2] != step]
        grouped_steps = (bool(groups) or query.time_grain is not None) and len(said) >= 2
        wide = ONE_ROW.search(parse.text) or self._pairs_listed(parse, said) or grouped_steps
        parse.read_spans += [
            m.span() for words in (ONE_ROW, ROW_PER_STEP, CONVERSION_BASE) for m in words.finditer(parse.text)
        ]
        order = [
            OrderBy(field=FUNNEL_RANKED, desc=o.desc != lost)
            for o in query.order_by
            if o.field in query.metrics
        ]
        limit: int | None = query.limit if order else None
        if lost and not order:
            order, limit = [OrderBy(field=FUNNEL_RANKED, desc=False)], 1
        return SemanticQuery(
            funnel=name,
            funnel_steps=steps,
            funnel_wide=bool(wide) and not order,
            dimensions=groups,
            filters=[f for f in query.filters if f.dimension.rpartition(".")[2] != step],
            time_range=query.time_range,
            time_grain=query.time_grain,
            order_by=order,
            limit=limit,
        )

    def _cohort_query(
        self, parse: Parse, query: SemanticQuery, name: str, followed: tuple[dt.date | None, list[int]]
    ) -> SemanticQuery:
        """The period picks the cohorts, followed to the last day of data; 次月 or the Nth
        month keeps that month after each cohort's own. A segment decided by history (新客)
        is what a cohort already is: not a filter of its own."""
        cohort = self.layer.cohort(name)
        assert cohort is not None
        own = cohort.cohort.rpartition(".")[2]
        filters = [
            f
            for f in query.filters
            if not ((segment := self._segment_of(f.dimension)) and segment.historical)
        ]
        offsets = [
            ORDINALS.index(m.group(3)) + 1 if m.group(3) else number(m.group(1) or m.group(2)) or 0
            for m in MONTH_AFTER.finditer(parse.text)
        ]
        parse.read_spans += [
            m.span() for m in [*MONTH_AFTER.finditer(parse.text), *NEXT_MONTH.finditer(parse.text)]
        ]
        offsets += [1 for _ in NEXT_MONTH.finditer(parse.text)]
        offsets += followed[1]
        listed = MONTH_LIST.search(parse.text) is not None or ONE_ROW.search(parse.text) is not None
        for found in MONTH_LIST.finditer(parse.text):
            offsets += [int(n) for n in re.findall(r"\d+", found.group(1) or found.group(2))]
            parse.read_spans.append(found.span())
        for found in MONTH_RANGE.finditer(parse.text):
            low, high = (int(g) for g in found.groups() if g is not None)
            offsets = [o for o in offsets if not low <= o <= high] + list(range(low, high + 1))
            parse.read_spans.append(found.span())
        parse.read_spans += [m.span() for m in COHORT_GRAIN.finditer(parse.text)]
        # whose first ever paid order was in January: the first purchase a cohort is of
        parse.read_spans += [m.span() for m in COHORT_FIRST.finditer(parse.text)]
        sized = COHORT_SIZE.search(parse.text)
        if sized and not offsets and not RETAINED.search(parse.text):
            offsets = [0]  # how big each cohort was: its own month
            parse.read_spans.append(sized.span())
        start = query.time_range.start if query.time_range else None
        if LATER_MONTHS.search(parse.text) and not offsets and start and not OWN_MONTH.search(parse.text):
            # 之后每个月: every month after the cohort's own, not the cohort's own (unless
            # counted from it: 从首购当月开始算)
            end = followed[0] or parse.as_of
            offsets = list(range(1, (end.year - start.year) * 12 + end.month - start.month + 1))
        # 还有多少人回购, each later month, months after: what a cohort table follows anyway
        parse.read_spans += [
            m.span() for words in (LATER_MONTHS, RETAINED) for m in words.finditer(parse.text)
        ]
        order = [
            OrderBy(field=COHORT_RANKED, desc=o.desc) for o in query.order_by if o.field in query.metrics
        ]
        averaged = AVERAGE_WORD.search(parse.text) is not None and not order
        if averaged:
            parse.read_spans += [m.span() for m in AVERAGE_WORD.finditer(parse.text)]
        return SemanticQuery(
            cohort=name,
            cohort_averaged=averaged,
            cohort_offsets=sorted(set(offsets)),
            cohort_until=followed[0] or parse.as_of,
            cohort_wide=listed and not averaged and not order,
            dimensions=[d for d in query.dimensions if d.rpartition(".")[2] != own],
            filters=filters,
            time_range=query.time_range,
            order_by=order,
            limit=query.limit if order else None,
        )

    def _counted_rows(self, parse: Parse) -> str | None:
        """标价在35到45之间的商品有几个: the rows an attribute condition picks, counted."""
        return self._table_rows(parse) if parse.attributes else None

    @property
    def _profile(self) -> Profile:
        """The layer's profile; a question asking for one is only read as such when there is one."""
        return self.layer.reading.profile or Profile(metric="", dimensions=["-"])

    def _out_of_scope(self, language: Language) -> str:
        covers = self.layer.reading.covers
        topics = covers.text(language) if covers else listed((m.label for m in self.layer.models), language)
        return say("reading.out_of_scope", language, topics=topics)

    def _table_rows(self, parse: Parse) -> str | None:
        """5星评价占全部评价的比例, how many refunds: a table word with no metric counts
        the table's rows, when the layer has a metric that does."""
        if not parse.has("share", "distribution") and not HOW_MANY_ANYWHERE.search(parse.text):
            return None
        named = [
            (normalise(word), model)
            for model in self.layer.models
            for word in (model.label.zh, model.label.en, model.name, *model.synonyms)
            if word and normalise(word) in parse.text
        ]
        for word, model in sorted(named, key=lambda pair: -len(pair[0])):
            metric = self._row_count(model)
            if metric is not None:
                parse.counted += [m.span() for m in re.finditer(re.escape(word), parse.text)]
                return metric
        return None

    def _counted_entity(self, parse: Parse) -> str | None:
        """各品类有多少个商品, how many products: the metric counting the rows of the model
        the dimension word names; the word then names what is counted, not a grouping."""
        for link in parse.links:
            if link.entries[0].kind != "dimension" or not HOW_MANY.search(parse.text[: link.start]):
                continue
            home = self._dimension_home(link.entries[0].target)
            metric = self._row_count(home[0]) if home else None
            if metric is not None:
                parse.links = [x for x in parse.links if x is not link]
                parse.counted.append((link.start, link.end))
                return metric
        return None

    def _word(self, word: MetricWord) -> list[str]:
        """The metric the layer's reading gives a generic word (sales, orders, units), if any."""
        name = self.layer.reading.words.get(word)
        return [name] if name else []

    def _clarify(self, parse: Parse) -> Understanding:
        if not parse.links and not parse.times and not parse.cues and not parse.attributes:
            message = self._out_of_scope(parse.language)
            return Understanding(
                language=parse.language, status="refuse", message=message, evidence=parse.evidence
            )
        options = self.layer.reading.clarify or [m.name for m in self.layer.metrics[:4]]
        labels = [self._label(name, parse.language) for name in options]
        message = say("reading.which_metric", parse.language, metrics=listed(labels, parse.language))
        asked = (parse.question or parse.text).rstrip("?？。. ")
        return Understanding(
            language=parse.language,
            status="clarify",
            message=message,
            evidence=parse.evidence,
            options=[
                say("reading.metric_option", parse.language, question=asked, metric=label) for label in labels
            ],
        )

    # -- dimensions and filters ----------------------------------------------------------------
    def _homes(self, metric: str, trail: tuple[str, ...] = ()) -> set[str]:
        found = self.layer.metric(metric)
        if found is None or metric in trail:
            return set()
        if isinstance(found, RatioMetric):
            return self._homes(found.numerator, (*trail, metric)) | self._homes(
                found.denominator, (*trail, metric)
            )
        if isinstance(found, DerivedMetric):
            names = re.findall(r"[A-Za-z_]\w*", found.expr)
            return set().union(*(self._homes(n, (*trail, metric)) for n in names))
        return {found.measure.split(".")[0]}

    def _cost(self, dimension: str, metrics: list[str], homes: set[str] | None = None) -> tuple[int, int]:
        """How far a dimension is from the metrics' home models (unreachable is far)."""
        holders = [m.name for m in self.layer.models if m.dimension(dimension)]
        worst = (0, 0)
        for home in (homes or set()) | set().union(*(self._homes(m) for m in metrics)) or {""}:
            best = (99, 99)
            for holder in holders:
                path = self.graph.path(home, holder) if home else None
                if path is not None:
                    best = min(best, (sum(e.to_many for e in path), len(path)))
            worst = max(worst, best)
        return worst

    def _histogram(self, parse: Parse) -> str | None:
        """评分分布, 星级分布: the distribution of a column counts the model's rows by
        its values, whether the question named the column or its average. The word
        becomes a dimension link; the count is the metric."""
        if not parse.has("distribution"):
            return None
        named = [x for x in parse.links if x.entries[0].kind == "metric"]
        for link in parse.links:
            entry = link.entries[0]
            if entry.kind == "metric" and named == [link]:
                found = self._averaged_dimension(entry.target)
            elif entry.kind == "dimension" and not named:
                found = self._dimension_home(entry.target)
            else:
                continue
            count = self._row_count(found[0]) if found else None
            if found is None or count is None:
                continue
            dimension = Entry("dimension", found[1], entry.surface, entry.source)
            parse.links = [
                Link(x.start, x.end, x.text, (dimension,), x.match, x.score) if x is link else x
                for x in parse.links
            ]
            return count
        return None

    def _averaged_dimension(self, metric_name: str) -> tuple[Model, str] | None:
        """The dimension whose column an average metric averages (平均评分 -> 星级)."""
        metric = self.layer.metric(metric_name)
        found = self.layer.measure_of(metric_name)
        if found is None or getattr(metric, "filter", None):
            return None
        model, measure = found
        if measure.agg != "avg" or measure.filter is not None:
            return None
        column = measure.expr or measure.name
        dimension = next((d for d in model.dimensions if (d.expr or d.name) == column), None)
        return (model, dimension.name) if dimension else None

    def _dimension_home(self, name: str) -> tuple[Model, str] | None:
        model_name, _, dimension_name = name.rpartition(".")
        for model in self.layer.models:
            if (not model_name or model.name == model_name) and model.dimension(dimension_name):
                return model, dimension_name
        return None

    def _row_count(self, model: Model, any_column: bool = False) -> str | None:
        """The metric counting a model's rows as they are, unfiltered (评价数 for reviews);
        with `any_column`, a distinct count of any of its columns will do."""
        for metric in self.layer.metrics:
            found = self.layer.measure_of(metric.name)
            if found is None or found[0].name != model.name or getattr(metric, "filter", None):
                continue
            measure = found[1]
            if measure.filter is not None:
                continue
            if measure.agg == "count" or (
                measure.agg == "count_distinct" and (any_column or measure.expr == model.primary_key)
            ):
                return metric.name
        return None

    def _coarsest(self, entries: list[Entry]) -> list[Entry]:
        """北京 is a province and a city of the same users: the same rows either way,
        so the coarser dimension is meant. Values in different models stay ambiguous."""
        homes = [self._dimension_home(e.target) for e in entries]
        if any(h is None for h in homes) or len({h[0].name for h in homes if h}) > 1:
            return entries
        fewest = min(self._cardinality[e.target] for e in entries)
        return [e for e in entries if self._cardinality[e.target] == fewest]

    def _take_ratios(self, parse: Parse) -> None:
        """平均每单优惠, units per order, 人均买了几件, GMV / units sold: the metrics asked,
        divided by what the "per" noun counts (a metric it names, or the layer's word for
        orders, units or buyers). A metric named by the per phrase itself (平均每单 is the
        average order value) gives way when another metric is what is divided; a per
        noun that names a dimension (每个品类, per category) groups, and is left alone."""
        parse.averaged = find_averaged(parse.text)
        if parse.averaged is not None:
            parse.ratio_spans.append((parse.averaged.start, parse.averaged.end))
        pers = find_per(parse.text)
        for per in pers:
            phrase = [x for x in parse.links if x.kind == "metric" and x.start <= per.start < x.end]
            noun = next((x for x in parse.links if per.start < x.start <= per.noun_start), None)
            if noun is not None and (noun.kind == "dimension" or (noun.kind == "value" and not per.generic)):
                continue  # 每个品类, per category: each group, not a quotient
            if noun is not None and noun.kind == "metric":
                counted = [noun.entries[0].target]
            else:
                counted = self._word(per.generic) if per.generic else []
            if not counted:
                continue
            denominator = counted[0]
            # 买家平均每人下了几单: the buyers named are who is counted, the orders implied
            counting = [x for x in parse.links if x.kind == "metric" and x.entries[0].target == denominator]
            # spend per buyer and orders per buyer: a metric divided by a per of its own is not
            # what this one divides
            rest = [
                x
                for x in parse.links
                if x.kind == "metric"
                and x not in phrase + counting
                and x is not noun
                and not any(
                    o is not per and x.end <= o.start and not parse.text[x.end : o.start].strip()
                    for o in pers
                )
                # AOV and spend per buyer: a metric the phrase names gives way only to one beside it
                and (not phrase or self._beside_phrase(parse.text, x, phrase[0]))
            ]
            # per-head spend: what was spent, divided (the layer's sales)
            spend = per.generic in {"buyers", "orders"} and any(
                not any(x.start <= m.start() < x.end for x in parse.links if x.kind == "metric")
                for m in SPEND_NOUN.finditer(parse.text)
            )  # not a word of a metric the layer names (spend per customer, 人均消费)
            implied = not rest and (UNIT_WORDS.search(parse.text) or ORDER_WORDS.search(parse.text) or spend)
            if not rest and not implied:
                continue  # 人均消费, 平均每单 alone: the governed metric the words name
            parse.links = [x for x in parse.links if x not in phrase + counting and x is not noun]
            parse.denominators.append(denominator)
            parse.ratio_spans.append((per.start, max(per.end, noun.end if noun else per.end)))
            parse.ratio_spans += [(x.start, x.end) for x in counting]
        metrics = [x for x in parse.links if x.kind == "metric"]
        for left, right in itertools.pairwise(metrics):
            asked = ratio_of(parse.text, left.start, left.end, right.start, right.end)
            if divided(parse.text, left.end, right.start) or asked is not None:
                parse.links = [x for x in parse.links if x is not right]
                parse.denominators.append(right.entries[0].target)
                parse.ratio_spans.append((left.end, asked or right.end))
                before = RATIO_BEFORE.search(parse.text[: left.start])
                if before is not None:
                    parse.ratio_spans.append(before.span())

    def _groups_contrasted(self, parse: Parse, query: SemanticQuery) -> list[str]:
        """The words of a segment's value set against (vs, 对比) a condition on the same
        people, both kept as filters of one reading; none when there is no such contrast."""
        if not query.metric_filters:
            return []
        for link in parse.links:
            if link.kind != "value" or self._segment_of(link.entries[0].target) is None:
                continue
            against = CONTRASTED.search(parse.text, link.end)
            if against is not None and any(f.dimension == link.entries[0].target for f in query.filters):
                return [link.text, against.group(0).strip()]
        return []

    @staticmethod
    def _beside_phrase(text: str, link: Link, phrase: Link) -> bool:
        gap = text[link.end : phrase.start] if link.end <= phrase.start else text[phrase.end : link.start]
        return not gap.strip(" 的")

    def _already_per(self, metric: str, denominator: str) -> bool:
        """客单价 beside orders per buyer: a governed ratio over the same count is no
        numerator of it (spend per buyer per buyer)."""
        found = self.layer.metric(metric)
        return isinstance(found, RatioMetric) and found.denominator == denominator

    def _take_attributes(self, parse: Parse) -> None:
        """标价超过100的商品, products with more than 100 units in stock, orders whose
        freight is over 500: a comparison written against a numeric attribute of the
        rows is a condition on each row (WHERE), not on a metric's total. The attribute
        is then neither grouped by nor summed."""
        kept: list[Comparison] = []
        taken: list[Link] = []
        for comparison in parse.comparisons:
            found = self._attribute_of(parse, comparison)
            if found is None:
                shortened = self._attribute_shortened(parse, comparison)
                if shortened is None:
                    kept.append(comparison)
                    continue
                span, dimension = shortened
                parse.attributes.append(
                    Filter(dimension=dimension, op=comparison.op, values=[comparison.value])
                )
                parse.attribute_spans += [span, (comparison.start, comparison.end)]
                continue
            link, dimension = found
            parse.attributes.append(Filter(dimension=dimension, op=comparison.op, values=[comparison.value]))
            parse.attribute_spans += [(link.start, link.end), (comparison.start, comparison.end)]
            taken.append(link)
            entity = self._conditioned_entity(parse, comparison, link, dimension)
            if entity is not None:
                # 标价超过50的商品的销售额: the products are those rows, not a grouping
                taken.append(entity)
                parse.attribute_spans.append((entity.start, entity.end))
        # Both bounds of a range (在35到45之间) are read before their word leaves the links.
        parse.links = [x for x in parse.links if not any(x is t for t in taken)]
        parse.comparisons = kept

    def _attribute_of(self, parse: Parse, comparison: Comparison) -> tuple[Link, str] | None:
        """The numeric attribute a comparison is written against, and its link: the word
        just before it (list price over 50, 标价超过100) or just after it (more than 100
        units in stock). A word that is also a metric (库存, freight) is the attribute
        only when the question names the table that holds it (…的商品, orders whose …)."""
        before = [x for x in parse.links if x.end <= comparison.start]
        after = [x for x in parse.links if x.start >= comparison.end]
        candidates = []
        if before and ATTRIBUTE_BEFORE.match(parse.text[before[-1].end : comparison.start]):
            candidates.append(before[-1])
        if after and ATTRIBUTE_AFTER.match(parse.text[comparison.end : after[0].start]):
            candidates.append(after[0])
        for link in candidates:
            for entry in link.entries:
                home = self._dimension_home(entry.target) if entry.kind == "dimension" else None
                dimension = home[0].dimension(home[1]) if home else None
                if home is None or dimension is None or dimension.type != "number":
                    continue
                if link.entries[0].kind == "dimension" or self._qualifies_table(
                    parse, comparison, link, home[0]
                ):
                    return link, entry.target
        return None

    def _take_unrestricted(self, parse: Parse) -> None:
        """(of any status), 不限渠道: a dimension named to say that none of its values is
        left out. It is no column, grouping or filter; and since a governed figure may
        itself leave values out (paid orders only), nlq asks rather than answer with it."""
        for link in list(parse.links):
            before = ANY_VALUE_BEFORE.search(parse.text[: link.start])
            if link.kind == "dimension" and before is not None:
                parse.links = [x for x in parse.links if x is not link]
                parse.read_spans += [before.span(), (link.start, link.end)]
                parse.unread.append(parse.text[before.start() : link.end].strip())

    def _take_restated(self, parse: Parse) -> None:
        """差评（1星或2星）: values in brackets right after a term, of the dimensions the term
        filters, only restate it; they are neither a second filter nor a grouping. So do a
        dimension's own values after it (purchase frequency (1 / 2 / 3+ orders))."""
        for link in list(parse.links):
            bracket = BRACKETED.search(parse.text, link.end) if link.kind == "dimension" else None
            inside = [
                x for x in parse.links if bracket and bracket.start() <= x.start and x.end <= bracket.end()
            ]
            ranges = any(find_comparisons(x.text) for x in inside)  # 3+ orders: a bucket, not one value
            if ranges and all(
                x.kind == "value" and x.entries[0].target == link.entries[0].target for x in inside
            ):
                parse.links = [x for x in parse.links if x not in inside]
                parse.read_spans.append(bracket.span() if bracket else (link.end, link.end))
        for link in list(parse.links):
            term = next((t for t in self.layer.terms if t.name == link.entries[0].target), None)
            bracket = BRACKETED.match(parse.text, link.end) if link.kind == "term" and term else None
            if term is None or bracket is None:
                continue
            dimensions = {f.dimension.rpartition(".")[2] for f in term.filters}
            inside = [x for x in parse.links if bracket.start() <= x.start and x.end <= bracket.end()]
            if inside and all(x.kind == "value" and x.entries[0].target in dimensions for x in inside):
                parse.links = [x for x in parse.links if x not in inside]
                parse.read_spans.append(bracket.span())

    def _take_within_signup(self, parse: Parse) -> None:
        """注册后30天内（注册当天算第1天）完成首单付款, placed their first paid order no more
        than 7 days after signing up: a window of days after each person's own registration,
        the first order in it. Chinese counts the day of registering as the first (30天内:
        up to 29 days after); English counts the days after it (within 30 days: up to 30)."""
        found = WITHIN_SIGNUP.search(parse.text)
        if found is None or self._people_model is None:
            return
        days = number(found.group("n") or found.group("n2") or found.group("n3"))
        if days is None:
            return
        chinese = not found.group(0)[:1].isascii()
        parse.within_signup = days - 1 if chinese else days
        parse.signup_span = found.span()
        _set_aside(parse, [found.span(), *(m.span() for m in FIRST_ORDER_WORDS.finditer(parse.text))])

    def _take_metric_restated(self, parse: Parse) -> None:
        """去年手机数码的复购率（复购率=…下过2笔及以上支付订单的买家 / …全部买家）, repurchase
        rate (repurchase = 2+ paid orders …): a bracket that names a governed share of
        entities and says its own bar (2 orders) restates the layer's 口径 of it."""
        for x in parse.links:
            metric = self.layer.metric(x.entries[0].target) if x.kind == "metric" else None
            if not isinstance(metric, PerEntityMetric):
                continue
            bracket = BRACKETED.search(parse.text, x.end)
            if bracket is None or bracket.start() - x.end > 40:
                continue
            inside = bracket.group(0).strip(" （()）")
            names = [w for w in (metric.label.zh, metric.label.en, *metric.synonyms) if w]
            said = RESTATED_AS.match(inside)
            named = said is not None and any(
                w.lower().startswith(said.group(1).strip().lower()) for w in names if said.group(1).strip()
            )
            bar = re.search(
                rf"(?<!\d){metric.at_least}(?!\d)|{'两' if metric.at_least == 2 else '@'}", inside
            )
            if not named or bar is None:
                continue
            _set_aside(parse, [bracket.span()])

    def _take_defined_segments(self, parse: Parse) -> None:
        """新客（第一笔已支付订单就在活动期内）, first-time buyers (first ever paid order in
        May): a bracket after a governed segment's value that says its first order is
        where the segment's own definition puts it only restates the layer's 口径."""
        for link in list(parse.links):
            segment = self._segment_of(link.entries[0].target) if link.kind == "value" else None
            bracket = BRACKETED.match(parse.text, link.end) if segment else None
            if bracket is None or segment is None:
                continue
            firsts = any(f.agg == "min" and f.over == "all" for f in segment.features.values())
            if not (firsts and FIRST_ORDER_WORDS.search(bracket.group(0))):
                continue
            _set_aside(parse, [bracket.span()], comparisons=False)

    def _take_paid_orders(self, parse: Parse) -> None:
        """支付订单数, 有过支付订单的: a count of orders, or orders people had, paid as the
        layer's order figures are. A value of another table's column in those words (the
        event type 支付) filters nothing."""
        orders = next(iter(self._word("orders")), None)
        measured = self.layer.measure_of(orders) if orders else None
        if measured is None:
            return
        # a count of them (支付订单数); the paid orders listed (付款订单里…列一下) are a filter
        # of rows that no governed figure applies
        # …and 一笔支付订单都没有: the orders people did not have, paid as every order counted is
        had = [m.span() for m in (*HAD_ORDERS.finditer(parse.text), *NOT_BOUGHT.finditer(parse.text))]
        for match in PAID_BASIS.finditer(parse.text):
            counted = re.match(r"\s*(?:数|量|count)", parse.text[match.end() :])
            # 去年有过支付订单的用户: the orders people had, paid as every order counted is
            if not counted and not any(a <= match.start() and match.end() <= b for a, b in had):
                continue
            elsewhere = [
                x
                for x in parse.links
                if x.kind == "value"
                and match.start() <= x.start
                and x.end <= match.end()
                and (home := self._dimension_home(x.entries[0].target)) is not None
                and home[0].name != measured[0].name
            ]
            parse.links = [x for x in parse.links if x not in elsewhere]
            parse.read_spans += [(x.start, x.end) for x in elsewhere]

    @staticmethod
    def _take_heading(parse: Parse) -> None:
        """Lapsed users: bought in H1 2025 but nothing since, 沉默用户：以前买过、近半年没买:
        a name for the people the rest of the question defines (a verb of buying or a
        condition follows), set before it. The name is read with the definition; a value
        of the layer spelled the same is not another filter."""
        heading = HEADING.match(parse.text)
        if heading is None:
            return
        rest = parse.text[heading.end() :]
        defined = (
            HAD_VERB.search(rest)
            or HAD_ORDERS.search(rest)
            or any(c.start >= heading.end() for c in parse.comparisons)
        )
        if not defined:
            return
        parse.links = [x for x in parse.links if x.start >= heading.end()]
        parse.read_spans.append(heading.span())

    @staticmethod
    def _take_named_then_defined(parse: Parse) -> None:
        """have gone quiet, i.e. no purchase at all in the last 90 days; 流失了，也就是近半年
        一单都没买: the asker's name for what the words after it define (a thing not done,
        a condition, a verb of buying) is read with the definition."""
        for said in NAMED_THEN.finditer(parse.text):
            rest = parse.text[said.end() :]
            defined = (
                any(start >= said.end() for start, _, _ in parse.negations.markers)
                or any(c.start >= said.end() for c in parse.comparisons)
                or HAD_VERB.search(rest)
                or HAD_ORDERS.search(rest)
            )
            before = parse.text[: said.start()]
            name = NAME_CLAUSE.search(before)
            if not defined or name is None or not name.group(1).strip():
                continue
            parse.read_spans += [(name.start(1), said.end())]
        for named in NAME_RESTATED.finditer(parse.text):
            # how many win-back customers …? (win-back = bought in 2025, …): the asker's name,
            # said before and defined in the brackets by what people did, is read with it
            word = named.group(1).strip()
            rest = parse.text[named.end() :]
            defined = (
                any(start >= named.end() for start, _, _ in parse.negations.markers)
                or any(c.start >= named.end() for c in parse.comparisons)
                or HAD_VERB.search(rest)
            )
            earlier = [m.span() for m in re.finditer(re.escape(word), parse.text[: named.start()])]
            # a word of the layer's (新客=…) is its values' reader's; one name set against
            # another (one-time vs repeat = …) is asked
            known = any(x.start < b and a < x.end for x in parse.links for a, b in earlier)
            if defined and earlier and not word.isdigit() and not known and not CONTRASTED.search(parse.text):
                parse.read_spans += [*earlier, (named.start(1), named.end())]
                parse.links = [
                    x for x in parse.links if not any(a <= x.start < b for a, b in [*earlier, named.span(1)])
                ]

    def _take_defined(self, parse: Parse) -> None:
        """复购用户（今年付款订单≥2笔的人）: a name the question defines in brackets by a
        condition is that condition; the name itself (which the layer may not know, or
        know otherwise) is read with it, the condition read as if it stood there."""
        for bracket in BRACKETED.finditer(parse.text):
            start = bracket.start() + len(bracket.group(0)) - len(bracket.group(0).lstrip())
            if not any(start <= c.start and c.end <= bracket.end() for c in parse.comparisons):
                continue
            # repeat buyers this year (2+ paid orders since jan 1): the name before its period
            named_end = start
            while (time := next((t for t in parse.times if t.span[1] == named_end.__index__()), None)) or (
                parse.text[:named_end].endswith(" ")
            ):
                named_end = time.span[0] if time else named_end - 1
            name = NAME_BEFORE.search(parse.text[:named_end])
            if name is None or not name.group(0):
                continue
            span = (name.start(), start)
            people = [
                x
                for x in parse.links
                if name.start() <= x.start < named_end
                and x.kind == "metric"
                and x.entries[0].target == self._profile.metric
            ]
            noun = PEOPLE_LAST.search(parse.text, name.start(), named_end)
            if people and people[-1].start > name.start():
                # repeat buyers (…): the buyers are the people the condition is on, counted
                span = (name.start(), people[-1].start)
            elif noun is not None and noun.start() > name.start():
                # one-time buyers (…), a value of the layer's as a whole: its last word is
                # still the people the condition is on
                span = (name.start(), noun.start())
                word = [
                    replace(x, start=x.start + noun.start(), end=x.end + noun.start())
                    for x in self.linker.link(noun.group(0))
                    if x.kind == "metric" and x.match != "fuzzy"
                ]
                parse.links = sorted(
                    [x for x in parse.links if not (name.start() <= x.start < named_end)] + word[:1],
                    key=lambda x: x.start,
                )
            tables = [(s, e) for s, e, _ in self._named_tables(parse)]
            parse.links = [
                x
                for x in parse.links
                if not (span[0] <= x.start < span[1]) or any(s <= x.start and x.end <= e for s, e in tables)
            ]
            parse.read_spans.append(span)

    def _take_described(self, parse: Parse) -> None:
        """第一次来买的新买家, 以前就买过的老客: a word saying which people are meant, in the
        same clause right before a value of a governed segment, is what that value's
        definition says (first purchase ever), not a condition of its own."""
        for match in WHO_WORD.finditer(parse.text):
            values = [
                x
                for x in parse.links
                if x.kind == "value" and x.start >= match.end() and self._segment_of(x.entries[0].target)
            ]
            value = min(values, key=lambda x: x.start, default=None)
            if value is None or value.start - match.end() > WHO_REACH:
                continue
            if WHO_APART.search(parse.text[match.end() : value.start]):
                continue
            parse.read_spans.append(match.span())
        # 消费超过2万元的高消费用户: the comparison right before a segment's value defines
        # the people the question means; the layer's own thresholds are not added to it
        for comparison in parse.comparisons:
            defined = [
                x
                for x in parse.links
                if x.kind == "value"
                and 0 <= x.start - comparison.end <= 2
                and self._segment_of(x.entries[0].target)
                and not parse.text[comparison.end : x.start].strip("的 ")
            ]
            # our big spenders - ppl who spent more than 5000 yuan: or right after it, set apart
            defined += [
                x
                for x in parse.links
                if x.kind == "value"
                and x.end <= comparison.start
                and self._segment_of(x.entries[0].target)
                and DEFINED_AFTER.match(parse.text[x.end : comparison.start])
            ]
            parse.links = [x for x in parse.links if x not in defined]
            parse.read_spans += [(x.start, x.end) for x in defined]

    def _take_first_purchase(self, parse: Parse) -> None:
        """今年第一次在我们这儿买东西的人, people making their first ever purchase, 首次购买的
        人: a word of first-ness with a verb of buying beside it names the value of a
        governed segment whose own words share it (新客: 首购用户, first-time buyers), when
        exactly one does; else the words stay unused and are asked about."""
        taken = [*parse.read_spans, *(t.span for t in parse.times), *((c.start, c.end) for c in parse.cues)]
        if any(w.search(parse.text) for w in (LATER_MONTHS, RETAINED, MONTH_AFTER, NEXT_MONTH)):
            return  # 首次付款下单的用户在之后每个月: the cohort's own words, its first purchase
        for match in WHO_WORD.finditer(parse.text):
            if any(a <= match.start() < b for a, b in taken):
                continue  # the first half of 2025, the first 10 orders
            inside = [x for x in parse.links if x.start <= match.start() < x.end]
            if inside and not all(
                x.kind == "dimension" and PEOPLE_OF.match(parse.text[x.end :]) for x in inside
            ):
                continue  # 首购月份: a word of the layer's own; 首次购买的人: people it describes
            timer = FIRST_TIMERS.match(parse.text, match.end())
            after = timer or BUY_WORD.search(parse.text, match.end(), match.end() + FIRST_REACH)
            before = [
                m for m in BUY_WORD.finditer(parse.text, max(0, match.start() - FIRST_REACH), match.start())
            ]
            verb = after or (before[-1] if before else None)
            if verb is None:
                continue
            a, b = sorted((match.start(), verb.start()))
            entry = self._first_values["first" if match.group(0).isascii() else "首"]
            if entry is None or WHO_APART.search(parse.text[a:b]) or not self._people_in_clause(parse, a):
                continue  # the first 10 orders of user 84, 第一笔订单: rows, not people
            start, end = (
                min(match.start(), verb.start(), *(x.start for x in inside)),
                max(match.end(), verb.end(), *(x.end for x in inside)),
            )
            parse.links = [x for x in parse.links if x not in inside and not (start <= x.start < end)]
            parse.links.append(Link(start, end, parse.text[start:end], (entry,), "synonym"))
            parse.links.sort(key=lambda x: x.start)
            self._take_never_before(parse, start)

    def _without_returning(self, parse: Parse, values: dict[str, list[Picked]]) -> dict[str, list[Picked]]:
        """The values without the returning value of the first value's segment (老客), its
        words used: people the question says bought before are returning buyers."""
        kept: dict[str, list[Picked]] = {}
        for dimension, picked in values.items():
            if all(self._is_returning(p.entry) for p in picked):
                parse.read_spans += [
                    (x.start, x.end)
                    for x in parse.links
                    if x.kind == "value" and x.entries[0].target == dimension
                ]
                continue
            kept[dimension] = picked
        return kept

    def _is_returning(self, entry: Entry) -> bool:
        """Is it the other value of the two of the first value's segment (老客)?"""
        first = self._first_values["首"] or self._first_values["first"]
        others = self._segment_values.get(entry.target, []) if first is not None else []
        return (
            first is not None
            and len(others) == 2
            and entry.target == first.target
            and entry.value != first.value
        )

    def _take_first_defined(self, parse: Parse) -> None:
        """新客就是第一笔付款订单正好落在上个月的人, first-time buyers, meaning people whose
        very first paid order was in May; New = their first ever paid order was that
        month; 老客是之前就已经买过的人, returning means they'd already bought in an earlier
        month: a definition of the first value (or of the other of its two), by a link or
        by the first word of one of its names, that says first purchase (or having bought
        before) is what the layer's value means, not more conditions; its words and periods
        are read as said. Any other definition stays unread, and is asked about."""
        pair = self._first_pair(parse)
        if pair is None:
            return
        first, other = pair
        for marker in DEFINES.finditer(parse.text):
            before = parse.text[: marker.start()].rstrip(" ,，")
            defined = self._defined_value(parse, before, first, other)
            if defined is None:
                continue
            value, start = defined
            end = SENTENCE_END.search(parse.text, marker.end())
            stop = end.start() if end else len(parse.text)
            content = parse.text[marker.end() : stop]
            bought = BUY_WORD.search(content) or HAD_VERB.search(content) or ORDER_NOUN.search(content)
            if value is first:
                # 新客就是第一笔订单在上个月的人; 新买家按第一笔付款订单在当月算
                counted_as = marker.group(0) == "按"
                said = bool((WHO_WORD.search(content) or counted_as) and bought)
            else:  # the other value: having bought before, nothing negated
                earlier = BOUGHT_BEFORE.search(content) or (EARLIER_MONTH.search(content) and bought)
                said = bool(earlier) and not NEVER.search(content)
            if not said:
                continue
            parse.links = [x for x in parse.links if not (marker.end() <= x.start < stop)]
            parse.times = [t for t in parse.times if not (marker.end() <= t.span[0] < stop)]
            parse.negations.markers = [m for m in parse.negations.markers if not marker.end() <= m[0] < stop]
            parse.read_spans.append((start, stop))

    def _first_pair(self, parse: Parse) -> tuple[Entry, Entry | None] | None:
        """The first-purchase value of the segment the question names (by a value or by the
        segment's own word), and the other of its two values, if it has two."""
        for entry in self._first_values.values():
            if entry is None:
                continue
            named = any(
                e.target == entry.target and (e.kind == "dimension" or e.kind == "value")
                for x in parse.links
                for e in x.entries[:1]
            )
            if named:
                others = self._segment_values.get(entry.target, [])
                other = (
                    next((e for e in others if e.value != entry.value), None) if len(others) == 2 else None
                )
                return entry, other
        return None

    def _defined_value(
        self, parse: Parse, before: str, first: Entry, other: Entry | None
    ) -> tuple[Entry, int] | None:
        """The value a definition ending at `before` defines, and where its name starts."""
        for value in (first, other):
            if value is None:
                continue
            named = next(
                (
                    x
                    for x in parse.links
                    if x.end == len(before)
                    and any((e.target, e.value) == (value.target, value.value) for e in x.entries)
                ),
                None,
            )
            if named is not None:
                return value, named.start
            word = re.search(r"([A-Za-z-]+)$", before)
            if word is not None and word.group(1).lower() in self._value_heads(value):
                return value, len(before) - len(word.group(1))
        return None

    def _value_heads(self, value: Entry) -> set[str]:
        """The first words of a value's English names (new of new buyers, returning)."""
        return {
            e.surface.split()[0].lower()
            for entries in self.linker.lexicon.by_key.values()
            for e in entries
            if e.kind == "value"
            and (e.target, e.value) == (value.target, value.value)
            and e.surface.isascii()
        }

    def _is_first_value(self, entry: Entry) -> bool:
        """Is it the segment value whose words say first (新客), by any of its names?"""
        return any(
            f is not None and (f.target, f.value) == (entry.target, entry.value)
            for f in self._first_values.values()
        )

    def _take_values_defined(self, parse: Parse) -> None:
        """（新客=上个月之前从没有过支付订单的买家，老客=上个月之前有过支付订单的买家）: the
        values of a first-purchase segment, each defined in a bracket as the layer defines
        it (no order before the period; an order before it), are said again: nothing to
        apply, and the periods in the definitions are theirs, not the question's."""
        spans = [(b.start(), b.end()) for b in BRACKETED.finditer(parse.text)]
        # …各有多少人？新客=上半年之前从没有过支付订单的: or a sentence of its own after the question
        breaks = list(re.finditer(r"[？?。；;!！]\s*", parse.text.rstrip("？?。 ")))
        if breaks:
            spans.append((breaks[-1].end(), len(parse.text)))
        for start, end in spans:
            pieces = [
                (start + m.start(), start + m.end())
                for m in re.finditer(r"[^，,；;（()）？?。]+", parse.text[start:end])
                if m.group(0).strip()
            ]
            if not pieces or not all(self._defined_as_the_layer(parse, a, b) for a, b in pieces):
                continue
            parse.links = [x for x in parse.links if not (start <= x.start and x.end <= end)]
            parse.times = [t for t in parse.times if not (start <= t.span[0] < end)]
            _read_with_negations(parse, start, end)
            parse.read_whole = parse.read_whole or (bool(breaks) and start == breaks[-1].end())

    def _defined_as_the_layer(self, parse: Parse, start: int, end: int) -> bool:
        """Whether a piece of a bracket is a value of a first-purchase segment, then what
        it is as the layer says it: never bought before (新客), or bought before (老客)."""
        piece = parse.text[start:end]
        value = next((x for x in self.linker.link(piece) if x.kind == "value" and x.match != "fuzzy"), None)
        if value is None or value.start != 0:
            return False
        rest = piece[value.end :]
        defines = DEFINES.match(rest.lstrip()) is not None or rest.lstrip().startswith(("=", "是", "指"))
        bought = BUY_WORD.search(rest) or HAD_VERB.search(rest) or HAD_ORDERS.search(rest)
        if not defines or not bought or not BEFORE_EVER.search(rest):
            return False
        entry = value.entries[0]
        if self._is_first_value(entry):
            return NEVER.search(rest) is not None
        first = next(
            (f for f in self._first_values.values() if f is not None and f.target == entry.target), None
        )
        others = self._segment_values.get(entry.target, [])
        return first is not None and len(others) == 2 and NEVER.search(rest) is None

    @staticmethod
    def _never_before_within(parse: Parse, start: int, end: int) -> bool:
        """之前从没付款下过单的, never bought before: having bought before, negated, all of
        it between start and end (没付款 there is no payment status)."""
        words = parse.text[start:end]
        bought = BUY_WORD.search(words) or HAD_VERB.search(words)
        return bool(BEFORE_EVER.search(words) and NEVER.search(words) and bought)

    def _take_bought_before(self, parse: Parse) -> None:
        """people making their first purchase against customers who'd already bought from us
        before, 首次购买的人和之前就买过的人比: beside a first-purchase value, having bought
        before names the other value of its segment, when the segment has just the two."""
        firsts = [x for x in parse.links if x.kind == "value" and self._is_first_value(x.entries[0])]
        if not firsts:
            return
        first = firsts[0].entries[0]
        others = self._segment_values.get(first.target, [])
        other = next((e for e in others if e.value != first.value), None) if len(others) == 2 else None
        if other is None:
            return
        for match in BOUGHT_BEFORE.finditer(parse.text):
            if any(x.start < match.end() and match.start() < x.end for x in parse.links):
                continue
            if NEVER.search(parse.text[max(0, match.start() - 8) : match.start()]):
                continue  # never bought before: what first purchase means, not the other
            if not self._people_in_clause(parse, match.start()):
                continue  # 之前买过的商品: rows, not people
            start, end = match.span()
            parse.links.append(Link(start, end, parse.text[start:end], (other,), "synonym"))
            parse.links.sort(key=lambda x: x.start)

    @cached_property
    def _segment_values(self) -> dict[str, list[Entry]]:
        """Each governed segment's values, one entry each (the value's own name)."""
        found: dict[str, dict[object, Entry]] = {}
        for entries in self.linker.lexicon.by_key.values():
            for entry in entries:
                if entry.kind == "value" and self._segment_of(entry.target):
                    found.setdefault(entry.target, {}).setdefault(entry.value, entry)
        return {target: list(values.values()) for target, values in found.items()}

    @staticmethod
    def _take_never_before(parse: Parse, first: int) -> None:
        """以前从没买过、今年才头一回下单的用户: never having bought before, said beside first-
        purchase words, is what first purchase means, not a condition of its own."""
        for start, end, marker in parse.negations.markers:
            clause = parse.text[max(0, start - 6) : end + 6]
            if (
                not BEFORE_EVER.search(clause)
                or start > first
                or WHO_APART_STRONG.search(parse.text[end:first])
            ):
                continue
            verb = BUY_WORD.match(parse.text, end) or BUY_WORD.search(parse.text, end, end + 4)
            parse.read_spans.append((max(0, start - 6), verb.end() if verb else end))
            parse.negations.unscoped = [u for u in parse.negations.unscoped if u != marker.strip()]
            parse.negations.markers = [m for m in parse.negations.markers if m[0] != start]

    @staticmethod
    def _people_in_clause(parse: Parse, at: int) -> bool:
        """Does the clause around `at` name people (人, 用户, everyone, shoppers)?"""
        clause = next((m for m in CLAUSE_OF_FIGURE.finditer(parse.text) if m.start() <= at < m.end()), None)
        text = clause.group(0) if clause else parse.text
        # user 84, 用户84: one person named, not people
        users = [m for m in USER_WORDS.finditer(text) if not re.match(r"\s*#?\d", text[m.end() :])]
        return bool(PEOPLE_NOUN.search(text) or users or EVERYONE.search(text))

    @cached_property
    def _first_values(self) -> dict[str, Entry | None]:
        """For each language's stem of first (first, 首), the one value of a governed
        segment whose words say it (首购用户, first-time buyers), if exactly one does: read
        from the layer once, not on every question."""
        chosen: dict[str, Entry | None] = {}
        for stem in ("first", "首"):
            found: dict[tuple[str, object], Entry] = {}
            for entries in self.linker.lexicon.by_key.values():
                for entry in entries:
                    if (
                        entry.kind == "value"
                        and stem in entry.surface.lower()
                        and self._segment_of(entry.target)
                    ):
                        found.setdefault((entry.target, entry.value), entry)
            chosen[stem] = next(iter(found.values())) if len(found) == 1 else None
        return chosen

    def _take_glossed(self, parse: Parse) -> None:
        """new customers (first purchase ever), 新客（首次购买）: a bracket right after a value
        that names nothing but a dimension's words says what the value is, not another
        grouping; a bracket saying how to group (by channel, 按渠道) is not a gloss."""
        for bracket in BRACKETED.finditer(parse.text):
            start = bracket.start() + len(bracket.group(0)) - len(bracket.group(0).lstrip())
            inside = [x for x in parse.links if start <= x.start and x.end <= bracket.end()]
            glossed = any(x.kind == "value" and not parse.text[x.end : start].strip() for x in parse.links)
            words = parse.text[start : bracket.end()].strip("()（） ")
            named_only = not any(
                w.lower() in ENGLISH_KNOWN or w.lower() in FRAME_WORDS for w in words.split()
            )
            first = any(
                x.kind == "value"
                and self._is_first_value(x.entries[0])
                and not parse.text[x.end : start].strip()
                for x in parse.links
            )
            if first and self._never_before_within(parse, start, bracket.end()):
                # 新买家（之前从没付款下过单的）: what first purchase means, said again
                parse.links = [x for x in parse.links if x not in inside]
                _read_with_negations(parse, start, bracket.end())
                continue
            if glossed and not inside and ALIAS.fullmatch(words) and named_only:
                # 苹果 (Apple): the value's name in another language, nothing to apply
                parse.read_spans.append((start, bracket.end()))
                continue
            if (
                not glossed
                or not inside
                or any(x.kind != "dimension" for x in inside)
                or GLOSS_GROUPING.search(parse.text[start : bracket.end()])
                or any(start <= c.start < bracket.end() for c in parse.comparisons)
                or any(start <= t.span[0] < bracket.end() for t in parse.times)
            ):
                continue
            parse.links = [x for x in parse.links if x not in inside]
            parse.read_spans.append((start, bracket.end()))

    def _take_value_rows(self, parse: Parse) -> None:
        """买过母婴类商品的用户: a table's word right after a value of its own column, the
        object of a buying verb, names what was bought, not a grouping by its rows' name
        (苏州门店单量排名 ranks the stores of 苏州: no verb of buying before it)."""
        tables = self._table_names(parse.text)
        for link in [x for x in parse.links if x.kind == "value"]:
            home = self._dimension_home(link.entries[0].target)
            gap = VALUE_ROWS_GAP.match(parse.text, link.end)
            bought = HAD_VERB.search(parse.text[max(0, link.start - 4) : link.start])
            if home is None or gap is None or bought is None:
                continue
            named = [(a, b) for a, b, model in tables if a == gap.end() and model is home[0]]
            if not named:
                continue
            start, end = max(named, key=lambda span: span[1])
            parse.links = [
                x for x in parse.links if not (x.kind == "dimension" and start <= x.start and x.end <= end)
            ]
            parse.read_spans.append((link.end, end))

    def _take_value_wholes(self, parse: Parse) -> None:
        """广东省内各品类占全省的比重: the dimension's own word after its value (广东省,
        省内) and 全 with it (全省: all of 广东) only restate the value; the share of the
        filtered rows is already of their whole."""
        for link in parse.links:
            entry = link.entries[0]
            home = self._dimension_home(entry.target) if entry.kind == "value" else None
            dimension = home[0].dimension(home[1]) if home else None
            label = dimension.label.zh if dimension else ""
            if not label:
                continue
            word = f"(?:{re.escape(label)}|{re.escape(label[0])})"
            after = re.match(rf"{word}(?:内|里|之内)?", parse.text[link.end :])
            if after and after.end():
                parse.read_spans.append((link.end, link.end + after.end()))
            for whole in re.finditer(rf"全{word}", parse.text):
                parse.read_spans.append(whole.span())

    def _attribute_shortened(
        self, parse: Parse, comparison: Comparison
    ) -> tuple[tuple[int, int], str] | None:
        """实付超过3000元, 标价高于300: a numeric attribute written by the start of its
        name (实付 for 实付金额) just before the comparison, when it starts the name of
        exactly one numeric attribute of the layer."""
        if COUNTED_UNIT.search(comparison.text):
            return None  # 不止一次, more than 3 orders: a number of things, not an amount
        taken = [*parse.read_spans, *parse.counted, *((x.start, x.end) for x in parse.links)]
        start = max([b for _, b in taken if b <= comparison.start] or [0])
        pieces = re.split(r"[，,、。；;？?\s]|并且|而且|并|且|和|的", parse.text[start : comparison.start])
        clause = pieces[-1].rstrip()
        # 订单里实付: the longest end of the clause that starts a name
        for cut in range(len(clause) - 1):
            word = normalise(clause[cut:])
            if word.isascii():
                return None
            found = {
                f"{model.name}.{d.name}"
                for model in self.layer.models
                for d in model.dimensions
                if d.type == "number"
                and any(name.startswith(word) and name != word for name in (d.label.zh, *d.synonyms))
            }
            # an id is no amount (退款单号), nor is a figure's own word (单笔退款: the refund amount)
            found = {f for f in found if not self._names_a_key(f)}
            if any(x.kind == "metric" and x.text == word for x in self.linker.link(word)):
                return None
            if len(found) == 1:
                return (comparison.start - len(word), comparison.start), found.pop()
        return None

    def _conditioned_entity(
        self, parse: Parse, comparison: Comparison, link: Link, dimension: str
    ) -> Link | None:
        """The word naming the rows an attribute condition picks (…的商品, products with …),
        when it is a dimension of the attribute's model and the question does not group
        by it (各商品, by product)."""
        home = self._dimension_home(dimension)
        condition = (min(link.start, comparison.start), max(link.end, comparison.end))
        for x in parse.links:
            entry = x.entries[0]
            owner = self._dimension_home(entry.target) if entry.kind == "dimension" else None
            if owner is None or home is None or owner[0].name != home[0].name or x is link:
                continue
            if self._names_rows_of(parse, (x.start, x.end), condition) and not self._grouped(
                parse, entry.target
            ):
                return x
        return None

    def _qualifies_table(self, parse: Parse, comparison: Comparison, link: Link, model: Model) -> bool:
        """Is the condition written on the rows of `model`: 运费超过100的订单, orders with
        freight over 500, orders where we paid more than 200 in freight? Not when it
        qualifies something else (运费超过1000的收货国家: each country's total)."""
        condition = (min(link.start, comparison.start), max(link.end, comparison.end))
        return any(
            named.name == model.name and self._names_rows_of(parse, (a, b), condition)
            for a, b, named in self._table_names(parse.text)
        )

    def _table_names(self, text: str) -> list[tuple[int, int, Model]]:
        """Where the question names a table (订单明细, orders), with the table's model."""
        return [
            (*m.span(), model)
            for word, model in self._table_words
            if word in text
            for m in re.finditer(re.escape(word), text)
        ]

    @staticmethod
    def _names_rows_of(parse: Parse, word: tuple[int, int], condition: tuple[int, int]) -> bool:
        """Is `word` the rows a condition is written on: before it with with / whose /
        where (orders with freight over 500), or after it with 的 (运费超过100的订单)?"""
        (a, b), (start, end) = word, condition
        return bool(
            (b <= start and ROWS_WITH.match(parse.text[b:start]))
            or (end <= a and re.fullmatch(r"\s*的?\s*", parse.text[end:a]))
        )

    def _take_table_words(self, parse: Parse) -> None:
        """A metric word that names the table the question is about is the table: 订单
        in 订单明细 (a longer table name), and the orders of "the freight of orders" or
        "订单的运费" when another metric of those rows is asked. The word then says whose
        rows are measured; it is not a second metric."""
        names = self._table_names(parse.text)
        metrics = [x for x in parse.links if x.entries[0].kind == "metric"]
        dropped: list[Link] = []
        for link in metrics:
            around = [
                (a, b, m)
                for a, b, m in names
                if a <= link.start and link.end <= b and b - a > link.end - link.start
            ]
            inside = bool(around)
            others = [x.entries[0].target for x in metrics if x is not link]
            # the latest inventory snapshot ... the most stock: the name of the table another
            # figure asked measures is read whole
            parse.read_spans += [
                (a, b) for a, b, m in around if any(self._measured_on(metric, m) for metric in others)
            ]
            owner = next(
                (m for a, b, m in names if a == link.start and self._table_then_date(parse, b, link.end)),
                None,
            )
            possessive = (
                owner is not None
                and any(self._reaches(metric, owner) for metric in others)
                and (
                    POSSESSED_AFTER.match(parse.text[link.end :])
                    or POSSESSED_BEFORE.search(parse.text[: link.start])
                )
            )
            if inside or possessive:
                dropped.append(link)
                parse.counted.append((link.start, link.end))
        parse.links = [x for x in parse.links if not any(x is d for d in dropped)]
        self._take_owners(parse, names)

    def _take_owners(self, parse: Parse, names: list[tuple[int, int, Model]]) -> None:
        """按用户档案里的省份, 按用户的城市等级: grouped by a column with its table's word right
        before it (的, 里的): the word says whose column it is, no figure or rows of its own."""
        for a, b, model in names:
            gap = OWNER_GAP.match(parse.text, b)
            if gap is None or not GROUPED_BY.search(parse.text[:a]):
                continue
            column = next((x for x in parse.links if x.kind == "dimension" and x.start == gap.end()), None)
            name = column.entries[0].target.rpartition(".")[2] if column is not None else ""
            if column is None or model.dimension(name) is None:
                continue
            parse.links = [x for x in parse.links if not (a <= x.start and x.end <= b)]
            parse.read_spans.append((a, gap.end()))
            if sum(1 for m in self.layer.models if m.dimension(name)) > 1:
                # 按用户所在省份: the people's province, not the orders' (shipped to), wherever
                # the question names the column
                _own_column(parse, model, name)

    def _take_people_own(self, parse: Parse) -> None:
        """provinces (where the customer lives), their home city, the province from their
        profile: a column the people and other tables both have (the orders' shipping
        province) is the people's, wherever the question names it."""
        people = self._people_model
        if people is None:
            return
        for said in PEOPLE_OWN.finditer(parse.text):
            near = [
                x
                for x in parse.links
                if x.kind == "dimension"
                and (
                    0 <= said.start() - x.end <= PEOPLE_OWN_REACH
                    or 0 <= x.start - said.end() <= PEOPLE_OWN_REACH
                )
                and people.dimension(x.entries[0].target.rpartition(".")[2]) is not None
            ]
            if not near:
                continue
            parse.read_spans.append(said.span())
            # home province: "home" is no value of another column (家居) here
            parse.links = [x for x in parse.links if not (said.start() <= x.start < said.end())]
            _own_column(parse, people, near[0].entries[0].target.rpartition(".")[2])
        owned = any(
            x.kind == "dimension" and x.entries[0].target.startswith(f"{people.name}.") for x in parse.links
        )
        # 不是收货地址, not the shipping one: the other table's column, set aside
        for other in NOT_THE_OTHER.finditer(parse.text) if owned else ():
            parse.read_spans.append(other.span())
            parse.links = [x for x in parse.links if not (other.start() <= x.start < other.end())]
            parse.negations.unscoped = [u for u in parse.negations.unscoped if u not in other.group(0)]

    def _measured_on(self, metric: str, model: Model) -> bool:
        return model.name in self._homes(metric)

    @staticmethod
    def _table_then_date(parse: Parse, table_end: int, link_end: int) -> bool:
        """The rest of a link after its table word: nothing (orders), or the date word
        the question dates by (orders *shipped*)."""
        rest = parse.text[table_end:link_end].strip()
        return not rest or any(d.text.strip() == rest and d.end == link_end for d in parse.datings)

    def _reaches(self, metric: str, model: Model) -> bool:
        """Are the metric's rows those of `model`, or rows that each belong to one of them?"""
        found = self.layer.measure_of(metric)
        if found is None:
            return False
        return self.graph.path(found[0].name, model.name, forward_only=True) is not None

    def _detail_asked(self, parse: Parse) -> bool:
        """列出, 明细, list: rows asked for, unless the word is part of a table's name
        (订单明细的总销量 asks a total of the order details)."""
        names = self._table_names(parse.text)
        return any(
            c.kind == "detail" and not any(a <= c.start and c.end <= b for a, b, _ in names)
            for c in parse.cues
        )

    @staticmethod
    def _dated_by(parse: Parse) -> str | None:
        """The time dimension the question's date words chose, when they agree on one."""
        chosen = {d.dimension for d in parse.datings}
        return next(iter(chosen)) if len(chosen) == 1 else None

    @cached_property
    def _date_words(self) -> dict[str, str]:
        return date_words(self.layer)

    @cached_property
    def _model_nouns(self) -> dict[str, tuple[str, ...]]:
        """The Chinese names of each time dimension's model (订单 of orders.pay_time)."""
        return {
            f"{model.name}.{time.name}": tuple(
                normalise(w) for w in (model.label.zh, *model.synonyms) if w and not w.isascii()
            )
            for model in self.layer.models
            for time in model.time_dimensions
        }

    @cached_property
    def _cardinality(self) -> dict[str, int]:
        """How many values each dimension has in the lexicon."""
        values: dict[str, set[object]] = {}
        for entries in self.lexicon.by_key.values():
            for entry in entries:
                if entry.kind == "value":
                    values.setdefault(entry.target, set()).add(entry.value)
        return {name: len(found) for name, found in values.items()}

    def _dimensions(self, parse: Parse, metrics: list[str]) -> list[str]:
        return list(
            dict.fromkeys(e.target for link in parse.links for e in link.entries[:1] if e.kind == "dimension")
        )

    def _values(
        self, parse: Parse, metrics: list[str], mentioned: list[str], homes: set[str] | None = None
    ) -> dict[str, list[Picked]]:
        """Value words by dimension. A word that is a value of several dimensions
        (天猫: order channel or registration channel) means the one the question
        names, else the one nearest to the metrics."""
        chosen: dict[str, list[Picked]] = {}
        for link in parse.links:
            # Only a word read first as a value is one (alternatives of "orders" are not filters).
            values = [e for e in link.entries if e.kind == "value"] if link.entries[0].kind == "value" else []
            if not values:
                continue
            if link.text in ENGLISH_KNOWN and not any(e.target in mentioned for e in values):
                if _written_as_code(link, parse.question):
                    parse.unread.append(link.text.upper())  # US suppliers: a code, but of what?
                continue  # "order channel": a common word is a value only beside its dimension
            named = [e for e in values if e.target in mentioned]
            beside = self._beside(parse, link, values)
            means = self._means_of_dating(parse, link, values)
            if beside is not None:  # 向Andrew Fuller汇报的员工: the word beside it, not any named
                pick = beside
            elif means is not None:
                pick = means
            elif named:
                pick = named[0]
            else:
                costs = {e.target: self._cost(e.target, metrics, homes) for e in values}
                best = min(costs.values())
                nearest = self._coarsest([e for e in values if costs[e.target] == best])
                if len({e.target for e in nearest}) > 1:
                    raise Ambiguous(link.text, [e.target for e in nearest])
                pick = nearest[0]
            if self._foreign_beside(parse, link, pick):
                parse.unread.append(link.text)  # 德国供应商 with only customers' countries known
                continue
            picked = Picked(pick, negated=link.start in parse.negations.negated)
            if picked not in chosen.setdefault(pick.target, []):
                chosen[pick.target].append(picked)
        return chosen

    def _means_of_dating(self, parse: Parse, link: Link, values: list[Entry]) -> Entry | None:
        """signed up through douyin in 2025, 通过抖音注册的: a value written as the means of a
        dated event is the value of the event's own table (the registration channel, not
        the orders')."""
        for dating in parse.datings:
            if not (
                MEANS_BEFORE.fullmatch(parse.text[link.end : dating.start])
                or MEANS_AFTER.fullmatch(parse.text[dating.end : link.start])
            ):
                continue
            model = dating.dimension.split(".")[0]
            own = [e for e in values if (home := self._dimension_home(e.target)) and home[0].name == model]
            if len({e.target for e in own}) == 1:
                return own[0]
        return None

    def _foreign_beside(self, parse: Parse, link: Link, value: Entry) -> bool:
        """A value written right before a dimension word of a model its rows cannot meet
        (德国供应商 where 德国 is only a customer's country) does not say what it seems to."""
        index = parse.links.index(link)
        after = parse.links[index + 1] if index + 1 < len(parse.links) else None
        if after is None or after.entries[0].kind != "dimension":
            return False
        if not QUALIFIED_GAP.match(parse.text[link.end : after.start]):
            return False
        word, home = self._dimension_home(after.entries[0].target), self._dimension_home(value.target)
        if word is None or home is None or word[0].name == home[0].name:
            return False
        one, other = word[0].name, home[0].name
        return (
            self.graph.path(one, other, forward_only=True) is None
            and self.graph.path(other, one, forward_only=True) is None
        )

    def _beside(self, parse: Parse, link: Link, values: list[Entry]) -> Entry | None:
        """London customers, 德国供应商: of a value's readings, the one on the model of the
        dimension word written right beside it."""
        if len({e.target for e in values}) < 2:
            return None
        index = parse.links.index(link)
        neighbours = [parse.links[i] for i in (index + 1, index - 1) if 0 <= i < len(parse.links)]
        for neighbour in neighbours:
            gap = parse.text[min(link.end, neighbour.end) : max(link.start, neighbour.start)]
            if neighbour.entries[0].kind != "dimension" or not QUALIFYING_AFTER.match(gap.replace("的", "")):
                continue
            home = self._dimension_home(neighbour.entries[0].target)
            for entry in values:
                candidate = self._dimension_home(entry.target)
                if home and candidate and candidate[0].name == home[0].name:
                    return entry
        return None

    @staticmethod
    def _value_filters(values: dict[str, list[Picked]]) -> list[Filter]:
        filters: list[Filter] = []
        for dimension, picked in values.items():
            for op, negated in (("in", False), ("not_in", True)):
                # 新客 named twice (新客…新客就是…) is one value
                chosen = list(
                    dict.fromkeys(p.value for p in picked if p.negated == negated and p.value is not None)
                )
                if chosen:
                    filters.append(Filter(dimension=dimension, op=op, values=chosen))
        return filters

    @staticmethod
    def _distributed_at(parse: Parse, at: int) -> bool:
        """Whether a word of distribution follows a dimension's word ending at `at`
        (会员等级分布, the member level mix of ...): its groups share the whole of what the
        question's values pick, not each group's share of a value."""
        return DISTRIBUTED_AFTER.match(parse.text, at) is not None

    def _qualifier(self, parse: Parse, dimension: str) -> bool:
        """小米商品的GMV, 非手机数码类商品, Xiaomi products: a dimension word right after a
        value names what the value picks out; it groups only when the question asks per
        item (各, each, a ranking)."""
        if EACH_WORD.search(parse.text) or parse.has("top", "bottom", "hot", "sort", "sort_asc"):
            return False
        if self._named_with_grouping_word(parse, dimension) or self._segment_of(dimension):
            return False  # a segment's word (RFM segments of tier-1 users) asks for its groups
        qualified = False
        named_again = False
        tables = {word for word, _ in self._table_words}
        for index, link in enumerate(parse.links):
            if link.entries[0].kind != "dimension" or link.entries[0].target != dimension:
                continue
            before = parse.links[index - 1] if index else None
            if (
                before is not None
                and before.entries[0].kind == "value"
                and QUALIFIED_GAP.match(parse.text[before.end : link.start])
                and not self._distributed_at(parse, link.end)  # 新客的会员等级分布: its groups
            ):
                qualified = True
            elif normalise(link.text) not in tables:
                named_again = True  # 在售的商品有哪些？列商品名: the column itself is asked too
        if qualified:
            return not named_again
        for index, link in enumerate(parse.links[:-1]):
            after = parse.links[index + 1]
            if (
                link.entries[0].kind == "dimension"
                and link.entries[0].target == dimension
                and after.entries[0].kind == "value"
                and QUALIFYING_AFTER.match(parse.text[link.end : after.start])
            ):
                return True  # customers in Germany, products that are not discontinued
        return False

    def _rates(self, metrics: list[str]) -> bool:
        """Are the metrics asked shares already (退款率, delivery share)?"""
        return all(getattr(self.layer.metric(m), "format", None) == "percent" for m in metrics)

    def _row_nouns(self, parse: Parse, mentioned: list[str]) -> set[str]:
        """Freight by shipper for customers in Germany, 日本供应商的商品各品类销售额: when
        the question groups by some dimensions in so many words (by shipper, 各品类, and
        those listed with them), another dimension word it names bare only says whose
        rows are measured. A ranking ranks such a word (销量前5的商品, rank the member
        levels within each channel), so it stays."""
        if parse.has("top", "bottom", "hot", "rank", "nth"):
            return set()
        explicit: set[str] = set()
        previous: Link | None = None
        for link in parse.links:
            entry = link.entries[0]
            if entry.kind != "dimension":
                previous = link if entry.kind != "value" else previous
                continue
            listed = (
                previous is not None
                and previous.entries[0].target in explicit
                and LISTED_WITH.match(parse.text[previous.end : link.start])
            )
            within = parse.has("share") and (
                WITHIN_BEFORE.search(parse.text[: link.start]) or WITHIN_AFTER.match(parse.text[link.end :])
            )
            if (
                listed
                or within
                or GROUPING_WORD.search(parse.text[: link.start])
                or GROUPED_AFTER.match(parse.text[link.end :])
            ):
                explicit.add(entry.target)
            previous = link
        # gender x age breakdown: a dimension listed before one grouped is grouped too
        dimensions = [x for x in parse.links if x.entries[0].kind == "dimension"]
        for before, after in reversed(list(itertools.pairwise(dimensions))):
            if after.entries[0].target in explicit and LISTED_WITH.match(
                parse.text[before.end : after.start]
            ):
                explicit.add(before.entries[0].target)
        if not explicit and not (TOTAL_WORD.search(parse.text) and not EACH_WORD.search(parse.text)):
            return set()
        # A segment's word (新老客, new vs returning) names no rows: it asks for its groups.
        return {d for d in mentioned if d not in explicit and not self._segment_of(d)}

    @staticmethod
    def _grouped(parse: Parse, dimension: str) -> bool:
        """各渠道, by channel, 其他渠道分别是多少, the top 5 provinces: the question groups
        by the dimension it names, not only filters it."""
        if EACH_WORD.search(parse.text) or parse.has(
            "top", "bottom", "hot", "share", "distribution", "sort", "sort_asc"
        ):
            return True
        return Understander._named_with_grouping_word(parse, dimension)

    @staticmethod
    def _named_with_grouping_word(parse: Parse, dimension: str) -> bool:
        return any(
            x.entries[0].kind == "dimension"
            and x.entries[0].target == dimension
            and GROUPING_WORD.search(parse.text[: x.start])
            for x in parse.links
        )

    # -- assembling the queries ---------------------------------------------------------------------
    def _no_data_yet(self, parse: Parse, time_range: TimeRange) -> Understanding | None:
        """A period that starts after the last day of data has nothing to show: say so."""
        if time_range.start is None or time_range.start <= parse.as_of:
            return None
        message = say(
            "reading.no_data_yet",
            parse.language,
            start=time_range.start,
            end=time_range.end,
            as_of=parse.as_of,
        )
        return Understanding(
            language=parse.language, status="clarify", message=message, evidence=parse.evidence
        )

    def _assemble(self, parse: Parse, metrics: list[str]) -> Understanding:
        for home in dict.fromkeys(h for m in metrics for h in sorted(self._homes(m))):
            model = self.layer.model(home)
            if model is not None:
                parse.links = self._verbs_of_rows(parse, model, parse.links)
        homes = {h for m in metrics for h in self._homes(m)}
        unused = self._unused_date_words(parse, homes)
        if unused:
            # 近3个月新注册、而且有过付款订单的用户: when the people registered is a condition
            # of its own, not the time of the orders counted; asked, not dropped
            return self._cannot_use(parse, unused, "reading.cannot_combine")
        mentioned = [
            d
            for d in self._dimensions(parse, metrics)
            if not self._qualifier(parse, d) and not self._measured_not_grouped(parse, d)
        ]
        nouns = self._row_nouns(parse, mentioned)
        mentioned = [d for d in mentioned if d not in nouns]
        values = self._values(parse, metrics, mentioned)
        filters = self._value_filters(values) + parse.attributes
        filters += self._term_filters(parse)
        # A dimension named only to qualify its value (天猫渠道) is a filter; two values of
        # one dimension (天猫和京东) are compared side by side; the values left out of one
        # (除了天猫的各渠道) leave it grouped when the question groups by it.
        included = {d: [e for e in entries if not e.negated] for d, entries in values.items()}
        group = [
            d for d in mentioned if not included.get(d) and (d not in values or self._grouped(parse, d))
        ] + [d for d, entries in included.items() if len(entries) > 1]
        time_range, time_text = self._time_range(parse)
        if time_range.start is None and parse.has("yoy", "pop"):
            time_range, time_text = self._comparison_default(parse)
        versus = self._versus_last_year(parse)
        if versus is not None:
            time_range, time_text = versus.range, versus.text
        previous = self._versus_previous(parse) if versus is None else None
        if previous is not None:
            time_range, time_text = previous.range, previous.text
        named = self._named_periods_compared(parse) if versus is None and previous is None else None
        baseline = None
        if named is not None:
            # 今年618和去年618放在一起对比: the later period against the one named with it
            versus, earlier = named
            time_range, time_text, baseline = versus.range, versus.text, earlier.range
        too_late = self._no_data_yet(parse, time_range)
        if too_late is not None:
            return too_late
        days = self._segment_days([*group, *(f.dimension for f in filters)])
        if not parse.times and time_range.start is None and days is not None:
            # RFM分群 with no period: the segment's own (the last 365 days)
            time_range = TimeRange(start=parse.as_of - dt.timedelta(days=days - 1), end=parse.as_of)
            time_text = say("reading.last_days", parse.language, days=days)
        grains = {c.grain for c in parse.cues if c.kind == "grain"}
        rank_per = None
        ranking_cue = parse.cue("top", "bottom")
        if len(grains) == 2 and not parse.averaged and ranking_cue is not None:
            # for each month, which day had the highest GMV: days ranked within their month
            finer, rank_per = sorted((g for g in grains if g is not None), key=GRAINS.index)
        elif len(grains) > 1 and not parse.averaged:
            return self._cannot_use(parse, [c.text for c in parse.cues if c.kind == "grain"])
        grain = finer if rank_per is not None else self._grain(parse, time_range)
        averaged = parse.averaged.grain if parse.averaged else None
        if averaged is not None and grain == averaged:
            grain = None  # 平均每天: the days are averaged over, not listed
        across = self._across(parse) if grain is not None else []
        if across:
            # 单月GMV的最高值和最低值: the monthly figures' highest and lowest, not every month
            averaged, grain = grain, None
        over_groups = self._over_groups(parse, group) if grain is None and averaged is None else None
        if over_groups is not None:
            # 平均每个品牌有多少买家, 各品牌GMV的最大值: taken over the brands' figures
            over, across = over_groups
            group = [d for d in group if d != over]
        if len({d.dimension for d in parse.datings}) > 1:
            # ordered in 1997 and shipped in 1998: two dates, one period each; not one range
            return self._cannot_use(parse, [d.text for d in parse.datings])
        summed = SUMMED_OVER_TIME.search(parse.text)
        if summed and any(isinstance(self.layer.metric(m), SemiAdditiveMetric) for m in metrics):
            # 每周库存加起来: a snapshot is never summed over time (its 口径)
            return self._cannot_use(parse, [summed.group(0)])
        moving = parse.cue("moving")
        if moving is not None:
            # 7日移动平均, 3个月移动平均: the window's buckets are the cue's unit, else the
            # question's grain, else days
            grain = MOVING_UNITS.get(m.group(0)) if (m := MOVING_UNIT.search(moving.text)) else None
            grain = grain or self._grain(parse, time_range) or "day"
            averaged = None
        profile = parse.has("profile")
        if profile and self.layer.reading.profile is None:
            cue = parse.cue("profile")
            return self._cannot_use(parse, [cue.text if cue else "画像"])
        ranking = None if across else parse.cue("top", "bottom", "hot")
        ranked_item = self.layer.reading.ranked_item
        ranks_items = parse.has("rank", "nth") and not values and not group and ranked_item and not grain
        if (ranking or ranks_items) and not group and ranked_item and not grain and not parse.construct:
            group = [ranked_item]  # 热销商品, top 5 fruit teas, GMV排名: what the warehouse ranks by default
        elif (ranking or parse.has("nth")) and group and not grain and not parse.construct:
            # top 3 customers by GMV within each member level, 各会员等级里排第三的用户: the
            # rows a table word names are what is ranked, within the groups
            rows = self._ranked_rows(parse, metrics)
            if rows is not None and rows not in group:
                group = [*group, rows]
        focus: list[Filter] = []
        joined = self._values_or_joined(parse, values) if parse.has("share") else None
        if joined is not None:
            # what % of buyers were gold or diamond members: the share of the two together,
            # which no reading computes yet (each one's share of the two was answered); asked
            return self._cannot_use(parse, [joined], "reading.cannot_combine")
        if (
            parse.has("share", "rank")
            # (新客占618买家的比例: the segment's own dimension, grouped by its value, is no group)
            and (not group or (len(values) == 1 and set(group) <= set(values)))
            and not profile
            and values
        ):
            # 美妆占GMV的比例: the value's share among all values of its dimension; of
            # several values, the one the share is asked of (what % of dine-in orders
            # were paid in cash: cash, among dine-in orders).
            focused = self._focused(parse, values)
            focus = [f for f in filters if f.dimension == focused]
            filters = [f for f in filters if f.dimension != focused]
            group = [f.dimension for f in focus]
        share_within_groups: list[str] = []
        distributed = any(
            self._distributed_at(parse, x.end) for x in parse.links if x.entries[0].target in group
        )
        if parse.has("share") and group and not focus and not profile and values and not distributed:
            # for each channel, what fraction of its GMV came from 美妆: the value's share
            # within each group, not a filter on the whole
            part = self._share_part(parse, values, group)
            if part is not None:
                focus = [f for f in filters if f.dimension == part]
                filters = [f for f in filters if f.dimension != part]
                share_within_groups, group = list(group), [*group, part]

        conditioned: list[str] = []
        if not grain and parse.comparisons and not self._total_compared(parse):
            people = self._people_counted_beside(parse, metrics)
            if people is not None:
                # how many buyers ordered at least 3 times: buyers are the people the
                # condition is on, counted; the orders are what it counts
                metrics = [m for m in metrics if m != people]
            if not group and not profile:
                # 买过超过3次的用户, users who placed more than 5 orders: the condition is on each user
                group = self._compared_entity(parse, metrics, people is not None)
            else:
                # 买过3次以上的用户按城市等级分布, their profile: on each user, not on each group
                conditioned = self._compared_entity(parse, metrics, people is not None)
                grouping = [x for x in parse.links if x.kind == "dimension" and x.entries[0].target in group]
                distinct_keys = {d.dimension for d in parse.distinct}  # more than 25 different products
                keys = {d.rpartition(".")[2] for d in group}  # 用户ID: the customers are the groups
                if conditioned and (
                    any(_overlap(parse.read_spans[-1], (x.start, x.end)) for x in grouping)
                    or set(conditioned) & distinct_keys
                    or conditioned[0].rpartition(".")[2] in keys
                ):
                    parse.read_spans.pop()  # products with more than 30 reviews: the groups themselves
                    conditioned = []
        denominators = [d for d in dict.fromkeys(parse.denominators) if self.layer.metric(d) is not None]
        ratios = [
            Ratio(numerator=m, denominator=d)
            for d in denominators
            for m in metrics
            if m != d and not self._already_per(m, d)
        ]
        if parse.averaged and averaged and not grain and (ratios or parse.has("yoy", "pop", "share")):
            # 日均GMV同比: an average over days compared or divided is not yet computed
            return self._cannot_use(parse, [parse.text[parse.averaged.start : parse.averaged.end]])
        entity = self._segment_entity(parse, metrics)
        if entity is not None:
            # 广东的客户有多少存在流失风险: a segment's people are placed by their own province
            group = [self._on_entity(d, entity) for d in group]
            filters = [
                f.model_copy(update={"dimension": self._on_entity(f.dimension, entity)}) for f in filters
            ]
        base = SemanticQuery(
            metrics=list(dict.fromkeys(metrics + [r.denominator for r in ratios])),
            ratios=ratios,
            distinct=list(parse.distinct),
            averaged_over=averaged if averaged is not None and not grain else None,
            averaged_across=over_groups[0] if over_groups else None,
            across=across,
            cumulative=parse.has("cumulative") and grain is not None,
            dimensions=[d for d in group if not (profile and d in self._profile.dimensions)],
            time_grain=grain,
            time_range=time_range,
            time_dimension=self._dated_by(parse),
            filters=filters,
            compare="yoy" if parse.has("yoy") or versus else "pop" if parse.has("pop") or previous else None,
            baseline=baseline,
            share=[m for m in metrics if self._additive(m)]
            if parse.has("share") and (group or profile)
            else [],
            share_within=share_within_groups
            or (self._within(parse, group) if parse.has("share") and len(group) > 1 else []),
            # 各省GMV排名, 四川排第几: the first metric's rank among every group
            rank=metrics[:1] if parse.has("rank", "nth") and group and not profile else [],
            focus=focus,
        )
        rank_cue = parse.cue("rank", "nth")
        nth = parse.cue("nth")
        if nth is not None and base.rank and nth.number:
            # 排第二的品类: the second of every group ranked, not the first N; 倒数第二, the
            # second-lowest: counted from the bottom. 各个渠道里GMV排第二的省份: the second
            # within each value of the other groups
            lowest = from_the_bottom(nth)
            within = []
            if len(base.dimensions) > 1 and not base.focus:
                ranked = self._ranked_dimension(parse, nth, base.dimensions)
                within = self._named_each(parse, base.dimensions) or [
                    d for d in base.dimensions if d != ranked
                ]
            by_group = [OrderBy(field=d.rpartition(".")[2], desc=False) for d in within]
            base = base.model_copy(
                update={
                    "rank_keep": ("=", nth.number),
                    "rank_ascending": lowest,
                    "rank_within": within,
                    "order_by": [*by_group, OrderBy(field=metrics[0], desc=not lowest)],
                }
            )
        elif base.rank and len(base.dimensions) > 1 and not base.focus:
            # 在每个品类内部给品牌排名, rank the member levels within each channel: a rank
            # within each value of the groups named with "within", 每个…内
            within = self._within(parse, base.dimensions) or self._named_each(parse, base.dimensions)
            if within:
                by_group = [OrderBy(field=d.rpartition(".")[2], desc=False) for d in within]
                order = [*by_group, OrderBy(field=metrics[0], desc=True)]
                base = base.model_copy(update={"rank_within": within, "order_by": order})
        if rank_cue and not base.rank:
            # 排名 with nothing to rank among (no grouping, no value): asked, not dropped
            return self._cannot_use(parse, [rank_cue.text])
        if base.rank and not base.order_by and not base.focus and not base.rank_keep:
            # the first ten of the items ranked by default, every group of one named
            limit = 10 if ranks_items else None
            base = base.model_copy(
                update={"order_by": [OrderBy(field=metrics[0], desc=True)], "limit": limit}
            )
        share_cue = parse.cue("share")
        unshared = share_cue and not (base.share or base.focus or profile) and not self._rates(metrics)
        if unshared and share_cue and not parse.comparisons:
            # what fraction of orders were shipped late: a share of nothing nlq can split
            # (with a condition, it may be the share of those who meet it: seen below)
            return self._cannot_use(parse, [share_cue.text])
        percent = PERCENT_AFTER.match(parse.text, ranking.end) if ranking is not None else None
        if ranking is not None and percent is not None:
            # 排前10%的买家: a tenth of them, which a ranking of the first 10 is not
            return self._cannot_use(parse, [ranking.text + percent.group(0)], "reading.cannot_combine")
        if ranking and (base.dimensions or base.time_grain):
            base = self._ranked(base, parse, ranking)
        if rank_per is not None and ranking is not None and base.time_grain and not base.dimensions:
            # the top (bottom) N buckets of each coarser bucket, every one of them shown
            n = base.limit or 1
            base = base.model_copy(
                update={
                    "rank": metrics[:1],
                    "rank_per": rank_per,
                    "rank_keep": ("<=", n),
                    "rank_ascending": ranking.kind == "bottom",
                    "order_by": [OrderBy(field=base.time_grain, desc=False)],
                    "limit": None,
                }
            )
        elif parse.has("sort", "sort_asc") and base.dimensions:
            # 从高到低排一下: every group, in the order asked
            order = [OrderBy(field=metrics[0], desc=not parse.has("sort_asc"))]
            base = base.model_copy(update={"order_by": order})
        if base.ratios:
            # 平均每单优惠最高的渠道: ranked by the quotient asked, not by its numerator
            order = [
                o.model_copy(update={"field": base.ratios[0].name}) if o.field == metrics[0] else o
                for o in base.order_by
            ]
            base = base.model_copy(update={"order_by": order})
        if base.across and base.across != ["avg"]:
            # 单月订单量的最高值，按从高到低排: ordered by the figure asked of the buckets
            order = [
                o.model_copy(update={"field": f"{o.field}_{base.across[0]}"})
                if o.field in base.metrics
                else o
                for o in base.order_by
            ]
            base = base.model_copy(update={"order_by": order})
        with_people = base.model_copy(update={"dimensions": [*base.dimensions, *conditioned]})
        base = base.model_copy(update={"metric_filters": self._thresholds(parse, with_people)})
        base = self._per_person(parse, base, with_people)
        if _contradictory(base.metric_filters):
            # under 1000, … and 20000+ read as conditions all at once: no row meets them
            # (bands nlq could not read); asked, never an empty answer
            return self._cannot_use(parse, [c.text for c in parse.comparisons], "reading.cannot_combine")
        on_each = conditioned or any(d in with_people.dimensions for d in self._entity_keys)
        apart = self._periods_apart(parse) if on_each and base.metric_filters else []
        if apart:
            # 近一年买了3次以上、近90天内也买过的用户: conditions on each person in periods of
            # their own, which one query over one period does not compute; asked, never one
            # period silently for both
            return self._cannot_use(parse, apart, "reading.cannot_combine")
        if conditioned and base.metric_filters:
            # the people who meet the condition, counted in each group (or listed with it)
            counted = (
                profile
                or parse.has("distribution")
                or HOW_MANY_ANYWHERE.search(parse.text) is not None
                # how much did they spend in total: the total over them, beside their number
                or bool(AMOUNT_ASKED.search(parse.text) and TOTAL_WORD.search(parse.text))
            )
            dimensions = [*base.dimensions, *conditioned]
            base = base.model_copy(update={"dimensions": dimensions, "count_groups": counted, "limit": None})
        if moving is not None:
            window = moving.number or MOVING_DEFAULT[grain or "day"]
            base = base.model_copy(update={"moving": window, "time_grain": grain, "compare": None})
        contrasted = self._groups_contrasted(parse, base)
        if contrasted:
            # one-time buyers vs repeat buyers (2+ paid orders): two groups set side by side,
            # one a segment's value and one a condition, are not the people who are both
            return self._cannot_use(parse, contrasted, "reading.cannot_combine")
        miscounted = [w for c in parse.comparisons if (w := self._other_rows_counted(parse, c, base.metrics))]
        if miscounted:
            return self._cannot_use(parse, miscounted)
        if parse.comparisons and not base.metric_filters and not YES_NO.search(parse.text):
            # 下单少于5次的客户有多少: a condition on each customer nlq cannot group by is not dropped
            return self._cannot_use(parse, [c.text for c in parse.comparisons])
        totalled = bool(AMOUNT_ASKED.search(parse.text) and TOTAL_WORD.search(parse.text))
        entity_counted = (
            bool(base.metric_filters)
            and any(d in base.dimensions for d in self._entity_keys)
            and (HOW_MANY_ANYWHERE.search(parse.text) is not None or totalled)
        )
        if self._counting_groups(parse, base) is not None or entity_counted:
            # 销售额超过1万的客户有几个: the number of the groups, not their list
            base = base.model_copy(update={"count_groups": True, "order_by": [], "limit": None})
            if any(d in base.dimensions for d in self._entity_keys):
                parse.read_spans += [m.span() for m in HEADCOUNT.finditer(parse.text)]  # 各年龄段人数
        if base.count_groups and base.metric_filters:
            base = base.model_copy(update={"totals_of_conditioned": self._conditioned_asked(parse, base)})
        compared = parse.cue("yoy", "pop", "compare")
        if base.count_groups and base.compare and compared is not None:
            # buyers with 2+ orders, May vs May last year: each period's number of them is not
            # computed yet (each person's figures were compared, and those counted); asked
            return self._cannot_use(parse, [compared.text], "reading.cannot_combine")
        counted_key = next((d for d in base.dimensions if d in self._entity_keys), None)
        if base.count_groups and ranking is not None and counted_key and len(base.dimensions) > 1:
            # top 10 cities by number of customers with 2 or more orders: the groups ranked
            # by the people counted in each, never every group unranked
            order = [OrderBy(field=counted_key.rpartition(".")[2], desc=ranking.kind != "bottom")]
            base = base.model_copy(update={"order_by": order, "limit": ranking.number or 10})
        share_cue = parse.cue("share")
        keyed = any(d in base.dimensions for d in self._entity_keys)
        if (
            share_cue is not None
            and keyed
            and self._people_share(base)
            and self._groups_of_picked(parse, base)
        ):
            # 高消费用户都是什么年龄段的？各年龄段人数和占比: how the people the condition
            # picks fall into the groups, each group's share of them all
            parse.read_spans.append((share_cue.start, share_cue.end))
            base = base.model_copy(update={"count_groups": True, "share_of_all_counted": True, "share": []})
        elif share_cue is not None and keyed and self._people_share(base) and not base.focus:
            # what share of buyers in each city tier ordered at least twice: those who meet
            # the condition over everyone with a figure in the period, in each group
            base = base.model_copy(
                update={
                    "count_groups": True,
                    "share_of_counted": True,
                    "share": [],
                    "order_by": [],
                    "limit": None,
                }
            )
        elif share_cue is not None and (
            (base.count_groups and base.share)
            or (conditioned and base.metric_filters)
            or (base.focus and keyed and base.metric_filters)
        ):
            # 他们的成交额占全年GMV的比例: the share of the figure of those who meet a
            # condition in the whole is not computed, so it is asked
            return self._cannot_use(parse, [share_cue.text], "reading.cannot_combine")
        elif unshared and share_cue:
            return self._cannot_use(parse, [share_cue.text])
        steps: list[Step] = []
        if profile and conditioned and base.metric_filters:
            steps = self._conditioned_profile(base, parse, conditioned)
        elif profile:
            steps = self._profile_steps(base, parse, ranked=bool(ranking and base.dimensions))
        elif len(parse.times) > 1 and not base.compare:
            # 2024年和2025年的GMV: every period named is answered, none dropped
            steps = self._periods_compared(base, parse)
            time_text = say("grammar.and_separator", parse.language).join(t.text for t in parse.times)
        else:
            steps = [Step(title=self.title(base, parse.language), query=base)]
        return Understanding(
            language=parse.language,
            status="answer",
            steps=steps,
            evidence=parse.evidence,
            time_text=time_text,
        )

    def _take_counts(self, parse: Parse) -> None:
        """超过3次, 退款超过2次, more than 2 refunds, 下单少于5次: a number of rows, bound to
        the metric counting them: the rows of the table written beside the number (the
        word is the count, not an amount of it or a filter), else orders. The verb counted
        (下单) is no value to filter on either."""
        for comparison in parse.comparisons:
            after = [
                (start, end, model)
                for start, end, model in self._table_names(parse.text)
                if start >= comparison.end and not parse.text[comparison.end : start].strip()
            ]
            # 3 or more times: the unit written after the number the condition took
            unit = TIMES_AFTER.match(parse.text[comparison.end :])
            times = TIMES.search(comparison.text) is not None or unit is not None
            if unit is not None:
                parse.read_spans.append((comparison.end, comparison.end + unit.end()))
            if not after and not times:
                continue
            before = [
                (start, end, model)
                for start, end, model in self._table_names(parse.text)
                if end <= comparison.start and not parse.text[end : comparison.start].strip(" 的")
            ]
            counted_by = after[:1] or (before[-1:] if times else [])
            counted = self._row_count(counted_by[0][2]) if counted_by else None
            if counted is None and times:
                # 差评超过100条: the rows of the term's table (reviews), the term filtering them
                counted = self._term_rows(parse, comparison)
            # 超过3次, more than 5 times: orders when nothing else is named; 条 counts records
            # of some table, never orders
            records = "条" in comparison.text or (unit is not None and "条" in unit.group(0))
            orders = self._word("orders") if times and not records else []
            metric = counted or (orders[0] if orders else None)
            if metric is None:
                continue
            spans = [(a, b) for a, b, _ in counted_by]
            verbs = [
                x
                for x in parse.links
                if x.kind == "value"
                and x.end <= comparison.start
                and not parse.text[x.end : comparison.start].strip(" 了过的")
            ]
            taken = [
                x for x in parse.links if x in verbs or any(a <= x.start and x.end <= b for a, b in spans)
            ]
            parse.links = [x for x in parse.links if x not in taken]
            parse.read_spans += [(x.start, x.end) for x in taken] + spans
            parse.bound[comparison.start] = metric

    def _term_rows(self, parse: Parse, comparison: Comparison) -> str | None:
        """The row count of the table a term written just before a count filters."""
        for link in parse.links:
            entry = link.entries[0]
            if entry.kind != "term" or link.end > comparison.start:
                continue
            if _uncovered(parse.text, link.end, comparison.start, parse.read_spans).strip(" 的数"):
                continue  # (the term's own words in brackets are read with it: _take_restated)
            term = next((t for t in self.layer.terms if t.name == entry.target), None)
            homes = {
                h[0].name for f in (term.filters if term else []) if (h := self._dimension_home(f.dimension))
            }
            if len(homes) == 1:
                model = self.layer.model(homes.pop())
                return self._row_count(model) if model else None
        return None

    def _ranked_rows(self, parse: Parse, metrics: list[str]) -> str | None:
        """The key of the rows a table word names beside a ranking (top 3 customers,
        排第三的用户), when each metric can be computed for each of them; not a table word
        naming what the figure counts (the top 3 channels by orders)."""
        counted = {found[0].name for m in metrics if (found := self.layer.measure_of(m)) is not None}
        homes = {h for m in metrics for h in self._homes(m)}
        linked = [(x.start, x.end) for x in parse.links if x.kind == "dimension"]
        cues = [c for c in parse.cues if c.kind in {"top", "bottom", "hot", "nth"}]
        for start, end, model in self._named_tables(parse):
            key = self._entity_key(model)
            if key is None or model.name in counted or not homes:
                continue
            if any(a <= start and end <= b for a, b in linked):
                continue  # 各品类销量前3的商品: the word is a dimension of its own (a product's name)
            # the word right after the ranking names what it ranks (排第三的用户, top 3
            # customers); not 18到24岁的用户买得最多的品类, nor 按订单收货省份算
            if not any(
                0 <= start - c.end <= 3 and not parse.text[c.end : start].strip(" 的个名位") for c in cues
            ):
                continue
            if all(self.graph.one_each(h, model.name) for h in homes):
                parse.read_spans.append((start, end))
                return key
        return None

    def _people_counted_beside(self, parse: Parse, metrics: list[str]) -> str | None:
        """The metric counting the layer's people (buyers) asked beside a figure a
        comparison bounds (how many buyers ordered at least 3 times), not bounded itself."""
        people = self._profile.metric if self.layer.reading.profile else None
        if people is None or people not in metrics or len(metrics) < 2:
            return None
        if len({(c.start, c.end) for c in parse.comparisons}) > 1:
            return None  # exactly 1 order, exactly 2, 5 or more: buckets listed, not a condition
        spans = [
            (x.start, x.end) for x in parse.links if x.kind == "metric" and x.entries[0].target == people
        ]
        # 买家超过1000人 bounds the buyers; 下单至少3次的买家 a number of times, their orders
        bounded = any(
            (
                (0 <= c.start - end <= 2 and not BRACKET_OPEN.search(parse.text[end : c.start]))
                or 0 <= start - c.end <= 2
            )
            and not (TIMES.search(c.text) or TIMES_AFTER.match(parse.text[c.end :]) or MONEY.search(c.text))
            for start, end in spans
            for c in parse.comparisons
        )
        if bounded or not spans:
            return None
        parse.read_spans.append(spans[0])
        return people

    def _compared_entity(self, parse: Parse, metrics: list[str], people_named: bool = False) -> list[str]:
        """The key of the rows a condition is on (用户 in 买过超过3次的用户): a table the
        question names whose rows each metric can be computed for, one per row. A table
        word inside the buying verb (下过已付款订单的用户) names what was bought, not whom.
        `people_named`: the layer's people were named by the metric that counts them."""
        verbs = [m.span() for m in BUY_VERB.finditer(parse.text) if m.group(0).strip()]
        counted = {
            found[0].name
            for m in metrics
            if (found := self.layer.measure_of(m)) is not None and self._counts_rows_of(m, found[0])
        }
        for start, end, model in self._named_tables(parse):
            if any(a <= start and end <= b for a, b in verbs) or model.name in counted:
                continue  # 600 paid orders a month: the rows the figure counts, each one of them
            between = [(x.start, x.end) for x in parse.links if x.kind == "value"]
            if any(
                (c.start >= end and not parse.text[end : c.start].strip(" 的在为是有"))
                or (start >= c.end and not _uncovered(parse.text, c.end, start, between).strip())
                for c in parse.comparisons
            ):
                continue  # 退款超过2次, more than 5 orders: the rows counted, not those the condition is on
            key = self._entity_key(model)
            # a distinct count is counted over its governed metric's rows
            governed = [next((d.of for d in parse.distinct if d.name == m), m) for m in metrics]
            homes = {h for m in governed for h in self._homes(m)}
            if key is not None and homes and all(self.graph.one_each(h, model.name) for h in homes):
                parse.read_spans.append((start, end))
                return [key]
        people = THOSE_PEOPLE.search(parse.text)
        them = self._people_model
        if (people or people_named) and them is not None and (key := self._entity_key(them)) is not None:
            # 付款了2单及以上的那批人: the people the layer's profile counts
            governed = [next((d.of for d in parse.distinct if d.name == m), m) for m in metrics]
            homes = {h for m in governed for h in self._homes(m)}
            if homes and all(self.graph.one_each(h, them.name) for h in homes):
                if people is not None:
                    parse.read_spans.append(people.span())
                return [key]
        return []

    @cached_property
    def _people_model(self) -> Model | None:
        """The model of the people the layer's profile counts (users, by buyers' user_id)."""
        found = self.layer.measure_of(self._profile.metric) if self.layer.reading.profile else None
        if found is None or found[1].expr is None:
            return None
        column = found[1].expr
        return next((m for m in self.layer.models if m.key_columns == [column]), None)

    def _rate_of_people(self, metric: str) -> bool:
        """A governed rate of people among people (conversion rate: payers over visitors),
        both its parts counting the people the profile counts."""
        found = self.layer.metric(metric)
        people = self._people_model
        if not isinstance(found, RatioMetric) or people is None:
            return False
        parts = [self.layer.measure_of(found.numerator), self.layer.measure_of(found.denominator)]
        return all(
            m is not None and m[1].agg == "count_distinct" and m[1].expr in people.key_columns for m in parts
        )

    @staticmethod
    def _entity_key(model: Model) -> str | None:
        key = model.key_dimension
        return f"{model.name}.{key.name}" if key else None

    @cached_property
    def _entity_keys(self) -> set[str]:
        return {key for model in self.layer.models if (key := self._entity_key(model))}

    @staticmethod
    def _within(parse: Parse, group: list[str]) -> list[str]:
        """each reason's share within the channel, 各渠道内各原因的占比, 在每个品类内部给品牌
        排名: the groups a share or a rank is taken within, named with "within" or 内/里/中
        beside them."""
        within = []
        for link in parse.links:
            target = link.entries[0].target
            if link.entries[0].kind != "dimension" or target not in group or target in within:
                continue
            before = WITHIN_BEFORE.search(parse.text[: link.start])
            after = WITHIN_AFTER.match(parse.text[link.end :])
            if before or after:
                within.append(target)
            if before:
                parse.read_spans.append(before.span())  # of its parent category: the words of "within"
            elif after:
                parse.read_spans.append((link.end + after.start(), link.end + after.end()))
        return within if len(within) < len(group) else []

    def _counting_groups(self, parse: Parse, query: SemanticQuery) -> str | None:
        """销售额超过1万的客户有几个: how many groups meet a condition, which a grouped
        answer does not say; the words that ask it, or None. A segment's groups are few
        and known: how many new vs returning customers counts their people."""
        for link in parse.links:
            entry = link.entries[0]
            if (
                entry.kind != "dimension"
                or entry.target not in query.dimensions
                or self._segment_of(entry.target)
            ):
                continue
            after = re.match(
                # 各渠道多少人 counts the people in each, not the channels
                r"\s*(?:有|一共有|总共有|共有)?\s*(多少个|几个|多少家|几家|多少位|几位|多少(?![人名]))",
                parse.text[link.end :],
            )
            before = re.search(
                r"how many\s+(?:(?:different|distinct|unique|individual|separate)\s+)?$"
                # 今年有多少个品牌有销量: how many brands (多少件 is units, not the groups)
                r"|(?:有|一共有|总共有|共有)\s*(?:多少|几)\s*(?:个|家|位|种|款|类)?\s*(?:不同的?)?\s*$",
                parse.text[: link.start],
            )
            if after is not None:
                return after.group(1)
            if before is not None:
                return before.group(0).strip()
        grouped = [
            x for x in parse.links if x.kind == "dimension" and x.entries[0].target in query.dimensions
        ]
        of_them = HOW_MANY_DID.search(parse.text)
        if of_them is not None and len(grouped) == 1 and grouped[0].start < of_them.start():
            # Among products that sold at least one unit, how many sold fewer than 10: the
            # rows named before, counted
            return of_them.group(0)
        return None

    @staticmethod
    def _take_verb_objects(parse: Parse) -> None:
        """卖出过商品的品牌有多少个, brands that sold products: a dimension's word right after a
        verb of selling or buying is what was sold (any of it), not a grouping, when another
        dimension is what the question groups or counts."""
        dimensions = [x for x in parse.links if x.kind == "dimension"]
        for link in dimensions:
            verb = VERB_BEFORE_OBJECT.search(parse.text[: link.start])
            others = [x for x in dimensions if x.entries[0].target != link.entries[0].target]
            if verb is None or not others:
                continue
            parse.links = [x for x in parse.links if x is not link]
            parse.read_spans += [verb.span(), (link.start, link.end)]

    @staticmethod
    def _take_crossed(parse: Parse) -> None:
        """按性别和年龄段交叉看, gender crossed with age group: two groupings together, which
        naming both already is."""
        for found in CROSSED.finditer(parse.text):
            if sum(1 for x in parse.links if x.kind == "dimension") >= 2:
                parse.read_spans.append(found.span())

    def _groups_of_picked(self, parse: Parse, query: SemanticQuery) -> bool:
        """都是什么年龄段的, 分布在哪些城市等级, the age distribution of them: the groups the
        people a condition picks fall into are asked (a distribution word, or which group
        they are in), not each group's share of such people."""
        grouped = [
            x
            for x in parse.links
            if x.kind == "dimension"
            and x.entries[0].target in query.dimensions
            and not self.layer.is_key(x.entries[0].target)
        ]
        if not grouped:
            return False
        if parse.has("distribution"):
            return True
        return any(WHICH_GROUP.search(parse.text[max(0, x.start - 6) : x.start]) for x in grouped)

    def _whole_is_the_counted(self, parse: Parse) -> bool:
        """占全部流失用户的比例, share of all of them: the whole a share names is all the
        people counted, not the people of a period (占各等级去年买家的比例) - said with 全部 or
        all, or asked as how they are spread (分布) with no whole named."""
        share = parse.cue("share")
        if share is None:
            return False
        opened = parse.text.rfind("占", max(0, share.start - 16), share.end)
        start = opened if opened >= 0 else share.start
        whole = parse.text[start : share.end]
        if any(start <= t.span[0] < share.end for t in parse.found_times):
            return False
        if ALL_OF_THEM.search(whole) or ALL_OF_THEM.match(parse.text, share.end):
            return True
        return opened < 0 and parse.has("distribution")

    @staticmethod
    def _people_share(query: SemanticQuery) -> bool:
        """A share asked of people a condition picks, or of what they account for (their
        GMV in all GMV): the figures beside the condition's are totals of theirs."""
        return bool(query.metric_filters) and not query.ratios

    @staticmethod
    def _conditioned_asked(parse: Parse, query: SemanticQuery) -> list[str]:
        """The metrics of the conditions that are also asked as a figure, in a clause with
        no comparison (how many spent over ¥10,000, and how much GMV did they account for)."""
        clauses = [m.span() for m in CLAUSE_OF_FIGURE.finditer(parse.text)]
        compared = [(a, b) for a, b in clauses if any(a <= c.start < b for c in parse.comparisons)]
        conditioned = {f.metric for f in query.metric_filters}
        return list(
            dict.fromkeys(
                x.entries[0].target
                for x in parse.links
                if x.kind == "metric"
                and x.entries[0].target in conditioned
                and not any(a <= x.start < b for a, b in compared)
            )
        )

    @staticmethod
    def _total_compared(parse: Parse) -> bool:
        """一共超过100万了吗: a total compared, in the clause of a comparison; 一共贡献了多少成交额
        in a clause of its own asks the total of the people the comparison picked."""
        clauses = [m.span() for m in re.finditer(r"[^，,；;？?。]+", parse.text)]
        compared = [(a, b) for a, b in clauses if any(a <= c.start < b for c in parse.comparisons)]
        # how much did customers with 3+ orders spend in total: a figure asked of those
        # the comparison picks, not a total compared
        # (people who spent more than 5000 in total: each one's total, not the whole's)
        return any(
            TOTAL_WORD.search(TOTAL_OF_PEOPLE.sub("", parse.text[a:b]))
            and not FIGURE_ASKED.search(parse.text[a:b])
            and not (PEOPLE_NOUN.search(parse.text[a:b]) or USER_WORDS.search(parse.text[a:b]))
            for a, b in compared
        )

    @staticmethod
    def _share_part(parse: Parse, values: dict[str, list[Picked]], group: list[str]) -> str | None:
        """came from 美妆, 来自美妆: the value a share within each group is of; and a value
        named after the groups (各城市等级的买家里新客占比, what share of buyers in each
        city tier were new): its share within each. A value before them (新客在各城市等级
        的占比) is shared across them."""
        grouped_at = min(
            (x.start for x in parse.links if x.kind == "dimension" and x.entries[0].target in group),
            default=None,
        )
        first_at: dict[str, int] = {}
        for x in parse.links:
            for e in x.entries:
                if e.kind == "value":
                    first_at.setdefault(e.target, x.start)
        found: list[tuple[Link, str]] = []
        for x in parse.links:
            # 抖音 is a channel and a register channel: the one the values picked
            picked = next((e.target for e in x.entries if e.kind == "value" and e.target in values), None)
            if picked is None or picked in group:
                continue
            # 美妆下面各个子品类占美妆总GMV: named before the groups too, it is their whole
            after = grouped_at is not None and first_at[picked] > grouped_at
            if SHARE_FROM.search(parse.text[: x.start]) or after:
                found.append((x, picked))
        # 各省美妆买家里女性占比: the value said as the people it is among (美妆买家里) is the
        # whole each share is of; the other is the part
        parts = [(x, p) for x, p in found if not AMONG_AFTER.match(parse.text, x.end)]
        return (parts or found)[0][1] if found else None

    @staticmethod
    def _values_or_joined(parse: Parse, values: dict[str, list[Picked]]) -> str | None:
        """金卡会员或钻石会员, gold or diamond members: values of one dimension said as either
        of them, the words that join them; None when no two are."""
        several = {d for d, picked in values.items() if len(picked) > 1}
        named = sorted(
            (x for x in parse.links if x.kind == "value" and x.entries[0].target in several),
            key=lambda x: x.start,
        )
        for before, after in itertools.pairwise(named):
            if before.entries[0].target == after.entries[0].target and EITHER.fullmatch(
                parse.text[before.end : after.start]
            ):
                return parse.text[before.start : after.end]
        return None

    @staticmethod
    def _focused(parse: Parse, values: dict[str, list[Picked]]) -> str:
        """The dimension whose value a share is asked of: the only one; in English the
        last named (what % of X were Y); in Chinese the one next to the share word (X中Y占比)."""
        if len(values) == 1:
            return next(iter(values))
        # 华为在手机数码各品牌中排第几, 宁波 among the cities of 浙江: the value of the
        # dimension the question names as the whole it is among
        # (手机数码品类里: a dimension word right after its own value names that value's
        # container, not a whole to rank or share among)
        named_values = {(x.end, x.entries[0].target) for x in parse.links if x.entries[0].kind == "value"}
        # 城市等级是一线的买家: a dimension word naming the value said right after it
        value_after = {
            (x.start, x.entries[0].target)
            for x in parse.links
            for y in parse.links
            if y.entries[0].kind == "value"
            and y.entries[0].target == x.entries[0].target
            and NAMES_VALUE.fullmatch(parse.text[x.end : y.start])
        }
        among = [
            x.entries[0].target
            for x in parse.links
            if x.entries[0].kind == "dimension"
            and x.entries[0].target in values
            and (x.start, x.entries[0].target) not in named_values
            and (x.start, x.entries[0].target) not in value_after
        ]
        if len(among) == 1:
            return among[0]
        named = [x for x in parse.links if x.entries[0].kind == "value" and x.entries[0].target in values]
        # 手机在手机数码里的占比: the value written as the container (…里, …中, within …) is
        # the whole the share is taken of, never the part asked
        container_words = {x.start: x.end for x in parse.links if x.entries[0].kind == "dimension"}
        parts = [
            x
            for x in named
            if not WITHIN_AFTER.match(parse.text[container_words.get(x.end, x.end) :])  # 手机数码(品类)里
        ]
        if parts and len(parts) < len(named):
            named = parts
        cue = parse.cue("share")
        # what % of new customers came from 抖音: a share asked in English is of the last
        # value named, whatever language the values are written in
        english = cue is not None and re.search(r"[a-z%]", cue.text) is not None
        if english:
            # a value of two dimensions (抖音: a channel, a registration channel) by the one
            # the question picked
            named = [
                replace(x, entries=tuple(sorted(x.entries, key=lambda e: e.target not in values)))
                for x in parse.links
                if x.entries[0].kind == "value" and any(e.target in values for e in x.entries)
            ]
        if parse.language not in SHARE_BESIDE_VALUE or english or not named:
            return named[-1].entries[0].target if named else next(iter(values))
        at = cue.start if cue else len(parse.text)
        return min(named, key=lambda x: abs(at - x.end)).entries[0].target

    @staticmethod
    def _versus_previous(parse: Parse) -> TimeMatch | None:
        """This month vs last month, 本周和上周: a calendar period compared with the one
        just before it (period over period)."""
        if len(parse.times) != 2:
            return None
        written = sorted(parse.times, key=lambda t: t.span[0])
        # 二季度比一季度: two periods with a comparison word between them
        between = parse.text[written[0].span[1] : written[1].span[0]]
        if not parse.has("compare", "pop") and not PERIODS_COMPARED.fullmatch(between):
            return None
        first, second = sorted(parse.times, key=lambda t: t.range.start or parse.as_of)
        if first.unit is None or first.unit != second.unit or first.range.end is None:
            return None
        follows = second.range.start == first.range.end + dt.timedelta(days=1)
        return second if follows and first.unit in {"week", "month", "quarter"} else None

    @staticmethod
    def _named_periods_compared(parse: Parse) -> tuple[TimeMatch, TimeMatch] | None:
        """今年618和去年618放在一起对比, 2026年3月和2025年3月对比: the same period of two
        years named with a comparison word, the later compared with the earlier (year
        over year) as given (a campaign's dates differ from year to year). Two whole
        years stay a series by year (2024年和2025年的GMV对比), periods further apart two
        answers."""
        if len(parse.times) != 2 or not parse.has("compare", "yoy", "pop"):
            return None
        earlier, later = sorted(parse.times, key=lambda t: t.range.start or parse.as_of)
        first, last = earlier.range, later.range
        if None in (first.start, first.end, last.start, last.end) or first.end >= last.start:  # type: ignore[operator]
            return None
        assert first.start is not None and last.start is not None
        year_before = (
            first.start.year == last.start.year - 1
            and abs((first.start.replace(year=last.start.year) - last.start).days) <= 31
        )
        return (later, earlier) if year_before and later.unit != "year" else None

    @staticmethod
    def _versus_last_year(parse: Parse) -> TimeMatch | None:
        """618 this year vs last year, this quarter vs the same quarter last year: one
        period compared with the same dates a year before (year over year)."""
        if not parse.has("compare", "yoy") or len(parse.times) < 2:
            return None
        last_year = dt.date(parse.as_of.year - 1, 1, 1)
        years = [t for t in parse.times if t.unit == "year" and t.range.start == last_year]
        # year to date vs the same period last year; a named whole year is a period of its own
        others = [
            t
            for t in parse.times
            if t not in years
            and (t.unit != "year" or (t.range.start and t.range.start.year == parse.as_of.year))
        ]
        return others[0] if years and len(others) == 1 else None

    def _ranked(self, query: SemanticQuery, parse: Parse, cue: Cue) -> SemanticQuery:
        ranking = [c for c in parse.cues if c.kind in {"top", "bottom", "hot"}]
        limit = next(
            (c.number for c in ranking + [c for c in parse.cues if c.kind == "count"] if c.number), None
        )
        if limit is None:
            limit = 10 if self._plural(parse, ranking) else 1
        # 买家数不少于500的省份里复购率最高的5个: ranked by the figure said beside the ranking
        beside = [
            x.entries[0].target
            for x in parse.links
            if x.kind == "metric"
            and x.entries[0].target in query.metrics
            and (0 <= cue.start - x.end <= 2 or 0 <= x.start - cue.end <= 2)
        ]
        ranked = beside[0] if len(set(beside)) == 1 else query.metrics[0]
        order = [OrderBy(field=ranked, desc=cue.kind != "bottom")]
        numbered = any(c.number for c in ranking + [c for c in parse.cues if c.kind == "count"])
        # in each province, which city had the most buyers: the top one of each group
        each = len(query.dimensions) >= 2 and any(
            x.kind == "dimension"
            and re.search(r"\b(?:in|for|within) each\s+$|每个\s*$", _before_values(parse, x))
            for x in parse.links
        )
        grouped_each = any(
            x.kind == "dimension"
            and x.entries[0].target in {d.rpartition(".")[2] for d in query.dimensions}
            and EACH_GROUP_BEFORE.search(_before_values(parse, x))
            for x in parse.links
        )
        if query.time_grain and query.dimensions and grouped_each and not EACH_BUCKET.search(parse.text):
            # 每个品类单日销量最高到过多少, the lowest monthly GMV of each category: the
            # buckets ranked within each group (each group's best day), not the groups
            # within each bucket, nor the single best pair
            by_group = [OrderBy(field=d.rpartition(".")[2], desc=False) for d in query.dimensions]
            return query.model_copy(
                update={
                    "rank": query.metrics[:1],
                    "rank_within": list(query.dimensions),
                    "rank_buckets": True,
                    "rank_keep": ("<=", limit),
                    "rank_ascending": cue.kind == "bottom",
                    "order_by": [*by_group, *order],
                    "limit": None,
                }
            )
        if query.time_grain and query.dimensions and EACH_BUCKET.search(parse.text) and not grouped_each:
            # 每月GMV最高的渠道, the top 3 brands each month: the groups ranked within each bucket
            return query.model_copy(
                update={
                    "rank": query.metrics[:1],
                    "rank_keep": ("<=", limit),
                    "rank_ascending": cue.kind == "bottom",
                    "order_by": [OrderBy(field=query.time_grain, desc=False), *order],
                    "limit": None,
                }
            )
        if (numbered or each) and len(query.dimensions) >= 2 and not query.time_grain:
            # 每个品类销量前3的商品, top 3 brands in each category, 每个渠道垫底的2个省份: the
            # top (or bottom) N within each value of the other dimensions, not the N
            # largest pairs
            ranked = self._ranked_dimension(parse, cue, query.dimensions)
            # the groups named with "each" (in each warehouse) are those ranked within
            within = self._named_each(parse, query.dimensions) or [d for d in query.dimensions if d != ranked]
            by_group = [OrderBy(field=d.rpartition(".")[2], desc=False) for d in within]
            return query.model_copy(
                update={
                    "rank": query.metrics[:1],
                    "rank_within": within,
                    "rank_keep": ("<=", limit),
                    "rank_ascending": cue.kind == "bottom",
                    "order_by": [*by_group, *order],
                    "limit": None,
                }
            )
        return query.model_copy(update={"order_by": order, "limit": limit})

    @staticmethod
    def _named_each(parse: Parse, dimensions: list[str]) -> list[str]:
        """for each channel, 每个渠道, 各省: the dimensions named one group at a time, when
        not all of them are (the others are what is ranked within them)."""
        named = [
            d
            for d in dimensions
            if any(
                x.kind == "dimension"
                and x.entries[0].target == d.rpartition(".")[2]
                and EACH_GROUP_BEFORE.search(_before_values(parse, x))
                for x in parse.links
            )
        ]
        # separately for men and for women, 男女分别: the values' dimension, one at a time
        for x in parse.links:
            before = SEPARATELY_BEFORE.search(parse.text[: x.start])
            name = next(
                (d for d in dimensions if x.kind == "value" and x.entries[0].target == d.rpartition(".")[2]),
                None,
            )
            if name is not None and before is not None and name not in named:
                named.append(name)
                parse.read_spans.append(before.span())
        return named if len(named) < len(dimensions) else []

    @staticmethod
    def _ranked_dimension(parse: Parse, cue: Cue, dimensions: list[str]) -> str:
        """The dimension a top N ranks: the one named right after the ranking words (前3的
        商品, top 3 brands), else the nearest before them."""
        named = [
            (x.start, d)
            for x in parse.links
            for d in dimensions
            if x.entries[0].kind == "dimension" and x.entries[0].target == d.rpartition(".")[2]
        ]
        after = sorted((start, d) for start, d in named if start >= cue.end)
        before = sorted(((start, d) for start, d in named if start < cue.start), reverse=True)
        return (after or before or [(0, dimensions[-1])])[0][1]

    def _thresholds(self, parse: Parse, query: SemanticQuery) -> list[MetricFilter]:
        """GMV超过100万的省份: a condition on the metric of each group (a total is not
        filtered). A comparison binds to the metric written just before it (订单数超过
        1000且GMV低于50万), else to the one just after it, else to the first asked."""
        if not query.dimensions and not query.time_grain:
            return []
        filters: list[MetricFilter] = []
        sales = next(iter(self._word("sales")), None)
        for comparison in parse.comparisons:
            metric = self._bound_metric(parse, comparison, query.metrics)
            spent = SPENT_BEFORE.search(parse.text[: comparison.start])
            if spent is not None and sales in query.metrics and comparison.start not in parse.bound:
                metric = sales  # 累计花了5000以上: what was spent, whatever figure is named before
                parse.read_spans.append(spent.span())
            if metric is None:
                continue
            value = comparison.value
            found = self.layer.metric(metric)
            if found is not None and found.format == "count" and MONEY.search(comparison.text):
                # orders above 4,000 yuan: an amount is no number of orders (asked back, even
                # beside another condition that is read)
                parse.unread.append(comparison.text)
                continue
            if found is not None and found.format == "percent" and not comparison.percent and value > 1:
                value /= 100  # 退款率高于5: a rate is a fraction, so 5 means 5%
            filters.append(MetricFilter(metric=metric, op=comparison.op, value=value))
        return filters

    def _other_rows_counted(self, parse: Parse, comparison: Comparison, metrics: list[str]) -> str | None:
        """more than 25 different products, 超过150款: a number of rows of their own,
        which only a distinct count of them can be compared with; the words, when the
        metric the number would bind to counts something else."""
        counted = COUNTED_ROWS.match(parse.text, comparison.end)
        metric = self._bound_metric(parse, comparison, metrics)
        if counted is None or metric is None or any(d.name == metric for d in parse.distinct):
            return None
        measured = self.layer.measure_of(metric)
        named = next((x for x in parse.links if counted.start() <= x.start < counted.end()), None)
        home = self._dimension_home(named.entries[0].target) if named and named.kind == "dimension" else None
        # buyers counts users: at least 3 different categories is not a number of users
        counts_them = home is None or (measured is not None and measured[0].name == home[0].name)
        if measured is not None and measured[1].agg == "count_distinct" and counts_them:
            return None
        return parse.text[comparison.start : counted.end()]

    @staticmethod
    def _bound_metric(parse: Parse, comparison: Comparison, metrics: list[str]) -> str | None:
        if DURATION_AFTER.match(parse.text, comparison.end) and not any(
            DURATION_NAMED.search(x.text) for x in parse.links if x.kind == "metric"
        ):
            # no more than 7 days after signing up, 超过90天没下单: a length of time, which
            # bounds no figure but one that is a length of time (days to ship)
            return None
        if parse.bound.get(comparison.start) in metrics:
            return parse.bound[comparison.start]  # more than 2 refunds: their count
        named = [x for x in parse.links if x.entries[0].kind == "metric" and x.entries[0].target in metrics]
        before = [x for x in named if x.end <= comparison.start]
        after = [x for x in named if x.start >= comparison.end]
        if after and not parse.text[comparison.end : after[0].start].strip():
            return after[0].entries[0].target  # fewer than 1000 units sold: the unit is the metric
        if before:
            return before[-1].entries[0].target
        if after:
            return after[0].entries[0].target
        return metrics[0] if metrics else None

    def _periods_compared(self, base: SemanticQuery, parse: Parse) -> list[Step]:
        """2024年和2025年对比: periods of one calendar unit that follow each other are one
        query grouped by that unit; other periods get a query each."""
        periods = sorted(parse.times, key=lambda t: t.range.start or parse.as_of)
        units = {t.unit for t in periods}
        contiguous = all(
            a.range.end is not None and b.range.start == a.range.end + dt.timedelta(days=1)
            for a, b in itertools.pairwise(periods)
        )
        if len(units) == 1 and None not in units and contiguous:
            span = TimeRange(start=periods[0].range.start, end=periods[-1].range.end)
            query = base.model_copy(update={"time_range": span, "time_grain": periods[0].unit})
            return [Step(title=self.title(query, parse.language), query=query)]
        return [
            Step(
                title=f"{t.text} {self.title(base, parse.language)}",
                query=base.model_copy(update={"time_range": t.range}),
            )
            for t in periods
        ]

    def _plural(self, parse: Parse, ranking: list[Cue]) -> bool:
        """Does "the highest" ask for one (最高的渠道, which province) or a list
        (热销商品, 排名, which provinces)? An unnamed top-N is 10."""
        if SINGULAR.search(parse.text):
            return False
        dimensions = [link for link in parse.links if link.entries[0].kind == "dimension"]
        hot = any(c.kind == "hot" for c in ranking)
        if hot and parse.language in NOUNS_WITH_NUMBER and dimensions and not PLURAL_WORDS.search(parse.text):
            # the best-selling product: one; best-selling products: a list
            return any(link.text.endswith("s") for link in dimensions)
        if PLURAL_WORDS.search(parse.text) or hot:
            return True
        if parse.language in NOUNS_WITH_NUMBER:
            # top products, which provinces: the noun's number; "top" with no noun is a list
            if dimensions:
                return any(link.text.endswith("s") for link in dimensions)
            return bool(re.search(r"\btop\b", parse.text))
        return False

    def _take_profile_breakdown(self, parse: Parse) -> None:
        """The gender and age breakdown of customers who spent over 5,000: two sides of the
        profile or more, broken down, of people a condition picks, are their profile."""
        breakdown = parse.cue("distribution")
        if (
            breakdown is None
            or parse.has("profile")
            or self.layer.reading.profile is None
            or not parse.comparisons
            or len(self._profile_sides(parse)) < 2
        ):
            return
        parse.cues = [replace(c, kind="profile") if c is breakdown else c for c in parse.cues]

    def _profile_sides(self, parse: Parse) -> list[str]:
        """性别、年龄、城市等级: the sides of the profile the question names (none: all of them)."""
        named = {x.entries[0].target.rpartition(".")[2] for x in parse.links if x.kind == "dimension"}
        return [d for d in self._profile.dimensions if d.rpartition(".")[2] in named]

    def _profile_groupings(self, parse: Parse) -> list[list[str]]:
        """The groupings a profile is shown by: each side of it on its own, or the sides
        named as one grouping (headcount by gender and age group, 按性别和年龄段) together."""
        sides = self._profile_sides(parse)
        if len(sides) < 2:
            return [[d] for d in sides or self._profile.dimensions]
        named = sorted(
            (x for x in parse.links if x.kind == "dimension" and x.entries[0].target in sides),
            key=lambda x: x.start,
        )
        joined = all(
            SIDES_JOINED.fullmatch(parse.text[before.end : after.start])
            for before, after in itertools.pairwise(named)
        )
        if joined and SIDES_GROUPED_BY.search(parse.text[max(0, named[0].start - 6) : named[0].start]):
            return [[x.entries[0].target for x in named]]
        return [[d] for d in sides]

    def _conditioned_profile(self, base: SemanticQuery, parse: Parse, people: list[str]) -> list[Step]:
        """付款了2单及以上的那批人的画像: the people who meet the condition, counted by each
        attribute of the profile."""
        steps = []
        for grouping in self._profile_groupings(parse):
            query = base.model_copy(
                update={
                    "dimensions": [*grouping, *people],
                    "order_by": [OrderBy(field=d, desc=False) for d in grouping],
                    "count_groups": True,
                    "share": [],
                }
            )
            steps.append(Step(title=self.title(query, parse.language), query=query))
        return steps

    def _profile_steps(self, base: SemanticQuery, parse: Parse, *, ranked: bool) -> list[Step]:
        steps: list[Step] = []
        profile_filters = list(base.filters)
        feed: Feed | None = None
        if ranked:
            steps.append(Step(title=self.title(base, parse.language), query=base))
            feed = Feed(source=0, column=base.dimensions[0], dimension=base.dimensions[0])
        for grouping in self._profile_groupings(parse):
            query = SemanticQuery(
                metrics=[self._profile.metric],
                dimensions=grouping,
                time_range=base.time_range,
                filters=profile_filters,
                share=[self._profile.metric],
                order_by=[OrderBy(field=d, desc=False) for d in grouping],
            )
            steps.append(Step(title=self.title(query, parse.language), query=query, feed=feed))
        return steps

    def _additive(self, metric: str) -> bool:
        found = self.layer.metric(metric)
        return (
            found is not None and found.format in {"currency", "count"} and not isinstance(found, RatioMetric)
        )

    def _term_filters(self, parse: Parse) -> list[Filter]:
        filters: list[Filter] = []
        for link in parse.links:
            for entry in link.entries[:1]:
                term = (
                    next((t for t in self.layer.terms if t.name == entry.target), None)
                    if entry.kind == "term"
                    else None
                )
                if term is not None:
                    filters += [Filter(dimension=f.dimension, op=f.op, values=f.values) for f in term.filters]
        return filters

    def _time_range(self, parse: Parse) -> tuple[TimeRange, str]:
        if parse.times:
            match = parse.times[0]
            if parse.datings and match.whole_end and match.range.end == parse.as_of:
                # orders due in May: due dates run ahead of the data, so the whole month
                return match.range.model_copy(update={"end": match.whole_end}), match.text
            return match.range, match.text
        for link in parse.links:
            term = next(
                (t for t in self.layer.terms if t.name == link.entries[0].target and t.last_days), None
            )
            if link.entries[0].kind == "term" and term is not None and term.last_days:
                start = parse.as_of - dt.timedelta(days=term.last_days - 1)
                return TimeRange(start=start, end=parse.as_of), link.text
        return TimeRange(end=parse.as_of), ""

    @staticmethod
    def _comparison_default(parse: Parse) -> tuple[TimeRange, str]:
        """A comparison needs a period: 同比 without one compares the year to date with
        the same days last year, 环比 the month to date with the month before (a trend
        compares each period of this year). The interpretation names the period."""
        as_of = parse.as_of
        month = not parse.has("yoy") and not parse.has("trend", "grain")
        start = as_of.replace(day=1) if month else as_of.replace(month=1, day=1)
        text = say("reading.default_month" if month else "reading.default_year_to_date", parse.language)
        return TimeRange(start=start, end=as_of), text

    @staticmethod
    def _grain(parse: Parse, time_range: TimeRange) -> Grain | None:
        explicit = next((c.grain for c in parse.cues if c.kind == "grain" and c.grain), None)
        if explicit:
            return explicit
        unit = next((m for c in parse.cues if c.kind == "pop" and (m := STEP_OVER_STEP.search(c.text))), None)
        if unit is not None and time_range.start is not None and time_range.end is not None:
            # month over month this quarter, 逐月环比: each month against the one before it
            grain = STEP_GRAINS[next(g for g in unit.groups() if g)]
            if grain_start(time_range.start, grain) != grain_start(time_range.end, grain):
                return grain
        if not parse.has("trend"):
            return None
        if time_range.start is None or time_range.end is None:
            return "month"
        days = (time_range.end - time_range.start).days + 1
        return "day" if days <= 31 else "week" if days <= 92 else "month"

    # -- words -------------------------------------------------------------------------------------
    def _label(self, metric: str, language: Language) -> str:
        """The metric's label in the language, else in the other one, else its name
        (a drafted layer leaves Chinese labels empty)."""
        found = self.layer.metric(metric)
        return (found.label.text(language) or metric) if found else metric

    def _distinct_label(self, count: DistinctCount, language: Language) -> str:
        """不同商品数: the label the count has as a metric (nlq.semantic.distinct)."""
        try:
            metric = with_distinct_counts(self.layer, [count], self.graph).metric(count.name)
        except QueryError:
            return count.name
        return metric.label.text(language) if metric else count.name

    def _dimension_label(self, name: str, language: Language) -> str:
        home = self._dimension_home(name)  # users.user_id as well as user_id
        dimension = home[0].dimension(home[1]) if home else None
        return (dimension.label.text(language) or name) if dimension else name

    def title(self, query: SemanticQuery, language: Language) -> str:
        constructed = self.layer.funnel(query.funnel or "") or self.layer.cohort(query.cohort or "")
        names = [constructed.label.text(language)] if constructed else []
        counted = {d.name: self._distinct_label(d, language) for d in query.distinct}
        labels = [counted.get(m) or self._label(m, language) for m in query.metrics]
        metrics = listed([*names, *labels], language)
        if not query.dimensions:
            return metrics
        if query.focus:  # 美妆占GMV的比例: the focused values, not every category
            values = listed((str(v) for f in query.focus for v in f.values), language)
            return say("reading.title_focus", language, values=values, metrics=metrics)
        dims = listed((self._dimension_label(d, language) for d in query.dimensions), language)
        if query.count_groups and not metrics:
            return say("reading.title_counted", language, dimensions=dims)
        if query.count_groups:
            return say("reading.title_count_groups", language, dimensions=dims, metrics=metrics)
        return say("reading.title_by", language, dimensions=dims, metrics=metrics)


# Irregular English verb forms of a funnel's steps (pay -> paid).
IRREGULAR = {"pay": "paid", "buy": "bought", "add": "added"}


def _inflected(word: str) -> str:
    """A regular expression for an English word in its plain, -s, -ed and -ing forms."""
    forms = [re.escape(word) + r"(?:s|es|ed|d|ing)?"]
    if word in IRREGULAR:
        forms.append(re.escape(IRREGULAR[word]))
    return "(?:" + "|".join(forms) + ")"


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _uncovered(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """The text between start and end outside the spans (3笔已支付订单: 已支付 is a value)."""
    return "".join(ch for i, ch in enumerate(text[start:end], start) if not any(a <= i < b for a, b in spans))


def _ends_with_word(name: str, word: str) -> bool:
    """商品名称 ends with 名称, "product name" with "name" (a whole word), "username" not."""
    if name == word or not name.endswith(word):
        return False
    before = name[: -len(word)]
    return not word.isascii() or before.endswith(" ")


def _before_values(parse: Parse, link: Link) -> str:
    """The text before a link and the values written onto it: "for each" of "for each
    美妆 brand"."""
    start = link.start
    for value in sorted(
        (x for x in parse.links if x.kind == "value" and x.end <= start), key=lambda x: -x.end
    ):
        if parse.text[value.end : start].strip():
            break
        start = value.start
    return parse.text[:start]
