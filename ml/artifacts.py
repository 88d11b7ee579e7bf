"""Model artifacts: saved with metadata and a hash, loaded only if both check out."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn

from pipeline import paths

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
LATEST_FILE = "LATEST"


class ModelError(Exception):
    """A model artifact is missing, altered, or does not fit the data."""


def model_root(name: str) -> Path:
    return paths.artifacts_dir() / name


def library_versions() -> dict[str, str]:
    import duckdb

    return {"python": platform.python_version(), "scikit-learn": sklearn.__version__, "pandas": pd.__version__, "numpy": np.__version__, "duckdb": duckdb.__version__, "joblib": joblib.__version__}


def save_model(name: str, model, metadata: dict, report: dict, report_markdown: str, report_html: str | None = None) -> Path:
    root = model_root(name)
    out = root / metadata["model_version"]
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE)
    metadata["model_sha256"] = paths.sha256(out / MODEL_FILE)
    metadata["library_versions"] = library_versions()
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    (out / "report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report_markdown, encoding="utf-8")
    if report_html is not None:
        (out / "report.html").write_text(report_html, encoding="utf-8")
    # Written last: a crash above leaves the previous model as the latest.
    tmp = root / f".{LATEST_FILE}.tmp"
    tmp.write_text(metadata["model_version"] + "\n", encoding="utf-8")
    tmp.replace(root / LATEST_FILE)
    return out


def load_model(name: str, version: str | None = None):
    """Load a saved model after checking it is ours: inside the model folder, hash intact."""
    root = model_root(name).resolve()
    if version is None:
        latest = root / LATEST_FILE
        if not latest.is_file():
            raise ModelError(f"no trained {name} model in {root}; train one first")
        version = latest.read_text(encoding="utf-8").strip()
    folder = (root / version).resolve()
    if not folder.is_relative_to(root):
        raise ModelError(f"model version {version!r} points outside the model folder {root}")
    meta_path, model_path = folder / METADATA_FILE, folder / MODEL_FILE
    if not meta_path.is_file() or not model_path.is_file():
        raise ModelError(f"model {version} is incomplete in {folder} (metadata.json and model.joblib needed)")
    try:
        metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ModelError(f"model {version}: metadata.json is corrupt ({e})") from None
    # joblib files run code when loaded: load only a file whose hash the metadata vouches for.
    if paths.sha256(model_path) != metadata.get("model_sha256"):
        raise ModelError(f"model {version}: model.joblib does not match the hash in metadata.json; refusing to load it")
    return joblib.load(model_path), metadata
