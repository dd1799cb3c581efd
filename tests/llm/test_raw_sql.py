"""Raw-SQL mode: the model may write one SELECT for a question beyond the layer;
it runs only through the role's views (row filters, masks) after the guard, a
syntax slip is sent back for repair, and an injected DROP TABLE is refused at
once and kept in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from nlq.audit import open_audit
from nlq.pipeline import Pipeline
from nlq.semantic.query import SemanticQuery
from tests.llm.conftest import ScriptedModel, text

AS_OF = dt.date(2026, 6, 30)
Build = Callable[..., tuple[Pipeline, ScriptedModel]]
# Nothing in the layer measures the time between signing up and the first order.
BEYOND = "用户从注册到第一次下单平均隔了几天，按省份看"
ORDERS_BY_PROVINCE = "SELECT province, COUNT(*) AS orders FROM orders WHERE pay_time IS NOT NULL GROUP BY province ORDER BY province"
EAST = {"上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"}


def sql_reply(sql: str) -> dict[str, str]:
    return {"action": "sql", "sql": sql}


def test_model_sql_answers_a_question_beyond_the_layer(
    ask_with: Build, con: duckdb.DuckDBPyConnection
) -> None:
    pipeline, model = ask_with([text(sql_reply(ORDERS_BY_PROVINCE))], raw_sql=True)
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert result.status == "answered", result.message
    assert "Raw-SQL mode" in str(model.seen[0][0].content)
    expected = con.execute(ORDERS_BY_PROVINCE).fetchall()
    assert [tuple(r) for r in result.answers[0].rows] == [tuple(r) for r in expected]
    assert "语言模型编写 SQL" in result.interpretation


def test_model_sql_reads_only_the_roles_rows(ask_with: Build, con: duckdb.DuckDBPyConnection) -> None:
    pipeline, _ = ask_with([text(sql_reply(ORDERS_BY_PROVINCE))], raw_sql=True, role="east_manager")
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert result.status == "answered"
    by_model = {row[0]: row[1] for row in result.answers[0].rows}
    assert set(by_model) == EAST
    # Exactly what the compiled query of the same role counts: the same views apply.
    compiled, _ = pipeline.run(SemanticQuery(metrics=["order_count"], dimensions=["orders.province"]))
    assert by_model == {row[0]: row[1] for row in compiled.rows}
    everywhere = dict(con.execute(ORDERS_BY_PROVINCE).fetchall())
    assert sum(by_model.values()) < sum(everywhere.values())


def test_model_sql_sees_masked_columns_masked(ask_with: Build) -> None:
    sql = "SELECT user_id, phone FROM users ORDER BY user_id LIMIT 20"
    pipeline, _ = ask_with([text(sql_reply(sql))], raw_sql=True, role="east_manager")
    result = pipeline.ask("给我一些用户的联系方式样本", as_of=AS_OF)
    assert result.status == "answered" and result.answers[0].rows
    assert all(re.fullmatch(r"\d{3}\*{4}\d{4}", str(row[1])) for row in result.answers[0].rows)


def test_masked_column_in_a_filter_is_refused(ask_with: Build) -> None:
    sql = "SELECT COUNT(*) FROM users WHERE phone LIKE '138%'"
    pipeline, model = ask_with([text(sql_reply(sql))] * 3, raw_sql=True, role="east_manager")
    result = pipeline.ask("手机号138开头的用户有多少，按号段看", as_of=AS_OF)
    assert result.status == "refused" and len(model.seen) == 1
    assert "脱敏" in result.message


def test_sql_syntax_error_is_repaired(ask_with: Build) -> None:
    broken = "SELEC province, COUNT(* FROM orders GROUP BY province"
    pipeline, model = ask_with([text(sql_reply(broken)), text(sql_reply(ORDERS_BY_PROVINCE))], raw_sql=True)
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert result.status == "answered" and len(model.seen) == 2
    told = [str(m.content) for m in model.seen[1] if "cannot be used" in str(m.content)]
    assert told and "does not parse" in told[0]


def test_injected_drop_table_is_blocked_and_audited(
    warehouse_path: Path, ask_with: Build, con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.sqlite"
    pipeline, model = ask_with([text(sql_reply("DROP TABLE orders"))] * 3, raw_sql=True)
    pipeline.audit = open_audit(audit)
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert len(model.seen) == 1  # refused at once, never "repaired" into something else
    assert result.status == "refused" and result.answers == []
    assert "Drop" in result.message or "只读" in result.message
    assert con.execute("SELECT COUNT(*) FROM orders").fetchone()[0] > 0
    log = open_audit(audit)
    [record] = log.recent(5)
    log.close()
    assert record.question == BEYOND and record.status == "refused"
    assert record.sql == ["DROP TABLE orders"] and record.rows == 0
    assert record.error == result.message


def test_stacked_statement_after_a_select_is_blocked(ask_with: Build, con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT COUNT(*) FROM orders; DELETE FROM orders"
    pipeline, model = ask_with([text(sql_reply(sql))] * 3, raw_sql=True)
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert result.status == "refused" and len(model.seen) == 1
    assert con.execute("SELECT COUNT(*) FROM orders").fetchone()[0] > 0


def test_without_raw_sql_mode_sql_is_not_a_valid_reply(ask_with: Build) -> None:
    pipeline, model = ask_with([text(sql_reply(ORDERS_BY_PROVINCE))] * 3)
    result = pipeline.ask(BEYOND, as_of=AS_OF)
    assert len(model.seen) == 3  # "sql" is not an action of the semantic schema: repaired, then given up
    # The rules' reading stands (a question it cannot fully place is asked back); the model's SQL never ran.
    assert "语言模型编写" not in result.interpretation
    assert result.status == "clarify" and result.answers == []
