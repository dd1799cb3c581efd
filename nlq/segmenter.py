"""Chinese word segmentation: jieba's tokenizer, with its dictionary read one
first character at a time.

jieba keeps its 350,000-word dictionary (580,000 words and prefixes) as one
marshalled dict and loads it whole for every tokenizer: 0.6-1.5 s of a cold
start, and again for each linker a process builds. A question only ever looks
up words that start with one of its own characters, so the dictionary is
stored here grouped by first character (built once per jieba dictionary file,
in the user's cache directory) and a tokenizer loads the groups its questions
and user words touch. Segmentation is exactly jieba's: the same words, the same
frequencies, the same total.

The dictionary's part-of-speech tags are stored beside the words, so that a word
a question left unplaced can be told apart: a noun (a place, a thing) is likely
a filter nlq could not apply, a verb or a measure word is phrasing."""

from __future__ import annotations

import hashlib
import logging
import marshal
import mmap
import os
import tempfile
import threading
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jieba

LOG = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)  # its start-up chatter is not the user's business

# Changes whenever the stored layout changes, so an old file is never misread.
MAGIC = b"nlq-jieba-by-first-char-2\n"


class Segmenter(jieba.Tokenizer):
    """jieba.Tokenizer on the dictionary grouped by first character."""

    def __init__(self) -> None:
        super().__init__()
        stored = stored_dictionary()
        self.FREQ = Prefixes(stored)
        self.total = stored.total
        self.initialized = True
        # Reading one question looks at its words several times (cues, links, the
        # words left over): segmented once. Only the last few texts are kept.
        self.spans = lru_cache(maxsize=16)(self._spans)
        self._stored = stored
        self._tags: dict[str, dict[str, str]] = {}  # by first character, loaded when asked

    def tag(self, word: str) -> str | None:
        """The word's part of speech in jieba's dictionary (n, ns, v, q, ...), if it has one."""
        head = word[:1]
        tags = self._tags.get(head)
        if tags is None:
            tags = self._tags.setdefault(head, self._stored.tags(head))
        return tags.get(word)

    def _spans(self, text: str) -> tuple[tuple[str, int, int], ...]:
        """jieba's tokenize(text, HMM=False): (word, start, end) left to right."""
        return tuple(self.tokenize(text, HMM=False))

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        # A user word with its frequency waits for its first character's words, so
        # that a lexicon of a thousand words does not load half the dictionary.
        # jieba computes a missing frequency from the dictionary and force-splits
        # words of frequency 0: both are left to it.
        self.spans.cache_clear()
        if freq is None or int(freq) == 0 or tag:
            super().add_word(word, freq, tag)
            return
        self.FREQ.add(jieba.strdecode(word), int(freq))
        self.total += int(freq)


class Prefixes(dict[str, int]):
    """jieba's prefix dictionary (word -> frequency, 0 for a prefix that is not a
    word) that loads a first character's words before any lookup of a key starting
    with it. jieba reads it with `in`, `[]` and `get` and writes it with `[]=`."""

    def __init__(self, stored: StoredDictionary) -> None:
        super().__init__()
        self._stored = stored
        self._loaded: set[str] = set()
        self._waiting: dict[str, list[tuple[str, int]]] = {}
        self._lock = threading.Lock()

    def add(self, word: str, freq: int) -> None:
        """jieba's add_word: the word with `freq`, its prefixes with 0 unless known."""
        with self._lock:
            if word[:1] in self._loaded:
                self._add(word, freq)
            else:
                self._waiting.setdefault(word[:1], []).append((word, freq))

    def __contains__(self, key: object) -> bool:
        self._load(key)
        return dict.__contains__(self, key)

    def __getitem__(self, key: str) -> int:
        self._load(key)
        return dict.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        self._load(key)
        return dict.get(self, key, default)

    def __setitem__(self, key: str, value: int) -> None:
        self._load(key)
        dict.__setitem__(self, key, value)

    def _load(self, key: object) -> None:
        head = key[:1] if isinstance(key, str) else ""
        if head in self._loaded:
            return
        with self._lock:
            if head in self._loaded:
                return
            dict.update(self, self._stored.words(head))
            for word, freq in self._waiting.pop(head, []):
                self._add(word, freq)
            # Marked last: another thread skips the lock only once the words are in.
            self._loaded.add(head)

    def _add(self, word: str, freq: int) -> None:
        dict.__setitem__(self, word, freq)
        for end in range(1, len(word)):
            dict.setdefault(self, word[:end], 0)


