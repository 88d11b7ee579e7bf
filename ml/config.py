"""ML settings in one place: which mart, which features, how time is split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline import paths

MART = "marts.fct_ticket_attendance"
SCORES_TABLE = "ml.ticket_attendance_scores"
TARGET = "attended"
KEY = "ticket_id"
DATE_COLUMN = "purchased_on"

# Features known at purchase (the mart guarantees it; see its leakage test).
NUMERIC_FEATURES: tuple[str, ...] = (
    "price_rub",
    "price_relative_to_type",
    "participant_age_years",
    "prior_tickets",
    "prior_visits",
    "prior_known_outcomes",
    "prior_no_shows",
    "prior_no_show_rate",
    "days_since_last_purchase",
    "prior_tickets_same_type",
    "organisation_type_affinity",
    "event_prior_tickets",
    "purchase_day_of_week",
    "purchase_month_of_year",
    "is_event_in_home_region",
    "is_event_region_derived",
)
CATEGORICAL_FEATURES: tuple[str, ...] = ("organisation_type", "participant_region_code")
FEATURES: tuple[str, ...] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

# Must match the dbt var of the same name: a training row's outcome must be known
# before the period its model is judged on.
LABEL_WINDOW_DAYS = 45


@dataclass(frozen=True)
class SplitConfig:
    test_days: int = 60  # the newest closed purchases: the held-out report
    validation_days: int = 60  # before the test period: threshold and model choice
    label_window_days: int = LABEL_WINDOW_DAYS


SEED = 7
MODEL_NAME = "attendance"


def model_root() -> Path:
    return paths.artifacts_dir() / MODEL_NAME
