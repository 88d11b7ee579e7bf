"""The same dbt project and the same ml/ jobs on Spark (dbt-spark, local session) and on
DuckDB, from the same landing files: every mart holds the same rows, scores included.

Spark writes its tables as Parquet under AFISHA_SPARK_DIR; DuckDB reads those files and
compares them with its own build, row for row (conftest.rows_differing). The ml/ jobs
run with `--target spark`: they read Spark's marts and score on its executors."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

import warehouse_contract
from conftest import CUT_ON, INCREMENTAL, afisha_env, cut_raw, dbt, generate, python, rows_differing

PARITY_PARTICIPANTS = 600
SCORE_FED = ["stg_ml__ticket_attendance_scores+", "stg_ml__event_recommendations+"]


VANISHED_DAY = "2022-05-20"


def without_purchase_day(raw: Path, out: Path, day: str) -> Path:
    """A copy of a raw folder without the tickets sold on `day`."""
    import shutil

    import pandas as pd

    out.mkdir()
    tickets = pd.read_csv(raw / "tickets.csv", dtype=str, encoding="koi8-r")
    assert (tickets["sell_date"] == day).sum() > 0
    tickets[tickets["sell_date"] != day].to_csv(out / "tickets.csv", index=False, encoding="koi8-r")
    for name in ("ages.csv", "show.csv", "visit.csv"):
        shutil.copy(raw / name, out / name)
    return out


@dataclass
class Parity:
    warehouse: Path
    tables_dir: Path
    artifacts: Path
    duckdb_artifacts: Path


def ml(*args: str, env: dict) -> None:
    python("-m", *args, env=env, check=True)


@pytest.fixture(scope="module")
def both_builds(tmp_path_factory) -> Parity:
    """Both targets built, both models trained on Spark's marts, open tickets and
    candidates scored on each engine with those models, score-fed marts rebuilt."""
    tmp = tmp_path_factory.mktemp("parity")
    generated = generate(tmp / "raw_generated", PARITY_PARTICIPANTS, 11)
    raw = without_purchase_day(generated, tmp / "raw", VANISHED_DAY)
    landing, warehouse, spark_dir = tmp / "landing", tmp / "afisha.duckdb", tmp / "spark"
    env = afisha_env(landing, warehouse, tmp / "artifacts", AFISHA_SPARK_DIR=str(spark_dir))
    cut_env = {**env, "AFISHA_LANDING_DIR": str(tmp / "landing_cut")}
    python("-m", "ingest", "--raw-dir", str(raw), env=env, check=True)
    python("-m", "ingest", "--raw-dir", str(cut_raw(generated, tmp / "raw_cut")), env=cut_env, check=True)
    dbt("build", "--target-path", str(tmp / "target_duckdb"), env=env)
    # Spark: an earlier night's data first, then tonight's as an increment, in which
    # every ticket of one earlier day has gone (a correction upstream).
    dbt("build", "--target", "spark", "--target-path", str(tmp / "target_spark"), env=cut_env)
    spark = dbt("build", "--target", "spark", "--target-path", str(tmp / "target_spark"), env=env)
    assert "Completed successfully" in spark.stdout
    for model in INCREMENTAL:
        compiled = next((tmp / "target_spark" / "run").rglob(f"{model}.sql")).read_text().lower()
        assert compiled.lstrip().startswith("insert overwrite table"), model
    # Derby: one process at a time, so every Spark job below runs after the dbt build.
    ml("ml.train", "--target", "spark", env=env)
    ml("ml.train_recommender", "--target", "spark", env=env)
    ml("ml.train", env={**env, "AFISHA_ARTIFACTS_DIR": str(tmp / "artifacts_duckdb")})
    for job in ("ml.score", "ml.score_recommender"):
        ml(job, "--target", "spark", env=env)
        ml(job, env=env)
    dbt("build", "--select", *SCORE_FED, "--target-path", str(tmp / "target_duckdb"), env=env)
    dbt("build", "--target", "spark", "--select", *SCORE_FED, "--target-path", str(tmp / "target_spark"), env=env)
    return Parity(warehouse, spark_dir / "tables", tmp / "artifacts", tmp / "artifacts_duckdb")


def spark_tables(tables_dir: Path, schema: str) -> dict[str, Path]:
    return {p.name: p for p in sorted((tables_dir / f"{schema}.db").iterdir()) if p.is_dir()}


def differences(con: duckdb.DuckDBPyConnection, duck_table: str, spark_files: Path) -> tuple[int, int, int]:
    """(rows in DuckDB, rows in Spark, rows in one and not in the other). scored_at is
    left out: each engine's scoring job stamps its own time."""
    spark = f"read_parquet('{spark_files}/**/*.parquet', hive_partitioning = true)"
    duck_rows = con.execute(f"select count(*) from {duck_table}").fetchone()[0]
    spark_rows = con.execute(f"select count(*) from {spark}").fetchone()[0]
    return duck_rows, spark_rows, rows_differing(con, duck_table, spark, exclude=("scored_at",))


