"""The audit log: one record per question or raw SQL statement (who, in which
role, what was asked, how it was understood, the SQL that ran, how many rows
came back, how long it took, what went wrong).

SQLite by default (data/audit.sqlite, WAL, synchronous FULL: a record is on
disk before the answer is returned, so a crash loses nothing already
recorded); PostgreSQL when NLQ_AUDIT_URL or the caller gives a postgresql://
URL. Each thread writes through its own connection and every record is one
INSERT in its own transaction, so concurrent sessions never collide.

A question that runs SQL is recorded in two steps: `begin` writes the record
(who, what was asked, how it was understood, the SQL) as `running` and flushes
it to disk on a writer thread while the engine works, and `finish` waits for
that flush, then completes the record (status, rows, duration, error) without
waiting for the disk again. What was asked and what ran is durable before any
row comes back; a process that dies mid-question leaves its record `running`;
only a power loss can lose a completion, never the record itself."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

from pydantic import BaseModel, Field

DEFAULT_AUDIT = Path("data/audit.sqlite")
AUDIT_ENV = "NLQ_AUDIT_URL"
# SQLite waits this long for another writer before giving up (seconds).
BUSY_TIMEOUT_S = 60.0

Kind = Literal["question", "sql", "query"]
# A record is `running` from the moment its SQL starts until the answer is complete.
STATUSES = ("answered", "clarify", "refused", "error", "running")
FIELDS = (
    "time",
    "user",
    "role",
    "kind",
    "question",
    "status",
    "interpretation",
    "sql",
    "rows",
    "duration_ms",
    "error",
    "signed_in_role",
    "flags",
)


class AuditError(Exception):
    """The audit log cannot be opened or written."""


class AuditRecord(BaseModel):
    id: int | None = None
    time: dt.datetime = Field(default_factory=lambda: dt.datetime.now(dt.UTC))
    user: str | None = None
    role: str | None = None
    kind: Kind = "question"
    question: str
    status: str
    interpretation: str = ""
    sql: list[str] = Field(default_factory=list)
    rows: int = 0
    duration_ms: float = 0.0
    error: str = ""
    # The user's own role when an administrator asked as another (`role` then names
    # the role whose policies applied).
    signed_in_role: str | None = None
    # What made the answer doubtful or the question no vocabulary problem (see
    # nlq.doubts): `fuzzy_link:狗东→京东`, `carried_over:gmv`, `empty_under_filter:拼多多`,
    # `screened`, `off_topic`. The analyst's intake reads them.
    flags: list[str] = Field(default_factory=list)

    def row(self) -> tuple[Any, ...]:
        values = self.model_dump()
        values["time"] = self.time.astimezone(dt.UTC).isoformat()
        values["sql"] = json.dumps(self.sql, ensure_ascii=False)
        values["flags"] = json.dumps(self.flags, ensure_ascii=False)
        return tuple(_storable(values[f]) for f in FIELDS)

    @classmethod
    def from_row(cls, id: int, row: Iterable[Any]) -> AuditRecord:
        values = dict(zip(FIELDS, row, strict=True))
        values["sql"] = json.loads(values["sql"] or "[]")
        values["flags"] = json.loads(values["flags"] or "[]")
        if isinstance(values["time"], str):
            values["time"] = dt.datetime.fromisoformat(values["time"])
        return cls(id=id, **values)


class PendingRecord:
    """A record being written by `AuditLog.begin`."""

    def __init__(
        self,
        written: Future[int],
        complete: Callable[[int, AuditRecord], None],
        later: Callable[[Callable[[], None]], Future[None]] | None = None,
    ) -> None:
        self._written = written
        self._complete = complete
        self._later = later
        self._updates: list[Future[None]] = []

    def update(self, record: AuditRecord) -> None:
        """Replaces the begun record's content in the background (the SQL it is about to
        run), after the record itself and in order, without waiting for either."""
        if self._later is None:
            self._complete(self._written.result(), record)
            return
        self._updates.append(self._later(lambda: self._complete(self._written.result(), record)))

    def finish(self, record: AuditRecord) -> None:
        """Waits until the begun record is on disk, then completes it with `record`'s
        outcome. Raises AuditError when either cannot be written."""
        for update in self._updates:
            update.result()
        self._complete(self._written.result(), record)


class AuditLog(Protocol):
    url: str

    def append(self, record: AuditRecord) -> None: ...

    def begin(self, record: AuditRecord) -> PendingRecord:
        """Starts writing `record` durably in the background; see the module's doc."""
        ...

    def recent(
        self, limit: int = 50, *, user: str | None = None, status: str | None = None
    ) -> list[AuditRecord]:
        """The newest records first."""
        ...

    def records(self, *, since: dt.datetime | None = None) -> Iterable[AuditRecord]:
        """Every record (from `since` on), oldest first."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


def open_audit(url: str | Path | None = None) -> AuditLog:
    """`postgresql://...`, `sqlite:///path`, a path, or None for NLQ_AUDIT_URL or
    the default data/audit.sqlite."""
    text = str(url) if url is not None else os.environ.get(AUDIT_ENV) or str(DEFAULT_AUDIT)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresAuditLog(text)
    if "://" in text and not text.startswith("sqlite://"):
        raise AuditError(f"unsupported audit log URL: {text.split('://', 1)[0]}://")
    return SQLiteAuditLog(Path(text.removeprefix("sqlite://")))


def recent_records(
    limit: int = 100,
    *,
    url: str | Path | None = None,
    user: str | None = None,
    status: str | None = None,
) -> list[dict[str, Any]]:
    """The newest audit records as JSON-ready dicts, for an admin page."""
    log = open_audit(url)
    try:
        return [r.model_dump(mode="json") for r in log.recent(limit, user=user, status=status)]
    finally:
        log.close()


def export(log: AuditLog, out: TextIO, fmt: Literal["jsonl", "csv"], since: dt.datetime | None = None) -> int:
    """Writes every record (oldest first); returns how many."""
    if fmt == "csv":
        return write_csv(log.records(since=since), out)
    count = 0
    for record in log.records(since=since):
        out.write(json.dumps(record.model_dump(mode="json"), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterable[AuditRecord], out: TextIO) -> int:
    """Records as CSV (a header, then one line each, the statements joined by `;`)."""
    writer = csv.writer(out)
    writer.writerow(["id", *FIELDS])
    count = 0
    for record in records:
        data = record.model_dump(mode="json")
        data["sql"] = ";\n".join(record.sql)
        data["flags"] = " ".join(record.flags)
        writer.writerow([data["id"], *(data[f] for f in FIELDS)])
        count += 1
    return count


def matching(
    records: Iterable[AuditRecord],
    *,
    user: str | None = None,
    role: str | None = None,
    status: str | None = None,
    text: str = "",
) -> list[AuditRecord]:
    """The records of this user, role and status whose question, interpretation,
    SQL or error contains `text` (any case); None matches anything."""
    needle = text.strip().casefold()
    return [
        r
        for r in records
        if (user is None or r.user == user)
        and (role is None or r.role == role)
        and (status is None or r.status == status)
        and (not needle or needle in "\n".join([r.question, r.interpretation, r.error, *r.sql]).casefold())
    ]


# The statements are fixed text with bound parameters (nothing from a user is
# ever spliced in); a filter left as NULL matches every row.
_SQLITE_CREATE = (
    "CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, "
    "user_name TEXT, role TEXT, kind TEXT NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL, "
    "interpretation TEXT NOT NULL, sql TEXT NOT NULL, rows_returned INTEGER NOT NULL, "
    "duration_ms REAL NOT NULL, error TEXT NOT NULL, signed_in_role TEXT, flags TEXT)"
)
_SQLITE_INSERT = (
    "INSERT INTO audit (time, user_name, role, kind, question, status, interpretation, sql, "
    "rows_returned, duration_ms, error, signed_in_role, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_COMPLETE = (
    "UPDATE audit SET status = ?, interpretation = ?, sql = ?, rows_returned = ?, duration_ms = ?, "
    "error = ?, flags = ? WHERE id = ?"
)
_SQLITE_RECENT = (
    "SELECT id, time, user_name, role, kind, question, status, interpretation, sql, rows_returned, "
    "duration_ms, error, signed_in_role, flags FROM audit WHERE (? IS NULL OR user_name = ?) AND (? IS NULL OR status = ?) "
    "ORDER BY id DESC LIMIT ?"
)
_SQLITE_ALL = (
    "SELECT id, time, user_name, role, kind, question, status, interpretation, sql, rows_returned, "
    "duration_ms, error, signed_in_role, flags FROM audit WHERE time >= ? ORDER BY id"
)
_PG_CREATE = (
    "CREATE TABLE IF NOT EXISTS nlq_audit (id BIGSERIAL PRIMARY KEY, time TIMESTAMPTZ NOT NULL, "
    "user_name TEXT, role TEXT, kind TEXT NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL, "
    "interpretation TEXT NOT NULL, sql TEXT NOT NULL, rows_returned BIGINT NOT NULL, "
    "duration_ms DOUBLE PRECISION NOT NULL, error TEXT NOT NULL, signed_in_role TEXT, flags TEXT)"
)
_PG_INSERT = (
    "INSERT INTO nlq_audit (time, user_name, role, kind, question, status, interpretation, sql, "
    "rows_returned, duration_ms, error, signed_in_role, flags) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)
_PG_COMPLETE = (
    "UPDATE nlq_audit SET status = %s, interpretation = %s, sql = %s, rows_returned = %s, "
    "duration_ms = %s, error = %s, flags = %s WHERE id = %s"
)
_PG_RECENT = (
    "SELECT id, time, user_name, role, kind, question, status, interpretation, sql, rows_returned, "
    "duration_ms, error, signed_in_role, flags FROM nlq_audit WHERE (%s::text IS NULL OR user_name = %s) "
    "AND (%s::text IS NULL OR status = %s) ORDER BY id DESC LIMIT %s"
)
_PG_ALL = (
    "SELECT id, time, user_name, role, kind, question, status, interpretation, sql, rows_returned, "
    "duration_ms, error, signed_in_role, flags FROM nlq_audit WHERE time >= %s ORDER BY id"
)


class _SQLAuditLog:
    """What the SQL stores share: one connection per thread (a connection serves
    one thread at a time in both drivers), and the reads."""

    RECENT: str
    ALL: str
    COUNT: str

    def __init__(self) -> None:
        self._local = threading.local()
        self._connections: list[Any] = []
        self._lock = threading.Lock()
        self._writer: ThreadPoolExecutor | None = None

    def _open(self) -> Any:
        raise NotImplementedError

    def _insert(self, record: AuditRecord) -> int:
        """Writes the record durably; its id."""
        raise NotImplementedError

    def _complete(self, id: int, record: AuditRecord) -> None:
        """Sets the outcome of record `id`, durable at the next flush."""
        raise NotImplementedError

    def append(self, record: AuditRecord) -> None:
        self._insert(record)

    def begin(self, record: AuditRecord) -> PendingRecord:
        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlq-audit")
            writer = self._writer
        return PendingRecord(writer.submit(self._insert, record), self._complete, writer.submit)

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._open()
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _since(self, since: dt.datetime | None) -> Any:
        raise NotImplementedError

    def recent(
        self, limit: int = 50, *, user: str | None = None, status: str | None = None
    ) -> list[AuditRecord]:
        rows = self._connection().execute(self.RECENT, [user, user, status, status, limit])
        return [AuditRecord.from_row(r[0], r[1:]) for r in rows.fetchall()]

    def records(self, *, since: dt.datetime | None = None) -> Iterable[AuditRecord]:
        cursor = self._connection().execute(self.ALL, [self._since(since)])
        for row in cursor:
            yield AuditRecord.from_row(row[0], row[1:])

    def count(self) -> int:
        return int(self._connection().execute(self.COUNT).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._writer is not None:
                self._writer.shutdown(wait=True)
                self._writer = None
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


def _while_locked(statement: Callable[[], object]) -> None:
    """Runs a schema statement, again while another session holds the file: SQLite
    answers "database is locked" at once, without its busy timeout, when sessions
    open a new log together and one of them turns on WAL."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            statement()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SQLiteAuditLog(_SQLAuditLog):
    RECENT = _SQLITE_RECENT
    ALL = _SQLITE_ALL
    COUNT = "SELECT COUNT(*) FROM audit"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.url = f"sqlite:///{path}"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Only its owner reads it: the log holds everyone's questions and SQL (SQLite
            # gives its -wal and -shm files the same mode).
            path.touch(mode=0o600, exist_ok=True)
            connection = self._connection()
            _while_locked(lambda: connection.execute(_SQLITE_CREATE))
            columns = {row[1] for row in connection.execute("PRAGMA table_info(audit)")}
            added = [c for c in ("signed_in_role", "flags") if c not in columns]  # older logs
            for statement in (f"ALTER TABLE audit ADD COLUMN {c} TEXT" for c in added):
                _while_locked(partial(connection.execute, statement))
            _while_locked(lambda: connection.execute("CREATE INDEX IF NOT EXISTS audit_time ON audit (time)"))
        except (OSError, sqlite3.Error) as error:
            raise AuditError(f"cannot open the audit log {path}: {error}") from error

    def _open(self) -> sqlite3.Connection:
        # Autocommit: each INSERT is its own transaction, durable when it returns.
        connection = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        _while_locked(lambda: connection.execute("PRAGMA journal_mode=WAL"))
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _since(self, since: dt.datetime | None) -> str:
        return _iso_since(since)

    def _insert(self, record: AuditRecord) -> int:
        try:
            cursor = self._connection().execute(_SQLITE_INSERT, record.row())
        except sqlite3.Error as error:
            raise AuditError(f"cannot write the audit log {self.path}: {error}") from error
        return int(cursor.lastrowid or 0)

    def _complete(self, id: int, record: AuditRecord) -> None:
        connection = self._connection()
        try:
            # NORMAL in WAL mode: on disk at the next FULL commit or checkpoint; a crash
            # of the process alone loses nothing.
            connection.execute("PRAGMA synchronous=NORMAL")
            try:
                connection.execute(_SQLITE_COMPLETE, [*_outcome(record), id])
            finally:
                connection.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as error:
            raise AuditError(f"cannot write the audit log {self.path}: {error}") from error


