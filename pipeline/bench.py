"""Benchmark: generate data at a scale, run every stage, print and save the figures.

Each stage runs as its own process (as in production), timed wall-clock, with the peak
memory of its whole process tree sampled from /proc. The straightforward pandas approach
of the original task (merge the four files, cross join participants x events for
recommendations) runs on the same files where it fits in memory.

    python -m pipeline.bench --tickets 1000000          # or: make bench SCALE=1000000
    python -m pipeline.bench --tickets 1000000 --target spark   # the same stages on local Spark
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from pipeline import paths
from pipeline.run import dbt_executable

# dbt's selector for the recommender's models (cutoffs and all that depends on them).
RECOMMENDER_MODELS = "int_recommendation_cutoffs+"
TICKETS_PER_PARTICIPANT = 5.5  # what the generator yields over 487 days at 1 event per 50 participants
PAGE = os.sysconf("SC_PAGE_SIZE")


def _tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry.name}/statm", "rb") as f:
                pages = int(f.read().split()[1])
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = pages * PAGE
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_stage(name: str, cmd: list[str], env: dict, rows: int, log_dir: Path) -> dict:
    log_path = log_dir / (name.replace(" ", "_").replace("(", "").replace(")", "") + ".log")
    with log_path.open("w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, cwd=paths.ROOT, stdout=log, stderr=subprocess.STDOUT)
        peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss(proc.pid))
                done.wait(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        done.set()
        sampler.join()
        seconds = time.perf_counter() - t0
    return {"stage": name, "seconds": round(seconds, 1), "rows": rows, "rows_per_second": None, "peak_memory_gb": round(peak / 1e9, 2), "exit_code": code, "log": str(log_path)}


def show(result: dict) -> None:
    failed = "" if result["exit_code"] == 0 else f"  FAILED (exit {result['exit_code']}, see {result['log']})"
    print(f"  {result['stage']:<22} {result['seconds']:8.1f} s {result['rows']:>12,} rows {result['rows_per_second'] or 0:>10,}/s {result['peak_memory_gb']:7.2f} GB{failed}", flush=True)


def count_rows(warehouse: Path, table: str, where: str = "true", spark_tables: Path | None = None) -> int:
    """Rows of a table in the DuckDB warehouse, or in Spark's Parquet tables when given."""
    import duckdb

    if spark_tables is None:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            return con.execute(f"select count(*) from {table} where {where}").fetchall()[0][0]
    schema, name = table.split(".")
    with duckdb.connect() as con:
        return con.execute(f"select count(*) from read_parquet('{spark_tables}/{schema}.db/{name}/**/*.parquet', hive_partitioning = true) where {where}").fetchall()[0][0]


def previous_day_landing(landing: Path, out: Path) -> str:
    """A copy of the landing data without its last purchase day: the warehouse built on it
    is "yesterday's", and the build on the whole landing data is the nightly increment."""
    import shutil

    import duckdb

    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(landing, out)
    with duckdb.connect() as con:
        last_day = con.execute(f"select max(sell_date) from read_parquet('{landing}/tickets.parquet')").fetchall()[0][0]
        for name, column in (("tickets", "sell_date"), ("visit", "show_date")):
            con.execute(
                f"copy (select * from read_parquet('{landing}/{name}.parquet') where {column} < date '{last_day}') "
                f"to '{out}/{name}.parquet' (format parquet, compression zstd)"
            )
    return str(last_day)


