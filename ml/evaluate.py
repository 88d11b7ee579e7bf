"""Metrics for the attendance model, the time split, and the report.

`python -m ml.evaluate` judges a saved model on the tickets of a warehouse that were
bought after the model's training window and have a final label: an old model on new data.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

from ml import config, report_html

log = logging.getLogger("afisha.ml.evaluate")


def time_split(df: pd.DataFrame, split: config.SplitConfig) -> dict[str, pd.DataFrame]:
    """Train, validation and test by purchase date, never at random.

    Only tickets with a final label take part. Test is the newest `test_days` of them.
    Validation purchases end a label window before the test starts, and training rows
    have their outcome known before validation starts: a model is never fitted on an
    outcome that was not yet known at the time it is judged from.
    """
    closed = df[df["is_label_final"].astype(bool)]
    if closed.empty:
        raise ValueError("no ticket with a final label: nothing to train or evaluate on")
    last = closed[config.DATE_COLUMN].max()
    test_start = last - timedelta(days=split.test_days - 1)
    validation_end = test_start - timedelta(days=split.label_window_days)
    validation_start = validation_end - timedelta(days=split.validation_days)
    purchased = closed[config.DATE_COLUMN]
    closes = closed["label_window_closes_on"]
    parts = {
        "train": closed[closes < validation_start],
        "validation": closed[(purchased >= validation_start) & (closes < test_start)],
        "test": closed[purchased >= test_start],
    }
    for name, part in parts.items():
        if part.empty or part[config.TARGET].nunique() < 2:
            raise ValueError(f"the {name} period has too few labelled tickets (both outcomes needed); more history is required")
    return parts


def split_windows(parts: dict[str, pd.DataFrame]) -> dict[str, dict]:
    return {
        name: {"rows": int(len(p)), "first_purchase": str(p[config.DATE_COLUMN].min().date()), "last_purchase": str(p[config.DATE_COLUMN].max().date()), "attendance_rate": round(float(p[config.TARGET].mean()), 4)}
        for name, p in parts.items()
    }


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.quantile(p, np.linspace(0, 1, bins + 1))
    idx = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        if m.any():
            rows.append({"bin": b + 1, "tickets": int(m.sum()), "mean_predicted": round(float(p[m].mean()), 4), "observed_rate": round(float(y[m].mean()), 4)})
    return rows


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    y = np.asarray(y, dtype=int)
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    yhat = (p >= threshold).astype(int)
    return {
        "roc_auc": round(float(roc_auc_score(y, p)), 4),
        "pr_auc": round(float(average_precision_score(y, p)), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "log_loss": round(float(log_loss(y, p, labels=[0, 1])), 4),
        "threshold": round(float(threshold), 4),
        "precision": round(float(precision_score(y, yhat, zero_division=0)), 4),
        "recall": round(float(recall_score(y, yhat, zero_division=0)), 4),
        "f1": round(float(f1_score(y, yhat, zero_division=0)), 4),
        "tickets": int(len(y)),
        "attendance_rate": round(float(y.mean()), 4),
    }


def oracle_probabilities(test: pd.DataFrame, truth_dir: Path | None) -> np.ndarray | None:
    """The generator's true attendance probability for each test ticket, when known."""
    if truth_dir is None or not (truth_dir / "tickets.parquet").is_file():
        return None
    truth = pd.read_parquet(truth_dir / "tickets.parquet", columns=["id_show", "id_visitor", "sell_date", "attendance_probability"])
    truth = truth.rename(columns={"id_show": "event_id", "id_visitor": "participant_id"}).drop_duplicates(["event_id", "participant_id"])
    joined = test[["event_id", "participant_id"]].merge(truth, on=["event_id", "participant_id"], how="left")
    if joined["attendance_probability"].isna().mean() > 0.01:
        log.warning("ground truth in %s does not match this data; no oracle reported", truth_dir)
        return None
    return joined["attendance_probability"].fillna(joined["attendance_probability"].mean()).to_numpy()


GRID = np.linspace(0, 1, 101)
AGE_BANDS = ((14, 15), (16, 17), (18, 19), (20, 22))  # as the BI marts (macro age_band)


def curves(y: np.ndarray, p: np.ndarray) -> dict:
    """ROC and precision-recall curves on a fixed grid of 101 points (small in the JSON)."""
    fpr, tpr, _ = roc_curve(y, p)
    precision, recall, _ = precision_recall_curve(y, p)
    order = np.argsort(recall, kind="stable")
    return {
        "roc_tpr": np.round(np.interp(GRID, fpr, tpr), 4).tolist(),
        "pr_precision": np.round(np.interp(GRID, recall[order], precision[order]), 4).tolist(),
    }


