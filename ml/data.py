"""Read marts from the warehouse (DuckDB, read-only) and fingerprint what was read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ml import config


class DataError(Exception):
    """The warehouse or the mart is not what the model needs."""


def connect_read_only(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.is_file():
        raise DataError(f"warehouse {warehouse} does not exist; run the dbt build first")
    # DuckDB's default limit is 80 % of RAM, and its buffer pool keeps what a scan read:
    # on a large mart that left no room for the model. The models' frames live in pandas.
    limit = os.environ.get("AFISHA_ML_DUCKDB_MEMORY_LIMIT", "4GB")
    return duckdb.connect(str(warehouse), read_only=True, config={"memory_limit": limit})


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """First value of a one-row query. Fetches to the end: duckdb 2 leaves a result that
    was read with fetchone() open and refuses further work on the connection."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0][0] if rows else None


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else ()


def mart_columns(con: duckdb.DuckDBPyConnection, table: str = config.MART) -> dict[str, str]:
    schema, name = table.split(".")
    rows = con.execute(
        "select column_name, data_type from information_schema.columns where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, name],
    ).fetchall()
    if not rows:
        raise DataError(f"{table} is missing from the warehouse")
    return dict(rows)


def participant_sample(con: duckdb.DuckDBPyConnection, table: str, where: str, max_rows: int) -> tuple[str, dict]:
    """A SQL condition keeping whole participants, so that at most about max_rows rows
    are read, and a note for the report. Participants are chosen by a hash of their ID:
    the same ones every run, each with all their rows over time."""
    total = scalar(con, f"select count(*) from {table} where {where}")
    if total <= max_rows:
        return "true", {"sampled": False, "rows_available": int(total)}
    per_10k = max(1, int(10_000 * max_rows / total))
    return f"hash(participant_id) % 10000 < {per_10k}", {
        "sampled": True,
        "rows_available": int(total),
        "participant_share": per_10k / 10_000,
        "why": f"{total:,} rows exceed the in-memory budget of {max_rows:,}: a fixed share of participants, with all their rows, is used",
    }


def load_mart(warehouse: Path, where: str = "true", columns: tuple[str, ...] | None = None, max_rows: int | None = None) -> pd.DataFrame:
    cols = columns or (config.KEY, "participant_id", "event_id", config.DATE_COLUMN, "label_window_closes_on", "is_label_final", config.TARGET, *config.FEATURES)
    with connect_read_only(warehouse) as con:
        mart_columns(con)
        sample, note = participant_sample(con, config.MART, where, max_rows) if max_rows else ("true", {"sampled": False})
        sql = f"select {', '.join(dict.fromkeys(cols))} from {config.MART} where ({where}) and {sample} order by {config.DATE_COLUMN}, {config.KEY}"
        df = con.execute(sql).df()
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


def replace_run(warehouse: Path, table: str, ddl: str, rows: pa.Table, run_id: str) -> int:
    """Write one run's rows in a single transaction, replacing that run's earlier rows.

    A retry never duplicates, and a failure at any point leaves the table as it was.
    `rows` carries the table's columns in order, run_id among them.
    """
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"create schema if not exists {table.split('.')[0]}")
        con.execute(ddl)
        con.execute("begin transaction")
        try:
            con.execute(f"delete from {table} where run_id = ?", [run_id])
            con.register("new_rows", rows)
            con.execute(f"insert into {table} select * from new_rows")
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        return scalar(con, f"select count(*) from {table} where run_id = ?", [run_id])
    finally:
        con.close()
