"""Phase 4: precomputed zones, caches, composite factors and the feature store (thin shells)."""

import pandas as pd

from nba_pipeline.phases.analytics.tables import (
    PLAYER_GAME_SUMMARY,
    TEAM_DEFENSE,
    UPCOMING_PLAYER,
    UPCOMING_TEAM,
)
from nba_pipeline.phases.io import derived_table_asset, history_dep
from nba_pipeline.phases.precompute import compute
from nba_pipeline.phases.precompute.tables import (
    FEATURE_STORE,
    PLAYER_COMPOSITE,
    PLAYER_DAILY_CACHE,
    PLAYER_SHOT_ZONES,
    TEAM_DEFENSE_ZONES,
)

GROUP = "phase4_precompute"
NO_CONTEXTS = (
    "upcoming_player_game_context has no rows for this date (see its own check): no players to compute for"
)


def dates_without_contexts(schedule: pd.DataFrame, players: pd.DataFrame, *_rest) -> list:
    """Scheduled dates on which the player contexts are empty."""
    scheduled = set(pd.to_datetime(schedule.game_date).dt.date) if not schedule.empty else set()
    present = set(pd.to_datetime(players.game_date).dt.date) if not players.empty else set()
    return sorted(scheduled - present)


def _player_table(table, deps, inputs, build, history=(), with_capabilities=False):
    return derived_table_asset(
        table,
        GROUP,
        deps,
        inputs,
        build,
        history,
        explain=dates_without_contexts,
        reason=NO_CONTEXTS,
        with_capabilities=with_capabilities,
    )


team_defense_zone_analysis = derived_table_asset(
    TEAM_DEFENSE_ZONES,
    GROUP,
    [UPCOMING_TEAM.asset_key, history_dep(TEAM_DEFENSE)],
    [UPCOMING_TEAM],
    compute.team_defense_zones,
    [TEAM_DEFENSE],
)
player_shot_zone_analysis = _player_table(
    PLAYER_SHOT_ZONES,
    [UPCOMING_PLAYER.asset_key, history_dep(PLAYER_GAME_SUMMARY)],
    [UPCOMING_PLAYER],
    compute.shot_zones,
    [PLAYER_GAME_SUMMARY],
)
player_daily_cache = _player_table(
    PLAYER_DAILY_CACHE,
    [UPCOMING_PLAYER.asset_key, history_dep(PLAYER_GAME_SUMMARY)],
    [UPCOMING_PLAYER],
    compute.daily_cache,
    [PLAYER_GAME_SUMMARY],
)
player_composite_factors = _player_table(
    PLAYER_COMPOSITE,
    [
        t.asset_key
        for t in (UPCOMING_PLAYER, UPCOMING_TEAM, PLAYER_SHOT_ZONES, TEAM_DEFENSE_ZONES, PLAYER_DAILY_CACHE)
    ],
    [UPCOMING_PLAYER, UPCOMING_TEAM, PLAYER_SHOT_ZONES, TEAM_DEFENSE_ZONES, PLAYER_DAILY_CACHE],
    compute.composite_factors,
    with_capabilities=True,
)
ml_feature_store = _player_table(
    FEATURE_STORE,
    [
        t.asset_key
        for t in (
            UPCOMING_PLAYER,
            UPCOMING_TEAM,
            PLAYER_DAILY_CACHE,
            PLAYER_COMPOSITE,
            PLAYER_SHOT_ZONES,
            TEAM_DEFENSE_ZONES,
        )
    ],
    [
        UPCOMING_PLAYER,
        UPCOMING_TEAM,
        PLAYER_DAILY_CACHE,
        PLAYER_COMPOSITE,
        PLAYER_SHOT_ZONES,
        TEAM_DEFENSE_ZONES,
    ],
    compute.feature_store,
    with_capabilities=True,
)

PRECOMPUTE_ASSETS = [
    team_defense_zone_analysis,
    player_shot_zone_analysis,
    player_daily_cache,
    player_composite_factors,
    ml_feature_store,
]
