"""The language of a text, as nlq answers in it: Chinese when it has Chinese
characters, English otherwise."""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["zh", "en"]

CJK = re.compile(r"[\u4e00-\u9fff]")


def language_of(text: str) -> Language:
    return "zh" if CJK.search(text) else "en"
