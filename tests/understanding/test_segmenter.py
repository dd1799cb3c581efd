"""The segmenter reads jieba's dictionary one first character at a time: it must cut
every question exactly as jieba with its whole dictionary does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jieba
import pytest

from nlq import segmenter
from nlq.eval.benchmark import load_benchmark
from nlq.lexicon import Lexicon, normalise
from nlq.segmenter import Prefixes, Segmenter, StoredDictionary, group, stored_dictionary
from nlq.semantic.loader import load_layer

ROOT = Path(__file__).resolve().parents[2]
USER_WORDS = ["画像", "热销", "用户画像", "近三月热销", "华东仓", "兰蔻", "小米之家"]


@pytest.fixture(scope="module")
def words() -> list[str]:
    layer = load_layer(ROOT / "nlq" / "demo" / "semantic")[0]
    lexicon = Lexicon.from_layer(layer, {"brand": ["华为", "兰蔻", "小米"], "city": ["重庆", "厦门"]})
    return [normalise(w) for w in [*lexicon.words(), *USER_WORDS] if not w.isascii()]


@pytest.fixture(scope="module")
def whole(words: list[str]) -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    for word in words:
        tokenizer.add_word(word, freq=100_000)
    return tokenizer


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NLQ_CACHE_DIR", str(tmp_path / "cache"))
    stored_dictionary.cache_clear()
    yield tmp_path / "cache"
    stored_dictionary.cache_clear()


def test_every_dev_question_is_cut_as_jieba_cuts_it(words: list[str], whole: jieba.Tokenizer) -> None:
    lazy = Segmenter()
    for word in words:
        lazy.add_word(word, freq=100_000)
    questions = [
        normalise(item.question) for item in load_benchmark(ROOT / "eval" / "benchmarks" / "dev.jsonl")
    ]
    assert len(questions) > 300
    for question in questions:
        assert list(lazy.tokenize(question, HMM=False)) == list(whole.tokenize(question, HMM=False)), question
    assert lazy.total == whole.total


def test_the_grouped_dictionary_holds_jiebas_whole_dictionary(
    whole: jieba.Tokenizer, words: list[str]
) -> None:
    lazy = Segmenter()
    for word in words:
        lazy.add_word(word, freq=100_000)
    for head in {key[:1] for key in whole.FREQ}:
        lazy.FREQ.get(head)  # any lookup loads the words that start with its first character
    assert dict(lazy.FREQ) == whole.FREQ
    # A question's first lookups load only its own characters' words.
    fresh = Segmenter()
    list(fresh.tokenize("华东仓的库存", HMM=False))
    assert 0 < len(fresh.FREQ) < len(whole.FREQ) / 20


def test_a_word_added_after_its_characters_loaded_takes_effect_at_once() -> None:
    lazy = Segmenter()
    before = [w for w, _, _ in lazy.tokenize("小米之家的销量", HMM=False)]
    lazy.add_word("小米之家", freq=100_000)
    after = [w for w, _, _ in lazy.tokenize("小米之家的销量", HMM=False)]
    assert "小米之家" not in before
    assert after[0] == "小米之家"
    # jieba's own paths stay: a word without a frequency gets the one jieba suggests.
    lazy.add_word("之家的销")
    assert lazy.FREQ["之家的销"] > 0


def test_the_dictionary_is_built_once_then_read_from_the_cache(cache_dir: Path) -> None:
    built = stored_dictionary()
    files = list(cache_dir.glob("jieba-*.dict"))
    assert len(files) == 1
    stored_dictionary.cache_clear()
    again = stored_dictionary()
    assert again is not built and again.total == built.total
    assert again.words("销") == built.words("销") and "销量" in again.words("销")


def test_a_damaged_cache_file_is_rebuilt(cache_dir: Path) -> None:
    total = stored_dictionary().total
    (path,) = cache_dir.glob("jieba-*.dict")
    path.write_bytes(path.read_bytes()[:1000])
    stored_dictionary.cache_clear()
    assert stored_dictionary().total == total
    assert path.stat().st_size > 1_000_000
    path.write_bytes(b"something else")
    stored_dictionary.cache_clear()
    assert stored_dictionary().total == total


def test_an_unwritable_cache_directory_keeps_the_dictionary_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("NLQ_CACHE_DIR", str(blocker / "cache"))
    stored_dictionary.cache_clear()
    try:
        tokens = [w for w, _, _ in Segmenter().tokenize("近三月热销商品", HMM=False)]
    finally:
        stored_dictionary.cache_clear()
    assert "".join(tokens) == "近三月热销商品" and "商品" in tokens


def test_words_keep_their_part_of_speech() -> None:
    tokenizer = Segmenter()
    assert [tokenizer.tag(w) for w in ["华东地区", "火星", "增长", "卖"]] == ["ns", "n", "v", "v"]
    assert tokenizer.tag("不是一个词") is None


def test_grouped_form_round_trips() -> None:
    stored = StoredDictionary(group({"销": 5, "销量": 7, "a": 0, "ab": 3}, 15, {"销量": "n", "ab": "eng"}))
    assert stored.total == 15
    assert stored.words("销") == {"销": 5, "销量": 7}
    assert (
        stored.tags("销") == {"销量": "n"} and stored.tags("a") == {"ab": "eng"} and stored.tags("无") == {}
    )
    assert stored.words("a") == {"a": 0, "ab": 3}
    assert stored.words("无") == {}
    with pytest.raises(ValueError):
        StoredDictionary(b"jieba.cache")
    prefixes = Prefixes(stored)
    prefixes.add("销售额", 9)
    assert prefixes.get("销售") == 0 and prefixes["销售额"] == 9 and prefixes["销量"] == 7
    assert segmenter.MAGIC.endswith(b"\n")
