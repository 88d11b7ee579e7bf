"""Shared fixtures: real subprocesses, a real DuckDB file, real dbt builds, in tmp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED_DATA = ROOT.parent / "shared" / "seed" / "data"
SMALL_PARTICIPANTS = 4000


@dataclass
class Run:
    raw: Path
    truth: Path
    landing: Path
    warehouse: Path
    artifacts: Path
    result: subprocess.CompletedProcess

    def env(self, **extra: str) -> dict[str, str]:
        return afisha_env(self.landing, self.warehouse, self.artifacts, **extra)


def afisha_env(landing: Path, warehouse: Path, artifacts: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "AFISHA_LANDING_DIR": str(landing), "AFISHA_WAREHOUSE": str(warehouse), "AFISHA_ARTIFACTS_DIR": str(artifacts), **extra}


def python(*args: str, env: dict | None = None, check: bool = False, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run `python <args>` in the project like a user or scheduler would."""
    result = subprocess.run([sys.executable, *args], cwd=ROOT, env=env or dict(os.environ), capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}\nstdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}")
    return result


def dbt(*args: str, env: dict, check: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "dbt"
    result = subprocess.run([str(exe), *args, "--project-dir", str(ROOT), "--profiles-dir", str(ROOT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {args} exited {result.returncode}\n{result.stdout[-6000:]}")
    return result


def rows_differing(con, left: str, right: str, exclude: tuple[str, ...] = ()) -> int:
    """Rows in one relation and not in the other, both ways, as multisets, with the
    columns of `left` but `exclude`; doubles compared to 9 decimals, since engines and
    parallel sums may differ in the last bits."""
    columns = con.execute(f"select column_name, column_type from (describe select * from {left})").fetchall()
    select = ", ".join(f"round({c}, 9)" if t in ("DOUBLE", "FLOAT") else c for c, t in columns if c not in exclude)
    one_way = con.execute(f"select count(*) from (select {select} from {left} except all select {select} from {right})").fetchone()[0]
    other_way = con.execute(f"select count(*) from (select {select} from {right} except all select {select} from {left})").fetchone()[0]
    return one_way + other_way


def generate(out: Path, participants: int = SMALL_PARTICIPANTS, seed: int = 3, *extra: str) -> Path:
    python("-m", "synth", "--participants", str(participants), "--seed", str(seed), "--out", str(out), *extra, check=True)
    return out


def build(raw: Path, workdir: Path, name: str, *ingest_args: str) -> tuple[Path, Path]:
    """Ingest a raw folder and dbt build it into a fresh warehouse; return (landing, warehouse)."""
    landing, warehouse = workdir / f"{name}_landing", workdir / f"{name}.duckdb"
    env = afisha_env(landing, warehouse, workdir / "artifacts")
    python("-m", "ingest", "--raw-dir", str(raw), *ingest_args, env=env, check=True)
    dbt("build", env=env)
    return landing, warehouse


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Run:
    """The main job end to end on small generated data, as `make run` runs it."""
    tmp = tmp_path_factory.mktemp("demo")
    raw = generate(tmp / "raw")
    run = Run(raw=raw, truth=tmp / "raw_truth", landing=tmp / "landing", warehouse=tmp / "wh" / "afisha.duckdb", artifacts=tmp / "artifacts", result=None)  # type: ignore[arg-type]
    run.result = python("-m", "pipeline", "--raw-dir", str(raw), "--warehouse", str(run.warehouse), "--landing-dir", str(run.landing), env=run.env())
    assert run.result.returncode == 0, run.result.stderr[-6000:]
    return run


CUT_ON = "2022-06-01"
INCREMENTAL = ["int_tickets_labelled", "int_tickets_participant_history", "int_tickets_event_history", "fct_ticket_attendance"]


@pytest.fixture(scope="session")
def cut_warehouse(demo_run, tmp_path_factory) -> Path:
    """The demo's raw files cut at CUT_ON (nothing on or after it), built anew: the
    leakage tests compare its features with the full build's."""
    tmp = tmp_path_factory.mktemp("cut")
    return build(cut_raw(demo_run.raw, tmp / "raw_cut"), tmp, "cut")[1]


def cut_raw(raw: Path, cut: Path, cut_on: str = CUT_ON) -> Path:
    """A copy of a generated raw folder without the tickets and visits dated cut_on or
    later: the data as they stood on an earlier night."""
    import pandas as pd

    cut.mkdir(parents=True)
    read = lambda name: pd.read_csv(raw / name, dtype=str, encoding="koi8-r")  # noqa: E731
    tickets, visits = read("tickets.csv"), read("visit.csv")
    tickets[tickets["sell_date"] < cut_on].to_csv(cut / "tickets.csv", index=False, encoding="koi8-r")
    visits[visits["show_date"] < cut_on].to_csv(cut / "visit.csv", index=False, encoding="koi8-r")
    for name in ("ages.csv", "show.csv"):
        shutil.copy(raw / name, cut / name)
    return cut


@pytest.fixture
def warehouse_copy(demo_run: Run, tmp_path: Path) -> Path:
    """A private copy of the demo warehouse for tests that write to it."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_run.warehouse, copy)
    return copy
