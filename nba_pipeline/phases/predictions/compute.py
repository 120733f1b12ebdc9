"""Predictions, recommendations and grading: pure functions over DataFrames."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
from scipy.special import ndtr

from nba_pipeline.phases.analytics.compute import OUT_STATUSES
from nba_pipeline.phases.predictions.model import BASELINE, SYSTEM_ID, TrainedModel

EDGE_THRESHOLD = 2.0  # points between prediction and line below which a call is a PASS
MIN_CONFIDENCE = 25.0  # a call less sure than this is a PASS too
DEFAULT_SPREAD, MIN_SPREAD = 6.0, 3.0  # points: the uncertainty of a single game's scoring


def recommend(predicted: pd.Series, line: pd.Series, spread: pd.Series, quality: pd.Series) -> pd.DataFrame:
    """Edge, confidence (0-100) and OVER / UNDER / PASS / NO_LINE.

    Confidence is how far the over/under probability (a normal around the prediction, the player's
    recent spread as its width) is from a coin flip, scaled by the features' quality.
    """
    edge = predicted - line
    sigma = spread.fillna(DEFAULT_SPREAD).clip(lower=MIN_SPREAD)
    p_over = pd.Series(ndtr((edge / sigma).to_numpy(dtype=float)), index=edge.index)
    confidence = (100 * (2 * p_over - 1).abs() * quality.fillna(0) / 100).round(1)
    call = np.where(edge > 0, "OVER", "UNDER")
    weak = (edge.abs() < EDGE_THRESHOLD) | (confidence < MIN_CONFIDENCE)
    recommendation = np.where(line.isna(), "NO_LINE", np.where(weak, "PASS", call))
    return pd.DataFrame(
        {
            "edge": edge.round(2),
            "confidence": confidence.where(line.notna()),
            "recommendation": recommendation,
        },
        index=edge.index,
    )


def predict(
    features: pd.DataFrame, contexts: pd.DataFrame, model_for: Callable[[date], TrainedModel | None]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Both systems' predictions for every eligible player; returns (rows, skipped counts by reason).

    Players listed Out or Doubtful, and players whose features were defaulted beyond the threshold,
    are skipped and counted, not predicted. The line is the real consensus line or nothing.
    """
    if features.empty:
        return pd.DataFrame(), {}
    ctx = contexts[["game_id", "player_lookup", "points_line"]]
    rows = features.merge(ctx, on=["game_id", "player_lookup"], how="left")
    injured = rows.injury_status.isin(OUT_STATUSES)
    defaulted = ~rows.is_quality_ready.astype(bool) & ~injured
    skipped = {"injured": int(injured.sum()), "defaulted_features": int(defaulted.sum())}
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

    def rows_for(system: str, version: str | None, predicted: pd.Series, mask: pd.Series) -> pd.DataFrame:
        part = eligible[mask]
        calls = recommend(
            predicted[mask], part.points_line, part.points_std_last_10, part.feature_quality_score
        )
        return base[mask].assign(
            system_id=system,
            model_version=version,
            predicted_points=predicted[mask].round(1),
            line=part.points_line,
            **{c: calls[c] for c in calls.columns},
        )

    out = [
        rows_for(
            BASELINE, None, eligible.points_avg_last_10, eligible.points_avg_last_10__source != "default"
        )
    ]
    dates = pd.to_datetime(eligible.game_date).dt.date
    models = {day: model_for(day) for day in dates.unique()}
    serving = dates.map(lambda day: models[day].version if models[day] else None)
    no_model = int(serving.isna().sum())
    for version in serving.dropna().unique():  # one call per model, not per date
        mask = serving == version
        model = next(m for m in models.values() if m is not None and m.version == version)
        predicted = pd.Series(model.predict(eligible[mask]), index=eligible.index[mask])
        out.append(rows_for(SYSTEM_ID, version, predicted.reindex(eligible.index), mask))
    skipped["no_model"] = no_model
    return pd.concat(out, ignore_index=True), skipped


def unpredictable_dates(features: pd.DataFrame, scheduled: set[date]) -> dict[date, str]:
    """Scheduled dates on which no player can be predicted, and why (so zero rows there is expected):
    no feature rows at all, or every player skipped (injured, or too little history)."""
    dated = pd.to_datetime(features.game_date).dt.date if not features.empty else pd.Series(dtype=object)
    eligible = (
        features.is_quality_ready.astype(bool) & ~features.injury_status.isin(OUT_STATUSES)
        if not features.empty
        else dated
    )
    reasons = {}
    for day in scheduled:
        rows = int((dated == day).sum())
        if rows == 0:
            reasons[day] = "no features for this date (see ml_feature_store)"
        elif not eligible[dated == day].any():
            reasons[day] = f"all {rows} players skipped: injured, or too little history (defaulted features)"
    return reasons


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
    """Per date and system: MAE, and hit rates of the OVER/UNDER calls at edge >= 2 and >= 3."""
    if graded.empty:
        return pd.DataFrame()
    out = []
    for (day, system), g in graded.groupby(["game_date", "system_id"]):
        row = {"game_date": day, "system_id": system, "graded": len(g), "mae": round(g.abs_error.mean(), 3)}
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
