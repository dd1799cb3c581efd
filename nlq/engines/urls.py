"""Database URLs: which engine, and the parts a driver needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from nlq.engines.base import ConnectorError
from nlq.messages import Text


@dataclass(frozen=True)
class DatabaseURL:
    scheme: str
    host: str = ""
    port: int | None = None
    user: str = ""
    password: str = ""
    database: str = ""
    options: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host

    def redacted(self) -> str:
        """The URL as it may be shown: without the password."""
        auth = f"{self.user}@" if self.user else ""
        return f"{self.scheme}://{auth}{self.where}/{self.database}"


def parse_url(text: str, default_ports: dict[str, int] | None = None) -> DatabaseURL:
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError as error:
        raise ConnectorError(Text("engines.bad_port", detail=error), kind="unreachable") from error
    scheme = parts.scheme.lower()
    return DatabaseURL(
        scheme=scheme,
        host=parts.hostname or "",
        port=port or (default_ports or {}).get(scheme),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")),
        options=dict(parse_qsl(parts.query)),
        text=text,
    )
