"""Scheduled scoring job: predict attendance for every open ticket, write it to the warehouse.

Exit codes, for a scheduler:
  0  scores written (or no open ticket to score, which is logged)
  1  refused or failed: no model, model altered, feature schema mismatch, empty mart,
     warehouse unavailable. Nothing was written; earlier scores are intact.
  2  wrong command-line usage

Re-running with the same run id replaces that run's rows in one transaction, so a
retry never duplicates and a failure halfway never leaves a partial run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ml import config, data
from ml.features import feature_frame
from ml.train import ModelError, load_model
from pipeline import paths
from pipeline.progress import Progress

log = logging.getLogger("afisha.ml.score")

BATCH_ROWS = 250_000
NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT", "REAL", "DECIMAL", "BOOLEAN", "UBIGINT", "UINTEGER")

SCORES_DDL = f"""
create table if not exists {config.SCORES_TABLE} (
    ticket_id varchar not null,
    participant_id varchar not null,
    event_id varchar not null,
    attendance_probability double not null,
    is_predicted_attending boolean not null,
    run_id varchar not null,
    model_version varchar not null,
    as_of_date date,
    scored_at timestamp not null
)
"""


class ScoringError(Exception):
    """The run is refused; nothing is written."""


def check_columns(columns: dict[str, str], metadata: dict, table: str, required: tuple[str, ...]) -> None:
    """The mart must offer every feature the model was trained on, with a compatible type."""
    problems = []
    for feature, kind in metadata["features"].items():
        if feature not in columns:
            problems.append(f"{feature} is missing")
        elif kind == "numeric" and not columns[feature].upper().startswith(NUMERIC_TYPES):
            problems.append(f"{feature} is {columns[feature]}, the model needs a number")
    problems += [f"{c} is missing" for c in required if c not in columns]
    if problems:
        raise ScoringError(f"{table} does not match model {metadata['model_version']}: " + "; ".join(problems))


def predict_open_tickets(warehouse: Path, model, metadata: dict) -> pa.Table:
    """Read open tickets in Arrow batches and predict each batch, so memory stays flat."""
    features = list(metadata["features"])
    threshold = float(metadata["threshold"])
    out = []
    with data.connect_read_only(warehouse) as con:
        check_columns(data.mart_columns(con), metadata, config.MART, ("ticket_id", "participant_id", "event_id", "is_label_final"))
        total = data.scalar(con, f"select count(*) from {config.MART}")
        if total == 0:
            raise ScoringError(f"{config.MART} is empty; refusing to score (did the build load any data?)")
        cols = ", ".join(f"t.{c}" for c in dict.fromkeys(["ticket_id", "participant_id", "event_id", *features]))
        query = f"""
            select {cols}, f.as_of_date
            from {config.MART} as t
            cross join {config.FRESHNESS_MART} as f
            where not t.is_label_final
            order by t.ticket_id
        """
        progress = Progress(log, "score open tickets", total=data.scalar(con, f"select count(*) from {config.MART} where not is_label_final"), unit="tickets")
        reader = con.sql(query).to_arrow_reader(BATCH_ROWS)
        for batch in reader:
            frame = batch.to_pandas()
            p = model.predict_proba(feature_frame(frame))[:, 1]
            progress.add(len(frame))
            out.append(
                pa.table(
                    {
                        "ticket_id": frame["ticket_id"].astype(str),
                        "participant_id": frame["participant_id"].astype(str),
                        "event_id": frame["event_id"].astype(str),
                        "attendance_probability": p.astype("float64"),
                        "is_predicted_attending": p >= threshold,
                        "as_of_date": pd.to_datetime(frame["as_of_date"]).dt.date,
                    }
                )
            )
    if not out:
        return pa.table({"ticket_id": pa.array([], pa.string())})
    return pa.concat_tables(out)


def write_scores(warehouse: Path, scores: pa.Table, run_id: str, model_version: str) -> int:
    n = scores.num_rows
    scored_at = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = pa.table(
        {
            "ticket_id": scores["ticket_id"],
            "participant_id": scores["participant_id"],
            "event_id": scores["event_id"],
            "attendance_probability": scores["attendance_probability"],
            "is_predicted_attending": scores["is_predicted_attending"],
            "run_id": pa.array([run_id] * n, pa.string()),
            "model_version": pa.array([model_version] * n, pa.string()),
            "as_of_date": scores["as_of_date"],
            "scored_at": pa.array([scored_at] * n, pa.timestamp("us")),
        }
    )
    return data.replace_run(warehouse, config.SCORES_TABLE, SCORES_DDL, rows, run_id)


def score(warehouse: Path, model_version: str | None = None, run_id: str | None = None) -> tuple[str, int]:
    model, metadata = load_model(model_version)
    scores = predict_open_tickets(warehouse, model, metadata)
    if scores.num_rows == 0:
        log.warning("no open ticket in %s: nothing to score", config.MART)
        return run_id or "", 0
    as_of = scores.column("as_of_date")[0].as_py()
    # Default run id: one run per as-of date and model, so a retry of the same night replaces it.
    run_id = run_id or f"{as_of:%Y%m%d}-{metadata['model_version']}"
    written = write_scores(warehouse, scores, run_id, metadata["model_version"])
    return run_id, written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.score", description=__doc__.splitlines()[0], epilog="Exit codes: 0 written, 1 refused or failed (nothing written), 2 usage.", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, default=None, help="warehouse to read open tickets from and write scores to (default $AFISHA_WAREHOUSE)")
    parser.add_argument("--model-version", default=None, help="model version to use (default: the latest trained)")
    parser.add_argument("--run-id", default=None, help="run id (default: <as-of date>-<model version>; the same id replaces its rows)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    warehouse = args.warehouse or paths.warehouse()
    t0 = time.perf_counter()
    try:
        run_id, written = score(warehouse, args.model_version, args.run_id)
    except (ModelError, ScoringError, data.DataError) as e:
        log.error("scoring refused, nothing written: %s", e)
        return 1
    except duckdb.Error as e:
        log.error("scoring failed, nothing written (earlier scores intact): %s", e)
        return 1
    log.info("run %s: %d open tickets scored into %s of %s (%.1fs)", run_id, written, config.SCORES_TABLE, warehouse, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
