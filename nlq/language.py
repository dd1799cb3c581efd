"""The language of a text, as nlq answers in it: Chinese when Chinese carries the
question, English when English words do ("what share of GMV came from 美妆 last
month" names a Chinese value in an English question)."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def language_of(text: str) -> Language:
    characters = len(CJK.findall(text))
    if not characters:
        return "en"
    # Acronyms (GMV, SKU, APP) are written in Chinese questions too; a Chinese word is
    # about two characters.
    words = sum(1 for w in LATIN_WORD.findall(text) if not w.isupper())
    return "en" if 2 * words > characters else "zh"
