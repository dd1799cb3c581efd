"""The chat page's example questions, in each language side by side (its words are in
nlq/messages/ui.yaml)."""

from __future__ import annotations

from nlq.language import Language

EXAMPLES: tuple[tuple[Language, list[str]], ...] = (
    (
        "zh",
        [
            "近三月热销商品及其用户画像",
            "今年每月的成交额趋势",
            "上个月各渠道GMV占比",
            "上季度各品类的退款率",
            "上个月GMV同比",
            "各渠道的情况怎么样",
        ],
    ),
    (
        "en",
        [
            "monthly GMV trend this year",
            "refund rate by category last quarter",
            "top 10 products by GMV last month",
            "GMV and orders by channel last month",
            "GMV last month year over year",
        ],
    ),
)
