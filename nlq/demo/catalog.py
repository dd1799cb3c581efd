"""Reference data for products, buyers' tastes, refunds and reviews."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    weight: float  # share of the assortment
    subcategories: dict[str, tuple[float, float]]  # sub-category -> (median list price, spread)
    brands: tuple[str, ...]
    series: tuple[str, ...]
    # Share of a buyer's purchases by gender (female, male): who buys what.
    female: float
    male: float
    refund: float  # probability that a paid order of this category is refunded
    reasons: tuple[float, float, float, float, float]  # 质量问题, 尺码不合适, 不想要了, 发货太慢, 描述不符
    bulk: float  # extra quantity per line (snacks and diapers come in several)


REASONS = ("质量问题", "尺码不合适", "不想要了", "发货太慢", "描述不符")

CATEGORIES: tuple[Category, ...] = (
    Category(
        "手机数码",
        0.16,
        {"手机": (3200, 0.5), "耳机": (450, 0.6), "平板": (2600, 0.45)},
        ("华为", "小米", "苹果", "OPPO", "vivo", "荣耀", "一加", "漫步者"),
        ("Pro", "Max", "青春版", "Ultra", "Air", "SE"),
        0.07,
        0.30,
        0.05,
        (0.45, 0.0, 0.25, 0.12, 0.18),
        0.0,
    ),
    Category(
        "服饰",
        0.20,
        {"女装": (260, 0.6), "男装": (240, 0.6), "童装": (150, 0.5)},
        ("优衣库", "ZARA", "太平鸟", "海澜之家", "森马", "波司登", "李宁", "安踏儿童"),
        ("经典款", "新款", "基础款", "轻奢款", "休闲款"),
        0.25,
        0.14,
        0.13,
        (0.12, 0.52, 0.18, 0.06, 0.12),
        0.1,
    ),
    Category(
        "美妆",
        0.14,
        {"护肤": (320, 0.55), "彩妆": (180, 0.5), "香水": (600, 0.45)},
        ("兰蔻", "雅诗兰黛", "欧莱雅", "完美日记", "花西子", "珀莱雅", "薇诺娜", "资生堂"),
        ("精华", "套装", "经典", "限定", "小样"),
        0.22,
        0.035,
        0.06,
        (0.25, 0.0, 0.35, 0.15, 0.25),
        0.2,
    ),
    Category(
        "家居",
        0.14,
        {"家纺": (260, 0.6), "厨具": (190, 0.6), "收纳": (70, 0.5)},
        ("无印良品", "宜家", "罗莱", "水星家纺", "苏泊尔", "九阳", "太力", "网易严选"),
        ("舒适款", "家用款", "大号", "多功能", "简约款"),
        0.14,
        0.10,
        0.05,
        (0.35, 0.1, 0.25, 0.15, 0.15),
        0.3,
    ),
    Category(
        "食品",
        0.14,
        {"零食": (45, 0.5), "饮料": (38, 0.4), "生鲜": (90, 0.6)},
        ("三只松鼠", "良品铺子", "百草味", "农夫山泉", "元气森林", "伊利", "盒马", "每日优鲜"),
        ("礼盒", "家庭装", "组合装", "尝鲜装", "量贩装"),
        0.14,
        0.17,
        0.025,
        (0.3, 0.0, 0.3, 0.3, 0.1),
        1.2,
    ),
    Category(
        "母婴",
        0.10,
        {"奶粉": (320, 0.35), "纸尿裤": (150, 0.35), "玩具": (130, 0.6)},
        ("飞鹤", "爱他美", "帮宝适", "花王", "好奇", "乐高", "贝亲", "babycare"),
        ("1段", "2段", "3段", "加大码", "益智款"),
        0.12,
        0.06,
        0.04,
        (0.35, 0.1, 0.25, 0.15, 0.15),
        0.8,
    ),
    Category(
        "运动户外",
        0.12,
        {"运动鞋": (520, 0.5), "健身器材": (380, 0.7), "户外装备": (330, 0.6)},
        ("耐克", "阿迪达斯", "李宁", "安踏", "特步", "迪卡侬", "骆驼", "探路者"),
        ("跑步款", "训练款", "轻量款", "专业版", "经典款"),
        0.06,
        0.18,
        0.08,
        (0.2, 0.42, 0.18, 0.08, 0.12),
        0.0,
    ),
)

# Purchase tilt by age group per category (multiplies the gender share).
AGE_GROUPS = ("18-24", "25-34", "35-44", "45-54", "55+")
AGE_SHARES = (0.18, 0.34, 0.25, 0.14, 0.09)
AGE_TILT: dict[str, tuple[float, float, float, float, float]] = {
    "手机数码": (1.5, 1.3, 0.9, 0.7, 0.5),
    "服饰": (1.3, 1.1, 1.0, 0.8, 0.7),
    "美妆": (1.6, 1.5, 0.8, 0.5, 0.3),
    "家居": (0.6, 1.0, 1.2, 1.3, 1.3),
    "食品": (1.0, 0.9, 1.0, 1.1, 1.5),
    "母婴": (0.2, 1.6, 1.5, 0.5, 0.3),
    "运动户外": (1.4, 1.2, 1.0, 0.8, 0.5),
}

CHANNELS = ("天猫", "京东", "抖音", "微信小程序", "APP", "线下门店")
# Channel mix at the start and the end of the data: 抖音 grows, 线下门店 shrinks.
CHANNEL_START = (0.32, 0.25, 0.10, 0.12, 0.12, 0.09)
CHANNEL_END = (0.26, 0.20, 0.24, 0.12, 0.12, 0.06)

MEMBER_LEVELS = ("普通会员", "银卡会员", "金卡会员", "钻石会员")
MEMBER_SHARES = (0.55, 0.25, 0.14, 0.06)
WAREHOUSES = ("华东仓", "华南仓", "华北仓", "西南仓")

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = tuple(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽思"
)
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)

REVIEW_TEXTS: dict[int, tuple[str, ...]] = {
    5: (
        "非常满意，质量很好",
        "物流很快，包装完好",
        "超出预期，会回购",
        "性价比很高，推荐",
        "做工精致，很喜欢",
        "和描述一致，五星好评",
    ),
    4: (
        "整体不错，值得购买",
        "质量可以，发货稍慢",
        "挺好的，就是包装一般",
        "还不错，满意",
        "用着可以，性价比还行",
    ),
    3: ("一般般，凑合用", "中规中矩，没有惊喜", "质量一般，价格偏高", "还行吧，有点小瑕疵"),
    2: ("不太满意，有瑕疵", "和图片有差距", "质量比较差", "物流太慢了，体验不好"),
    1: ("很失望，质量太差", "与描述严重不符", "收到就坏了，差评", "客服态度差，不推荐"),
}

# (name, month, first day, last day): the windows of the yearly campaigns.
CAMPAIGNS = (
    ("年货节", 1, 6, 20),
    ("38女王节", 3, 1, 8),
    ("618", 6, 1, 18),
    ("双11", 11, 1, 11),
    ("双12", 12, 1, 12),
)
# Demand on each campaign day, and on its last (peak) day, relative to a normal day.
CAMPAIGN_LIFT = {
    "年货节": (1.5, 2.0),
    "38女王节": (1.4, 3.0),
    "618": (1.6, 5.0),
    "双11": (1.8, 9.0),
    "双12": (1.3, 3.5),
}

# Descriptions the loader writes as table and column comments (COMMENT ON in
# PostgreSQL, COMMENT in MySQL), as a documented warehouse has them: `nlq
# semantic init` drafts its labels from them.
TABLE_COMMENTS = {
    "users": "用户",
    "products": "商品",
    "campaigns": "活动",
    "orders": "订单",
    "order_items": "订单明细",
    "refunds": "退款",
    "events": "行为事件",
    "inventory_snapshots": "库存快照",
    "reviews": "评价",
}
COLUMN_COMMENTS = {
    "users.user_name": "用户名",
    "users.phone": "手机号",
    "users.gender": "性别",
    "users.birth_date": "出生日期",
    "users.age_group": "年龄段",
    "users.province": "省份",
    "users.city": "城市",
    "users.city_tier": "城市等级",
    "users.member_level": "会员等级",
    "users.register_date": "注册日期",
    "users.register_channel": "注册渠道",
    "products.product_name": "商品名称",
    "products.brand": "品牌",
    "products.category": "品类",
    "products.sub_category": "子品类",
    "products.list_price": "标价",
    "products.unit_cost": "成本价",
    "products.launch_date": "上架日期",
    "products.status": "商品状态",
    "campaigns.campaign_name": "活动名称",
    "campaigns.start_date": "开始日期",
    "campaigns.end_date": "结束日期",
    "orders.order_time": "下单时间",
    "orders.pay_time": "支付时间",
    "orders.status": "订单状态",
    "orders.channel": "渠道",
    "orders.province": "收货省份",
    "orders.city": "收货城市",
    "orders.total_amount": "订单总额",
    "orders.discount_amount": "优惠金额",
    "orders.pay_amount": "实付金额",
    "order_items.quantity": "购买件数",
    "order_items.unit_price": "成交单价",
    "order_items.amount": "明细金额",
    "refunds.refund_time": "退款时间",
    "refunds.refund_amount": "退款金额",
    "refunds.reason": "退款原因",
    "events.session_id": "会话",
    "events.event_time": "事件时间",
    "events.event_type": "事件类型",
    "events.channel": "渠道",
    "inventory_snapshots.snapshot_date": "快照日期",
    "inventory_snapshots.warehouse": "仓库",
    "inventory_snapshots.stock_qty": "库存数量",
    "reviews.review_time": "评价时间",
    "reviews.rating": "评分",
    "reviews.content": "评价内容",
}
