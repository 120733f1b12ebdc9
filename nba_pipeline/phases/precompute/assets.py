"""Phase 4: precomputed zones, caches, composite factors and the feature store (thin shells)."""

from collections.abc import Callable
from datetime import date

import pandas as pd

from nba_pipeline.coverage import RULES, Excuse
from nba_pipeline.features.seasons import carry_start
from nba_pipeline.phases.analytics.tables import (
    PLAYER_GAME_SUMMARY,
    TEAM_DEFENSE,
    UPCOMING_PLAYER,
    UPCOMING_TEAM,
)
from nba_pipeline.phases.io import derived_table_asset, history_dep, history_start
from nba_pipeline.phases.precompute import compute
from nba_pipeline.phases.precompute.tables import (
    FEATURE_STORE,
    PLAYER_COMPOSITE,
    PLAYER_DAILY_CACHE,
    PLAYER_SHOT_ZONES,
    TEAM_DEFENSE_ZONES,
)
from nba_pipeline.resources.warehouse import Table

GROUP = "phase4_precompute"


def games_without(contexts: Table) -> Callable[..., dict[date, Excuse]]:
    """Excuses for the games the context table (the asset's first input) does not cover: nothing to
    compute for them here; the context table's own check reports why."""

    def _excuse(schedule: pd.DataFrame, frame: pd.DataFrame, *_rest) -> dict[date, Excuse]:
        if schedule.empty:
            return {}
        covered = RULES[contexts.name].covered(frame) if not frame.empty else set()
        missing = schedule[~schedule.game_id.isin(covered)]
        counts = missing.groupby(pd.to_datetime(missing.game_date).dt.date).game_id.nunique()
        reason = f"game(s) {contexts.name} does not cover (see its own check): nothing to compute for"
        return {day: Excuse(f"{n} {reason}", int(n)) for day, n in counts.items()}

    return _excuse


def _player_table(
    table, deps, inputs, build, history=(), with_capabilities=False, history_from=history_start
):
    return derived_table_asset(
        table,
        GROUP,
        deps,
        inputs,
        build,
        history,
        excuse=games_without(UPCOMING_PLAYER),
        with_capabilities=with_capabilities,
        history_from=history_from,
    )


def _with_earlier_seasons(first_day: date) -> date:
    """The daily cache also reads the seasons its carried-over rates come from."""
    return min(history_start(first_day), carry_start(first_day))


team_defense_zone_analysis = derived_table_asset(
    TEAM_DEFENSE_ZONES,
    GROUP,
    [UPCOMING_TEAM.asset_key, history_dep(TEAM_DEFENSE)],
    [UPCOMING_TEAM],
    compute.team_defense_zones,
    [TEAM_DEFENSE],
    excuse=games_without(UPCOMING_TEAM),
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
    history_from=_with_earlier_seasons,
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
