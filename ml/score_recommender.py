"""Nightly recommendations: the top events for every active participant at a cutoff.

Scores the candidate mart's rows for the cutoff (default: the serving cutoff, the day
after the data's as-of date) with the latest recommender and writes the top
`--top-k` per participant to ml.event_recommendations.

Exit codes: 0 written; 1 refused or failed, nothing written (no model, model altered,
features missing, no candidates for the cutoff); 2 usage. The same run id replaces its
own rows (DuckDB: one transaction; Spark: the run's partition, ranked on the executors).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import date, datetime, timezone

import pandas as pd
import pyarrow as pa

from ml import artifacts, config, data, ranking
from ml.features import feature_frame
from ml.score import ScoringError, check_columns
from pipeline.progress import Progress

log = logging.getLogger("afisha.ml.score_recommender")

# ml.event_recommendations, on every engine (run_id is Spark's partition column).
RECOMMENDATIONS_SCHEMA = pa.schema(
    [
        pa.field("participant_id", pa.string(), nullable=False),
        pa.field("recommendation_rank", pa.int32(), nullable=False),
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("cutoff_on", pa.date32(), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("scored_at", pa.timestamp("us"), nullable=False),
    ]
)


def serving_cutoff(wh: data.Warehouse) -> date:
    cutoff = wh.scalar(f"select max(cutoff_on) from {config.CANDIDATES_MART} where is_serving_cutoff")
    if cutoff is None:
        raise ScoringError(f"{config.CANDIDATES_MART} has no serving cutoff; run dbt build")
    return cutoff


def recommender(model, metadata: dict, top_k: int, cutoff: date, run_id: str, scored_at: datetime):
    """The batch function: whole participants' candidates in, their top k out."""
    numeric = tuple(c for c, kind in metadata["features"].items() if kind == "numeric")
    categorical = tuple(c for c, kind in metadata["features"].items() if kind == "categorical")
    version = metadata["model_version"]

    def recommend(batch: pd.DataFrame) -> pd.DataFrame:
        score = model.predict_proba(feature_frame(batch, numeric, categorical))[:, 1]
        top = ranking.top_k(batch.assign(label=0), score, top_k)
        return pd.DataFrame(
            {
                "participant_id": top["participant_id"].astype(str),
                "recommendation_rank": top["rank"].astype("int32"),
                "event_id": top["event_id"].astype(str),
                "score": top["score"].astype("float64"),
                "cutoff_on": cutoff,
                "run_id": run_id,
                "model_version": version,
                "scored_at": scored_at,
            }
        )

    return recommend


def score(wh: data.Warehouse, cutoff: date | None = None, model_version: str | None = None, run_id: str | None = None, top_k: int = config.RECOMMENDATIONS_PER_PARTICIPANT) -> tuple[str, int, int]:
    """Rank the cutoff's candidates; (run id, recommendations written, participants)."""
    model, metadata = artifacts.load_model(config.RECOMMENDER_NAME, model_version)
    check_columns(wh.columns(config.CANDIDATES_MART), metadata, config.CANDIDATES_MART, ("participant_id", "event_id", "cutoff_on"))
    cutoff = cutoff or serving_cutoff(wh)
    where = f"where cutoff_on = date '{cutoff}'"
    candidates = wh.scalar(f"select count(*) from {config.CANDIDATES_MART} {where}")
    if candidates == 0:
        raise ScoringError(f"no candidates for cutoff {cutoff} in {config.CANDIDATES_MART}; build it with --vars '{{recommendation_cutoff: {cutoff}}}'")
    run_id = data.check_run_id(run_id or f"{cutoff:%Y%m%d}-{metadata['model_version']}")
    cols = ", ".join(dict.fromkeys(["participant_id", "event_id", *metadata["features"]]))
    progress = Progress(log, f"rank candidates for {cutoff}", total=candidates, unit="candidates")
    fn = recommender(model, metadata, top_k, cutoff, run_id, datetime.now(timezone.utc).replace(tzinfo=None))
    # Grouped by participant: every batch holds whole participants, so their top k is whole.
    written = wh.write_run(config.RECOMMENDATIONS_TABLE, RECOMMENDATIONS_SCHEMA, f"select {cols} from {config.CANDIDATES_MART} {where}", fn, run_id, group_key="participant_id", progress=progress)
    participants = wh.scalar(f"select count(distinct participant_id) from {config.RECOMMENDATIONS_TABLE} where run_id = '{run_id}'")
    return run_id, written, participants


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.score_recommender", description=__doc__.splitlines()[0], epilog="Exit codes: 0 written, 1 refused or failed (nothing written), 2 usage.")
    data.add_target_arguments(parser)
    parser.add_argument("--cutoff", type=date.fromisoformat, default=None, help="cutoff day YYYY-MM-DD (default: the serving cutoff, the day after the as-of date)")
    parser.add_argument("--top-k", type=int, default=config.RECOMMENDATIONS_PER_PARTICIPANT, help="recommendations per participant (default %(default)s)")
    parser.add_argument("--model-version", default=None, help="recommender version (default: the latest)")
    parser.add_argument("--run-id", default=None, help="run id (default <cutoff>-<model version>; the same id replaces its rows)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    try:
        with data.open_warehouse(args.target, args.warehouse) as wh:
            run_id, written, participants = score(wh, args.cutoff, args.model_version, args.run_id, args.top_k)
    except (artifacts.ModelError, ScoringError, data.DataError, *data.engine_errors()) as e:
        log.error("recommendations refused, nothing written: %s", e)
        return 1
    log.info("run %s: %d recommendations for %d participants into %s (%.1fs)", run_id, written, participants, config.RECOMMENDATIONS_TABLE, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
