"""The points model: LightGBM on the feature store, trained only on games before its cutoff.

Why LightGBM: the target is a noisy count and the metric is MAE, so an L1 objective (a median
predictor) fits the job; gradient-boosted trees take the feature store's missing values natively;
and it trains a season's data in about a second on two cores, which keeps weekly retraining of a
whole season inside a backfill. scikit-learn's HistGradientBoosting with absolute-error loss reached
a similar MAE but trained ~9x slower.

Training: the number of trees is chosen by early stopping on the 28 days before the cutoff, then the
model is refit on everything before the cutoff. Validation MAE is reported next to the moving-average
baseline's on the same rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from nba_pipeline.phases.precompute.features import FEATURE_NAMES

VALIDATION_DAYS = 28
MIN_TRAIN_ROWS = 2000
MIN_VALIDATION_ROWS = 200
PARAMS = dict(
    objective="l1",
    learning_rate=0.02,
    num_leaves=7,
    min_child_samples=200,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.7,
    reg_lambda=5.0,
    random_state=0,
    deterministic=True,
    force_row_wise=True,
    n_jobs=2,
    verbose=-1,
)
MAX_TREES, PATIENCE, MIN_TREES = 800, 50, 100
SYSTEM_ID = "points_model_lgbm"
BASELINE = "moving_average_baseline"


def model_version(cutoff: date) -> str:
    return f"{SYSTEM_ID}_{cutoff:%Y%m%d}"


@dataclass
class TrainedModel:
    version: str
    cutoff: date
    booster: object  # lightgbm.Booster
    features: list[str]
    train_rows: int
    validation_rows: int
    trees: int
    mae_model: float
    mae_baseline: float

    @property
    def improvement_pct(self) -> float:
        return round(100 * (1 - self.mae_model / self.mae_baseline), 2) if self.mae_baseline else 0.0

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        return np.clip(self.booster.predict(features.reindex(columns=self.features).astype(float)), 0, None)

    def to_bytes(self) -> bytes:
        meta = {
            k: getattr(self, k)
            for k in (
                "version",
                "features",
                "train_rows",
                "validation_rows",
                "trees",
                "mae_model",
                "mae_baseline",
            )
        }
        return json.dumps(
            {**meta, "cutoff": self.cutoff.isoformat(), "booster": self.booster.model_to_string()}
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainedModel:
        import lightgbm as lgb

        raw = json.loads(data)
        booster = lgb.Booster(model_str=raw.pop("booster"))
        return cls(booster=booster, cutoff=date.fromisoformat(raw.pop("cutoff")), **raw)


class NotEnoughHistory(Exception):
    """Too few labelled rows before the cutoff to train and validate a model."""


def training_rows(features: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Feature rows of players who played, labelled with their actual points, ready to learn from."""
    rows = features.merge(actuals[["game_id", "player_lookup", "points"]], on=["game_id", "player_lookup"])
    return rows[rows.is_quality_ready.astype(bool)]


def train(rows: pd.DataFrame, cutoff: date) -> TrainedModel:
    """Train on `rows` dated before `cutoff` only (never on or after it)."""
    import lightgbm as lgb

    dated = pd.to_datetime(rows.game_date).dt.date
    history = rows[dated < cutoff]
    split = cutoff - timedelta(days=VALIDATION_DAYS)
    fit, valid = (
        history[pd.to_datetime(history.game_date).dt.date < split],
        history[pd.to_datetime(history.game_date).dt.date >= split],
    )
    if len(fit) < MIN_TRAIN_ROWS or len(valid) < MIN_VALIDATION_ROWS:
        raise NotEnoughHistory(
            f"{len(fit)} training and {len(valid)} validation rows before {cutoff}; need {MIN_TRAIN_ROWS} and {MIN_VALIDATION_ROWS}"
        )
    features = [f for f in FEATURE_NAMES if history[f].notna().any()]  # unavailable features are all missing
    probe = lgb.LGBMRegressor(n_estimators=MAX_TREES, **PARAMS)
    probe.fit(
        fit[features],
        fit.points,
        eval_X=valid[features],
        eval_y=valid.points,
        eval_metric="l1",
        callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
    )
    trees = max(probe.best_iteration_ or MAX_TREES, MIN_TREES)
    checked = probe.predict(valid[features], num_iteration=trees)
    final = lgb.LGBMRegressor(n_estimators=trees, **PARAMS).fit(history[features], history.points)
    return TrainedModel(
        version=model_version(cutoff),
        cutoff=cutoff,
        booster=final.booster_,
        features=features,
        train_rows=len(history),
        validation_rows=len(valid),
        trees=trees,
        mae_model=round(float(np.mean(np.abs(valid.points - np.clip(checked, 0, None)))), 4),
        mae_baseline=round(float(np.mean(np.abs(valid.points - valid.points_avg_last_10))), 4),
    )
