"""Questions nlq refuses before understanding them: writes and DDL, file or
network access, credentials, prompt injection, bulk personal data and
requests that are not analytics. The compiled SQL is checked again later;
this screen answers the user early and in their language."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

MAX_LENGTH = 500

RULES: list[tuple[str, re.Pattern[str], str, str]] = [
    (
        "sql",
        re.compile(r"\bselect\b[\s\S]*\bfrom\b|;\s*--|\bunion\s+(all\s+)?select\b", re.IGNORECASE),
        "请用自然语言提问，例如“上个月各渠道的成交额”；nlq 不直接执行用户输入的 SQL。",
        'Please ask in plain words, e.g. "GMV by channel last month"; nlq does not run SQL typed into the question.',
    ),
    (
        "write",
        re.compile(
            r"\b(delete\s+from|drop\s+(table|database|schema|view|index)|truncate\b|update\s+\w+\s+set|insert\s+into|"
            r"alter\s+table|create\s+(table|view|database|user|index)|grant\s|revoke\s|attach\s|detach\s|"
            r"install\s|load\s+\w|pragma\s|copy\s+\w+\s+(to|from)|merge\s+into)"
            r"|\b(delete|remove|erase|wipe|drop|modify|alter|overwrite|insert)\s+(all\s+|the\s+|every\s+|some\s+)?(\w+\s+)?"
            r"(orders?|users?|records?|rows?|data|tables?|products?|database|refunds?)\b"
            r"|\b(?:set|change|update|raise|lower|reset)\s+(?:the\s+)?[\w ]{1,40}?\s+(?:to|=)\s+\d"
            r"|删|清空|清除数据|修改|篡改|插入|新增一条|改成|改为|设为|设置为|调整为|更新为|写入|建表|(新建|创建|建立|新增|建)(一张|一个)?新?的?(数据)?表",
            re.IGNORECASE,
        ),
        "nlq 只读取数据，不能修改、删除或新建任何数据和表。",
        "nlq only reads data: it cannot change, delete or create data or tables.",
    ),
    (
        "files",
        re.compile(
            r"read_(csv|parquet|json)|glob\s*\(|/etc/|passwd|\.\./|\bfile://|https?://|ftp://|"
            r"导出到|写到文件|保存到文件|文件系统|本地文件|读取文件|shell|命令行|\bexec\b|system\(",
            re.IGNORECASE,
        ),
        "nlq 不能访问文件、网络或执行系统命令，只能回答数据分析问题。",
        "nlq cannot access files, the network or system commands; it only answers analytics questions.",
    ),
    (
        "credentials",
        re.compile(
            r"密码|口令|密钥|凭证|连接串|数据库账号|password|credential|secret|api[ _-]?key|access[ _-]?token|"
            r"connection string|dsn\b",
            re.IGNORECASE,
        ),
        "出于安全原因，nlq 不会提供任何密码、密钥或连接信息。",
        "For security reasons nlq never reveals passwords, keys or connection details.",
    ),
    (
        "injection",
        re.compile(
            r"忽略(之前|以上|上面|前面|所有)|无视(之前|以上|规则)|系统提示|提示词|你现在是|扮演|越狱|"
            r"ignore (all |any )?(the )?(previous|prior|above|earlier)|disregard (the |all )?(previous|prior|above|rules)|"
            r"system prompt|you are now|jailbreak|developer mode|pretend to be|act as",
            re.IGNORECASE,
        ),
        "这个请求试图改变 nlq 的规则，无法执行。请直接提出数据分析问题。",
        "This request tries to change nlq's rules and cannot be carried out. Please ask an analytics question.",
    ),
    (
        "personal data",
        re.compile(
            r"(所有|全部|全体|每个|每位|批量|导出|列出|all|every|list|export|dump).{0,12}"
            r"(手机号|电话号码|电话|身份证|住址|家庭地址|真实姓名|姓名|phone numbers?|phones|names|addresses|emails?|id numbers?)",
            re.IGNORECASE,
        ),
        "出于个人信息保护（PIPL），不能批量查询或导出用户的手机号、姓名等个人信息。",
        "To protect personal information (PIPL), nlq does not list or export users' phone numbers, names or similar data.",
    ),
    (
        "off-topic",
        re.compile(
            r"天气|写一首|写首|作诗|讲个笑话|笑话|翻译一下|菜谱|星座|彩票|股价|"
            r"\bweather\b|\bpoem\b|\bjoke\b|\btranslate\b|\brecipe\b|stock price|horoscope|lottery",
            re.IGNORECASE,
        ),
        "这个问题超出了数据分析的范围。可以问我销售、订单、用户、流量、退款、评价或库存相关的问题。",
        "This question is outside what I can analyse. Ask about sales, orders, users, traffic, refunds, reviews or stock.",
    ),
]


def screen(question: str, language: Language) -> str | None:
    """The refusal message for a question nlq must not answer, else None."""
    if len(question) > MAX_LENGTH:
        return (
            f"问题太长（{len(question)} 个字符）。请用一两句话提问，不超过 {MAX_LENGTH} 个字符。"
            if language == "zh"
            else f"The question is too long ({len(question)} characters). Please ask in a sentence or two, at most {MAX_LENGTH}."
        )
    for _, pattern, zh, en in RULES:
        if pattern.search(question):
            return zh if language == "zh" else en
    return None
