"""Where everything lives. One place, overridable by environment variables.

| variable               | default                    | what                                   |
|------------------------|----------------------------|----------------------------------------|
| AFISHA_RAW_DIR         | data/raw/demo              | the four raw CSV files                 |
| AFISHA_TRUTH_DIR       | <raw dir>_truth            | generator ground truth (evaluation only) |
| AFISHA_LANDING_DIR     | data/landing               | typed UTF-8 Parquet copy dbt reads     |
| AFISHA_WAREHOUSE       | warehouse/afisha.duckdb    | the DuckDB file dbt builds             |
| AFISHA_SERVING         | <warehouse dir>/serving.duckdb | read-only copy BI reads, published |
| AFISHA_ARTIFACTS_DIR   | artifacts                  | trained models and reports             |

Functions, not constants, so that a test or a caller that changes the environment
sees the change.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGIONS_SEED = ROOT / "seeds" / "ref_regions.csv"
DEMO_RAW_DIR = ROOT / "data" / "raw" / "demo"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


def raw_dir() -> Path:
    return _env_path("AFISHA_RAW_DIR", DEMO_RAW_DIR)


def truth_dir(raw: Path | None = None) -> Path:
    raw = raw or raw_dir()
    return _env_path("AFISHA_TRUTH_DIR", raw.with_name(raw.name + "_truth"))


def landing_dir() -> Path:
    return _env_path("AFISHA_LANDING_DIR", ROOT / "data" / "landing")


def warehouse() -> Path:
    return _env_path("AFISHA_WAREHOUSE", ROOT / "warehouse" / "afisha.duckdb")


def serving(warehouse_path: Path | None = None) -> Path:
    """The published, read-only copy BI reads; never the file dbt writes."""
    return _env_path("AFISHA_SERVING", (warehouse_path or warehouse()).with_name("serving.duckdb"))


def artifacts_dir() -> Path:
    return _env_path("AFISHA_ARTIFACTS_DIR", ROOT / "artifacts")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
