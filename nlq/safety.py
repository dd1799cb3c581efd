"""Questions nlq refuses before understanding them: writes and DDL, file or
network access, credentials, prompt injection, bulk personal data and
requests that are not analytics. The compiled SQL is checked again later;
this screen answers the user early and in their language."""

from __future__ import annotations

import re
from typing import Literal

from nlq.messages import say

Language = Literal["zh", "en"]

MAX_LENGTH = 500

# Each refusal: its name, what it matches in a question, and the message that answers it.
RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "sql",
        re.compile(r"\bselect\b[\s\S]*\bfrom\b|;\s*--|\bunion\s+(all\s+)?select\b", re.IGNORECASE),
        "safety.sql",
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
        "safety.write",
    ),
    (
        "files",
        re.compile(
            r"read_(csv|parquet|json)|glob\s*\(|/etc/|passwd|\.\./|\bfile://|https?://|ftp://|"
            r"导出到|写到文件|保存到文件|文件系统|本地文件|读取文件|shell|命令行|\bexec\b|system\(",
            re.IGNORECASE,
        ),
        "safety.files",
    ),
    (
        "credentials",
        re.compile(
            r"密码|口令|密钥|凭证|连接串|数据库账号|password|credential|secret|api[ _-]?key|access[ _-]?token|"
            r"connection string|dsn\b",
            re.IGNORECASE,
        ),
        "safety.credentials",
    ),
    (
        "injection",
        re.compile(
            r"忽略(之前|以上|上面|前面|所有)|无视(之前|以上|规则)|系统提示|提示词|你现在是|扮演|越狱|"
            r"ignore (all |any )?(the )?(previous|prior|above|earlier)|disregard (the |all )?(previous|prior|above|rules)|"
            r"system prompt|you are now|jailbreak|developer mode|pretend to be|act as",
            re.IGNORECASE,
        ),
        "safety.injection",
    ),
    (
        "personal data",
        re.compile(
            r"(所有|全部|全体|每个|每位|批量|导出|列出|all|every|list|export|dump).{0,12}"
            r"(手机号|电话号码|电话|身份证|住址|家庭地址|真实姓名|姓名|phone numbers?|phones|names|addresses|emails?|id numbers?)",
            re.IGNORECASE,
        ),
        "safety.personal_data",
    ),
    (
        "off-topic",
        re.compile(
            r"天气|写一首|写首|作诗|讲个笑话|笑话|翻译一下|菜谱|星座|彩票|股价|"
            r"\bweather\b|\bpoem\b|\bjoke\b|\btranslate\b|\brecipe\b|stock price|horoscope|lottery",
            re.IGNORECASE,
        ),
        "safety.off_topic",
    ),
]


def screen(question: str, language: Language) -> str | None:
    """The refusal message for a question nlq must not answer, else None."""
    if len(question) > MAX_LENGTH:
        return say("safety.too_long", language, length=len(question), limit=MAX_LENGTH)
    for _, pattern, key in RULES:
        if pattern.search(question):
            return say(key, language)
    return None
