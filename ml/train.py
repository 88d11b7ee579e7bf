"""Train the attendance model: time split, baselines beside the model, report, artifact.

Fits every candidate on the training period, picks the threshold and the model on the
validation period, reports all of them on the untouched test period (with the oracle
ceiling when the generator's ground truth is given), then refits the chosen model on
every ticket with a final label and saves it with its metadata.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from ml import artifacts, config, data, evaluate
from ml.features import BASELINES, MODEL_KINDS, build_model, feature_frame
from pipeline import paths

log = logging.getLogger("afisha.ml.train")

def train(wh: data.Warehouse, truth_dir: Path | None, split: config.SplitConfig = config.SplitConfig()) -> dict:
    t0 = time.perf_counter()
    df = data.load_mart(wh, where="is_label_final", max_rows=config.MAX_TRAINING_ROWS)
    if not df.empty:
        # The label window is dbt's var; read it from the mart so the split's gap follows it.
        window = int((df["label_window_closes_on"] - df[config.DATE_COLUMN]).dt.days.max())
        split = dataclasses.replace(split, label_window_days=window)
    parts = evaluate.time_split(df, split)
    X = {name: feature_frame(p) for name, p in parts.items()}
    y = {name: p[config.TARGET].to_numpy(dtype=int) for name, p in parts.items()}

    fitted, validation, test_metrics, test_curves = {}, {}, {}, {}
    for kind in MODEL_KINDS:
        model = build_model(kind).fit(X["train"], y["train"])
        p_val = model.predict_proba(X["validation"])[:, 1]
        threshold = evaluate.best_f1_threshold(y["validation"], p_val)
        validation[kind] = evaluate.metrics(y["validation"], p_val, threshold)
        p_kind = model.predict_proba(X["test"])[:, 1]
        test_metrics[kind] = evaluate.metrics(y["test"], p_kind, threshold)
        test_curves[kind] = evaluate.curves(y["test"], p_kind)
        fitted[kind] = (model, threshold)
        log.info("%-24s validation ROC-AUC %.4f  test ROC-AUC %.4f", kind, validation[kind]["roc_auc"], test_metrics[kind]["roc_auc"])

    learned = [k for k in MODEL_KINDS if k != "historical_rate"]
    chosen = max(learned, key=lambda k: validation[k]["roc_auc"])
    model, threshold = fitted[chosen]
    p_test = model.predict_proba(X["test"])[:, 1]
    oracle = evaluate.oracle_probabilities(parts["test"], truth_dir)
    if oracle is not None:
        test_metrics["oracle"] = evaluate.metrics(y["test"], oracle, evaluate.best_f1_threshold(y["test"], oracle))
        test_curves["oracle"] = evaluate.curves(y["test"], oracle)

    # The model that scores open tickets learns from every outcome known today.
    final = build_model(chosen).fit(feature_frame(df), df[config.TARGET].to_numpy(dtype=int))
    trained_at = datetime.now(timezone.utc)
    fp = data.fingerprint(df)
    version = f"{trained_at:%Y%m%dT%H%M%SZ}-{fp['sha256'][:8]}"
    report = {
        "model_version": version,
        "trained_at": trained_at.isoformat(timespec="seconds"),
        "warehouse": wh.location,
        "engine": wh.engine,
        "chosen_model": chosen,
        "baselines": list(BASELINES),
        "split": evaluate.split_windows(parts),
        "validation_metrics": validation,
        "test_metrics": test_metrics,
        "calibration": evaluate.calibration_table(y["test"], p_test),
        "charts": {
            "curves": test_curves,
            "no_show_by_decile": evaluate.no_show_by_decile(y["test"], p_test),
            "permutation_importance": evaluate.permutation_importance_table(model, X["test"], y["test"]),
            "segments": evaluate.segment_metrics(parts["test"], y["test"], p_test),
        },
        "training_sample": df.attrs.get("sample", {"sampled": False}),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    metadata = {
        "model_version": version,
        "model_kind": chosen,
        "trained_at": report["trained_at"],
        "target": config.TARGET,
        "features": {c: ("numeric" if c in config.NUMERIC_FEATURES else "categorical") for c in config.FEATURES},
        "threshold": threshold,
        "label_window_days": split.label_window_days,
        "training_window": {"first_purchase": fp["first_date"], "last_purchase": fp["last_date"], "rows": fp["rows"]},
        "evaluation_split": report["split"],
        "data_fingerprint": fp,
        "metrics": {"validation": validation[chosen], "test": test_metrics[chosen]},
    }
    artifacts.save_model(config.MODEL_NAME, final, metadata, report, evaluate.markdown_report(report), evaluate.html_report(report))
    return report


def load_model(version: str | None = None):
    return artifacts.load_model(config.MODEL_NAME, version)


ModelError = artifacts.ModelError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.train", description=__doc__.splitlines()[0])
    data.add_target_arguments(parser)
    parser.add_argument("--truth-dir", type=Path, default=None, help="generator ground truth for the oracle ceiling (default: <raw dir>_truth if it exists)")
    parser.add_argument("--test-days", type=int, default=config.SplitConfig.test_days)
    parser.add_argument("--validation-days", type=int, default=config.SplitConfig.validation_days)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    truth = args.truth_dir or paths.truth_dir()
    try:
        with data.open_warehouse(args.target, args.warehouse) as wh:
            report = train(wh, truth, config.SplitConfig(test_days=args.test_days, validation_days=args.validation_days))
    except (data.DataError, ValueError, *data.engine_errors()) as e:
        log.error("training failed: %s", e)
        return 1
    chosen = report["test_metrics"][report["chosen_model"]]
    log.info("model %s (%s): test ROC-AUC %.4f, F1 %.4f; report in %s", report["model_version"], report["chosen_model"], chosen["roc_auc"], chosen["f1"], artifacts.model_root(config.MODEL_NAME) / report["model_version"] / "report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
