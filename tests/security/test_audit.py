"""The audit log: one durable record per question and SQL statement, readable
by `nlq audit tail|export` and by recent_records (the admin page)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlq.audit import AuditRecord, export, open_audit, recent_records
from nlq.cli import main
from nlq.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("NLQ_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def record(n: int, **fields: object) -> AuditRecord:
    values: dict[str, object] = {"question": f"q{n}", "status": "answered", "user": "u", "role": "analyst"}
    return AuditRecord.model_validate(values | fields)


def test_records_round_trip_and_export(tmp_path: Path) -> None:
    log = open_audit(tmp_path / "audit.sqlite")
    log.append(record(1, sql=["SELECT 1", "SELECT 2"], rows=3, duration_ms=1.5, interpretation="理解为"))
    log.append(record(2, status="refused", error="不允许", user="v"))
    assert log.count() == 2
    newest = log.recent(1)
    assert [r.question for r in newest] == ["q2"] and newest[0].error == "不允许"
    assert [r.question for r in log.recent(10, user="u")] == ["q1"]
    assert [r.question for r in log.recent(10, status="refused")] == ["q2"]
    out = io.StringIO()
    assert export(log, out, "jsonl") == 2
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["sql"] == ["SELECT 1", "SELECT 2"] and lines[0]["rows"] == 3
    assert lines[0]["interpretation"] == "理解为" and lines[1]["status"] == "refused"
    out = io.StringIO()
    export(log, out, "csv")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["question"] for r in rows] == ["q1", "q2"] and rows[0]["sql"] == "SELECT 1;\nSELECT 2"
    log.close()
    page = recent_records(5, url=tmp_path / "audit.sqlite")
    assert [r["question"] for r in page] == ["q2", "q1"] and isinstance(page[0]["time"], str)


def test_a_log_written_before_the_signed_in_role_column_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, user_name TEXT, "
        "role TEXT, kind TEXT NOT NULL, question TEXT NOT NULL, status TEXT NOT NULL, interpretation TEXT "
        "NOT NULL, sql TEXT NOT NULL, rows_returned INTEGER NOT NULL, duration_ms REAL NOT NULL, error TEXT NOT NULL)"
    )
    old.execute(
        "INSERT INTO audit (time, user_name, role, kind, question, status, interpretation, sql, rows_returned, "
        "duration_ms, error) VALUES ('2026-01-01T00:00:00+00:00', 'u', 'analyst', 'question', 'old', 'answered', "
        "'', '[]', 1, 1.0, '')"
    )
    old.commit()
    old.close()
    log = open_audit(path)
    log.append(record(2, user="li.na", role="east_manager", signed_in_role="admin"))
    assert [(r.question, r.role, r.signed_in_role) for r in log.records()] == [
        ("old", "analyst", None),
        ("q2", "east_manager", "admin"),
    ]
    log.close()


def test_every_question_and_statement_is_recorded(warehouse_path: Path, tmp_path: Path) -> None:
    log = open_audit(tmp_path / "audit.sqlite")
    pipeline = Pipeline(db=warehouse_path, user="wang.fang", audit=log)
    answered = pipeline.ask("上个月各省份的GMV")
    refused = pipeline.ask("删除所有订单")
    statement = pipeline.sql("SELECT COUNT(*) AS n FROM orders")
    pipeline.close()
    assert answered.status == "answered" and refused.status == "refused"
    assert statement.status == "refused"  # province_manager may not type SQL
    records = list(open_audit(tmp_path / "audit.sqlite").records())
    assert [(r.kind, r.status) for r in records] == [
        ("question", "answered"),
        ("question", "refused"),
        ("sql", "refused"),
    ]
    first = records[0]
    assert (first.user, first.role, first.question) == ("wang.fang", "province_manager", "上个月各省份的GMV")
    assert first.sql == [a.sql for a in answered.answers] and first.rows == 1 and first.interpretation
    assert answered.answers[0].rows[0][0] == "浙江"
    assert records[1].error == refused.message and records[2].error == statement.message


def test_an_unwritable_audit_log_withholds_the_answer(warehouse_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=path)
    with sqlite3.connect(path) as other:
        other.execute("DROP TABLE audit")
    result = pipeline.sql("SELECT COUNT(*) FROM orders")
    pipeline.close()
    assert result.status == "error" and not result.answers and "audit" in result.message


CRASHER = """
import os, signal, sys
from nlq.audit import AuditRecord, open_audit
log = open_audit(sys.argv[1])
for n in range(40):
    log.append(AuditRecord(question=f"q{n}", status="answered"))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_crash_loses_nothing_already_recorded(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    done = subprocess.run([sys.executable, "-c", CRASHER, str(path)], cwd=ROOT, check=False)
    assert done.returncode == -9
    log = open_audit(path)
    assert [r.question for r in log.records()] == [f"q{n}" for n in range(40)]


# The engine "crashes" the process while the question's SQL runs, once the record
# begun for it has had time to reach the disk.
DIES_MID_QUESTION = """
import os, signal, sys, time
from nlq.engines.duckdb import DuckDBConnector
from nlq.pipeline import Pipeline

def crash(*args, **kwargs):
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)

pipeline = Pipeline(db=sys.argv[1], user="wang.fang", audit=sys.argv[2], cache=None)
_ = pipeline.understander, pipeline.latest_date  # what reads the warehouse before a question
DuckDBConnector.execute = crash
pipeline.ask("上个月各省份的GMV")
"""


def test_a_question_whose_query_never_ends_is_on_record_with_its_sql(
    warehouse_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "audit.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", DIES_MID_QUESTION, str(warehouse_path), str(path)], cwd=ROOT, check=False
    )
    assert done.returncode == -9
    [found] = open_audit(path).records()
    assert (found.status, found.user, found.question) == ("running", "wang.fang", "上个月各省份的GMV")
    assert found.interpretation.startswith("理解为") and len(found.sql) == 1
    assert "province" in found.sql[0] and found.sql[0].startswith(("SELECT", "WITH"))


