"""Predictions, recommendations and grading: pure functions over DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import ndtr

from nba_pipeline.phases.analytics.compute import OUT_STATUSES
from nba_pipeline.phases.predictions.calibration import EDGE_GRID, brier, outcomes
from nba_pipeline.phases.predictions.model import BASELINE, SYSTEM_ID, TrainedModel, baseline_points

EDGE_THRESHOLD = EDGE_GRID[
    0
]  # the baseline's: points between prediction and line below which a call is a PASS
MIN_CONFIDENCE = 25.0  # a call less sure than this is a PASS too
DEFAULT_SPREAD, MIN_SPREAD = 6.0, 3.0  # points: the uncertainty of a single game's scoring
NO_MODEL = "no model trained before this date: no weekly model with a cutoff on or before it (its model_trained check says why)"


def normal_p_over(predicted: pd.Series, line: pd.Series, spread: pd.Series) -> pd.Series:
    """The baseline's P(OVER): a normal around its prediction, the player's recent spread as its width."""
    sigma = spread.fillna(DEFAULT_SPREAD).clip(lower=MIN_SPREAD)
    return pd.Series(ndtr(((predicted - line) / sigma).to_numpy(dtype=float)), index=predicted.index)


def recommend(
    predicted: pd.Series,
    line: pd.Series,
    p_over: pd.Series,
    quality: pd.Series,
    threshold: float = EDGE_THRESHOLD,
) -> pd.DataFrame:
    """Edge, P(OVER), confidence (0-100) and OVER / UNDER / PASS / NO_LINE.

    Confidence is how far P(OVER) is from a coin flip, scaled by the features' quality; a call whose
    edge is under `threshold` points, or whose confidence is under MIN_CONFIDENCE, is a PASS."""
    edge = predicted - line
    confidence = (100 * (2 * p_over - 1).abs() * quality.fillna(0) / 100).round(1)
    call = np.where(edge > 0, "OVER", "UNDER")
    weak = (edge.abs() < threshold) | (confidence < MIN_CONFIDENCE)
    recommendation = np.where(line.isna(), "NO_LINE", np.where(weak, "PASS", call))
    return pd.DataFrame(
        {
            "edge": edge.round(2),
            "p_over": p_over.where(line.notna()).round(4),
            "confidence": confidence.where(line.notna()),
            "recommendation": recommendation,
        },
        index=edge.index,
    )


def predict(
    features: pd.DataFrame, contexts: pd.DataFrame, model_for: Callable[[date], TrainedModel | None]
) -> tuple[pd.DataFrame, dict[str, int], dict[date, str]]:
    """Every system's predictions for every eligible player: (rows, skipped counts by reason, and per
    date without a model, why the model wrote nothing).

    Players listed Out or Doubtful, and players whose features were defaulted beyond the threshold,
    are skipped and counted. The baseline predicts whoever has played this season; the model predicts
    a date only with a model trained before it. The line is the real consensus line or nothing."""
    if features.empty:
        return pd.DataFrame(), {}, {}
    ctx = contexts[["game_id", "player_lookup", "points_line"]]
    rows = features.merge(ctx, on=["game_id", "player_lookup"], how="left")
    injured = rows.injury_status.isin(OUT_STATUSES)
    defaulted = ~rows.is_quality_ready.astype(bool) & ~injured
    eligible = rows[~injured & ~defaulted].reset_index(drop=True)
    base = eligible[
        [
            "game_id",
            "game_date",
            "player_lookup",
            "player_name",
            "team_abbr",
            "opponent_abbr",
            "feature_quality_score",
        ]
    ]

    def rows_for(system: str, version, predicted: pd.Series, p_over, threshold: float) -> pd.DataFrame:
        """The system's rows for the players it predicted (`predicted` is NaN for the others)."""
        mask = predicted.notna()
        part = eligible[mask]
        calls = recommend(
            predicted[mask],
            part.points_line,
            pd.Series(p_over, index=eligible.index)[mask],
            part.feature_quality_score,
            threshold,
        )
        return base[mask].assign(
            system_id=system,
            model_version=version,
            predicted_points=predicted[mask].round(1),
            line=part.points_line,
            **{c: calls[c] for c in calls.columns},
        )

    baseline = baseline_points(eligible)
    spread_p_over = normal_p_over(baseline, eligible.points_line, eligible.points_std_last_10)
    out = [rows_for(BASELINE, None, baseline, spread_p_over, EDGE_THRESHOLD)]
    dates = pd.to_datetime(eligible.game_date).dt.date
    models = {day: model_for(day) for day in sorted(dates.unique())}
    no_model = {day: NO_MODEL for day, m in models.items() if m is None}
    versions = dates.map(lambda day: models[day].version if models[day] else None)
    for model in {m.version: m for m in models.values() if m is not None}.values():  # one call per model
        serving = (versions == model.version).to_numpy()
        predicted = np.full(len(eligible), np.nan)
        predicted[serving] = model.predict(eligible[serving])
        p_over = np.full(len(eligible), np.nan)
        p_over[serving] = model.p_over(
            predicted[serving], eligible.points_line.to_numpy(dtype=float)[serving]
        )
        out.append(
            rows_for(
                SYSTEM_ID,
                model.version,
                pd.Series(predicted, index=eligible.index),
                p_over,
                model.edge_threshold,
            )
        )
    skipped = {
        "injured": int(injured.sum()),
        "defaulted_features": int(defaulted.sum()),
        "no_game_this_season": int(baseline.isna().sum()),  # the baseline's: no moving average yet
        "no_model": int(dates.isin(set(no_model)).sum()),
    }
    return pd.concat(out, ignore_index=True), skipped, no_model


