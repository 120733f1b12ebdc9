"""The points model: LightGBM on the feature store, trained only on games before its cutoff.

Why LightGBM: the metric is MAE, so an L1 objective (a median predictor) fits the job; gradient-boosted
trees take the feature store's missing values natively (a season's first night has no windows yet);
and it trains two seasons of rows in seconds on two cores, which keeps weekly retraining inside a
backfill. Chosen by measurement (benchmarks/model_quality.py, real 2023-24 from March on, weekly models):
L1 beat L2 by 1.5 % of MAE (and, in development, Huber, Poisson and minutes x points-per-minute);
learning sqrt(points) instead of points was a wash (+0.08 %), as were player or opponent categories,
rolling medians and recency weights. Later, on the same protocol (ratio to the baseline, 0.9620 before):
trees of 15 leaves with 100 rows a leaf instead of 7 and 200 (0.9610 -> 0.9600 with the features
below), form at more half-lives (0.9608 without) and who else is expected on the team (0.9609
without) together bought 0.9620 -> 0.9600; learning the gap to `exp_points_blend` (an offset), Huber,
a 0.02 learning rate and blending in 15 % of the baseline (in development, on the 63 features) did not.

Training: every labelled row before the cutoff, previous seasons included. The number of trees is
chosen by early stopping on the 28 days up to the last game before the cutoff (so a season's first
week, after an off-season, is served by a model held back on last season's end), and the errors the model made on those
games it had not seen become its predictive distribution (`calibration`): P(OVER), the Brier score
and the edge threshold below which a call is a PASS. Then the model is refit on everything before
the cutoff. Everything a model did and learned is in its card (`card()`), shown on its materialization.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from nba_pipeline.features.seasons import season_year
from nba_pipeline.phases.precompute.features import FEATURE_NAMES
from nba_pipeline.phases.predictions import calibration as cal

VALIDATION_DAYS = 28
MIN_TRAIN_ROWS = 2000
MIN_VALIDATION_ROWS = 200
PARAMS = dict(  # LightGBM's native parameter names
    objective="l1",
    learning_rate=0.04,
    num_leaves=15,
    min_data_in_leaf=100,
    bagging_fraction=0.8,
    bagging_freq=1,
    feature_fraction=0.7,
    lambda_l2=5.0,
    seed=0,
    deterministic=True,
    force_row_wise=True,
    num_threads=2,
    verbosity=-1,
)
MAX_TREES, PATIENCE, MIN_TREES = 1000, 50, 100
SYSTEM_ID = "points_model_lgbm"
BASELINE = "moving_average_baseline"
BASELINE_FEATURE = "points_avg_last_10"
TOP_FEATURES = 15


def model_version(cutoff: date) -> str:
    return f"{SYSTEM_ID}_{cutoff:%Y%m%d}"


def baseline_points(rows: pd.DataFrame) -> pd.Series:
    """The moving-average baseline: his last 10 games this season, where he has any (NaN otherwise)."""
    value = rows[BASELINE_FEATURE].astype(float)
    return value.where(rows[f"{BASELINE_FEATURE}__source"] == "player_daily_cache")


def proxy_lines(rows: pd.DataFrame) -> pd.Series:
    """Where no book posted a line, the one a book would set from the moving average (n.5)."""
    return np.floor(baseline_points(rows)) + 0.5


@dataclass
class TrainedModel:
    version: str
    cutoff: date
    booster: object  # lightgbm.Booster on points ** (1 / power)
    features: list[str]
    train_rows: int
    validation_rows: int
    trees: int
    mae_model: float
    mae_baseline: float
    train_start: date | None = None
    train_end: date | None = None
    seasons: list[int] = field(default_factory=list)
    residuals: cal.ResidualDistribution | None = None
    edge_threshold: float = cal.EDGE_GRID[0]
    threshold_reason: str = ""
    brier: float | None = None
    calibration_lines: str = "none"  # real | proxy | none
    reliability: list[dict] = field(default_factory=list)
    importance: dict[str, float] = field(default_factory=dict)
    power: float = 1.0  # the booster learns points ** (1 / power) (2.0: sqrt, squared back)
    offset: str | None = None  # a feature the booster learns the difference from (None: points itself)

    @property
    def improvement_pct(self) -> float:
        return round(100 * (1 - self.mae_model / self.mae_baseline), 2) if self.mae_baseline else 0.0

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        root = self.booster.predict(features.reindex(columns=self.features).astype(float))
        return np.clip(root + _offset(features, self.offset, self.power), 0, None) ** self.power

    def p_over(self, predicted, line) -> np.ndarray:
        return self.residuals.p_over(predicted, line) if self.residuals else np.full(len(predicted), np.nan)

    def card(self) -> dict:
        """What the model is: window, rows, features, held-back MAE, calibration, importance."""
        return {
            "version": self.version,
            "cutoff": self.cutoff.isoformat(),
            "training_window": f"{self.train_start} to {self.train_end} (seasons {', '.join(map(str, self.seasons))})",
            "train_rows": self.train_rows,
            "features": len(self.features),
            "trees": self.trees,
            "held_back": f"the {VALIDATION_DAYS} days up to {self.train_end}, {self.validation_rows} rows",
            "mae_model": self.mae_model,
            "mae_baseline": self.mae_baseline,
            "improvement_pct": self.improvement_pct,
            "brier": self.brier,
            "calibration_lines": self.calibration_lines,
            "edge_threshold": self.edge_threshold,
            "threshold_reason": self.threshold_reason,
        }

    def to_bytes(self) -> bytes:
        meta = {k: v for k, v in asdict(self).items() if k not in ("booster", "residuals", "cutoff")}
        meta |= {
            "cutoff": self.cutoff.isoformat(),
            "residuals": self.residuals.to_json() if self.residuals else None,
        }
        meta |= {
            k: getattr(self, k).isoformat() if getattr(self, k) else None
            for k in ("train_start", "train_end")
        }
        return json.dumps({**meta, "booster": self.booster.model_to_string()}).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> TrainedModel:
        import lightgbm as lgb

        raw = json.loads(data)
        booster = lgb.Booster(model_str=raw.pop("booster"))
        residuals = raw.pop("residuals")
        dates = {
            k: date.fromisoformat(raw.pop(k)) if raw.get(k) else None
            for k in ("cutoff", "train_start", "train_end")
        }
        return cls(
            booster=booster,
            residuals=cal.ResidualDistribution(**residuals) if residuals else None,
            **dates,
            **raw,
        )


class NotEnoughHistory(Exception):
    """Too few labelled rows before the cutoff to train and validate a model."""


def _offset(rows: pd.DataFrame, offset: str | None, power: float) -> np.ndarray:
    """The offset's value on the booster's scale (0 without one, or where the row has none)."""
    if offset is None:
        return np.zeros(len(rows))
    return np.nan_to_num(np.clip(rows[offset].to_numpy(dtype=float), 0, None) ** (1 / power))


def training_rows(features: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Feature rows of players who played, labelled with their actual points, ready to learn from."""
    rows = features.merge(actuals[["game_id", "player_lookup", "points"]], on=["game_id", "player_lookup"])
    return rows[rows.is_quality_ready.astype(bool)]


