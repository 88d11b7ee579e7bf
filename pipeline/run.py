"""The main job, end to end: raw -> landing -> dbt build -> train -> score -> summary.

With no raw directory given it runs on generated demo data (created on first use).

Exit codes, for a scheduler:
  0   done
  1   a step failed (its log line says which and why); what was published before stays
  2   wrong command-line usage
  75  another run holds the lock (EX_TEMPFAIL: try again later)
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ingest.ingest import add_rule_arguments, rules_from_args
from pipeline import paths

log = logging.getLogger("afisha.run")

EXIT_FAILED = 1
EXIT_LOCKED = 75


class StepFailed(Exception):
    pass


@contextmanager
def run_lock(warehouse: Path):
    """One run per warehouse at a time; a second one exits instead of interleaving."""
    lock_path = warehouse.with_name(warehouse.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BlockingIOError(f"another run holds {lock_path}") from None
        f.write(str(os.getpid()))
        f.flush()
        yield


def dbt_executable() -> str:
    return shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt") or "dbt"


def run_dbt(args: list[str], landing: Path, warehouse: Path, dbt_vars: dict) -> None:
    env = {**os.environ, "AFISHA_LANDING_DIR": str(landing), "AFISHA_WAREHOUSE": str(warehouse)}
    cmd = [dbt_executable(), *args, "--vars", json.dumps(dbt_vars), "--project-dir", str(paths.ROOT), "--profiles-dir", str(paths.ROOT)]
    log.info("$ %s", " ".join(cmd))
    result = subprocess.run(cmd, env=env, cwd=paths.ROOT)
    if result.returncode != 0:
        raise StepFailed(f"dbt {args[0]} failed (exit {result.returncode}); see the log above and target/run_results.json")


def step(name: str, fn, *args, **kwargs):
    t0 = time.perf_counter()
    log.info("── %s", name)
    out = fn(*args, **kwargs)
    log.info("── %s done in %.1fs", name, time.perf_counter() - t0)
    return out


def summary(warehouse: Path, report: dict) -> str:
    from ml.data import DuckDBWarehouse

    tables = ["marts.fct_ticket_attendance", "marts.dim_participants", "marts.dim_events", "marts.rpt_region_monthly_activity", "ml.ticket_attendance_scores", "marts.fct_ticket_attendance_predictions", "marts.fct_recommendation_candidates", "ml.event_recommendations", "marts.fct_event_recommendations"]
    lines = ["", "afisha: run complete", ""]
    with DuckDBWarehouse(warehouse) as wh:
        for t in tables:
            try:
                n = wh.scalar(f"select count(*) from {t}")
                lines.append(f"  {t:<38} {n:>12,} rows")
            except duckdb.Error:
                lines.append(f"  {t:<38} {'(absent)':>12}")
        rejected = wh.frame("select source_file, rows_read, rows_rejected_by_ingest + rows_rejected_in_warehouse, rejected_share from marts.rpt_rejection_summary order by source_file").itertuples(index=False)
        attended, final, open_ = wh.one_row(
            "select count(case when attended = 1 then 1 end), count(attended), count(*) - count(attended) from marts.fct_ticket_attendance"
        )
    lines.append("")
    lines.append("  rejected records (file: rejected of read; reasons in marts.rpt_rejected_records):")
    lines.append("    " + ", ".join(f"{f} {n:,} of {r:,} ({share:.2%})" for f, r, n, share in rejected))
    if final:
        lines.append(f"  attendance rate on closed tickets: {attended / final:.3f} ({final:,} closed, {open_:,} open)")
    chosen = report["chosen_model"]
    m = report["test_metrics"]
    lines.append(f"  model {report['model_version']} ({chosen}), held-out test: ROC-AUC {m[chosen]['roc_auc']:.3f}, PR-AUC {m[chosen]['pr_auc']:.3f}, Brier {m[chosen]['brier']:.3f}")
    lines.append(f"  baseline (participant's own rate): ROC-AUC {m['historical_rate']['roc_auc']:.3f}" + (f"; oracle ceiling: {m['oracle']['roc_auc']:.3f}" if "oracle" in m else ""))
    lines.append(f"  report: {paths.artifacts_dir() / 'attendance' / report['model_version'] / 'report.html'} (charts; report.md beside it)")
    if "recommender" in report:
        from ml import train_recommender

        rec = report["recommender"]
        models = rec["evaluation"]["models"]
        best = train_recommender.best_baseline(models)
        lines.append(
            f"  recommender {rec['model_version']}: NDCG@10 {models['learned_ranker']['ndcg@10']:.3f}, MAP@10 {models['learned_ranker']['map@10']:.3f}"
            f" (best baseline {best}: {models[best]['ndcg@10']:.3f}, {models[best]['map@10']:.3f}); candidate recall {rec['candidate_recall']:.3f}"
            + (f"; oracle NDCG@10 {models['oracle']['ndcg@10']:.3f}" if "oracle" in models else "")
        )
        lines.append(f"  report: {paths.artifacts_dir() / 'recommender' / rec['model_version'] / 'report.html'}")
    serving = report["publication"]["path"]
    lines += [
        "",
        f"  warehouse (dbt and the jobs write it): {warehouse}",
        f"  published for BI, read-only, version {report['publication']['version']}: {serving}",
        "  query it any time, even while a run is writing:",
        f"    .venv/bin/python -c \"import duckdb; print(duckdb.connect('{serving}', read_only=True).sql('select * from marts.rpt_region_monthly_activity limit 5'))\"",
        f"  docs site with lineage: {paths.ROOT / 'target' / 'static_index.html'} (open it in a browser)",
        "",
    ]
    return "\n".join(lines)


def run(raw_dir: Path, landing: Path, warehouse: Path, serving: Path, truth_dir: Path | None, participants: int, seed: int, rules, max_rejected_share: float) -> dict:
    from ingest.ingest import ingest
    from pipeline.publish import publish
    from ml import score, score_recommender, train, train_recommender
    from ml.data import DuckDBWarehouse
    from synth import generate

    if raw_dir.resolve() == paths.DEMO_RAW_DIR.resolve() and not (raw_dir / "tickets.csv").is_file():
        settings = generate.Settings(participants=participants, seed=seed)
        tables = step(f"generate demo data ({participants:,} participants, seed {seed})", generate.generate, settings)
        generate.write(tables, raw_dir, paths.truth_dir(raw_dir), "koi8-r")
    # Ground truth exists only for generated data, and only once generated.
    truth_dir = truth_dir if truth_dir and truth_dir.is_dir() else None
    reports = step(f"ingest {raw_dir}", ingest, raw_dir, landing, None, rules, max_rejected_share)
    for r in reports:
        log.info("   %-11s %-6s landed %9d  quarantined %6d", r.file, r.encoding, r.rows_landed, r.rows_quarantined)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    # The warehouse applies the same rejected-share threshold as ingest.
    dbt_vars = {"max_rejected_share": max_rejected_share}
    step("dbt source freshness", run_dbt, ["source", "freshness"], landing, warehouse, dbt_vars)
    step("dbt build", run_dbt, ["build"], landing, warehouse, dbt_vars)
    # Each ml/ job opens the warehouse and closes it before dbt writes again.
    with DuckDBWarehouse(warehouse) as wh:
        report = step("train", train.train, wh, truth_dir)
        run_id, written = step("score open tickets", score.score, wh)
        log.info("   run %s: %d scores written", run_id, written)
        recommender_report = step("train recommender", train_recommender.train, wh, truth_dir)
        run_id, written, participants = step("recommend events", score_recommender.score, wh)
    log.info("   run %s: %d recommendations for %d participants", run_id, written, participants)
    step("dbt build of the marts on the scores", run_dbt, ["build", "--select", "stg_ml__ticket_attendance_scores+", "stg_ml__event_recommendations+"], landing, warehouse, dbt_vars)
    # The docs site (lineage raw -> marts -> models -> scores -> dashboards), one HTML file.
    step("dbt docs generate", run_dbt, ["docs", "generate", "--static"], landing, warehouse, dbt_vars)
    report["recommender"] = recommender_report
    # Only a run that got this far, every dbt test at error severity passed, is published.
    report["publication"] = step("publish for BI", publish, warehouse, serving, {"attendance_model": report["model_version"], "recommender": recommender_report["model_version"]})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0], epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", type=Path, default=None, help="the four raw CSV files (default $AFISHA_RAW_DIR, else generated demo data in data/raw/demo)")
    parser.add_argument("--landing-dir", type=Path, default=None, help="landing Parquet folder (default $AFISHA_LANDING_DIR or data/landing)")
    parser.add_argument("--warehouse", type=Path, default=None, help="DuckDB file dbt builds (default $AFISHA_WAREHOUSE or warehouse/afisha.duckdb)")
    parser.add_argument("--truth-dir", type=Path, default=None, help="generator ground truth for the oracle ceiling (default <raw dir>_truth when present)")
    parser.add_argument("--participants", type=int, default=20_000, help="size of generated demo data (default 20000)")
    parser.add_argument("--seed", type=int, default=42, help="seed of generated demo data")
    parser.add_argument("--serving", type=Path, default=None, help="read-only copy published for BI (default $AFISHA_SERVING or serving.duckdb beside the warehouse)")
    add_rule_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    raw_dir = (args.raw_dir or paths.raw_dir()).resolve()
    landing = (args.landing_dir or paths.landing_dir()).resolve()
    warehouse = (args.warehouse or paths.warehouse()).resolve()
    serving = (args.serving or paths.serving(warehouse)).resolve()
    truth = args.truth_dir or paths.truth_dir(raw_dir)
    t0 = time.perf_counter()
    try:
        with run_lock(warehouse):
            report = run(raw_dir, landing, warehouse, serving, truth, args.participants, args.seed, rules_from_args(args), args.max_rejected_share)
    except BlockingIOError as e:
        log.error("%s; not starting a second run", e)
        return EXIT_LOCKED
    except Exception as e:  # every failure reaches the scheduler as one line and exit 1
        log.error("run failed: %s: %s", type(e).__name__, e)
        return EXIT_FAILED
    print(summary(warehouse, report))
    log.info("total %.1fs", time.perf_counter() - t0)
    (warehouse.parent / "last_run.json").write_text(json.dumps({"model_version": report["model_version"], "seconds": round(time.perf_counter() - t0, 1)}), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