class PostgresAuditLog(_SQLAuditLog):
    """The same table in PostgreSQL (psycopg, the `postgres` extra)."""

    RECENT = _PG_RECENT
    ALL = _PG_ALL
    COUNT = "SELECT COUNT(*) FROM nlq_audit"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as error:
            raise AuditError("a PostgreSQL audit log needs psycopg: pip install 'nlq[postgres]'") from error
        super().__init__()
        self.url = url
        self._psycopg = psycopg
        try:
            with self._connection().transaction():
                # Two processes creating the table at once would race on its type.
                self._connection().execute("SELECT pg_advisory_xact_lock(7104)")
                self._connection().execute(_PG_CREATE)
                self._connection().execute(
                    "ALTER TABLE nlq_audit ADD COLUMN IF NOT EXISTS signed_in_role TEXT"
                )
                self._connection().execute("ALTER TABLE nlq_audit ADD COLUMN IF NOT EXISTS flags TEXT")
        except psycopg.Error as error:
            raise AuditError(f"cannot open the audit log: {str(error).splitlines()[0]}") from error

    def _open(self) -> Any:
        return self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def _since(self, since: dt.datetime | None) -> dt.datetime:
        return since or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

    def _insert(self, record: AuditRecord) -> int:
        row = list(record.row())
        row[0] = record.time
        try:
            found = self._connection().execute(_PG_INSERT, row).fetchone()
        except self._psycopg.Error as error:
            raise AuditError(f"cannot write the audit log: {str(error).splitlines()[0]}") from error
        return int(found[0])

    def _complete(self, id: int, record: AuditRecord) -> None:
        connection = self._connection()
        try:
            with connection.transaction():
                # Not waiting for the WAL flush: on disk with the next flushed commit.
                connection.execute("SET LOCAL synchronous_commit TO OFF")
                connection.execute(_PG_COMPLETE, [*_outcome(record), id])
        except self._psycopg.Error as error:
            raise AuditError(f"cannot write the audit log: {str(error).splitlines()[0]}") from error


def _outcome(record: AuditRecord) -> list[Any]:
    """The fields a completion sets, in _SQLITE_COMPLETE's and _PG_COMPLETE's order."""
    sql = json.dumps(record.sql, ensure_ascii=False)
    flags = json.dumps(record.flags, ensure_ascii=False)
    text = [_storable(v) for v in (record.status, record.interpretation, sql, record.error, flags)]
    return [*text[:3], record.rows, record.duration_ms, *text[3:]]


def _storable(value: Any) -> Any:
    """Text any store accepts: whatever was typed (lone surrogates, NUL bytes) is
    recorded, with the unstorable characters replaced by U+FFFD."""
    if not isinstance(value, str):
        return value
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


def _iso_since(since: dt.datetime | None) -> str:
    if since is None:
        return ""
    if since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)
    return since.astimezone(dt.UTC).isoformat()
