"""Spark SQL through PySpark: `spark://local[*]?warehouse=DIR` runs Spark in this
process (local mode) over a folder of Parquet tables, one `<table>.parquet` each,
registered as views; `spark://host:7077` uses a Spark master and `sc://host:15002`
Spark Connect, with the tables of their catalog.

One SparkSession per process (starting one costs seconds), shared by every
connector. Spark has no read-only session: only a single query statement is
accepted, and the tables are views over files that a query cannot change."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from nlq.engines.base import (
    ConnectorError,
    QueryResult,
    ServerVersioning,
    TableInfo,
    ensure_read_only,
    missing_driver,
    query_failed,
    timeout_error,
    unreachable,
)
from nlq.engines.engine import Engine
from nlq.engines.rewrites import day_as_date
from nlq.engines.watchdog import Watchdog
from nlq.messages import Text

if TYPE_CHECKING:
    from nlq.engines.bulk import SourceTable

DRIVER_MEMORY = os.environ.get("NLQ_SPARK_MEMORY", "2g")
ENGINE = "Spark"
DEFAULT_WAREHOUSE = Path("data/spark")
_SESSION_LOCK = threading.Lock()


def parse_spark_url(url: str) -> tuple[str, dict[str, str]]:
    """`spark://local[*]?warehouse=DIR` -> ("local[*]", {"warehouse": DIR}); a Spark
    master `spark://host:7077` stays as it is; `sc://...` is Spark Connect."""
    base, _, query = url.partition("?")
    options = dict(parse_qsl(query))
    scheme, _, rest = base.partition("://")
    if scheme == "sc":
        return base, options
    if rest.startswith("local"):
        return rest, options
    if not rest:
        raise ConnectorError(Text("engines.spark_url_needs_master"), kind="unreachable")
    return f"spark://{rest}", options


def spark_session(master: str) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise missing_driver(ENGINE, "spark", "pyspark") from error
    with _SESSION_LOCK:
        builder = SparkSession.builder.appName("nlq")
        if master.startswith("local"):
            # A local session serves this process only: no UI, no progress bars on the terminal.
            builder = builder.config("spark.ui.showConsoleProgress", "false")
        if master.startswith("sc://"):
            builder = builder.remote(master)
        else:
            builder = (
                builder.master(master)
                .config("spark.ui.enabled", "false")
                # Answers are small: one shuffle partition avoids scheduling idle tasks.
                .config("spark.sql.shuffle.partitions", "1")
                .config("spark.default.parallelism", "2")
                # Adaptive re-planning costs more than it saves on answers this small.
                .config("spark.sql.adaptive.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                # What the local engine may hold (its JVM heap): a runaway query fails alone.
                .config("spark.driver.memory", DRIVER_MEMORY)
                .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
            )
        try:
            session = builder.getOrCreate()
            if not master.startswith("sc://"):
                session.sparkContext.setLogLevel("ERROR")
            return session
        except Exception as error:  # Py4J and Spark raise many types; all mean "could not start"
            raise unreachable(ENGINE, master, str(error).strip().splitlines()[0][:200]) from error


class SparkConnector(ServerVersioning):
    dialect = "spark"

    def __init__(self, url: str) -> None:
        self.master, options = parse_spark_url(url)
        self.warehouse: Path | None = None
        if self.master.startswith("local") or "warehouse" in options:
            self.warehouse = Path(options.get("warehouse", str(DEFAULT_WAREHOUSE)))
            if not self.warehouse.is_dir() or not any(self.warehouse.glob("*.parquet")):
                raise ConnectorError(
                    Text("engines.spark_no_tables", warehouse=self.warehouse, url=url), kind="missing"
                )
        self._lock = threading.Lock()
        self._watchdog = Watchdog()
        self.spark = spark_session(self.master)
        self._views: list[str] = []
        if self.warehouse is not None:
            for path in sorted(self.warehouse.glob("*.parquet")):
                # Kept in memory once read: a local warehouse is re-scanned by every question.
                self.spark.read.parquet(str(path.resolve())).cache().createOrReplaceTempView(path.stem)
                self._views.append(path.stem)

    def execute(
        self, sql: str, *, max_rows: int | None = None, timeout_s: float | None = None
    ) -> QueryResult:
        ensure_read_only(sql, self.dialect)
        with self._lock:
            start, cancel, done = self._cancellation(f"nlq-{uuid.uuid4().hex}")
            watch = None
            try:
                start()
                with self._watchdog.watch(timeout_s, cancel) as watch:
                    frame = self.spark.sql(sql)
                    if max_rows is not None:
                        frame = frame.limit(max_rows + 1)
                    table = frame.toArrow()
            except Exception as error:  # Py4J and Spark Connect raise many types
                cancelled = watch is not None and watch.fired
                if cancelled or "cancelled" in str(error).lower():
                    raise timeout_error(timeout_s) from error
                raise query_failed(_spark_message(error)) from error
            finally:
                done()
        return QueryResult.from_arrow(table, max_rows)

    def _cancellation(self, tag: str) -> tuple[Callable[[], None], Callable[[], None], Callable[[], None]]:
        """How to mark this thread's jobs, cancel them, and unmark them: a job group in
        classic Spark, a tag in Spark Connect."""
        if self.master.startswith("sc://"):
            return (
                lambda: self.spark.addTag(tag),
                lambda: self.spark.interruptTag(tag),
                lambda: self.spark.removeTag(tag),
            )
        context = self.spark.sparkContext
        return (
            lambda: context.setJobGroup(tag, "nlq query", interruptOnCancel=True),
            lambda: context.cancelJobGroup(tag),
            lambda: context.setLocalProperty("spark.jobGroup.id", None),
        )

    def tables(self) -> dict[str, dict[str, str]]:
        return {t.name: t.columns for t in self.table_info()}

    def table_info(self) -> list[TableInfo]:
        names = self._views or [t.name for t in self.spark.catalog.listTables()]
        return [
            TableInfo(name, {f.name: f.dataType.simpleString() for f in self.spark.table(name).schema.fields})
            for name in names
        ]

    def close(self) -> None:
        # The session is shared by the whole process and stopped with it.
        pass


def _spark_message(error: Exception) -> str:
    text = str(error).strip()
    # Spark's messages carry the whole plan; the first line says what is wrong.
    return text.splitlines()[0] if text else type(error).__name__


def load(url: str, tables: list[SourceTable]) -> None:
    """One Parquet file per table in a local warehouse folder (the session reads them)."""
    import pyarrow.parquet as pq

    master, options = parse_spark_url(url)
    if not master.startswith("local") and "warehouse" not in options:
        raise ConnectorError(Text("engines.spark_cluster_load"), kind="missing")
    warehouse = Path(options.get("warehouse", str(DEFAULT_WAREHOUSE)))
    warehouse.mkdir(parents=True, exist_ok=True)
    for table in tables:
        final = warehouse / f"{table.name}.parquet"
        tmp = final.with_name(f".{final.name}.tmp")
        # Microsecond timestamps without a time zone: Spark reads them as TIMESTAMP_NTZ.
        pq.write_table(table.data, tmp, coerce_timestamps="us")
        tmp.replace(final)


ENGINES = (
    Engine(
        name="spark",
        schemes=("spark", "sc"),
        dialect="spark",
        connect=SparkConnector,
        rewrites=(day_as_date,),
        load=load,
    ),
)
