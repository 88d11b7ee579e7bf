"""The scheduled scoring job: idempotent, refuses clearly, never loses earlier scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb

from conftest import ROOT, build, generate, python


def scores(warehouse) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select run_id, count(*), count(distinct ticket_id), min(attendance_probability), max(attendance_probability) from ml.ticket_attendance_scores group by run_id order by run_id").fetchall()


def open_tickets(warehouse) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from marts.fct_ticket_attendance where not is_label_final").fetchall()[0][0]


def score(run, warehouse, *args: str) -> subprocess.CompletedProcess:
    return python("-m", "ml.score", "--warehouse", str(warehouse), *args, env=run.env())


def test_pipeline_scored_every_open_ticket(demo_run):
    [(run_id, rows, distinct, lo, hi)] = scores(demo_run.warehouse)
    assert rows == distinct == open_tickets(demo_run.warehouse) > 0
    assert 0 < lo < hi < 1
    # scores -> marts: the BI mart serves exactly that run.
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as con:
        served = con.execute("select count(*), min(run_id), max(run_id) from marts.fct_ticket_attendance_predictions").fetchall()[0]
    assert served == (rows, run_id, run_id)


def test_rerun_replaces_its_rows_and_a_new_run_adds(demo_run, warehouse_copy):
    before = scores(warehouse_copy)
    assert score(demo_run, warehouse_copy).returncode == 0
    assert scores(warehouse_copy) == before  # same run id: replaced, not duplicated
    assert score(demo_run, warehouse_copy, "--run-id", "manual-1").returncode == 0
    after = dict((r[0], r[1]) for r in scores(warehouse_copy))
    assert after["manual-1"] == before[0][1] and len(after) == 2


def test_schema_mismatch_is_refused_and_nothing_written(demo_run, warehouse_copy):
    before = scores(warehouse_copy)
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("alter table marts.fct_ticket_attendance drop column prior_no_show_rate")
    result = score(demo_run, warehouse_copy, "--run-id", "should-not-exist")
    assert result.returncode == 1
    assert "prior_no_show_rate is missing" in result.stderr
    assert scores(warehouse_copy) == before


def test_empty_mart_is_refused(demo_run, warehouse_copy):
    with duckdb.connect(str(warehouse_copy)) as con:
        con.execute("delete from marts.fct_ticket_attendance")
    result = score(demo_run, warehouse_copy, "--run-id", "empty")
    assert result.returncode == 1 and "is empty" in result.stderr


def test_tampered_or_outside_model_is_refused(demo_run, warehouse_copy, tmp_path):
    artifacts = tmp_path / "artifacts"
    shutil.copytree(demo_run.artifacts, artifacts)
    env = demo_run.env(AFISHA_ARTIFACTS_DIR=str(artifacts))
    version = (artifacts / "attendance" / "LATEST").read_text().strip()
    before = scores(warehouse_copy)

    outside = python("-m", "ml.score", "--warehouse", str(warehouse_copy), "--model-version", "../../elsewhere", env=env)
    assert outside.returncode == 1 and "outside the model folder" in outside.stderr

    with (artifacts / "attendance" / version / "model.joblib").open("ab") as f:
        f.write(b"tampered")
    tampered = python("-m", "ml.score", "--warehouse", str(warehouse_copy), "--run-id", "tampered", env=env)
    assert tampered.returncode == 1 and "does not match the hash" in tampered.stderr
    assert scores(warehouse_copy) == before

    shutil.rmtree(artifacts / "attendance")
    missing = python("-m", "ml.score", "--warehouse", str(warehouse_copy), env=env)
    assert missing.returncode == 1 and "no trained attendance model" in missing.stderr


def test_model_trained_on_one_warehouse_scores_another(demo_run, tmp_path):
    """Train and score point at different warehouses and raw folders (another period)."""
    raw = generate(tmp_path / "raw_other", 1500, 99, "--days", "520")
    _, other = build(raw, tmp_path, "other")
    result = score(demo_run, other)
    assert result.returncode == 0, result.stderr
    [(run_id, rows, _, _, _)] = scores(other)
    assert rows == open_tickets(other) and run_id.startswith("20230202-")  # 2021-09-01 + 519 days: the data's as-of date


def test_help_is_there_for_every_entry_point():
    for module in ("pipeline", "synth", "ingest", "ml.train", "ml.evaluate", "ml.score"):
        result = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0 and "usage:" in result.stdout, module


def test_evaluate_judges_only_tickets_after_the_training_window(demo_run, tmp_path):
    result = python("-m", "ml.evaluate", "--warehouse", str(demo_run.warehouse), env=demo_run.env())
    assert result.returncode == 1 and "after the model's training window" in result.stderr
    raw = generate(tmp_path / "raw_later", 1500, 5, "--days", "700")
    _, later = build(raw, tmp_path, "later")
    result = python("-m", "ml.evaluate", "--warehouse", str(later), env=demo_run.env())
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert list(metrics.values())[0]["tickets"] > 100
