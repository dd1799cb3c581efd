"""Accounting for every word of a question: used by the reading, a function word of
the language, or named back to the asker.

The closed lists here belong to the languages, not to any warehouse: words that
frame a question (查询, show me), that carry no filter of their own (卖, growth),
and the single characters that are verbs, measure words or particles. A word
outside them that nothing linked (拼多多, Pinduoduo, 火星) most likely names a
filter nlq cannot apply, so the reader asks instead of answering without it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# jieba's noun tags: common nouns, places, people, organisations, other proper nouns.
NOUNS = frozenset({"n", "ns", "nr", "nrt", "nrfg", "nt", "nz", "nl"})
# Words that frame a question rather than say what it asks: not a gap in the rules' reading.
FRAME_WORDS = frozenset(
    """
    查询 查 查下 查一下 统计 看看 看下 看一下 一下 显示 给我 告诉 列出 列一下 帮 帮忙 情况 数据 分别 一共
    总共 总 总计 合计 全部 所有 多少 多少钱 几 怎么样 如何 什么 哪 哪里 有没有 想 想知道 知道 要 需要 看 下
    不同 及其 以及 咋样 怎样 共 哪些 分 当前 目前 目前为止 现在 为止 用户 请 请问 麻烦 我们 我 你 咱们 公司 一些
    具体 大概 大约 左右 整体 总体 其他 其它 其余 别的 剩下 剩余 分别是 各自 里面 当中 之中 中 期间 时候 时间 的话
    历史 累计 历来 至今 贡献 产生 带来 实现 完成 达成 这两种 这几种 两种 几种 这两个 这些 那些 这几个 多少人 多少条
    多少个 多少次 多少家 几个 几条 几家 排一下 排个序 排序 排列 排个名 是谁 谁 一下子 已经 已 还 一共是 是多少 是哪个 哪个 哪一个
    please show tell give list me i we want know see find get an a is are was were do does did what which
    who how much many there it its as during had has have s so far current
    """.split()
)
# English words that carry no filter of their own: verbs of selling and buying, words
# of change and comparison, generic nouns of reports. Naming one adds nothing to filter.
ENGLISH_KNOWN = frozenset(
    """
    the and for with from by in on of to at be we you me my our us your their them they he she this that
    these those all any each every per over under into about than then also only just both either
    what which who whom whose how why when where whats what's can could would should will shall may might
    must let lets let's please show tell give list get got find see look looking want need know display
    report pull compute calculate work check break down up split across overall total totals sum
    number numbers count counts amount amounts value values figure figures stats statistics metric metrics
    data info information result results number summary breakdown level levels
    sell sells sold selling sale buy buys bought buying purchase purchases purchased purchasing spend spends
    spent spending pay pays paid paying make makes made earn earned earning bring brought generate generated
    do does did done doing have has had having be been being is are was were am go went gone come came
    growth grow grew grown growing change changes changed changing increase increased decrease decreased
    rise rose fall fell drop dropped up down compared compare comparison versus vs against relative
    year years month months week weeks day days quarter quarters period periods time times date dates
    so far far now currently current today recent recently latest last past next previous prior this
    end start beginning middle early late whole entire full
    rate ratio share percent percentage average avg mean median high higher highest low lower lowest
    big bigger biggest small smaller smallest large larger largest top bottom most least best worst
    more less fewer lot lots many much few some several various different same other others another
    rank ranked ranking order ordered ordering sorted sort sorting group grouped grouping
    there here it its it's as a an if or not no yes ok okay hi hello thanks thank
    company business store shop platform overall we've we're i'm i'd
    but yet among amongst through via within everything anything everyone something right still already
    ever all-time cumulative cumulatively sign signed signing signup signups register registered registering
    registration registrations came come coming inclusive exclusive cross crossed crossing leave leaving left
    rated rating viewed viewing record records row rows raw counting including include included excluding
    exclude excluded happen happened happening occur occurred across whose while since until till before after
    place placed placing receive received receiving handle handled handling move moved moving process processed
    book booked take took taken deliver delivered fulfil fulfilled fulfill ordered ordering who's
    one two three four five six seven eight nine ten
    """.split()
)
# Single characters that are verbs, measure words or particles: never a name by themselves.
CHINESE_KNOWN = frozenset(
    "买卖赚花用付退送收发看问查算比占增减涨跌降升多少高低大小好差新老最总共各每按给被把对从到至在为有是了着过得地的"
    "吗呢吧啊呀么台件笔个款位家次单元块份瓶盒双套支部张条名种类里内中上下前后左右第几些都还也又再就才只"
    "年月日天周季度号时分秒今去近来以之及与和或跟向往"
)
PARTICLES = frozenset("的了吗呢吧啊呀么")


def unplaced(
    tokens: Iterable[tuple[str, bool]], tag: Callable[[str], str], known: Callable[[str], bool]
) -> list[str]:
    """The words of `tokens` (word, covered) that name something nothing used.

    Chinese: a run of uncovered words with a noun in it, or with a single character
    no list knows (拼 of 拼多多, which the dictionary splits): the run is the name.
    English: a word none of the lists know, nor the caller (`known`, e.g. a table word)."""
    named: list[str] = []
    run: list[str] = []
    for word, covered in [*tokens, ("", True)]:
        word = word.strip()
        if covered or not word or all(not ch.isalnum() for ch in word):
            named += _named_run(run, tag)
            run = []
            continue
        if word.isascii():
            named += _named_run(run, tag)
            run = []
            if _english_unknown(word) and not known(word):
                named.append(word)
            continue
        run.append(word)
    return list(dict.fromkeys(named))


def _named_run(run: list[str], tag: Callable[[str], str]) -> list[str]:
    words = [w for w in run if w not in FRAME_WORDS]
    if not words:
        return []
    nouns = [w for w in words if len(w) > 1 and tag(w) in NOUNS]
    strange = [w for w in words if len(w) == 1 and w not in CHINESE_KNOWN]
    if not nouns and not strange:
        return []
    if strange:
        text = "".join(run).strip("".join(PARTICLES))
        return [text] if len(text) > 1 else []
    return nouns


def _english_unknown(word: str) -> bool:
    word = word.lower().strip("'")
    if not re.fullmatch(r"[a-z][a-z'-]*", word) or len(word) < 2:
        return False
    forms = {word, word.rstrip("s"), word[:-2] if word.endswith("es") else word, word.removesuffix("'s")}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    return not any(f in ENGLISH_KNOWN or f in FRAME_WORDS for f in forms)