def test_every_mart_is_the_same_on_spark_and_duckdb(both_builds):
    marts = spark_tables(both_builds.tables_dir, "marts")
    with duckdb.connect(str(both_builds.warehouse), read_only=True) as con:
        duck = {r[0] for r in con.execute("select table_name from information_schema.tables where table_schema = 'marts' and table_type = 'BASE TABLE'").fetchall()}
        assert set(marts) == duck and len(duck) >= 15
        result = {name: differences(con, f"marts.{name}", path) for name, path in marts.items()}
    assert result["fct_ticket_attendance"][0] > 2000
    # The score-fed marts are compared full: each engine scored its own marts.
    assert result["fct_ticket_attendance_predictions"][0] > 300 and result["fct_event_recommendations"][0] > 3000
    assert result["rpt_attendance_model_monitoring"][0] == 1
    assert {name: r[2] for name, r in result.items()} == {name: 0 for name in result}, result
    assert all(r[0] == r[1] for r in result.values())


def test_the_spark_build_was_an_increment(both_builds):
    """The second Spark build rebuilt only the days from its boundary on, well after the
    first day, and that boundary is before the cut (the lookback reaches back)."""
    boundary = both_builds.tables_dir / "intermediate.db" / "int_tickets_rebuild_boundary"
    with duckdb.connect() as con:
        rebuilt_from, first_day = con.execute(f"select max(rebuild_from_on), min(activity_on) from read_parquet('{boundary}/*.parquet')").fetchall()[0]
    assert first_day < rebuilt_from < date.fromisoformat(VANISHED_DAY) < date.fromisoformat(CUT_ON)
    # The vanished day's partition was dropped, not left behind by insert_overwrite.
    fct = both_builds.tables_dir / "marts.db" / "fct_ticket_attendance"
    assert (fct / "purchased_on=2022-05-19").is_dir() and not (fct / f"purchased_on={VANISHED_DAY}").exists()


def test_ml_reads_the_same_training_set_from_spark(both_builds):
    """Trained from Spark's marts and from DuckDB's: the same rows, labels and model."""

    def latest(artifacts: Path, name: str) -> tuple[dict, dict]:
        folder = artifacts / name / (artifacts / name / "LATEST").read_text().strip()
        return json.loads((folder / "metadata.json").read_text()), json.loads((folder / "report.json").read_text())

    spark_meta, spark_report = latest(both_builds.artifacts, "attendance")
    duck_meta, duck_report = latest(both_builds.duckdb_artifacts, "attendance")
    assert spark_report["engine"] == "spark" and duck_report["engine"] == "duckdb"
    assert spark_meta["data_fingerprint"] == duck_meta["data_fingerprint"] and spark_meta["data_fingerprint"]["rows"] > 2000
    assert spark_meta["model_kind"] == duck_meta["model_kind"] and spark_meta["metrics"] == duck_meta["metrics"]
    assert spark_meta["threshold"] == duck_meta["threshold"]


