"""ML settings in one place: which mart, which features, how time is split."""

from __future__ import annotations

from dataclasses import dataclass

MART = "marts.fct_ticket_attendance"
FRESHNESS_MART = "marts.rpt_data_freshness"  # one row: the as-of date scores are stamped with
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

# dbt's var label_window_days; training reads the real value from the mart
# (label_window_closes_on - purchased_on), this is only the default.
LABEL_WINDOW_DAYS = 45


@dataclass(frozen=True)
class SplitConfig:
    test_days: int = 60  # the newest closed purchases: the held-out report
    validation_days: int = 60  # before the test period: threshold and model choice
    label_window_days: int = LABEL_WINDOW_DAYS


SEED = 7
# Rows per batch when scoring: memory stays flat however large the mart is.
BATCH_ROWS = 250_000
# In-memory training budgets (rows). Above them, training reads a fixed share of
# participants with all their rows, and the report says so.
MAX_TRAINING_ROWS = 4_000_000
MAX_RANKER_ROWS = 6_000_000
MODEL_NAME = "attendance"


# Recommendations ---------------------------------------------------------------
RECOMMENDER_NAME = "recommender"
CANDIDATES_MART = "marts.fct_recommendation_candidates"
RELEVANT_VISITS = "intermediate.int_recommendation_relevant_visits"
RECOMMENDATIONS_TABLE = "ml.event_recommendations"
RECOMMENDATION_LABEL = "has_visited_in_window"
RECOMMENDATIONS_PER_PARTICIPANT = 10
RANKING_KS: tuple[int, ...] = (5, 10)
# Pointwise training keeps every positive and this share of negatives (by a hash, so
# the sample is the same each run); ranking within a participant is unaffected.
NEGATIVE_SAMPLE_SHARE = 0.25

RANKER_NUMERIC_FEATURES: tuple[str, ...] = (
    "type_affinity",
    "is_favourite_type",
    "event_tickets_recent",
    "event_tickets_last_14_days",
    "event_sales_trend",
    "event_region_rank",
    "event_tickets_recent_same_age_band",
    "event_same_age_band_share",
    "event_avg_price_rub",
    "price_fit",
    "is_event_in_home_region",
    "participant_age_years",
    "participant_tickets_last_year",
    "participant_days_since_last_purchase",
)
RANKER_CATEGORICAL_FEATURES: tuple[str, ...] = ("organisation_type", "participant_region_code")
RANKER_FEATURES = RANKER_NUMERIC_FEATURES + RANKER_CATEGORICAL_FEATURES
# Planted factors the generator can withhold: what a ranker loses without them.
RANKER_ABLATIONS: dict[str, tuple[str, ...]] = {
    "without age": ("participant_age_years", "event_tickets_recent_same_age_band", "event_same_age_band_share"),
    "without purchase history by type": ("type_affinity", "is_favourite_type"),
    "without home region": ("is_event_in_home_region", "participant_region_code", "event_region_rank"),
}
