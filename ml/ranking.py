"""Per-participant ranking metrics with binary relevance, and the popularity baselines.

Definitions (the usual implicit-feedback conventions). For participant u, let R_u be the
events u visited in the window after the cutoff (new events only; whether or not the
candidate stage found them) and L_u the top k of u's ranked candidates. Then

  precision@k = |L_u ∩ R_u| / k
  recall@k    = |L_u ∩ R_u| / |R_u|
  hit rate@k  = 1 if L_u ∩ R_u is not empty
  AP@k        = (1 / min(k, |R_u|)) · Σ_{i ≤ k} precision@i · rel_i
  NDCG@k      = Σ_{i ≤ k} rel_i / log2(i + 1), divided by the same sum for an ideal list
                of min(k, |R_u|) relevant events

each averaged over the participants with |R_u| ≥ 1 (MAP@k is the mean AP@k). Catalogue
coverage@k is the share of the cutoff's candidate events that appear in anyone's top k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOME_FIRST = 1e9  # baselines rank the participant's own region before any other


def top_k(candidates: pd.DataFrame, score: np.ndarray | pd.Series, k: int) -> pd.DataFrame:
    """Each participant's k best candidates with their rank (1 = best); ties by event_id."""
    ranked = candidates[["participant_id", "event_id", "label"]].assign(score=np.asarray(score, dtype=float))
    ranked = ranked.sort_values(["participant_id", "score", "event_id"], ascending=[True, False, True], kind="stable")
    ranked["rank"] = ranked.groupby("participant_id").cumcount() + 1
    return ranked[ranked["rank"] <= k]


def ranking_metrics(candidates: pd.DataFrame, score, relevant_per_participant: pd.Series, k: int) -> dict[str, float]:
    """candidates: participant_id, event_id, label (1 relevant); relevant_per_participant:
    |R_u| by participant_id, counting relevant events the candidates missed too."""
    top = top_k(candidates, score, k)
    n_rel = relevant_per_participant[relevant_per_participant > 0]
    top = top[top["participant_id"].isin(n_rel.index)]
    rel = top["label"].to_numpy(dtype=float)
    ranks = top["rank"].to_numpy()
    hits_so_far = top.assign(rel=rel).groupby("participant_id")["rel"].cumsum().to_numpy()
    per = pd.DataFrame(
        {
            "participant_id": top["participant_id"].to_numpy(),
            "hit": rel,
            "dcg": rel / np.log2(ranks + 1),
            "ap_term": rel * hits_so_far / ranks,
        }
    ).groupby("participant_id").sum()
    per = per.reindex(n_rel.index, fill_value=0.0)
    n = n_rel.to_numpy(dtype=float)
    ideal_hits = np.minimum(n, k).astype(int)
    idcg = np.cumsum(1 / np.log2(np.arange(2, k + 2)))[ideal_hits - 1]
    return {
        f"precision@{k}": float((per["hit"] / k).mean()),
        f"recall@{k}": float((per["hit"] / n).mean()),
        f"hit_rate@{k}": float((per["hit"] > 0).mean()),
        f"map@{k}": float((per["ap_term"] / ideal_hits).mean()),
        f"ndcg@{k}": float((per["dcg"] / idcg).mean()),
        f"coverage@{k}": float(top_k(candidates, score, k)["event_id"].nunique() / candidates["event_id"].nunique()),
        "participants_evaluated": int(len(n_rel)),
    }


def baseline_scores(candidates: pd.DataFrame) -> dict[str, np.ndarray]:
    """Popularity baselines on the candidate features (all known before the cutoff)."""
    home = candidates["is_event_in_home_region"].astype(float).to_numpy() * HOME_FIRST
    favourite = candidates["is_favourite_type"].astype(float).to_numpy()
    age_band = candidates["event_tickets_recent_same_age_band"].astype(float).to_numpy()
    return {
        "global_popularity": candidates["event_tickets_recent"].astype(float).to_numpy(),
        "region_popularity": home + candidates["event_tickets_recent"].astype(float).to_numpy(),
        "region_age_band_popularity": home + age_band,
        # The favourite type first, then region x age band popularity within it.
        "region_age_band_favourite_type": home + favourite * (HOME_FIRST / 10) + age_band,
    }
