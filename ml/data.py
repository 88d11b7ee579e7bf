"""How ml/ reaches the marts: one small data-access layer, two engines.

`Warehouse` is everything the jobs need from a warehouse: a table's columns, a query's
frame or first value, and `write_run`, which maps a function over a query's rows in
batches and stores the result as one run of a table. `DuckDBWarehouse` (this module)
reads the file read-only and writes a run in one transaction; `ml.spark.SparkWarehouse`
reads the tables dbt-spark built and runs the function on Spark's executors
(`mapInArrow`), writing the run as a partition. `open_warehouse` picks one by dbt
target name, so `--target spark` means the same thing to dbt and to ml/.

Both keep the same promises: a run's rows replace that run's earlier rows, a retry never
duplicates, and a failure before the end leaves every earlier run as it was.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ml import config

TARGETS = ("dev", "spark")  # the dbt targets in profiles.yml
RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
# Base names (before any "(p,s)") of the types a numeric feature may have, on either engine.
NUMERIC_TYPES = frozenset({"TINYINT", "SMALLINT", "INT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "REAL", "DOUBLE", "DECIMAL", "BOOLEAN"})

BatchFunction = Callable[[pd.DataFrame], pd.DataFrame]


class DataError(Exception):
    """The warehouse or the mart is not what the model needs."""


def is_numeric_type(type_name: str) -> bool:
    return type_name.split("(")[0].strip().upper() in NUMERIC_TYPES


def check_run_id(run_id: str) -> str:
    # Run ids become SQL literals and, on Spark, partition folder names.
    if not RUN_ID_PATTERN.fullmatch(run_id):
        raise DataError(f"run id {run_id!r} is not allowed: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)")
    return run_id


def stable_bucket(participant_id: str, buckets: int = 10_000) -> int:
    """The bucket `Warehouse.bucket` computes in SQL (and dbt's stable_bucket macro): the
    first 32 bits of the MD5 of the text, modulo `buckets`. The same on every engine."""
    return int(hashlib.md5(participant_id.encode()).hexdigest()[:8], 16) % buckets


def whole_groups(batches: Iterable[pd.DataFrame], key: str) -> Iterator[pd.DataFrame]:
    """Regroup batches of rows sorted by `key` so that no group is split across two
    batches: each batch's last group waits for the next one."""
    carry: pd.DataFrame | None = None
    for batch in batches:
        frame = batch if carry is None else pd.concat([carry, batch], ignore_index=True)
        if frame.empty:
            continue
        last = frame[key].iloc[-1]
        is_last = frame[key] == last
        carry = frame[is_last]
        if not is_last.all():
            yield frame[~is_last].reset_index(drop=True)
    if carry is not None and not carry.empty:
        yield carry.reset_index(drop=True)


def conform(frame: pd.DataFrame, schema: pa.Schema, run_id: str) -> pa.Table:
    """A batch function's result as the run's Arrow schema. A null where the schema says
    not null, or a row of another run, is a bug upstream and stops the run before
    anything is written."""
    missing = [f.name for f in schema if f.name not in frame.columns]
    if missing:
        raise DataError(f"batch result lacks {', '.join(missing)}")
    nulls = [f.name for f in schema if not f.nullable and frame[f.name].isna().any()]
    if nulls:
        raise DataError(f"batch result has nulls in not-null column(s) {', '.join(nulls)}")
    if len(frame) and set(frame["run_id"]) != {run_id}:
        raise DataError(f"batch results carry run ids other than {run_id}")
    return pa.Table.from_pandas(frame[schema.names], schema=schema, preserve_index=False)


class Warehouse(ABC):
    """The marts, as ml/ reads them, and the tables ml/ writes back."""

    engine: str

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the data live, for logs and reports."""

    @abstractmethod
    def columns(self, table: str) -> dict[str, str]:
        """Column name -> type name, in table order; DataError if the table is missing."""

    @abstractmethod
    def frame(self, sql: str) -> pd.DataFrame:
        """A query's result in memory, with the same dtypes on every engine: dates and
        timestamps as datetime64, decimals as float64."""

    @abstractmethod
    def scalar(self, sql: str) -> Any:
        """First value of a one-row query (None if no row)."""

    @abstractmethod
    def bucket(self, column: str, buckets: int) -> str:
        """SQL for `stable_bucket(column)`."""

    @abstractmethod
    def write_run(self, table: str, schema: pa.Schema, sql: str, fn: BatchFunction, run_id: str, group_key: str | None = None, progress=None) -> int:
        """Apply `fn` to the rows of `sql` in batches (whole `group_key` groups per batch
        when given) and store what it returns, every row carrying `run_id`, as that run of
        `table` (created from `schema` if absent), replacing the run's earlier rows. Returns
        the rows the run now has. If anything fails, no earlier run changes; an empty
        result changes nothing either."""

    def close(self) -> None:
        pass

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


DUCKDB_TYPES = {pa.string(): "varchar", pa.float64(): "double", pa.bool_(): "boolean", pa.date32(): "date", pa.int32(): "integer", pa.int64(): "bigint", pa.timestamp("us"): "timestamp"}


class DuckDBWarehouse(Warehouse):
    """The DuckDB file dbt builds. Reads share one read-only connection (opened on first
    use); a write closes it, so that the writing connection is the only one."""

    engine = "duckdb"

    def __init__(self, path: Path):
        self.path = Path(path)
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            if not self.path.is_file():
                raise DataError(f"warehouse {self.path} does not exist; run the dbt build first")
            # DuckDB's default limit is 80 % of RAM, and its buffer pool keeps what a scan
            # read: on a large mart that left no room for the model, whose frames live in pandas.
            limit = os.environ.get("AFISHA_ML_DUCKDB_MEMORY_LIMIT", "4GB")
            self._con = duckdb.connect(str(self.path), read_only=True, config={"memory_limit": limit})
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def columns(self, table: str) -> dict[str, str]:
        schema, name = table.split(".")
        rows = self.con.execute(
            "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, name],
        ).fetchall()
        if not rows:
            raise DataError(f"{table} is missing from the warehouse")
        return dict(rows)

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def scalar(self, sql: str) -> Any:
        # Fetches to the end: duckdb 2 leaves a result read with fetchone() open and
        # refuses further work on the connection.
        rows = self.con.execute(sql).fetchall()
        return rows[0][0] if rows else None

    def one_row(self, sql: str) -> tuple:
        rows = self.con.execute(sql).fetchall()
        return rows[0] if rows else ()

    def bucket(self, column: str, buckets: int) -> str:
        return f"(cast(('0x' || substr(md5({column}), 1, 8)) as bigint) % {buckets})"

    def write_run(self, table: str, schema: pa.Schema, sql: str, fn: BatchFunction, run_id: str, group_key: str | None = None, progress=None) -> int:
        check_run_id(run_id)
        query = f"select * from ({sql}) as q order by {group_key}" if group_key else sql
        frames: Iterable[pd.DataFrame] = (b.to_pandas() for b in self.con.sql(query).to_arrow_reader(config.BATCH_ROWS))
        parts = []
        for frame in whole_groups(frames, group_key) if group_key else frames:
            if progress is not None:
                progress.add(len(frame))
            parts.append(conform(fn(frame), schema, run_id))
        rows = pa.concat_tables(parts) if parts else schema.empty_table()
        self.close()
        return self._replace_run(table, schema, rows, run_id)

    def _replace_run(self, table: str, schema: pa.Schema, rows: pa.Table, run_id: str) -> int:
        columns = ",\n    ".join(f"{f.name} {DUCKDB_TYPES[f.type]}{'' if f.nullable else ' not null'}" for f in schema)
        con = duckdb.connect(str(self.path))
        try:
            con.execute(f"create schema if not exists {table.split('.')[0]}")
            con.execute(f"create table if not exists {table} (\n    {columns}\n)")
            if rows.num_rows == 0:  # as on Spark: an empty result replaces nothing
                return con.execute(f"select count(*) from {table} where run_id = ?", [run_id]).fetchall()[0][0]
            con.execute("begin transaction")
            try:
                con.execute(f"delete from {table} where run_id = ?", [run_id])
                con.register("new_rows", rows)
                names = ", ".join(schema.names)
                con.execute(f"insert into {table} ({names}) select {names} from new_rows")
                con.execute("commit")
            except Exception:
                con.execute("rollback")
                raise
            return con.execute(f"select count(*) from {table} where run_id = ?", [run_id]).fetchall()[0][0]
        finally:
            con.close()


def open_warehouse(target: str | None = None, duckdb_path: Path | None = None) -> Warehouse:
    """The warehouse of a dbt target: `dev` is the DuckDB file (`duckdb_path`, default
    $AFISHA_WAREHOUSE), `spark` the tables and metastore in $AFISHA_SPARK_DIR."""
    from pipeline import paths

    target = target or os.environ.get("AFISHA_TARGET", "dev")
    if target == "dev":
        return DuckDBWarehouse(duckdb_path or paths.warehouse())
    if target == "spark":
        from ml.spark import SparkWarehouse  # pyspark only when asked for

        return SparkWarehouse()
    raise DataError(f"unknown target {target!r}; profiles.yml has {', '.join(TARGETS)}")


def engine_errors() -> tuple[type[BaseException], ...]:
    """What an engine raises when a query or a job fails, for the jobs' `except`."""
    errors: tuple[type[BaseException], ...] = (duckdb.Error,)
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
    except ImportError:  # DuckDB only: pyspark is the optional `spark` extra
        return errors
    return (*errors, PySparkException, Py4JError)


def add_target_arguments(parser) -> None:
    """--target and --warehouse, the same on every ml/ entry point."""
    parser.add_argument("--target", choices=TARGETS, default=None, help="dbt target whose marts to read and write: dev (DuckDB) or spark (default $AFISHA_TARGET or dev)")
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file of the dev target (default $AFISHA_WAREHOUSE or warehouse/afisha.duckdb)")


def participant_sample(wh: Warehouse, table: str, where: str, max_rows: int) -> tuple[str, dict]:
    """A SQL condition keeping whole participants, so that at most about max_rows rows
    are read, and a note for the report. Participants are chosen by a stable hash of
    their ID: the same ones every run and on every engine, each with all their rows."""
    total = wh.scalar(f"select count(*) from {table} where {where}")
    if total <= max_rows:
        return "true", {"sampled": False, "rows_available": int(total)}
    per_10k = max(1, int(10_000 * max_rows / total))
    return f"{wh.bucket('participant_id', 10_000)} < {per_10k}", {
        "sampled": True,
        "rows_available": int(total),
        "participant_share": per_10k / 10_000,
        "why": f"{total:,} rows exceed the in-memory budget of {max_rows:,}: a fixed share of participants, with all their rows, is used",
    }


def load_mart(wh: Warehouse, where: str = "true", columns: tuple[str, ...] | None = None, max_rows: int | None = None) -> pd.DataFrame:
    cols = columns or (config.KEY, "participant_id", "event_id", config.DATE_COLUMN, "label_window_closes_on", "is_label_final", config.TARGET, *config.FEATURES)
    wh.columns(config.MART)
    sample, note = participant_sample(wh, config.MART, where, max_rows) if max_rows else ("true", {"sampled": False})
    df = wh.frame(f"select {', '.join(dict.fromkeys(cols))} from {config.MART} where ({where}) and {sample} order by {config.DATE_COLUMN}, {config.KEY}")
    df.attrs["sample"] = note
    return df


def fingerprint(df: pd.DataFrame) -> dict:
    """Identify a training set by content: rows, date range and a hash of keys and labels."""
    h = hashlib.sha256()
    h.update(pd.util.hash_pandas_object(df[[config.KEY, config.TARGET]], index=False).to_numpy().tobytes())
    return {
        "rows": int(len(df)),
        "first_date": str(df[config.DATE_COLUMN].min().date()) if len(df) else None,
        "last_date": str(df[config.DATE_COLUMN].max().date()) if len(df) else None,
        "sha256": h.hexdigest()[:16],
    }