def no_show_by_decile(y: np.ndarray, p: np.ndarray) -> list[dict]:
    """No-show rate in deciles of predicted attendance, least likely to come first: the
    list a reminder campaign would work down. Lift is against the overall no-show rate."""
    order = np.argsort(p, kind="stable")
    overall = 1 - float(np.mean(y))
    rows = []
    for d, idx in enumerate(np.array_split(order, 10), start=1):
        rate = 1 - float(np.mean(y[idx])) if len(idx) else float("nan")
        rows.append({"decile": d, "tickets": int(len(idx)), "no_show_rate": round(rate, 4), "lift": round(rate / overall, 3) if overall else None})
    return rows


def segment_metrics(test: pd.DataFrame, y: np.ndarray, p: np.ndarray, regions: int = 10) -> dict:
    """ROC-AUC and attendance by age band, and for the regions with most test tickets."""

    def judge(mask: np.ndarray) -> dict:
        both = len(np.unique(y[mask])) == 2
        return {"tickets": int(mask.sum()), "attendance_rate": round(float(y[mask].mean()), 4), "mean_predicted": round(float(p[mask].mean()), 4), "roc_auc": round(float(roc_auc_score(y[mask], p[mask])), 4) if both else None}

    age = test["participant_age_years"].to_numpy()
    by_age = {f"{lo}-{hi}": judge((age >= lo) & (age <= hi)) for lo, hi in AGE_BANDS if ((age >= lo) & (age <= hi)).any()}
    region = test["participant_region_code"].astype(str).to_numpy()
    largest = test["participant_region_code"].astype(str).value_counts().index[:regions]
    return {"age_band": by_age, "region": {r: judge(region == r) for r in largest}}


def permutation_importance_table(model, X: pd.DataFrame, y: np.ndarray, max_rows: int = 20_000) -> list[dict]:
    """Drop in test ROC-AUC when one feature's values are shuffled (3 repeats)."""
    from sklearn.inspection import permutation_importance

    if len(X) > max_rows:
        keep = np.random.default_rng(0).choice(len(X), max_rows, replace=False)
        X, y = X.iloc[keep], y[keep]
    result = permutation_importance(model, X, y, scoring="roc_auc", n_repeats=3, random_state=0)
    rows = [{"feature": c, "roc_auc_drop": round(float(m), 4)} for c, m in zip(X.columns, result.importances_mean)]
    return sorted(rows, key=lambda r: -r["roc_auc_drop"])


def html_report(report: dict) -> str:
    """The report as one self-contained HTML page with charts (report.html)."""
    charts, names = report["charts"], list(report["test_metrics"])
    keys = ["roc_auc", "pr_auc", "brier", "log_loss", "threshold", "precision", "recall", "f1"]
    grid = GRID.tolist()
    roc = [(n, grid, charts["curves"][n]["roc_tpr"]) for n in names]
    pr = [(n, grid, charts["curves"][n]["pr_precision"]) for n in names]
    cal = report["calibration"]
    deciles = charts["no_show_by_decile"]
    importance = charts["permutation_importance"][:12]
    ages, regions = charts["segments"]["age_band"], charts["segments"]["region"]
    chosen = report["chosen_model"]
    sections = [
        ("Summary", [
            report_html.paragraph(f"Model {report['model_version']}, trained {report['trained_at']}; chosen on validation ROC-AUC: {chosen}. "
                                  f"Held-out test period: {report['split']['test']['first_purchase']} to {report['split']['test']['last_purchase']}, "
                                  f"{report['split']['test']['rows']:,} tickets."),
            report_html.table(["metric", *names], [[k, *(report["test_metrics"][n][k] for n in names)] for k in keys]),
        ]),
        ("How well it separates", [
            report_html.line_chart("ROC curve (test)", roc, "false positive rate", "true positive rate", diagonal=True),
            report_html.line_chart("Precision-recall (test)", pr, "recall", "precision", y_range=(0.5, 1.0)),
        ]),
        ("Calibration and lift", [
            report_html.line_chart(f"Calibration of {chosen}", [(chosen, [r["mean_predicted"] for r in cal], [r["observed_rate"] for r in cal])], "mean predicted", "observed attendance", diagonal=True),
            report_html.bar_chart("No-show rate by decile of predicted attendance", [str(r["decile"]) for r in deciles], [("no-show rate", [r["no_show_rate"] for r in deciles])], "no-show rate", (0.0, 1.0)),
            report_html.paragraph("Decile 1 holds the tickets least likely to be used; its lift is "
                                  f"{deciles[0]['lift']}x the overall no-show rate."),
        ]),
        ("What the model uses", [
            report_html.bar_chart(f"Permutation importance of {chosen}", [r["feature"] for r in importance], [("ROC-AUC drop", [r["roc_auc_drop"] for r in importance])], "ROC-AUC drop"),
            report_html.table(["feature", "ROC-AUC drop when shuffled"], [[r["feature"], r["roc_auc_drop"]] for r in importance]),
        ]),
        ("By age band and region", [
            report_html.bar_chart("ROC-AUC by age band", list(ages), [("ROC-AUC", [a["roc_auc"] if a["roc_auc"] is not None else float("nan") for a in ages.values()])], "ROC-AUC", (0.0, 1.0)),
            report_html.bar_chart("Attendance by age band", list(ages), [("observed", [a["attendance_rate"] for a in ages.values()]), ("predicted", [a["mean_predicted"] for a in ages.values()])], "attendance", (0.0, 1.0)),
            report_html.table(["region", "tickets", "attendance", "mean predicted", "ROC-AUC"], [[r, m["tickets"], m["attendance_rate"], m["mean_predicted"], m["roc_auc"] if m["roc_auc"] is not None else "n/a"] for r, m in regions.items()]),
        ]),
    ]
    return report_html.page(f"Attendance model report - {report['model_version']}", sections)


