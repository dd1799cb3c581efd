"""Numbers as questions write them: 12, 十二, 两, 仨."""

from __future__ import annotations


def number(text: str) -> int:
    if text.isdigit():
        return int(text)
    # cn2an compiles its patterns on import (a quarter to half a second of a cold
    # start): only a question that writes a number in Chinese pays for it.
    import cn2an

    return int(cn2an.cn2an(text.replace("仨", "三").replace("俩", "两"), "smart"))
