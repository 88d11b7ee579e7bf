"""Training: time split without leakage, honest report, safe artifacts."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest

from ml import config, evaluate


def latest_folder(run):
    root = run.artifacts / "attendance"
    return root / (root / "LATEST").read_text().strip()


def test_report_shows_model_beating_baseline_and_oracle_ceiling(demo_run):
    report = json.loads((latest_folder(demo_run) / "report.json").read_text())
    m = report["test_metrics"]
    assert set(m) == {"historical_rate", "logistic_regression", "hist_gradient_boosting", "oracle"}
    chosen = m[report["chosen_model"]]
    for key in ("roc_auc", "pr_auc", "brier", "log_loss", "precision", "recall", "f1", "threshold"):
        assert 0 <= chosen[key] <= 1 or key == "log_loss"
    assert chosen["roc_auc"] > m["historical_rate"]["roc_auc"] + 0.03
    assert m["oracle"]["roc_auc"] > chosen["roc_auc"]
    assert len(report["calibration"]) == 10
    assert (latest_folder(demo_run) / "report.md").read_text().startswith("# Attendance model report")


def test_metadata_describes_the_model(demo_run):
    meta = json.loads((latest_folder(demo_run) / "metadata.json").read_text())
    assert meta["features"]["organisation_type"] == "categorical" and meta["features"]["price_rub"] == "numeric"
    assert set(meta["features"]) == set(config.FEATURES)
    assert meta["training_window"]["rows"] == meta["data_fingerprint"]["rows"] > 1000
    assert {"scikit-learn", "duckdb", "python"} <= set(meta["library_versions"])
    assert len(meta["model_sha256"]) == 64 and "test" in meta["metrics"]


def frame(days: list[int], window: int = 10) -> pd.DataFrame:
    start = pd.Timestamp("2022-01-01")
    purchased = [start + timedelta(days=d) for d in days]
    return pd.DataFrame(
        {
            "purchased_on": purchased,
            "label_window_closes_on": [p + timedelta(days=window) for p in purchased],
            "is_label_final": True,
            "attended": [i % 2 for i in range(len(days))],
        }
    )


def test_time_split_is_by_time_and_outcomes_are_known_before_judging():
    df = frame(list(range(0, 200)))
    split = config.SplitConfig(test_days=30, validation_days=30, label_window_days=10)
    parts = evaluate.time_split(df, split)
    train, val, test = parts["train"], parts["validation"], parts["test"]
    assert test["purchased_on"].min() == pd.Timestamp("2022-01-01") + timedelta(days=170)
    assert train["label_window_closes_on"].max() < val["purchased_on"].min()
    assert val["label_window_closes_on"].max() < test["purchased_on"].min()
    assert train["purchased_on"].max() < val["purchased_on"].min() <= val["purchased_on"].max() < test["purchased_on"].min()
    assert len(train) + len(val) + len(test) < len(df)  # the gaps hold rows back on purpose


def test_time_split_refuses_too_little_history():
    with pytest.raises(ValueError, match="too few labelled tickets"):
        evaluate.time_split(frame(list(range(0, 40))), config.SplitConfig(test_days=30, validation_days=30, label_window_days=10))


def test_metrics_against_hand_computed_values():
    y = [0, 0, 1, 1]
    p = [0.1, 0.4, 0.35, 0.8]
    m = evaluate.metrics(y, p, threshold=0.3)
    assert m["roc_auc"] == 0.75  # 3 of 4 positive-negative pairs ordered right
    assert m["precision"] == round(2 / 3, 4) and m["recall"] == 1.0 and m["f1"] == 0.8
    assert m["brier"] == round((0.01 + 0.16 + 0.4225 + 0.04) / 4, 4)


def test_participant_sample_keeps_whole_participants_within_budget(tmp_path):
    import duckdb

    from ml import data

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create table t as select lpad(cast(i % 500 as varchar), 5, '0') as participant_id, i as row_id from range(20000) as r(i)")
    with data.DuckDBWarehouse(tmp_path / "w.duckdb") as wh:
        condition, note = data.participant_sample(wh, "t", "true", max_rows=2000)
        assert note["sampled"] and note["rows_available"] == 20000 and note["participant_share"] == 0.1
        kept = wh.frame(f"select participant_id, count(*) as n from t where {condition} group by 1")
        assert data.participant_sample(wh, "t", "true", max_rows=50_000) == ("true", {"sampled": False, "rows_available": 20000})
    assert 1000 <= kept["n"].sum() <= 3000  # about a tenth of the rows
    assert set(kept["n"]) == {40}  # every kept participant with all their rows
    # The SQL bucket is the documented one (MD5), so every engine keeps the same people.
    assert set(kept["participant_id"]) == {f"{i:05d}" for i in range(500) if data.stable_bucket(f"{i:05d}") < 1000}


def test_whole_groups_never_splits_a_participant():
    import pandas as pd

    from ml import data

    ids = ["a"] * 3 + ["b"] * 5 + ["c"] + ["d"] * 4
    batches = [pd.DataFrame({"participant_id": ids[i : i + 4], "n": range(i, min(i + 4, len(ids)))}) for i in range(0, len(ids), 4)]
    groups = list(data.whole_groups(batches, "participant_id"))
    # b spans three input batches; it comes out whole, with c, which followed it.
    assert [g["participant_id"].value_counts().sort_index().to_dict() for g in groups] == [{"a": 3}, {"b": 5, "c": 1}, {"d": 4}]
    assert pd.concat(groups)["n"].tolist() == list(range(len(ids)))


def test_spark_jobs_take_the_spark_targets_settings(monkeypatch, tmp_path):
    """ml/ renders profiles.yml's spark target as dbt does, so it opens dbt's metastore."""
    from ml import data, spark

    monkeypatch.setenv("AFISHA_SPARK_DIR", str(tmp_path))
    settings = spark.target_settings()
    assert settings["spark.sql.warehouse.dir"] == f"{tmp_path}/tables"
    assert settings["spark.hadoop.javax.jdo.option.ConnectionURL"] == f"jdbc:derby:;databaseName={tmp_path}/metastore_db;create=true"
    monkeypatch.delenv("AFISHA_SPARK_DIR")
    assert spark.target_settings()["spark.sql.warehouse.dir"] == "warehouse/spark/tables"
    monkeypatch.setenv("AFISHA_SPARK_TARGET", "dev")
    with pytest.raises(data.DataError, match="no Spark target 'dev'"):
        spark.target_settings()
