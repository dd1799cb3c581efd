"""Errors a user can read, in their own language."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh", "en"]


class QueryError(Exception):
    """A semantic query that cannot be answered as asked, with the reason in
    Chinese and English. `kind` tells the caller whether to refuse or clarify."""

    def __init__(
        self, en: str, zh: str, *, kind: Literal["invalid", "denied", "ambiguous"] = "invalid"
    ) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh
        self.kind = kind

    def message(self, language: Language) -> str:
        return self.zh if language == "zh" else self.en


class AccessDenied(QueryError):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en, zh, kind="denied")