def test_scores_written_on_spark_equal_the_duckdb_scores(both_builds):
    """Scored on Spark's executors, written as one partition per run: the same scores."""
    ml_tables = spark_tables(both_builds.tables_dir, "ml")
    assert set(ml_tables) == {"ticket_attendance_scores", "event_recommendations"}
    with duckdb.connect(str(both_builds.warehouse), read_only=True) as con:
        for name, path in ml_tables.items():
            [partition] = [p.name for p in path.iterdir() if p.is_dir()]
            [run_id] = [r[0] for r in con.execute(f"select distinct run_id from ml.{name}").fetchall()]
            assert partition == f"run_id={run_id}"
            duck_rows, spark_rows, differing = differences(con, f"ml.{name}", path)
            assert duck_rows == spark_rows > 300 and differing == 0, name


def test_write_run_keeps_its_promises_on_both_engines(tmp_path, monkeypatch):
    """Same run id replaces, another adds, a failure after other batches had rows leaves
    every run as it was, an empty result changes nothing, a hostile run id is refused,
    and the participant buckets are the same on both engines."""
    from ml import config, data

    expected_runs = {"r1": ["v2", 1000], "r2": ["v1", 10]}
    spark = python("tests/warehouse_contract.py", env={**afisha_env(tmp_path / "l", tmp_path / "w.duckdb", tmp_path / "a"), "AFISHA_SPARK_DIR": str(tmp_path / "spark")})
    [line] = [x for x in spark.stdout.splitlines() if x.startswith("CONTRACT ")]
    on_spark = json.loads(line.removeprefix("CONTRACT "))
    duckdb.connect(str(tmp_path / "w.duckdb")).close()
    monkeypatch.setattr(config, "BATCH_ROWS", 100)  # ten batches: the failure comes in the last
    with data.DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        on_duckdb = warehouse_contract.check(wh)
    for report in (on_spark, on_duckdb):
        assert report["first"] == report["retry"] == report["empty"] == 1000
        assert report["after_retry"] == report["after_failure"] == report["after_empty"] == expected_runs
        assert "planted failure at item 00999" in report["failure"]
        assert "is not allowed" in report["bad_run_id"] and report["buckets_match_python"] is True
    assert "nothing of run r1 was written" in on_spark["failure"]


def test_the_comparison_sees_a_changed_row(both_builds, tmp_path):
    """The check can fail: a Spark copy with one price changed differs by two rows."""
    changed = tmp_path / "fct"
    changed.mkdir()
    source = both_builds.tables_dir / "marts.db" / "fct_ticket_attendance"
    with duckdb.connect(str(both_builds.warehouse), read_only=True) as con:
        spark = f"read_parquet('{source}/**/*.parquet', hive_partitioning = true)"
        con.execute(
            f"copy (select * replace (case when ticket_id = (select min(ticket_id) from {spark}) then price_rub + 1 else price_rub end as price_rub) "
            f"from {spark}) to '{changed}/part.parquet' (format parquet)"
        )
        assert differences(con, "marts.fct_ticket_attendance", changed)[2] == 2


def test_a_taken_metastore_is_a_clear_refusal(both_builds, tmp_path):
    """Derby lets one process at a time: while another holds the metastore, the scorer
    exits 1 saying so, and writes nothing."""
    import subprocess
    import sys

    from conftest import ROOT

    env = afisha_env(tmp_path / "l", both_builds.warehouse, both_builds.artifacts, AFISHA_SPARK_DIR=str(both_builds.tables_dir.parent))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys\nfrom ml.spark import SparkWarehouse\nw = SparkWarehouse()\nw.scalar('select 1')\nprint('holding', flush=True)\nsys.stdin.read()"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert any(line.strip() == "holding" for line in holder.stdout), "the holder never opened the metastore"
        before = {p.name for p in (both_builds.tables_dir / "ml.db" / "ticket_attendance_scores").iterdir()}
        result = python("-m", "ml.score", "--target", "spark", "--run-id", "while-taken", env=env)
        assert result.returncode == 1
        assert "Derby lets one process use it at a time" in result.stderr
        assert {p.name for p in (both_builds.tables_dir / "ml.db" / "ticket_attendance_scores").iterdir()} == before
    finally:
        holder.stdin.close()
        holder.wait(timeout=120)
