"""Errors a user can read, in their own language."""

from __future__ import annotations

from typing import Literal

from nlq.messages import Text

Language = Literal["zh", "en"]


class QueryError(Exception):
    """A semantic query that cannot be answered as asked, with the reason in
    Chinese and English. `kind` tells the caller whether to refuse or clarify."""

    def __init__(self, reason: Text, *, kind: Literal["invalid", "denied", "ambiguous"] = "invalid") -> None:
        self.reason = reason
        super().__init__(self.en)
        self.kind = kind

    @property
    def en(self) -> str:
        return self.message("en")

    @property
    def zh(self) -> str:
        return self.message("zh")

    def message(self, language: Language | str) -> str:
        return self.reason.text(language)


class AccessDenied(QueryError):
    def __init__(self, reason: Text) -> None:
        super().__init__(reason, kind="denied")
