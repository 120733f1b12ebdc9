"""Freshness policies: each asset's daily deadline, so the UI shows fresh / warning / degraded.

The deadlines are the original system's SLAs (reference original-system.md §3.8: hours after the
game date). A daily asset must have been materialized in the 24 hours before its deadline, every
day, at that hour ET: box scores land by noon and reach the raw tables by 14:00 and the analytics by
16:00 the morning after the games; the pre-game chain (feature store 06:00, predictions 04:00, the
tonight export 02:00) is counted from the game date's start; results are graded within a day.
The weekly model must be retrained in the week before Monday's 04:00 predictions.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache

import dagster as dg

from nba_pipeline.partitions import ET

DAY, WEEK = timedelta(days=1), timedelta(days=7)

# Deadline hour (ET) per asset, from the SLA table; keys are asset paths.
DEADLINE_HOUR: dict[str, int] = {
    "landing/schedule": 12,
    "landing/boxscores": 12,
    "landing/injury_report": 6,
    "landing/prop_lines": 2,
    "nba_raw/nbac_schedule": 14,
    "nba_raw/nbac_gamebook_player_stats": 14,
    "nba_raw/nbac_team_boxscore": 14,
    "nba_raw/nbac_injury_report": 8,
    "nba_raw/odds_api_player_points_props": 4,
    "nba_analytics/team_offense_game_summary": 16,
    "nba_analytics/team_defense_game_summary": 16,
    "nba_analytics/player_game_summary": 16,
    "nba_analytics/upcoming_player_game_context": 16,
    "nba_analytics/upcoming_team_game_context": 16,
    "nba_precompute/team_defense_zone_analysis": 6,
    "nba_precompute/player_shot_zone_analysis": 6,
    "nba_precompute/player_daily_cache": 6,
    "nba_precompute/player_composite_factors": 6,
    "nba_predictions/ml_feature_store": 6,
    "nba_predictions/player_prop_predictions": 4,
    "nba_predictions/prediction_accuracy": 0,  # results: 24 h
    "nba_predictions/prediction_accuracy_summary": 0,
    "nba_export/tonight": 2,
    "nba_export/predictions": 2,
    "nba_export/status": 2,
    "nba_export/results": 0,  # results: 24 h
    "nba_orchestration/pipeline_status": 2,  # with the export
}
WEEKLY = {"nba_predictions/points_model": "0 4 * * 1"}  # before Monday's predictions


@cache  # building a cron policy validates the cron string: ~10 ms each
def policy_for(key: dg.AssetKey) -> dg.FreshnessPolicy:
    """The asset's policy; an asset missing from the tables is a mistake, caught by the definitions test."""
    path = key.to_user_string()
    if path in WEEKLY:
        return dg.FreshnessPolicy.cron(WEEKLY[path], lower_bound_delta=WEEK, timezone=ET.key)
    hour = DEADLINE_HOUR[path]
    return dg.FreshnessPolicy.cron(f"0 {hour} * * *", lower_bound_delta=DAY, timezone=ET.key)


def with_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    return dg.apply_freshness_policy(spec, policy_for(spec.key))
