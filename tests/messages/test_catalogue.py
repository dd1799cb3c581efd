"""The message catalogue is the only place a sentence is worded: every entry in both
languages with the same blanks, every key named in code present and every entry used,
and no module outside it choosing between Chinese and English itself."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from nlq.messages import CatalogueError, Text, catalogue, listed, placeholders, say
from nlq.semantic.model import Label

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "nlq").rglob("*.py"), ROOT / "app.py", ROOT / "serve.py"])
CJK = re.compile(r"[\u4e00-\u9fff]")
# Modules whose Chinese literals are words the reader matches or data the demo
# generates, not sentences nlq says: they may hold Chinese, never a language branch.
VOCABULARY = {
    "nlq/accounting.py",
    "nlq/bands.py",
    "nlq/comparisons.py",
    "nlq/cues.py",
    "nlq/dating.py",
    "nlq/intents.py",
    "nlq/lexicon.py",
    "nlq/linker.py",
    "nlq/negation.py",
    "nlq/numerals.py",
    "nlq/ratios.py",
    "nlq/safety.py",
    "nlq/segmenter.py",
    "nlq/timeparse.py",
    "nlq/understand.py",
    "nlq/semantic/bootstrap.py",
    "nlq/llm/prompt.py",
    "nlq/ui/texts.py",  # the example questions shown on the chat page are questions
}
# Where languages are told apart or worded: the catalogue and the language detector.
LANGUAGE_HOMES = {"nlq/messages/__init__.py", "nlq/language.py"}


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _trees() -> list[tuple[str, ast.AST]]:
    return [(_relative(p), ast.parse(p.read_text(encoding="utf-8"))) for p in SOURCES]


def _named_keys(tree: ast.AST) -> set[str]:
    """Keys given literally to Text(...) or say(...)."""
    keys = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            first = node.args[0]
            if name in {"Text", "say"} and isinstance(first, ast.Constant) and isinstance(first.value, str):
                keys.add(first.value)
    return keys


def _strings(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Every string constant, and the literal beginnings of f-strings (dynamic keys)."""
    constants, prefixes = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            constants.add(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
            prefixes.add(str(node.values[0].value))
    return constants, prefixes


@pytest.mark.parametrize("key", sorted(catalogue()))
def test_every_message_has_both_languages_with_the_same_blanks(key: str) -> None:
    wording = catalogue()[key]
    assert wording["zh"].strip() and wording["en"].strip(), key
    assert placeholders(wording["zh"]) == placeholders(wording["en"]), key
    assert not CJK.search(wording["en"]) or "{" in wording["en"], f"{key}: Chinese in the English wording"


def test_every_key_named_in_code_is_in_the_catalogue() -> None:
    named = set().union(*(_named_keys(tree) for _, tree in _trees()))
    assert named - set(catalogue()) == set()


def test_every_message_is_used() -> None:
    constants: set[str] = set()
    prefixes: set[str] = set()
    for _, tree in _trees():
        found, begun = _strings(tree)
        constants |= found
        prefixes |= begun
    unused = [
        key
        for key in catalogue()
        # a family chosen by an f-string counts when the f-string names more than its file
        if key not in constants and not any(key.startswith(p) for p in prefixes if p.partition(".")[2])
    ]
    assert unused == []


def _language_branches(tree: ast.AST) -> list[int]:
    """Lines that compare with "zh"/"en" or key a dict by both languages."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and o.value in {"zh", "en"} for o in operands):
                lines.append(node.lineno)
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"zh", "en"} <= keys:
                lines.append(node.lineno)
    return lines


def test_no_module_chooses_a_language_itself() -> None:
    branches = {
        path: lines
        for path, tree in _trees()
        if path not in LANGUAGE_HOMES and (lines := _language_branches(tree))
    }
    assert branches == {}


def _docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def test_sentences_are_worded_only_in_the_catalogue() -> None:
    worded = {}
    for path, tree in _trees():
        if path in VOCABULARY or path.startswith("nlq/demo/") or path in LANGUAGE_HOMES:
            continue
        documentation = _docstrings(tree)
        chinese = [
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and CJK.search(node.value)
            and id(node) not in documentation
        ]
        if chinese:
            worded[path] = chinese
    assert worded == {}


def test_a_message_is_worded_in_the_reader_language_with_bilingual_values() -> None:
    channel = Label(zh="天猫", en="Tmall")
    assert listed([channel, Label(zh="京东", en="JD")], "zh") == "天猫、京东"
    assert listed([channel, Label(zh="京东", en="JD")], "en") == "Tmall, JD"
    assert say("grammar.list_separator", "en") == ", "
    assert Text("grammar.list_separator") == Text("grammar.list_separator")


def test_a_key_not_in_the_catalogue_fails_at_once() -> None:
    with pytest.raises(CatalogueError):
        Text("grammar.no_such_message")