DIES_WHILE_READING = """
import os, signal, sys, time
from nlq.pipeline import Pipeline
from nlq.understand import Understander

def crash(*args, **kwargs):
    time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGKILL)

pipeline = Pipeline(db=sys.argv[1], user="zhou.min", audit=sys.argv[2], cache=None)
_ = pipeline.understander, pipeline.latest_date
Understander.understand = crash
pipeline.ask("上个月各省份的GMV")
"""


def test_a_question_killed_before_its_sql_is_on_record(warehouse_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite"
    done = subprocess.run(
        [sys.executable, "-c", DIES_WHILE_READING, str(warehouse_path), str(path)], cwd=ROOT, check=False
    )
    assert done.returncode == -9
    [found] = open_audit(path).records()
    assert (found.status, found.user, found.role, found.question) == (
        "running",
        "zhou.min",
        "east_manager",
        "上个月各省份的GMV",
    )


def test_a_completed_record_replaces_its_running_state(warehouse_path: Path, tmp_path: Path) -> None:
    log = open_audit(tmp_path / "audit.sqlite")
    pipeline = Pipeline(db=warehouse_path, role="admin", audit=log, cache=None)
    results = [pipeline.ask("上个月各渠道的GMV"), pipeline.sql("SELECT COUNT(*) AS n FROM orders")]
    pipeline.close()
    records = list(open_audit(tmp_path / "audit.sqlite").records())
    assert [(r.kind, r.status, r.rows) for r in records] == [
        ("question", "answered", len(results[0].answers[0].rows)),
        ("sql", "answered", 1),
    ]
    assert [r.sql for r in records] == [[a.sql for a in r.answers] for r in results]
    assert all(r.duration_ms > 0 for r in records)


def test_cli_tail_and_export(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "audit.sqlite")
    db = str(warehouse_path)
    assert (
        main(["sql", "SELECT COUNT(*) AS n FROM orders", "--role", "admin", "--db", db, "--audit", path]) == 0
    )
    assert (
        main(["sql", "DROP TABLE orders", "--role", "admin", "--db", db, "--audit", path, "--lang", "zh"])
        == 1
    )
    assert "只允许执行只读查询" in capsys.readouterr().out
    assert main(["audit", "tail", "--audit", path, "--format", "jsonl", "--as", "li.na"]) == 0
    tail = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["status"], r["rows"]) for r in tail] == [("answered", 1), ("refused", 0)]
    out = tmp_path / "audit.csv"
    assert (
        main(["audit", "export", "--format", "csv", "--out", str(out), "--audit", path, "--as", "li.na"]) == 0
    )
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 2


