"""Numbers as questions write them: 12, 十二, 两, 仨, twelve."""

from __future__ import annotations

ENGLISH = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "fifty": 50,
    "hundred": 100,
}
# A number word in a regex, never the start of a longer word ("ten" in "tennis").
ENGLISH_PATTERN = r"(?:" + "|".join(sorted(ENGLISH, key=len, reverse=True)) + r")\b"


ORDINALS = {
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
}


def number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text in ENGLISH:
        return ENGLISH[text]
    if text in ORDINALS:
        return ORDINALS[text]
    if text[:-2].isdigit() and text[-2:] in {"st", "nd", "rd", "th"}:
        return int(text[:-2])
    # cn2an compiles its patterns on import (a quarter to half a second of a cold
    # start): only a question that writes a number in Chinese pays for it.
    import cn2an

    return int(cn2an.cn2an(text.replace("仨", "三").replace("俩", "两"), "smart"))
