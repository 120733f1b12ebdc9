"""Phase 3: analytics tables from the raw tables (thin shells around `compute`)."""

from nba_pipeline.phases.analytics import compute
from nba_pipeline.phases.analytics.tables import (
    PLAYER_GAME_SUMMARY,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
    UPCOMING_PLAYER,
    UPCOMING_TEAM,
)
from nba_pipeline.phases.io import derived_table_asset, history_dep
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.phases.reconcile import PLAYERS_MATCH_GAMEBOOK

GROUP = "phase3_analytics"


def _games_without_history(schedule, _schedule, _injuries, _props, history):
    return compute.games_without_history(schedule, history)


team_offense_game_summary = derived_table_asset(
    TEAM_OFFENSE, GROUP, [TEAM_BOXSCORE.asset_key], [TEAM_BOXSCORE], compute.team_offense
)
team_defense_game_summary = derived_table_asset(
    TEAM_DEFENSE, GROUP, [TEAM_BOXSCORE.asset_key], [TEAM_BOXSCORE], compute.team_defense
)
# Usage rate needs the team totals of the same game: an explicit dependency, so it can never run first.
player_game_summary = derived_table_asset(
    PLAYER_GAME_SUMMARY,
    GROUP,
    [GAMEBOOK.asset_key, TEAM_OFFENSE.asset_key, PROPS.asset_key],
    [GAMEBOOK, TEAM_OFFENSE, PROPS],
    compute.player_summary,
    reconcile=[PLAYERS_MATCH_GAMEBOOK],
)
upcoming_player_game_context = derived_table_asset(
    UPCOMING_PLAYER,
    GROUP,
    [SCHEDULE.asset_key, INJURY_REPORT.asset_key, PROPS.asset_key, history_dep(PLAYER_GAME_SUMMARY)],
    [SCHEDULE, INJURY_REPORT, PROPS],
    compute.player_context,
    history=[PLAYER_GAME_SUMMARY],
    excuse=_games_without_history,
)
upcoming_team_game_context = derived_table_asset(
    UPCOMING_TEAM,
    GROUP,
    [SCHEDULE.asset_key, INJURY_REPORT.asset_key, history_dep(TEAM_OFFENSE), history_dep(TEAM_DEFENSE)],
    [SCHEDULE, INJURY_REPORT],
    compute.team_context,
    history=[TEAM_OFFENSE, TEAM_DEFENSE],
)

ANALYTICS_ASSETS = [
    team_offense_game_summary,
    team_defense_game_summary,
    player_game_summary,
    upcoming_player_game_context,
    upcoming_team_game_context,
]
