"""The phases, in order: each is an asset group, and a run never spans two phases."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    number: int
    group: str
    title: str


PHASES = (
    Phase(1, "phase1_scrape", "scrape"),
    Phase(2, "phase2_raw", "raw"),
    Phase(3, "phase3_analytics", "analytics"),
    Phase(4, "phase4_precompute", "precompute"),
    Phase(5, "phase5_predictions", "predictions"),
    Phase(6, "phase6_export", "export"),
)
PHASE_BY_NUMBER = {p.number: p for p in PHASES}
PHASE_OF_GROUP = {p.group: p.number for p in PHASES}
OWNERS = ["team:data-eng"]

# Each phase's game-date assets (the weekly model aside), by key path: the commands, sensors and
# settlement name them without importing the asset code (the model libraries, ~0.8 s of a command's
# start-up). test_definitions checks this against the assets' own groups.
PHASE_ASSET_PATHS: dict[int, tuple[tuple[str, str], ...]] = {
    1: (
        ("landing", "boxscores"),
        ("landing", "injury_report"),
        ("landing", "prop_lines"),
        ("landing", "schedule"),
    ),
    2: (
        ("nba_raw", "nbac_gamebook_player_stats"),
        ("nba_raw", "nbac_injury_report"),
        ("nba_raw", "nbac_schedule"),
        ("nba_raw", "nbac_team_boxscore"),
        ("nba_raw", "odds_api_player_points_props"),
    ),
    3: (
        ("nba_analytics", "player_game_summary"),
        ("nba_analytics", "team_defense_game_summary"),
        ("nba_analytics", "team_offense_game_summary"),
        ("nba_analytics", "upcoming_player_game_context"),
        ("nba_analytics", "upcoming_team_game_context"),
    ),
    4: (
        ("nba_precompute", "player_composite_factors"),
        ("nba_precompute", "player_daily_cache"),
        ("nba_precompute", "player_shot_zone_analysis"),
        ("nba_precompute", "team_defense_zone_analysis"),
        ("nba_predictions", "ml_feature_store"),
    ),
    5: (
        ("nba_predictions", "player_prop_predictions"),
        ("nba_predictions", "prediction_accuracy"),
        ("nba_predictions", "prediction_accuracy_summary"),
    ),
    6: (
        ("nba_export", "predictions"),
        ("nba_export", "results"),
        ("nba_export", "status"),
        ("nba_export", "tonight"),
    ),
}


def __getattr__(name: str):
    """SINGLE_RUN, built on first use so that the phase list costs no Dagster import (`check`)."""
    if name != "SINGLE_RUN":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import dagster as dg

    # Every partitioned asset materializes a range in one run (ARCHITECTURE §7).
    globals()[name] = dg.BackfillPolicy.single_run()
    return globals()[name]
