"""Feature matrices and the candidate models, each a scikit-learn Pipeline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from ml import config


def feature_frame(
    df: pd.DataFrame,
    numeric: tuple[str, ...] = config.NUMERIC_FEATURES,
    categorical: tuple[str, ...] = config.CATEGORICAL_FEATURES,
) -> pd.DataFrame:
    """The model's input: numbers as float (booleans 0/1, missing NaN), categories as text."""
    X = pd.DataFrame(index=df.index)
    for c in numeric:
        X[c] = pd.to_numeric(df[c].astype("float64"), errors="coerce")
    for c in categorical:
        X[c] = df[c].astype("object").where(df[c].notna(), "missing").astype(str)
    return X


class HistoricalRateBaseline(ClassifierMixin, BaseEstimator):
    """The participant's own attendance rate so far, shrunk towards the overall rate.

    No learning beyond the overall rate: the yardstick any model must beat.
    """

    def __init__(self, prior_weight: float = 2.0):
        self.prior_weight = prior_weight

    def fit(self, X: pd.DataFrame, y: np.ndarray):
        self.classes_ = np.array([0, 1])
        self.overall_rate_ = float(np.mean(y))
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        known = X["prior_known_outcomes"].fillna(0).to_numpy()
        attended = known - X["prior_no_shows"].fillna(0).to_numpy()
        p = (attended + self.prior_weight * self.overall_rate_) / (known + self.prior_weight)
        return np.column_stack([1 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def build_model(
    kind: str,
    numeric: tuple[str, ...] = config.NUMERIC_FEATURES,
    categorical: tuple[str, ...] = config.CATEGORICAL_FEATURES,
) -> Pipeline:
    numeric, categorical = list(numeric), list(categorical)
    if kind == "historical_rate":
        return Pipeline([("model", HistoricalRateBaseline())])
    if kind == "logistic_regression":
        pre = ColumnTransformer(
            [
                ("numeric", Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())]), numeric),
                ("categorical", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=20), categorical),
            ]
        )
        return Pipeline([("features", pre), ("model", LogisticRegression(max_iter=2000, C=1.0))])
    if kind == "hist_gradient_boosting":
        pre = ColumnTransformer(
            [
                ("numeric", "passthrough", numeric),
                ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=np.nan), categorical),
            ],
            verbose_feature_names_out=False,
        )
        n_num = len(numeric)
        model = HistGradientBoostingClassifier(
            # Shallow and strongly regularised: cumulative counts drift upward over time,
            # and deep trees fitted on early months extrapolate badly to later ones.
            learning_rate=0.05,
            max_iter=200,
            max_depth=3,
            min_samples_leaf=200,
            l2_regularization=1.0,
            categorical_features=list(range(n_num, n_num + len(categorical))),
            # Early stopping would hold out a random slice; splits here are by time only.
            early_stopping=False,
            random_state=config.SEED,
        )
        return Pipeline([("features", pre), ("model", model)])
    raise ValueError(f"unknown model kind {kind!r}")


MODEL_KINDS = ("historical_rate", "logistic_regression", "hist_gradient_boosting")
BASELINES = ("historical_rate", "logistic_regression")
