"""Publish the warehouse for BI: a read-only copy swapped in by atomic rename.

DuckDB lets one process write a file, and a reader holding it blocks the writer. So BI
never opens the file dbt and the scoring jobs write. After a run has built and tested
everything, the working file is checkpointed, copied, stamped with a version, made
read-only and renamed over the serving file. A reader that has the old file open keeps
reading that version to the end; the next connection sees the new one. A run that fails
or is killed before this step leaves the serving file as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import datetime, timezone
from pathlib import Path

import duckdb

PUBLICATION_TABLE = "meta.publication"


def publish(warehouse: Path, serving: Path, details: dict) -> dict:
    with duckdb.connect(str(warehouse)) as con:
        con.execute("checkpoint")  # everything in the main file, nothing left in the WAL
    tmp = serving.with_name(f".{serving.name}.incoming-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        shutil.copyfile(warehouse, tmp)
        published_at = datetime.now(timezone.utc).replace(tzinfo=None)
        version = f"{published_at:%Y%m%dT%H%M%S%fZ}"
        with duckdb.connect(str(tmp)) as con:
            con.execute("create schema if not exists meta")
            con.execute(f"create or replace table {PUBLICATION_TABLE} (version varchar, published_at timestamp, details varchar)")
            con.execute(f"insert into {PUBLICATION_TABLE} values (?, ?, ?)", [version, published_at, json.dumps(details)])
            # Test failures are for the engineers who run the build, not for BI.
            con.execute("drop schema if exists test_failures cascade")
            con.execute("checkpoint")
        # Read-only by construction: the file itself cannot be written by a BI tool.
        tmp.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(tmp, serving)
    finally:
        tmp.unlink(missing_ok=True)
    return {"version": version, "path": str(serving)}


def published_version(serving: Path) -> str | None:
    if not serving.is_file():
        return None
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(f"select version from {PUBLICATION_TABLE}").fetchall()
    return rows[0][0] if rows else None