def slowest_nodes(target: Path, n: int = 8) -> list[dict]:
    """The dbt nodes that took longest, from run_results.json."""
    path = target / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text())["results"]
    top = sorted(results, key=lambda r: r.get("execution_time") or 0, reverse=True)[:n]
    return [{"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 1)} for r in top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000, help="about this many tickets (default 1,000,000)")
    parser.add_argument("--workdir", type=Path, default=paths.ROOT / "data" / "bench", help="where data and warehouse go (default data/bench)")
    parser.add_argument("--out", type=Path, default=None, help="JSON results (default docs/benchmarks/results-<tickets>.json)")
    parser.add_argument("--memory-limit", default=os.environ.get("AFISHA_DUCKDB_MEMORY_LIMIT", "8GB"), help="DuckDB memory limit for dbt (default %(default)s); above it DuckDB spills to <warehouse>.tmp")
    parser.add_argument("--skip-pandas", action="store_true", help="do not time the pandas approach")
    parser.add_argument("--training-share", type=float, default=None, help="dbt var recommendation_training_share (default: 1.0 up to 2 M tickets, then 2 M / tickets)")
    parser.add_argument("--only", choices=["all", "attendance"], default="all", help="attendance: leave out the recommender's models and stages (national scale in less time)")
    parser.add_argument("--target", choices=["dev", "spark"], default="dev", help="dbt target (and ml/ target) to run on: dev is DuckDB, spark is local Spark in <workdir>/spark (default %(default)s)")
    parser.add_argument("--pandas-max-cross-rows", type=int, default=200_000_000, help="skip the pandas cross join above this many rows (default %(default)s)")
    args = parser.parse_args(argv)

    participants = max(1000, round(args.tickets / TICKETS_PER_PARTICIPANT))
    work = args.workdir / f"t{args.tickets}"
    raw, landing, warehouse, artifacts, logs = work / "raw", work / "landing", work / "warehouse.duckdb", work / "artifacts", work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for stale in (warehouse, warehouse.with_name(warehouse.name + ".wal")):
        stale.unlink(missing_ok=True)
    spark_dir = work / "spark"
    if args.target == "spark":
        import shutil

        shutil.rmtree(spark_dir, ignore_errors=True)
    spark_tables = spark_dir / "tables" if args.target == "spark" else None
    env = {
        **os.environ,
        "AFISHA_LANDING_DIR": str(landing),
        "AFISHA_WAREHOUSE": str(warehouse),
        "AFISHA_ARTIFACTS_DIR": str(artifacts),
        "AFISHA_DUCKDB_MEMORY_LIMIT": args.memory_limit,
        "AFISHA_SPARK_DIR": str(spark_dir),
    }
    target = ["--target", args.target]
    py = sys.executable
    engine = "local Spark (dbt-spark session, ml/ on executors)" if args.target == "spark" else f"DuckDB, memory limit {args.memory_limit}"
    print(f"afisha benchmark: ~{args.tickets:,} tickets, {participants:,} participants, events 1 per 50 participants, {engine}", flush=True)
    stages = []

    def stage(name: str, cmd: list[str], rows_fn, **env_overrides: str) -> bool:
        result = run_stage(name, cmd, {**env, **env_overrides}, 0, logs)
        if result["exit_code"] == 0:
            result["rows"] = rows_fn()
            result["rows_per_second"] = round(result["rows"] / result["seconds"]) if result["seconds"] else None
        show(result)
        stages.append(result)
        return result["exit_code"] == 0

    tickets_in_raw = lambda: sum(1 for _ in (raw / "tickets.csv").open("rb")) - 1  # noqa: E731
    ok = stage("generate", [py, "-m", "synth", "--participants", str(participants), "--events-per-participant", "0.02", "--out", str(raw), "--seed", "1"], tickets_in_raw)
    ok = ok and stage("ingest", [py, "-m", "ingest", "--raw-dir", str(raw)], tickets_in_raw)
    share = args.training_share if args.training_share is not None else min(1.0, 2_000_000 / args.tickets)
    dbt_vars = json.dumps({"recommendation_training_share": round(share, 4), "leakage_test_sample_pct": max(1, min(100, round(100 * 200_000 / args.tickets)))})
    # The full build runs on the data without its last day; the nightly increment then
    # adds that day to the same warehouse, as a scheduler's next run would.
    yesterday = work / "landing_previous_day"
    last_day = previous_day_landing(landing, yesterday) if ok else None

    def dbt_build(name: str, landing_dir: Path) -> bool:
        target_path = work / f"target_{args.target}_{name.split()[-1].strip('()')}"
        cmd = [dbt_executable(), "build", *target, "--vars", dbt_vars, "--target-path", str(target_path), "--project-dir", str(paths.ROOT), "--profiles-dir", str(paths.ROOT)]
        if args.only == "attendance":
            cmd += ["--exclude", RECOMMENDER_MODELS]
        done = stage(name, cmd, lambda: count_rows(warehouse, "marts.fct_ticket_attendance", spark_tables=spark_tables), AFISHA_LANDING_DIR=str(landing_dir))
        stages[-1]["slowest_nodes"] = slowest_nodes(target_path)
        return done

    ok = ok and dbt_build("dbt build (full)", yesterday)
    ok = ok and dbt_build("dbt build (incremental)", landing)
    if ok:
        full, nightly = stages[-2]["seconds"], stages[-1]["seconds"]
        print(f"  one more day ({last_day}): incremental build {nightly:.1f} s = {nightly / full:.0%} of the full build", flush=True)
        for label, s in (("full", stages[-2]), ("incremental", stages[-1])):
            print(f"    slowest in the {label} build: " + ", ".join(f"{n['node']} {n['seconds']} s" for n in s["slowest_nodes"][:5]), flush=True)
    rows = lambda table, where: lambda: count_rows(warehouse, table, where, spark_tables)  # noqa: E731
    ok = ok and stage("train attendance", [py, "-m", "ml.train", *target, "--warehouse", str(warehouse), "--truth-dir", str(work / "raw_truth")], rows("marts.fct_ticket_attendance", "is_label_final"))
    ok = ok and stage("score attendance", [py, "-m", "ml.score", *target, "--warehouse", str(warehouse)], rows("marts.fct_ticket_attendance", "not is_label_final"))
    if args.only == "all":
        ok = ok and stage("train recommender", [py, "-m", "ml.train_recommender", *target, "--warehouse", str(warehouse), "--truth-dir", str(work / "raw_truth")], rows("marts.fct_recommendation_candidates", "not is_serving_cutoff"))
        ok = ok and stage("score recommender", [py, "-m", "ml.score_recommender", *target, "--warehouse", str(warehouse)], rows("marts.fct_recommendation_candidates", "is_serving_cutoff"))
    # The pipeline on the whole data: ingest, one full build, training and scoring.
    pipeline_stages = [s for s in stages if s["stage"] not in ("generate", "dbt build (incremental)")]
    pipeline_seconds = sum(s["seconds"] for s in pipeline_stages)
    pipeline_peak = max((s["peak_memory_gb"] for s in pipeline_stages), default=0)
    print(f"  {'pipeline (no generate)':<22} {pipeline_seconds:8.1f} s {'':>33} {pipeline_peak:7.2f} GB peak", flush=True)

    pandas = None
    if ok and not args.skip_pandas and args.target == "dev":
        result = run_stage("pandas (original task)", [py, "-m", "pipeline.bench_pandas", str(raw), str(args.pandas_max_cross_rows), str(logs / "pandas.json")], env, 0, logs)
        if result["exit_code"] == 0:
            pandas = json.loads((logs / "pandas.json").read_text())
            result["rows"] = pandas["merged_rows"]
            ours = next(s["seconds"] for s in stages if s["stage"] == "ingest") + next(s["seconds"] for s in stages if s["stage"] == "dbt build (full)")
            pandas["seconds_vs_ingest_plus_dbt"] = round(result["seconds"] / ours, 2)
            result["rows_per_second"] = round(result["rows"] / result["seconds"]) if result["seconds"] else None
        show(result)
        if pandas:
            print(f"  pandas merge {pandas['merge_seconds']} s, cross join: {pandas['cross_join']}; pandas total / (ingest + dbt build) = {pandas['seconds_vs_ingest_plus_dbt']}", flush=True)
        stages.append(result)

    results = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PHYS_PAGES") * PAGE / 1e9, 1), "python": platform.python_version(), "platform": platform.platform()},
        "scale": {"tickets_requested": args.tickets, "participants": participants},
        "stages_run": args.only,
        "target": args.target,
        "duckdb_memory_limit": args.memory_limit,
        "dbt_vars": json.loads(dbt_vars) if "dbt_vars" in locals() else None,
        "stages": stages,
        "pipeline_seconds": round(pipeline_seconds, 1),
        "pipeline_peak_memory_gb": pipeline_peak,
        "incremental_day": last_day,
        "pandas": pandas,
    }
    suffix = ("" if args.only == "all" else f"-{args.only}") + ("" if args.target == "dev" else f"-{args.target}")
    out = args.out or paths.ROOT / "docs" / "benchmarks" / f"results-{args.tickets}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"results: {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
