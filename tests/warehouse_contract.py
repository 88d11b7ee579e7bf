"""The promises of ml.data.Warehouse.write_run, checked on a real engine.

`check(wh)` writes runs of a scratch table and reports what it saw; the tests assert on
the report. DuckDB runs it in the test process; Spark in a subprocess of its own
(`python tests/warehouse_contract.py`), since a SparkSession and its Derby metastore
belong to one process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa

TABLE = "ml.contract_check"
SCHEMA = pa.schema([pa.field("item_id", pa.string(), nullable=False), pa.field("version", pa.string(), nullable=False), pa.field("run_id", pa.string(), nullable=False)])


def items(wh, where: str = "true") -> str:
    """1,000 items; on Spark in 4 partitions, so that a failure in the last one comes
    after the others have written their files (the DuckDB test shrinks the batch size)."""
    if wh.engine == "spark":
        rows = "select lpad(cast(id as string), 5, '0') as item_id, id from range(0, 1000, 1, 4)"
    else:
        rows = "select lpad(cast(i as varchar), 5, '0') as item_id, i as id from range(0, 1000) as r(i)"
    return f"select * from ({rows}) as items where {where}"


def stamp(version: str, run_id: str, fail_on: str | None = None):
    def fn(batch: pd.DataFrame) -> pd.DataFrame:
        if fail_on is not None and (batch["item_id"] == fail_on).any():
            raise ValueError(f"planted failure at item {fail_on}")
        return batch.assign(version=version, run_id=run_id)

    return fn


def runs(wh) -> dict[str, list]:
    frame = wh.frame(f"select run_id, version, count(*) as n from {TABLE} group by run_id, version order by run_id, version")
    return {r.run_id: [r.version, int(r.n)] for r in frame.itertuples()}


def check(wh) -> dict:
    from ml import data

    report: dict = {}
    report["first"] = wh.write_run(TABLE, SCHEMA, items(wh), stamp("v1", "r1"), "r1")
    report["retry"] = wh.write_run(TABLE, SCHEMA, items(wh), stamp("v2", "r1"), "r1")
    wh.write_run(TABLE, SCHEMA, items(wh, "id < 10"), stamp("v1", "r2"), "r2")
    report["after_retry"] = runs(wh)
    try:
        wh.write_run(TABLE, SCHEMA, items(wh), stamp("v3", "r1", fail_on="00999"), "r1")
        report["failure"] = "no error"
    except Exception as e:  # the engine's own error or DataError; the message must say why
        report["failure"] = f"{type(e).__name__}: {e}"
    report["after_failure"] = runs(wh)
    report["empty"] = wh.write_run(TABLE, SCHEMA, items(wh, "id < 0"), stamp("v4", "r1"), "r1")
    report["after_empty"] = runs(wh)
    try:
        wh.write_run(TABLE, SCHEMA, items(wh), stamp("v5", "r3"), "r3'; drop table x")
        report["bad_run_id"] = "accepted"
    except data.DataError as e:
        report["bad_run_id"] = str(e)
    ids = [f"{i:05d}" for i in range(0, 200_000, 997)]
    values = ", ".join(f"('{i}')" for i in ids)
    buckets = wh.frame(f"select participant_id, {wh.bucket('participant_id', 10_000)} as bucket from (values {values}) as v(participant_id)")
    report["buckets_match_python"] = dict(zip(buckets["participant_id"], buckets["bucket"].astype(int))) == {i: data.stable_bucket(i) for i in ids}
    return report


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ml.spark import SparkWarehouse

    with SparkWarehouse() as spark:
        print("CONTRACT " + json.dumps(check(spark)))
