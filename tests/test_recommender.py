"""The recommender: metrics by hand, no leakage across the cutoff, serving guarantees."""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd
import pytest

from conftest import CUT_ON, python
from ml import ranking

FEATURES = (
    "participant_id, event_id, organisation_type, is_event_in_home_region, participant_tickets_last_year, "
    "participant_days_since_last_purchase, type_affinity, is_favourite_type, event_tickets_recent, "
    "event_tickets_last_14_days, event_sales_trend, event_region_rank, event_tickets_recent_same_age_band, "
    "event_avg_price_rub, price_fit"
)


def query(warehouse, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).df()


def test_ranking_metrics_against_hand_computed_values():
    candidates = pd.DataFrame(
        {
            "participant_id": ["A", "A", "A", "A", "B", "B", "C"],
            "event_id": ["e1", "e2", "e3", "e4", "e1", "e2", "e3"],
            "label": [0, 1, 0, 1, 1, 0, 0],
        }
    )
    score = [0.9, 0.8, 0.7, 0.1, 0.5, 0.4, 0.3]
    # A visited 3 events (one the candidates missed), B one, C none (not judged).
    relevant = pd.Series({"A": 3, "B": 1, "C": 0})
    m = ranking.ranking_metrics(candidates, score, relevant, k=2)
    ndcg_a = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert m["participants_evaluated"] == 2
    assert m["precision@2"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert m["recall@2"] == pytest.approx((1 / 3 + 1) / 2)
    assert m["hit_rate@2"] == pytest.approx(1.0)
    assert m["map@2"] == pytest.approx(((1 / 2) * (1 / 2) + 1.0) / 2)
    assert m["ndcg@2"] == pytest.approx((ndcg_a + 1.0) / 2)
    assert m["coverage@2"] == pytest.approx(3 / 4)  # e1, e2 (A, B) and e3 (C) of e1..e4 are shown
    perfect = ranking.ranking_metrics(candidates, [0.1, 0.9, 0.2, 0.8, 0.9, 0.1, 0.5], relevant, k=2)
    assert perfect["map@2"] == pytest.approx(1.0) and perfect["ndcg@2"] == pytest.approx(1.0)


def test_candidate_features_do_not_change_when_the_future_is_removed(demo_run, cut_warehouse):
    """Built on data cut at D, D is the serving cutoff; the full build has D as a labelled
    cutoff. Same candidates, same features: nothing on or after the cutoff counts."""
    where = f"where cutoff_on = date '{CUT_ON}' order by participant_id, event_id"
    full = query(demo_run.warehouse, f"select {FEATURES} from marts.fct_recommendation_candidates {where}")
    cut = query(cut_warehouse, f"select {FEATURES}, is_serving_cutoff from marts.fct_recommendation_candidates {where}")
    assert cut["is_serving_cutoff"].all() and len(full) > 10_000
    pd.testing.assert_frame_equal(full, cut.drop(columns="is_serving_cutoff"))


def test_labels_are_visits_in_the_window_to_new_events(demo_run):
    bad = query(
        demo_run.warehouse,
        """
        select c.cutoff_on, c.participant_id, c.event_id
        from marts.fct_recommendation_candidates as c
        join intermediate.int_recommendation_cutoffs as w on c.cutoff_on = w.cutoff_on
        where c.has_visited_in_window = 1 and not exists (
            select 1 from staging.stg_landing__visits as v
            where v.participant_id = c.participant_id and v.event_id = c.event_id
              and v.visited_on between w.cutoff_on and w.window_ends_on)
        """,
    )
    assert bad.empty
    bought_before = query(
        demo_run.warehouse,
        """
        select count(*) as n from marts.fct_recommendation_candidates as c
        join marts.fct_ticket_attendance as t
          on t.participant_id = c.participant_id and t.event_id = c.event_id and t.purchased_on < c.cutoff_on
        """,
    )
    assert bought_before["n"].iloc[0] == 0


def test_report_learned_ranker_beats_popularity_and_reports_recall_and_oracle(demo_run):
    root = demo_run.artifacts / "recommender"
    report = json.loads((root / (root / "LATEST").read_text().strip() / "report.json").read_text())
    models = report["evaluation"]["models"]
    baselines = [m for name, m in models.items() if name not in ("learned_ranker", "oracle")]
    assert len(baselines) == 4
    for key in ("ndcg@10", "map@10"):
        assert models["learned_ranker"][key] > max(b[key] for b in baselines)
    assert models["oracle"]["ndcg@10"] > max(b["ndcg@10"] for b in baselines)
    assert 0.3 < report["candidate_recall"] < 1
    recall = query(demo_run.warehouse, f"select candidate_recall from marts.rpt_recommendation_candidate_recall where cutoff_on = date '{report['evaluation_cutoff']}'")
    assert recall["candidate_recall"].iloc[0] == pytest.approx(report["candidate_recall"], abs=1e-4)
    assert set(report["evaluation"]["ablations"]) == {"without age", "without purchase history by type", "without home region"}
    assert len(report["answers"]) == 5 and "F1" in report["answers"][4]


def test_every_active_participant_gets_ranked_recommendations(demo_run):
    active = query(demo_run.warehouse, "select count(distinct participant_id) as n from intermediate.int_participants_at_cutoffs where cutoff_on = (select cutoff_on from intermediate.int_recommendation_cutoffs where is_serving_cutoff)")["n"].iloc[0]
    recs = query(demo_run.warehouse, "select participant_id, recommendation_rank, event_id from marts.fct_event_recommendations")
    assert recs["participant_id"].nunique() == active > 1000
    assert recs.groupby("participant_id")["recommendation_rank"].apply(lambda r: list(r.sort_values()) == list(range(1, len(r) + 1))).all()
    assert recs.groupby("participant_id").size().max() == 10
    assert not recs.duplicated(["participant_id", "event_id"]).any()


def test_recommendation_rerun_replaces_and_unknown_cutoff_is_refused(demo_run, warehouse_copy):
    def counts():
        return query(warehouse_copy, "select run_id, count(*) as n from ml.event_recommendations group by run_id order by run_id").values.tolist()

    before = counts()
    again = python("-m", "ml.score_recommender", "--warehouse", str(warehouse_copy), env=demo_run.env())
    assert again.returncode == 0, again.stderr
    assert counts() == before
    refused = python("-m", "ml.score_recommender", "--warehouse", str(warehouse_copy), "--cutoff", "2030-01-01", "--run-id", "x", env=demo_run.env())
    assert refused.returncode == 1 and "no candidates for cutoff 2030-01-01" in refused.stderr
    assert counts() == before
