"""Fault injection against the real pipeline: readers during writes, SIGKILL, failed
builds and rejected input. Each case asserts what BI sees: the published version intact
and readable, or the new one whole."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import ROOT, Run, python

READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    serving, out, stop = sys.argv[1:4]
    with open(out, "w") as log:
        while True:
            t0 = time.perf_counter()
            try:
                with duckdb.connect(serving, read_only=True) as con:
                    version = con.execute("select version from meta.publication").fetchall()[0][0]
                    fact = con.execute("select count(*) from marts.fct_ticket_attendance").fetchall()[0][0]
                    report = con.execute("select sum(tickets) from marts.rpt_region_monthly_activity").fetchall()[0][0]
                    scored = con.execute("select count(*) from marts.fct_ticket_attendance_predictions").fetchall()[0][0]
                    open_tickets = con.execute("select count(*) from marts.fct_ticket_attendance where not is_label_final").fetchall()[0][0]
                row = {"version": version, "consistent": fact == report and scored == open_tickets, "seconds": time.perf_counter() - t0}
            except Exception as e:
                row = {"error": repr(e), "seconds": time.perf_counter() - t0}
            log.write(json.dumps(row) + "\\n"); log.flush()
            try:
                open(stop).close(); break
            except FileNotFoundError:
                time.sleep(0.05)
    """
)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version(serving: Path) -> str:
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute("select version from meta.publication").fetchall()[0][0]


@pytest.fixture
def own_run(demo_run: Run, tmp_path: Path) -> Run:
    """A private copy of the demo run's folders, already published once."""
    copy = Run(
        raw=tmp_path / "raw",
        truth=tmp_path / "raw_truth",
        landing=tmp_path / "landing",
        warehouse=tmp_path / "wh" / "afisha.duckdb",
        artifacts=tmp_path / "artifacts",
        result=demo_run.result,
    )
    shutil.copytree(demo_run.raw, copy.raw)
    shutil.copytree(demo_run.truth, copy.truth)
    shutil.copytree(demo_run.landing, copy.landing)
    shutil.copytree(demo_run.artifacts, copy.artifacts)
    copy.warehouse.parent.mkdir()
    shutil.copy(demo_run.warehouse, copy.warehouse)
    shutil.copy(demo_run.warehouse.with_name("serving.duckdb"), copy.warehouse.with_name("serving.duckdb"))
    return copy


def pipeline_args(run: Run, raw: Path | None = None) -> list[str]:
    return ["-m", "pipeline", "--raw-dir", str(raw or run.raw), "--warehouse", str(run.warehouse), "--landing-dir", str(run.landing)]


def test_published_copy_is_read_only_and_versioned(demo_run):
    serving = demo_run.warehouse.with_name("serving.duckdb")
    assert oct(serving.stat().st_mode & 0o777) == "0o444"  # no write bit for anyone (root ignores modes)
    with pytest.raises(duckdb.Error):
        with duckdb.connect(str(serving), read_only=True) as con:
            con.execute("create table marts.intruder as select 1 as x")
    assert version(serving)


def test_reader_during_a_full_run_never_blocks_and_sees_whole_versions(own_run, tmp_path):
    serving = own_run.warehouse.with_name("serving.duckdb")
    before = version(serving)
    out, stop = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(serving), str(out), str(stop)])
    try:
        result = python(*pipeline_args(own_run), env=own_run.env())
        time.sleep(0.5)  # a few reads of the new version
    finally:
        stop.touch()
        reader.wait(timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    reads = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(reads) >= 20
    assert [r for r in reads if "error" in r] == []
    assert all(r["consistent"] for r in reads)
    assert max(r["seconds"] for r in reads) < 2.0
    versions = [r["version"] for r in reads]
    assert versions[0] == before and versions[-1] == version(serving) != before
    # Versions only move forward: no read sees an old version after a new one.
    assert versions == sorted(versions)


def start_and_kill_at(run: Run, marker: str, after_seconds: float, log: Path) -> None:
    """Start the pipeline, wait for `marker` in its log, then SIGKILL its whole process
    group (dbt included) as an OOM killer or a lost machine would."""
    with log.open("w") as f:
        proc = subprocess.Popen([sys.executable, *pipeline_args(run)], cwd=ROOT, env=run.env(), stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 300
    while marker not in log.read_text() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, f"pipeline ended before {marker!r}:\n{log.read_text()[-2000:]}"
    time.sleep(after_seconds)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize(("marker", "after"), [("── dbt build", 3.0), ("── train recommender", 1.0)])
def test_sigkill_leaves_the_published_version_and_the_next_run_succeeds(own_run, tmp_path, marker, after):
    serving = own_run.warehouse.with_name("serving.duckdb")
    published, before = sha(serving), version(serving)
    start_and_kill_at(own_run, marker, after, tmp_path / "killed.log")
    assert sha(serving) == published
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_ticket_attendance").fetchall()[0][0] > 0
    result = python(*pipeline_args(own_run), env=own_run.env())
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert version(serving) > before


def test_failed_dbt_test_publishes_nothing(own_run, tmp_path):
    """A visits export that stopped updating two months early fails the recency test at
    error severity: the build fails and BI keeps yesterday's version."""
    serving = own_run.warehouse.with_name("serving.duckdb")
    published = sha(serving)
    stale = tmp_path / "stale"
    shutil.copytree(own_run.raw, stale)
    visits = pd.read_csv(stale / "visit.csv", dtype=str, encoding="koi8-r")
    visits[visits["show_date"] < "2022-11-01"].to_csv(stale / "visit.csv", index=False, encoding="koi8-r")
    result = python(*pipeline_args(own_run, stale), env=own_run.env())
    assert result.returncode == 1
    assert "dbt build failed" in result.stderr
    assert sha(serving) == published


def test_rejected_share_above_threshold_stops_before_anything_changes(own_run, tmp_path):
    serving = own_run.warehouse.with_name("serving.duckdb")
    published, landing_before = sha(serving), sha(own_run.landing / "tickets.parquet")
    broken = tmp_path / "broken"
    shutil.copytree(own_run.raw, broken)
    tickets = (broken / "tickets.csv").read_bytes().decode("koi8-r").splitlines()
    # Every tenth ticket loses its price: 10 % rejected, above the 5 % default.
    damaged = [line if i == 0 or i % 10 else line.rsplit(",", 1)[0] + ",free" for i, line in enumerate(tickets)]
    (broken / "tickets.csv").write_bytes(("\n".join(damaged) + "\n").encode("koi8-r"))
    result = python(*pipeline_args(own_run, broken), env=own_run.env())
    assert result.returncode == 1
    assert "above the 5% threshold; nothing published" in result.stderr
    assert sha(serving) == published and sha(own_run.landing / "tickets.parquet") == landing_before
    lenient = python(*pipeline_args(own_run, broken), "--max-rejected-share", "0.2", env=own_run.env())
    assert lenient.returncode == 0, lenient.stderr[-3000:]
    with duckdb.connect(str(serving), read_only=True) as con:
        quarantined = con.execute("select count(*) from marts.rpt_rejected_records where reason like 'ticket_cost%'").fetchall()[0][0]
    assert quarantined == (len(tickets) - 1) // 10