def markdown_report(report: dict) -> str:
    lines = [f"# Attendance model report — {report['model_version']}", ""]
    lines += [f"Trained {report['trained_at']} on `{report['warehouse']}`; chosen model: **{report['chosen_model']}**.", ""]
    lines += ["## Time split (purchase dates)", "", "| part | tickets | first | last | attendance |", "|---|---:|---|---|---:|"]
    for name, w in report["split"].items():
        lines.append(f"| {name} | {w['rows']} | {w['first_purchase']} | {w['last_purchase']} | {w['attendance_rate']:.3f} |")
    lines += ["", "## Held-out test metrics", "", "Threshold for precision/recall/F1: the best F1 on the validation period.", ""]
    names = list(report["test_metrics"])
    keys = ["roc_auc", "pr_auc", "brier", "log_loss", "threshold", "precision", "recall", "f1"]
    lines += ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for k in keys:
        lines.append(f"| {k} | " + " | ".join(f"{report['test_metrics'][n][k]:.4f}" for n in names) + " |")
    lines += ["", "## Calibration of the chosen model (test, deciles of predicted probability)", "", "| bin | tickets | mean predicted | observed |", "|---:|---:|---:|---:|"]
    for row in report["calibration"]:
        lines.append(f"| {row['bin']} | {row['tickets']} | {row['mean_predicted']:.3f} | {row['observed_rate']:.3f} |")
    lines.append("")
    if "oracle" in report["test_metrics"]:
        gap = report["test_metrics"]["oracle"]["roc_auc"] - report["test_metrics"][report["chosen_model"]]["roc_auc"]
        lines += [f"The oracle column scores the generator's true probabilities: the ceiling. The chosen model is {gap:.3f} ROC-AUC below it.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from ml import data, train

    parser = argparse.ArgumentParser(prog="python -m ml.evaluate", description="Evaluate a saved attendance model on tickets bought after its training window.")
    data.add_target_arguments(parser)
    parser.add_argument("--model-version", default=None, help="model version under the artifacts folder (default: latest)")
    parser.add_argument("--truth-dir", type=Path, default=None, help="generator ground truth, for the oracle ceiling")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        model, meta = train.load_model(args.model_version)
        # A saved model was refitted on every outcome known when it was trained; only
        # tickets bought after that window are new to it.
        after = meta["training_window"]["last_purchase"]
        with data.open_warehouse(args.target, args.warehouse) as wh:
            test = data.load_mart(wh, where=f"is_label_final and purchased_on > date '{after}'")
    except (train.ModelError, data.DataError, *data.engine_errors()) as e:
        log.error("%s", e)
        return 1
    if test.empty or test[config.TARGET].nunique() < 2:
        log.error("no labelled tickets bought after the model's training window (%s) in this warehouse", after)
        return 1
    from ml.features import feature_frame

    p = model.predict_proba(feature_frame(test))[:, 1]
    result = {meta["model_version"]: metrics(test[config.TARGET].to_numpy(), p, meta["threshold"])}
    oracle = oracle_probabilities(test, args.truth_dir)
    if oracle is not None:
        result["oracle"] = metrics(test[config.TARGET].to_numpy(), oracle, meta["threshold"])
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
