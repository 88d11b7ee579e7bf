"""Scheduled scoring job: predict attendance for every open ticket, write it to the warehouse.

Exit codes, for a scheduler:
  0  scores written (or no open ticket to score, which is logged)
  1  refused or failed: no model, model altered, feature schema mismatch, empty mart,
     warehouse unavailable. Nothing was written; earlier scores are intact.
  2  wrong command-line usage

Re-running with the same run id replaces that run's rows, so a retry never duplicates
and a failure halfway never leaves a partial run: on DuckDB (`--target dev`) in one
transaction, on Spark (`--target spark`) as the run's partition, the model scoring each
batch on the executors (see ml.data and ml.spark).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa

from ml import config, data
from ml.features import feature_frame
from ml.train import ModelError, load_model
from pipeline.progress import Progress

log = logging.getLogger("afisha.ml.score")

# ml.ticket_attendance_scores, on every engine (run_id is Spark's partition column).
SCORES_SCHEMA = pa.schema(
    [
        pa.field("ticket_id", pa.string(), nullable=False),
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("attendance_probability", pa.float64(), nullable=False),
        pa.field("is_predicted_attending", pa.bool_(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("as_of_date", pa.date32()),
        pa.field("scored_at", pa.timestamp("us"), nullable=False),
    ]
)


class ScoringError(Exception):
    """The run is refused; nothing is written."""


def check_columns(columns: dict[str, str], metadata: dict, table: str, required: tuple[str, ...]) -> None:
    """The mart must offer every feature the model was trained on, with a compatible type."""
    problems = []
    for feature, kind in metadata["features"].items():
        if feature not in columns:
            problems.append(f"{feature} is missing")
        elif kind == "numeric" and not data.is_numeric_type(columns[feature]):
            problems.append(f"{feature} is {columns[feature]}, the model needs a number")
    problems += [f"{c} is missing" for c in required if c not in columns]
    if problems:
        raise ScoringError(f"{table} does not match model {metadata['model_version']}: " + "; ".join(problems))


def predictor(model, metadata: dict, run_id: str, scored_at: datetime):
    """The batch function: open tickets in, their scores out. Plain pandas, so that it
    runs alike in this process (DuckDB) and on Spark's executors (pickled with the model)."""
    threshold = float(metadata["threshold"])
    version = metadata["model_version"]

    def predict(batch: pd.DataFrame) -> pd.DataFrame:
        p = model.predict_proba(feature_frame(batch))[:, 1].astype("float64")
        return pd.DataFrame(
            {
                "ticket_id": batch["ticket_id"].astype(str),
                "participant_id": batch["participant_id"].astype(str),
                "event_id": batch["event_id"].astype(str),
                "attendance_probability": p,
                "is_predicted_attending": p >= threshold,
                "run_id": run_id,
                "model_version": version,
                "as_of_date": batch["as_of_date"],
                "scored_at": scored_at,
            }
        )

    return predict


def open_tickets_query(features: list[str]) -> str:
    cols = ", ".join(f"t.{c}" for c in dict.fromkeys(["ticket_id", "participant_id", "event_id", *features]))
    return f"""
        select {cols}, f.as_of_date
        from {config.MART} as t
        cross join {config.FRESHNESS_MART} as f
        where not t.is_label_final
    """


def score(wh: data.Warehouse, model_version: str | None = None, run_id: str | None = None) -> tuple[str, int]:
    """Score every open ticket of the mart as one run; (run id, rows written)."""
    model, metadata = load_model(model_version)
    check_columns(wh.columns(config.MART), metadata, config.MART, ("ticket_id", "participant_id", "event_id", "is_label_final"))
    if wh.scalar(f"select count(*) from {config.MART}") == 0:
        raise ScoringError(f"{config.MART} is empty; refusing to score (did the build load any data?)")
    open_tickets = wh.scalar(f"select count(*) from {config.MART} where not is_label_final")
    if open_tickets == 0:
        log.warning("no open ticket in %s: nothing to score", config.MART)
        return run_id or "", 0
    as_of = wh.scalar(f"select as_of_date from {config.FRESHNESS_MART}")
    if as_of is None:
        raise ScoringError(f"{config.FRESHNESS_MART} has no as-of date; run dbt build")
    # Default run id: one run per as-of date and model, so a retry of the same night replaces it.
    run_id = data.check_run_id(run_id or f"{as_of:%Y%m%d}-{metadata['model_version']}")
    log.info("scoring %d open tickets on %s (%s) as run %s", open_tickets, wh.engine, wh.location, run_id)
    progress = Progress(log, "score open tickets", total=open_tickets, unit="tickets")
    fn = predictor(model, metadata, run_id, datetime.now(timezone.utc).replace(tzinfo=None))
    written = wh.write_run(config.SCORES_TABLE, SCORES_SCHEMA, open_tickets_query(list(metadata["features"])), fn, run_id, progress=progress)
    return run_id, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.score", description=__doc__.splitlines()[0], epilog="Exit codes: 0 written, 1 refused or failed (nothing written), 2 usage.", formatter_class=argparse.RawDescriptionHelpFormatter)
    data.add_target_arguments(parser)
    parser.add_argument("--model-version", default=None, help="model version to use (default: the latest trained)")
    parser.add_argument("--run-id", default=None, help="run id (default: <as-of date>-<model version>; the same id replaces its rows)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    try:
        with data.open_warehouse(args.target, args.warehouse) as wh:
            run_id, written = score(wh, args.model_version, args.run_id)
            location = wh.location
    except (ModelError, ScoringError, data.DataError) as e:
        log.error("scoring refused, nothing written: %s", e)
        return 1
    except data.engine_errors() as e:
        log.error("scoring failed, nothing written (earlier scores intact): %s", e)
        return 1
    log.info("run %s: %d open tickets scored into %s of %s (%.1fs)", run_id, written, config.SCORES_TABLE, location, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
