"""The Spark implementation of ml.data.Warehouse: the tables dbt-spark built, read and
written through one SparkSession configured like profiles.yml's `spark` target.

Batch functions run on the executors (`mapInArrow`: the same Arrow batches, turned into
pandas the same way, as on DuckDB), so scoring is spread over the cluster and the driver
never holds the scores. A run is a partition of a Parquet table (`partitioned by
(run_id)`) written with dynamic partition overwrite: a retry replaces its own partition
and no other. If the job fails, Spark discards its staging files and the table is as it
was. The commit itself swaps the partition's folder (delete, then rename), which is not a
transaction as on DuckDB: a reader at that instant may miss the run, never see half of it.

The session method keeps the Hive metastore in Derby, which one process opens at a time:
run `dbt build --target spark` and these jobs one after the other, not at once.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ml import config
from ml.data import BatchFunction, DataError, Warehouse, check_run_id, conform, whole_groups
from pipeline import paths

# Only what the jobs need on top of the target's own settings.
JOB_SETTINGS = {
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.ui.showConsoleProgress": "false",  # a progress bar is noise in a scheduler log
    "spark.sql.execution.arrow.maxRecordsPerBatch": str(config.BATCH_ROWS),
}
SPARK_TYPES = {pa.string(): "string", pa.float64(): "double", pa.bool_(): "boolean", pa.date32(): "date", pa.int32(): "int", pa.int64(): "bigint", pa.timestamp("us"): "timestamp"}


def target_settings(target: str | None = None, profiles: Path = paths.ROOT / "profiles.yml") -> dict[str, str]:
    """The server_side_parameters of a Spark target in profiles.yml (default
    $AFISHA_SPARK_TARGET or `spark`), rendered as dbt renders them, so that ml/ opens
    the very metastore and warehouse folder that dbt built. A cluster target without
    them leaves the cluster's own configuration in force."""
    import jinja2  # both come with dbt-core
    import yaml

    name = target or os.environ.get("AFISHA_SPARK_TARGET", "spark")
    outputs = yaml.safe_load(profiles.read_text())["afisha"]["outputs"]
    if outputs.get(name, {}).get("type") != "spark":
        raise DataError(f"profiles.yml has no Spark target {name!r} (AFISHA_SPARK_TARGET)")
    parameters = outputs[name].get("server_side_parameters", {})

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise DataError(f"profiles.yml needs the environment variable {name}")
        return default

    env = jinja2.Environment()
    return {key: env.from_string(str(value)).render(env_var=env_var) for key, value in parameters.items()}


def spark_error(e: Exception) -> str:
    """The line of a Spark or Python-worker failure that says what went wrong."""
    text = str(e).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith(("ml.data.DataError", "ValueError", "KeyError", "TypeError")) or "Error:" in line[:80]:
            return line
    return lines[0] if lines else type(e).__name__


class SparkWarehouse(Warehouse):
    engine = "spark"

    def __init__(self, session=None):
        self._spark = session
        self._settings = target_settings()

    @property
    def location(self) -> str:
        return self._settings.get("spark.sql.warehouse.dir") or "the cluster's Spark warehouse"

    @property
    def spark(self):
        if self._spark is None:
            from pyspark.sql import SparkSession

            # The executors' Python workers must be this interpreter, with ml/ and
            # scikit-learn importable, not whatever `python3` is first on PATH.
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            builder = SparkSession.builder.appName("afisha-ml").enableHiveSupport()
            for key, value in {**self._settings, **JOB_SETTINGS}.items():
                builder = builder.config(key, value)
            spark = builder.getOrCreate()
            try:
                spark.sql("show databases").collect()
            except Exception as e:
                spark.stop()
                raise DataError(
                    f"cannot open the Spark metastore of {self.location} ({spark_error(e)}); Derby lets one process use it at a time: is a dbt build running?"
                ) from None
            self._spark = spark
        return self._spark

    def close(self) -> None:
        if self._spark is not None:
            self._spark.stop()
            self._spark = None

    def columns(self, table: str) -> dict[str, str]:
        if not self.spark.catalog.tableExists(table):
            raise DataError(f"{table} is missing from the Spark warehouse {self.location}")
        return {f.name: f.dataType.simpleString() for f in self.spark.table(table).schema.fields}

    def frame(self, sql: str) -> pd.DataFrame:
        # Through DuckDB's own Arrow-to-pandas conversion: the frame has exactly the
        # dtypes DuckDBWarehouse.frame gives (datetime64[us] dates, nullable Int32, ...).
        arrow = self.spark.sql(sql).toArrow()
        with duckdb.connect() as con:
            return con.from_arrow(arrow).df()

    def scalar(self, sql: str) -> Any:
        rows = self.spark.sql(sql).collect()
        return rows[0][0] if rows else None

    def bucket(self, column: str, buckets: int) -> str:
        return f"pmod(cast(conv(substr(md5({column}), 1, 8), 16, 10) as bigint), {buckets})"

    def write_run(self, table: str, schema: pa.Schema, sql: str, fn: BatchFunction, run_id: str, group_key: str | None = None, progress=None) -> int:
        from pyspark.errors import PySparkException
        from pyspark.sql.pandas.types import from_arrow_schema
        from py4j.protocol import Py4JError

        check_run_id(run_id)
        self._create(table, schema)
        rows = self.spark.sql(sql)
        if group_key:
            # Each group in one partition, sorted, so whole_groups sees it whole.
            rows = rows.repartition(group_key).sortWithinPartitions(group_key)

        def apply(batches):
            frames = (b.to_pandas() for b in batches)
            for frame in whole_groups(frames, group_key) if group_key else frames:
                yield from conform(fn(frame), schema, run_id).to_batches()

        result = rows.mapInArrow(apply, from_arrow_schema(schema))
        columns = self.spark.table(table).columns  # the partition column last
        try:
            result.select(*columns).write.insertInto(table, overwrite=True)
        except (PySparkException, Py4JError) as e:
            raise DataError(f"the Spark job writing {table} failed, nothing of run {run_id} was written: {spark_error(e)}") from None
        return self.scalar(f"select count(*) from {table} where run_id = '{run_id}'")

    def _create(self, table: str, schema: pa.Schema) -> None:
        database = table.split(".")[0]
        self.spark.sql(f"create database if not exists {database}")
        columns = ", ".join(f"{f.name} {SPARK_TYPES[f.type]}" for f in schema)
        self.spark.sql(f"create table if not exists {table} ({columns}) using parquet partitioned by (run_id)")
        have = sorted(self.spark.table(table).columns)
        if have != sorted(schema.names):
            raise DataError(f"{table} has columns {', '.join(have)}; this job writes {', '.join(schema.names)}")