def test_only_an_administrator_reads_the_log_and_only_its_owner_the_file(
    warehouse_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.sqlite"
    assert (
        main(
            [
                "query",
                "--metric",
                "gmv",
                "--user",
                "zhou.min",
                "--db",
                str(warehouse_path),
                "--audit",
                str(path),
            ]
        )
        == 0
    )
    assert path.stat().st_mode & 0o777 == 0o600
    for reader in ["zhou.min", "chen.jie", "nobody"]:  # a manager, an analyst, an unknown name
        assert main(["audit", "tail", "--audit", str(path), "--as", reader]) == 1
        assert "error" in capsys.readouterr().err
    assert main(["audit", "tail", "--audit", str(path), "--as", "li.na", "--format", "jsonl"]) == 0
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # `nlq query` is on record too, under the user who ran it and their role.
    assert (record["kind"], record["user"], record["role"]) == ("query", "zhou.min", "east_manager")


def test_identity_travels_whole(warehouse_path: Path, tmp_path: Path) -> None:
    """A pipeline taken for another identity answers, and is audited, as that identity:
    no role kept from the pipeline it came from (issue 22: for_role kept the old user)."""
    base = Pipeline(db=warehouse_path, user="li.na", audit=tmp_path / "audit.sqlite")
    manager = base.for_user("zhou.min")
    provinces = manager.sql("SELECT DISTINCT province FROM orders")
    assert provinces.status == "answered"
    assert {row[0] for row in provinces.answers[0].rows} <= {
        "上海",
        "江苏",
        "浙江",
        "安徽",
        "福建",
        "江西",
        "山东",
    }
    marketing = base.for_user("sun.li")
    assert marketing.sql("SELECT COUNT(*) FROM orders").status == "refused"  # no raw SQL for marketing
    assert (manager.user, manager.role, base.user, base.role) == (
        "zhou.min",
        "east_manager",
        "li.na",
        "admin",
    )
    records = base.audit.recent(10)
    assert {(r.user, r.role) for r in records} == {("zhou.min", "east_manager"), ("sun.li", "marketing")}


@pytest.fixture()
def postgres_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"nlq_audit_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(POSTGRES, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL server at {POSTGRES}: {error}")
    admin.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = POSTGRES.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def test_postgres_audit_log(postgres_url: str, warehouse_path: Path) -> None:
    pipeline = Pipeline(db=warehouse_path, user="zhou.min", audit=postgres_url)
    result = pipeline.ask("本月华东各省份订单数")
    pipeline.close()
    log = open_audit(postgres_url)
    log.append(record(2, status="refused"))
    assert log.count() == 2
    first, second = list(log.records())
    assert (first.user, first.role, first.status) == ("zhou.min", "east_manager", result.status)
    assert first.sql == [a.sql for a in result.answers] and second.question == "q2"
    assert [r.question for r in log.recent(1)] == ["q2"]
    log.close()


def test_sessions_opening_a_new_log_together_all_open_it(tmp_path: Path) -> None:
    """Turning on WAL makes SQLite answer "locked" at once to the others: they wait."""
    failures: list[str] = []
    for trial in range(60):
        path = tmp_path / f"audit-{trial}.sqlite"
        start = threading.Barrier(8)

        def session(start: threading.Barrier = start, path: Path = path) -> None:
            try:
                start.wait()
                open_audit(path).count()
            except Exception as error:
                failures.append(repr(error))

        threads = [threading.Thread(target=session) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []
