"""Phase 3: analytics tables from the raw tables (thin shells around `compute`)."""

from datetime import timedelta

import dagster as dg

from nba_pipeline.partitions import dates_of
from nba_pipeline.phases.analytics import compute
from nba_pipeline.phases.analytics.tables import (
    PLAYER_GAME_SUMMARY,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
    UPCOMING_PLAYER,
    UPCOMING_TEAM,
)
from nba_pipeline.phases.io import stamped, table_asset, write_and_check
from nba_pipeline.phases.raw.tables import GAMEBOOK, INJURY_REPORT, PROPS, SCHEDULE, TEAM_BOXSCORE
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.warehouse import Table, WarehouseResource, read_dates

GROUP = "phase3_analytics"
# Upcoming contexts read form from earlier dates' games: lineage shows the previous day's partition.
HISTORY = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


def history_dep(table: Table) -> dg.AssetDep:
    return dg.AssetDep(table.asset_key, partition_mapping=HISTORY)


def _table_asset(
    table: Table, deps: list, inputs: list[Table], build, history: list[Table] = (), explain=None
) -> dg.AssetsDefinition:
    """An analytics asset: read `inputs` for the dates and `history` before them, build, write, check.
    `explain(schedule, *history)` names dates whose zero rows are expected (see `write_and_check`)."""

    @dg.asset(**table_asset(table, GROUP, deps))
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource, clock: ClockResource):
        wh, now, days = warehouse.get(), clock.now(), dates_of(context)
        frames = [read_dates(wh, t, days[0], days[-1]) for t in inputs]
        before = [
            read_dates(wh, t, compute.history_start(days[0]), days[-1] - timedelta(days=1)) for t in history
        ]
        frame = stamped(table, build(*frames, *before), days, now)
        schedule = read_dates(wh, SCHEDULE, days[0], days[-1])
        reason = "no team of the date has any history before it: nothing to build contexts from yet"
        explained = {d: reason for d in explain(schedule, *before)} if explain else {}
        yield from write_and_check(context, wh, table, frame, days, schedule, now, explained=explained)

    return _asset


team_offense_game_summary = _table_asset(
    TEAM_OFFENSE, [TEAM_BOXSCORE.asset_key], [TEAM_BOXSCORE], compute.team_offense
)
team_defense_game_summary = _table_asset(
    TEAM_DEFENSE, [TEAM_BOXSCORE.asset_key], [TEAM_BOXSCORE], compute.team_defense
)
# Usage rate needs the team totals of the same game: an explicit dependency, so it can never run first.
player_game_summary = _table_asset(
    PLAYER_GAME_SUMMARY,
    [GAMEBOOK.asset_key, TEAM_OFFENSE.asset_key, PROPS.asset_key],
    [GAMEBOOK, TEAM_OFFENSE, PROPS],
    compute.player_summary,
)
upcoming_player_game_context = _table_asset(
    UPCOMING_PLAYER,
    [SCHEDULE.asset_key, INJURY_REPORT.asset_key, PROPS.asset_key, history_dep(PLAYER_GAME_SUMMARY)],
    [SCHEDULE, INJURY_REPORT, PROPS],
    compute.player_context,
    history=[PLAYER_GAME_SUMMARY],
    explain=compute.dates_without_history,
)
upcoming_team_game_context = _table_asset(
    UPCOMING_TEAM,
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
