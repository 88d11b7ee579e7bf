"""The benchmark runs every stage and writes its figures (no timing assertions here:
speed and memory targets live in the benchmark's output, not in tests)."""

from __future__ import annotations

import json

import duckdb

from conftest import python


def test_benchmark_times_every_stage_and_writes_json(tmp_path):
    out = tmp_path / "results.json"
    result = python("-m", "pipeline.bench", "--tickets", "15000", "--workdir", str(tmp_path / "bench"), "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(out.read_text())
    stages = {s["stage"]: s for s in figures["stages"]}
    assert list(stages) == [
        "generate", "ingest", "dbt build (full)", "dbt build (incremental)",
        "train attendance", "score attendance", "train recommender", "score recommender", "pandas (original task)",
    ]  # fmt: skip
    assert all(s["exit_code"] == 0 and s["seconds"] > 0 and s["peak_memory_gb"] > 0.01 for s in stages.values())
    assert 11_000 < stages["ingest"]["rows"] < 19_000
    assert figures["machine"]["cores"] >= 1 and figures["pipeline_seconds"] > 0
    assert figures["pandas"]["merged_rows"] >= stages["ingest"]["rows"] and "rows in" in figures["pandas"]["cross_join"]
    assert "dbt build" in result.stdout and "GB" in result.stdout
    # The full build ran on the data without its last day; the increment added that day.
    full, nightly = stages["dbt build (full)"], stages["dbt build (incremental)"]
    assert 0 < full["rows"] < nightly["rows"] and figures["incremental_day"] and "of the full build" in result.stdout
    assert {n["node"] for n in full["slowest_nodes"]} and all(n["seconds"] >= 0 for n in nightly["slowest_nodes"])


def test_attendance_only_benchmark_leaves_out_the_recommender(tmp_path):
    out = tmp_path / "results.json"
    work = tmp_path / "bench"
    result = python("-m", "pipeline.bench", "--tickets", "8000", "--only", "attendance", "--skip-pandas", "--workdir", str(work), "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["stages_run"] == "attendance"
    assert [s["stage"] for s in figures["stages"]] == ["generate", "ingest", "dbt build (full)", "dbt build (incremental)", "train attendance", "score attendance"]
    with duckdb.connect(str(work / "t8000" / "warehouse.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts'").fetchall()}
    assert "fct_ticket_attendance" in tables and "fct_recommendation_candidates" not in tables