def _calibrate(valid: pd.DataFrame, predicted: np.ndarray) -> dict:
    """Residual distribution, a cross-fitted Brier score (each half of the held-back days scored by the
    other half's residuals) and the edge threshold, on real lines where the past had them."""
    real = (
        valid.vegas_points_line.astype(float)
        if "vegas_points_line" in valid
        else pd.Series(np.nan, index=valid.index)
    )
    kind = "real" if real.notna().sum() >= cal.MIN_BETS else "proxy"
    line = (real if kind == "real" else proxy_lines(valid)).to_numpy()
    actual = valid.points.to_numpy(dtype=float)
    outcome = cal.outcomes(actual, line)
    odd = (pd.to_datetime(valid.game_date).dt.dayofyear % 2 == 1).to_numpy()
    p_over = np.full(len(valid), np.nan)
    for held in (odd, ~odd):
        if held.any() and (~held).any():
            p_over[held] = cal.ResidualDistribution.fit(predicted[~held], actual[~held]).p_over(
                predicted[held], line[held]
            )
    threshold, reason = (
        cal.choose_edge_threshold(predicted - line, outcome)
        if kind == "real"
        else (cal.EDGE_GRID[0], "no lines in the held-back games: the default stands")
    )
    return {
        "residuals": cal.ResidualDistribution.fit(predicted, actual),
        "brier": cal.brier(p_over, outcome),
        "calibration_lines": kind if not np.isnan(outcome).all() else "none",
        "reliability": cal.reliability(p_over, outcome).to_dict("records"),
        "edge_threshold": threshold,
        "threshold_reason": reason,
    }


