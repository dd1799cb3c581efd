"""Errors a user can read, in their own language."""

from __future__ import annotations

from typing import Literal

from nlq.messages import Text, WordedError


class QueryError(WordedError):
    """A semantic query that cannot be answered as asked, with the reason in
    Chinese and English. `kind` tells the caller whether to refuse or clarify."""

    def __init__(self, reason: Text, *, kind: Literal["invalid", "denied", "ambiguous"] = "invalid") -> None:
        super().__init__(reason)
        self.kind = kind


class AccessDenied(QueryError):
    def __init__(self, reason: Text) -> None:
        super().__init__(reason, kind="denied")