class StoredDictionary:
    """The grouped dictionary: a header (total, first character -> where its words and
    their tags are) and each character's words and tags as two marshalled dicts."""

    def __init__(self, data: bytes | mmap.mmap) -> None:
        if data[: len(MAGIC)] != MAGIC:
            raise ValueError("not a grouped jieba dictionary")
        start = len(MAGIC) + 8
        header_size = int.from_bytes(data[len(MAGIC) : start], "little")
        self.total, self._index = marshal.loads(data[start : start + header_size])
        self._base = start + header_size
        self._data = data

    def words(self, head: str) -> dict[str, int]:
        words: dict[str, int] = self._part(head, 0)
        return words

    def tags(self, head: str) -> dict[str, str]:
        tags: dict[str, str] = self._part(head, 1)
        return tags

    def _part(self, head: str, which: int) -> Any:
        where = self._index.get(head)
        if where is None:
            return {}
        offset, size = where[which]
        begin = self._base + offset
        return marshal.loads(self._data[begin : begin + size])


def group(freq: dict[str, int], total: int, tags: dict[str, str] | None = None) -> bytes:
    """The stored form of jieba's prefix dictionary `freq`, its `total` and the words'
    parts of speech (kept apart from the words: segmenting never reads them)."""
    heads: dict[str, tuple[dict[str, int], dict[str, str]]] = {}
    for word, count in freq.items():
        heads.setdefault(word[:1], ({}, {}))[0][word] = count
    for word, tag in (tags or {}).items():
        if word[:1] in heads:
            heads[word[:1]][1][word] = tag
    index: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {}
    parts: list[bytes] = []
    offset = 0
    for head, (words, head_tags) in heads.items():
        where = []
        for part in (marshal.dumps(words), marshal.dumps(head_tags)):
            where.append((offset, len(part)))
            parts.append(part)
            offset += len(part)
        index[head] = (where[0], where[1])
    header = marshal.dumps((total, index))
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *parts])


@cache
def stored_dictionary() -> StoredDictionary:
    """jieba's default dictionary, grouped: read from the cache directory, built there
    first when missing, stale or unreadable, and kept in memory when it cannot be written."""
    source = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    path = _cache_path(source)
    try:
        return _mapped(path)
    except (OSError, ValueError, EOFError, TypeError):
        pass
    with source.open("rb") as file:
        freq, total = jieba.Tokenizer.gen_pfdict(file)
    data = group(freq, total, _tags(source))
    try:
        _write(path, data)
        return _mapped(path)
    except OSError as error:
        LOG.warning("jieba dictionary kept in memory, %s not writable: %s", path.parent, error)
        return StoredDictionary(data)


def _tags(source: Path) -> dict[str, str]:
    """word -> part of speech, from the dictionary's lines `word frequency tag`."""
    tags: dict[str, str] = {}
    with source.open(encoding="utf-8") as file:
        for line in file:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def _cache_path(source: Path) -> Path:
    stat = source.stat()
    key = f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{MAGIC!r}"
    name = f"jieba-{hashlib.sha256(key.encode()).hexdigest()[:16]}.dict"
    configured = os.environ.get("NLQ_CACHE_DIR")
    if configured:
        return Path(configured) / name
    home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(home) / "nlq" / name


def _mapped(path: Path) -> StoredDictionary:
    with path.open("rb") as file:
        data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    return StoredDictionary(data)


def _write(path: Path, data: bytes) -> None:
    # Written aside and renamed: a process reading it meanwhile sees the old file or the whole new one.
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".jieba-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
