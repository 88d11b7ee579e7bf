"""Nightly recommendations: the top events for every active participant at a cutoff.

Scores the candidate mart's rows for the cutoff (default: the serving cutoff, the day
after the data's as-of date) with the latest recommender and writes the top
`--top-k` per participant to ml.event_recommendations.

Exit codes: 0 written; 1 refused or failed, nothing written (no model, model altered,
features missing, no candidates for the cutoff); 2 usage. The same run id replaces its
own rows in one transaction.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ml import artifacts, config, data, ranking
from ml.features import feature_frame
from ml.score import BATCH_ROWS, ScoringError, check_columns
from pipeline import paths
from pipeline.progress import Progress

log = logging.getLogger("afisha.ml.score_recommender")

RECOMMENDATIONS_DDL = f"""
create table if not exists {config.RECOMMENDATIONS_TABLE} (
    participant_id varchar not null,
    recommendation_rank integer not null,
    event_id varchar not null,
    score double not null,
    cutoff_on date not null,
    run_id varchar not null,
    model_version varchar not null,
    scored_at timestamp not null
)
"""


def serving_cutoff(con: duckdb.DuckDBPyConnection) -> date:
    cutoff = data.scalar(con, f"select max(cutoff_on) from {config.CANDIDATES_MART} where is_serving_cutoff")
    if cutoff is None:
        raise ScoringError(f"{config.CANDIDATES_MART} has no serving cutoff; run dbt build")
    return cutoff


def recommend(warehouse: Path, cutoff: date | None, top_k: int, model, metadata: dict) -> tuple[date, pd.DataFrame]:
    numeric = tuple(c for c, kind in metadata["features"].items() if kind == "numeric")
    categorical = tuple(c for c, kind in metadata["features"].items() if kind == "categorical")
    best: list[pd.DataFrame] = []
    with data.connect_read_only(warehouse) as con:
        check_columns(data.mart_columns(con, config.CANDIDATES_MART), metadata, config.CANDIDATES_MART, ("participant_id", "event_id", "cutoff_on"))
        cutoff = cutoff or serving_cutoff(con)
        cols = ", ".join(dict.fromkeys(["participant_id", "event_id", *metadata["features"]]))
        # Ordered by participant so each batch holds whole participants but its last one,
        # which is carried over to the next batch.
        where = f"where cutoff_on = date '{cutoff}'"
        progress = Progress(log, f"rank candidates for {cutoff}", total=data.scalar(con, f"select count(*) from {config.CANDIDATES_MART} {where}"), unit="candidates")
        reader = con.sql(f"select {cols} from {config.CANDIDATES_MART} {where} order by participant_id, event_id").to_arrow_reader(BATCH_ROWS)
        carry = pd.DataFrame()
        for batch in reader:
            progress.add(batch.num_rows)
            frame = pd.concat([carry, batch.to_pandas()], ignore_index=True)
            last = frame["participant_id"].iloc[-1]
            carry, frame = frame[frame["participant_id"] == last], frame[frame["participant_id"] != last]
            best.append(_top(frame, model, numeric, categorical, top_k))
        best.append(_top(carry, model, numeric, categorical, top_k))
    result = pd.concat(best, ignore_index=True)
    if result.empty:
        raise ScoringError(f"no candidates for cutoff {cutoff} in {config.CANDIDATES_MART}; build it with --vars '{{recommendation_cutoff: {cutoff}}}'")
    return cutoff, result


def _top(frame: pd.DataFrame, model, numeric, categorical, top_k: int) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["participant_id", "event_id", "score", "rank"])
    score = model.predict_proba(feature_frame(frame, numeric, categorical))[:, 1]
    top = ranking.top_k(frame.assign(label=0), score, top_k)
    return top[["participant_id", "event_id", "score", "rank"]]


def write(warehouse: Path, recs: pd.DataFrame, cutoff: date, run_id: str, model_version: str) -> int:
    n = len(recs)
    rows = pa.table(
        {
            "participant_id": pa.array(recs["participant_id"].astype(str)),
            "recommendation_rank": pa.array(recs["rank"].to_numpy(dtype=np.int32)),
            "event_id": pa.array(recs["event_id"].astype(str)),
            "score": pa.array(recs["score"].to_numpy(dtype=float)),
            "cutoff_on": pa.array([cutoff] * n, pa.date32()),
            "run_id": pa.array([run_id] * n, pa.string()),
            "model_version": pa.array([model_version] * n, pa.string()),
            "scored_at": pa.array([datetime.now(timezone.utc).replace(tzinfo=None)] * n, pa.timestamp("us")),
        }
    )
    return data.replace_run(warehouse, config.RECOMMENDATIONS_TABLE, RECOMMENDATIONS_DDL, rows, run_id)


def score(warehouse: Path, cutoff: date | None = None, model_version: str | None = None, run_id: str | None = None, top_k: int = config.RECOMMENDATIONS_PER_PARTICIPANT) -> tuple[str, int, int]:
    model, metadata = artifacts.load_model(config.RECOMMENDER_NAME, model_version)
    cutoff, recs = recommend(warehouse, cutoff, top_k, model, metadata)
    run_id = run_id or f"{cutoff:%Y%m%d}-{metadata['model_version']}"
    written = write(warehouse, recs, cutoff, run_id, metadata["model_version"])
    return run_id, written, recs["participant_id"].nunique()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.score_recommender", description=__doc__.splitlines()[0], epilog="Exit codes: 0 written, 1 refused or failed (nothing written), 2 usage.")
    parser.add_argument("--warehouse", type=Path, default=None, help="warehouse with the candidate mart; recommendations are written there (default $AFISHA_WAREHOUSE)")
    parser.add_argument("--cutoff", type=date.fromisoformat, default=None, help="cutoff day YYYY-MM-DD (default: the serving cutoff, the day after the as-of date)")
    parser.add_argument("--top-k", type=int, default=config.RECOMMENDATIONS_PER_PARTICIPANT, help="recommendations per participant (default %(default)s)")
    parser.add_argument("--model-version", default=None, help="recommender version (default: the latest)")
    parser.add_argument("--run-id", default=None, help="run id (default <cutoff>-<model version>; the same id replaces its rows)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    warehouse = args.warehouse or paths.warehouse()
    try:
        run_id, written, participants = score(warehouse, args.cutoff, args.model_version, args.run_id, args.top_k)
    except (artifacts.ModelError, ScoringError, data.DataError, duckdb.Error) as e:
        log.error("recommendations refused, nothing written: %s", e)
        return 1
    log.info("run %s: %d recommendations for %d participants into %s (%.1fs)", run_id, written, participants, config.RECOMMENDATIONS_TABLE, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