def train(
    rows: pd.DataFrame,
    cutoff: date,
    threads: int = 2,
    features: list[str] | None = None,
    params: dict | None = None,
    root: bool = False,
    offset: str | None = None,
) -> TrainedModel:
    """Train on `rows` dated before `cutoff` only (never on or after it). `features`, `params` (over
    PARAMS), `root` (learn sqrt(points) rather than points) and `offset` (learn points minus that
    feature, added back when predicting) are what the benchmark varies.

    The rows are binned once; the early-stopping probe and the final fit use subsets of that one
    dataset (LightGBM's native API), rather than re-binning the same data three times."""
    import lightgbm as lgb

    days = pd.to_datetime(rows.game_date).dt.date
    history = rows[days < cutoff]
    history_days = days[days < cutoff]
    # Held back: the 28 days up to the last game before the cutoff (last April's, before an opener).
    held_from = (max(history_days) if len(history_days) else cutoff) + timedelta(days=1 - VALIDATION_DAYS)
    fitting = (history_days < held_from).to_numpy()
    fit_rows, valid = int(fitting.sum()), history[~fitting]
    if fit_rows < MIN_TRAIN_ROWS or len(valid) < MIN_VALIDATION_ROWS:
        raise NotEnoughHistory(
            f"{fit_rows} training and {len(valid)} validation rows before {cutoff}; need {MIN_TRAIN_ROWS} and {MIN_VALIDATION_ROWS}"
        )
    features = features or [f for f in FEATURE_NAMES if history[f].notna().any()]  # unavailable: all missing
    params = PARAMS | (params or {}) | {"num_threads": threads}
    power = 2.0 if root else 1.0
    binned = lgb.Dataset(
        history[features].astype(float),
        label=history.points.to_numpy(dtype=float) ** (1 / power) - _offset(history, offset, power),
        params=params,
        free_raw_data=False,
    ).construct()
    probe = lgb.train(
        params,
        binned.subset(np.flatnonzero(fitting)),
        num_boost_round=MAX_TREES,
        valid_sets=[binned.subset(np.flatnonzero(~fitting))],
        callbacks=[lgb.early_stopping(PATIENCE, verbose=False)],
    )
    trees = max(probe.best_iteration or MAX_TREES, MIN_TREES)
    raw = probe.predict(valid[features].astype(float), num_iteration=trees) + _offset(valid, offset, power)
    checked = np.clip(raw, 0, None) ** power
    final = lgb.train(params, binned, num_boost_round=trees)
    base = baseline_points(valid)
    both = base.notna().to_numpy()
    gain = pd.Series(final.feature_importance("gain"), index=features)
    return TrainedModel(
        version=model_version(cutoff),
        cutoff=cutoff,
        booster=final,
        features=features,
        train_rows=len(history),
        validation_rows=len(valid),
        trees=trees,
        mae_model=round(float(np.mean(np.abs(valid.points.to_numpy()[both] - checked[both]))), 4),
        mae_baseline=round(float(np.mean(np.abs(valid.points[both] - base[both]))), 4),
        train_start=min(history_days),
        train_end=max(history_days),
        seasons=sorted(set(season_year(history_days).tolist())),
        importance=(gain / gain.sum()).sort_values(ascending=False).head(TOP_FEATURES).round(4).to_dict(),
        power=power,
        offset=offset,
        **_calibrate(valid, checked),
    )
