"""The main job as `make run` starts it: summary, exit codes, lock."""

from __future__ import annotations

import fcntl

from conftest import python


def test_run_prints_a_summary_a_person_can_act_on(demo_run):
    out = demo_run.result.stdout
    assert "afisha: run complete" in out
    assert "marts.fct_ticket_attendance" in out and "ml.ticket_attendance_scores" in out
    assert "ROC-AUC" in out and "oracle ceiling" in out
    assert str(demo_run.warehouse) in out


def test_second_run_exits_75_while_the_lock_is_held(demo_run):
    lock = demo_run.warehouse.with_name(demo_run.warehouse.name + ".lock")
    with lock.open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = python("-m", "pipeline", "--raw-dir", str(demo_run.raw), "--warehouse", str(demo_run.warehouse), "--landing-dir", str(demo_run.landing), env=demo_run.env())
    assert result.returncode == 75
    assert "another run holds" in result.stderr


def test_missing_raw_directory_fails_with_exit_1(demo_run, tmp_path):
    result = python("-m", "pipeline", "--raw-dir", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "wh.duckdb"), "--landing-dir", str(tmp_path / "landing"), env=demo_run.env())
    assert result.returncode == 1
    assert "does not exist" in result.stderr