def unpredictable_games(
    features: pd.DataFrame, predictions: pd.DataFrame, no_model: dict[date, str], schedule: pd.DataFrame
) -> dict[date, tuple[str, int]]:
    """Per date, the scheduled games with no prediction at all and why (so their absence is expected):
    no feature rows, every player skipped (injured, or too little history), or no player with a game
    this season while no model trained before the date exists (a season's first nights)."""
    if schedule.empty:
        return {}
    predicted = set(predictions.game_id) if not predictions.empty else set()
    missing = schedule[~schedule.game_id.isin(predicted)]
    with_rows = set(features.game_id) if not features.empty else set()
    eligible = (
        set(
            features.game_id[
                features.is_quality_ready.astype(bool) & ~features.injury_status.isin(OUT_STATUSES)
            ]
        )
        if not features.empty
        else set()
    )
    out = {}
    for day, games in missing.groupby(pd.to_datetime(missing.game_date).dt.date).game_id:
        no_rows = sum(g not in with_rows for g in games)
        skipped = sum(g in with_rows and g not in eligible for g in games)
        early = len(games) - no_rows - skipped
        parts = [
            f"{no_rows} without features (see ml_feature_store)" if no_rows else "",
            f"{skipped} whose players were all skipped (injured, or defaulted features)" if skipped else "",
            f"{early} whose players have no game this season yet, and {no_model.get(day, 'no model predicted them')}"
            if early
            else "",
        ]
        out[day] = (
            f"{len(games)} game(s) without a prediction: " + "; ".join(p for p in parts if p),
            len(games),
        )
    return out


def grade(predictions: pd.DataFrame, actuals: pd.DataFrame) -> pd.DataFrame:
    """Every prediction of a player who played, with his actual points, the error and the result."""
    if predictions.empty or actuals.empty:
        return pd.DataFrame()
    graded = predictions.merge(
        actuals[["game_id", "player_lookup", "points"]].rename(columns={"points": "actual_points"}),
        on=["game_id", "player_lookup"],
    )
    actual, line = graded.actual_points.astype(float), graded.line.astype(float)
    over_won = np.select([actual > line, actual < line], ["hit", "miss"], "push")
    under_won = np.select([actual < line, actual > line], ["hit", "miss"], "push")
    result = np.select(
        [graded.recommendation == "OVER", graded.recommendation == "UNDER", graded.recommendation == "PASS"],
        [over_won, under_won, "pass"],
        "no_line",
    )
    return graded.assign(abs_error=(graded.predicted_points - actual).abs().round(2), result=result)


def summarize(graded: pd.DataFrame) -> pd.DataFrame:
    """Per date and system: MAE, the Brier score of P(OVER), and hit rates of the OVER/UNDER calls at
    edge >= 2 and >= 3."""
    if graded.empty:
        return pd.DataFrame()
    out = []
    for (day, system), g in graded.groupby(["game_date", "system_id"]):
        row = {"game_date": day, "system_id": system, "graded": len(g), "mae": round(g.abs_error.mean(), 3)}
        row["brier"] = brier(g.p_over, outcomes(g.actual_points, g.line)) if "p_over" in g else None
        for edge in (2, 3):
            bets = g[g.result.isin(["hit", "miss"]) & (g.edge.abs() >= edge)]
            hits = int((bets.result == "hit").sum())
            row |= {
                f"bets_edge_{edge}": len(bets),
                f"hits_edge_{edge}": hits,
                f"hit_rate_edge_{edge}": round(hits / len(bets), 3) if len(bets) else None,
            }
        out.append(row)
    return pd.DataFrame(out)
