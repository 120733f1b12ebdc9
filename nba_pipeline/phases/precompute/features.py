"""The model's feature vector: each feature's source table, column, and how its quality is scored.

Quality weights follow the original feature store: Phase 4 sources 100, Phase 3 sources 87,
calculated and bookmaker values 100, a default 40. A feature the configured source cannot provide at
all (the replay has no lines, no injury reports and no paint split) is *unavailable*: no value, no
quality, and it does not count as defaulted (DOMAIN §4).

Two kinds of history: this season's windows start fresh each season (`SEASON_WINDOWS`: before a
player's first game of the season they have no value, source `season_start`, and when last season's
rates stand in for them they do not count as defaulted); `carry` features are a player's rates in the
most recent earlier season the warehouse holds, source `previous_season`, their quality halving with
each season further back (a player with none has source `no_earlier_season`: a fact, not a gap).
"""

from __future__ import annotations

from dataclasses import dataclass

QUALITY = {
    "phase4": 100.0,
    "phase3": 87.0,
    "calculated": 100.0,
    "vegas": 100.0,
    "no_line": 100.0,
    "carry": 90.0,  # one season back; x DECAY per season further
    "season_start": 100.0,
    "no_earlier_season": 100.0,
    "default": 40.0,
}
MAX_DEFAULTED_FEATURES = 3  # more defaulted features than this and a player is skipped, not predicted


@dataclass(frozen=True)
class Feature:
    name: str
    table: str  # the source table (or "calculated" / "odds_api")
    column: str
    kind: str  # phase4 | phase3 | calculated | vegas | carry
    default: float | None  # the value used when the source has none for this player
    needs: str | None = None  # a capability the source must have: prop_lines | injury_report | paint


FEATURES = (
    Feature("points_avg_last_5", "player_daily_cache", "points_avg_last_5", "phase4", 8.0),
    Feature("points_avg_last_10", "player_daily_cache", "points_avg_last_10", "phase4", 8.0),
    Feature("points_avg_season", "player_daily_cache", "points_avg_season", "phase4", 8.0),
    Feature("points_std_last_10", "player_daily_cache", "points_std_last_10", "phase4", 5.0),
    Feature("minutes_avg_last_10", "player_daily_cache", "minutes_avg_last_10", "phase4", 18.0),
    Feature("games_in_last_7_days", "player_daily_cache", "games_in_last_7_days", "phase4", 2.0),
    Feature("ppm_avg_last_10", "player_daily_cache", "ppm_avg_last_10", "phase4", 0.4),
    Feature("usage_avg_last_10", "player_daily_cache", "usage_avg_last_10", "phase4", 18.0),
    Feature("ts_avg_last_10", "player_daily_cache", "ts_avg_last_10", "phase4", 0.55),
    Feature("fatigue_score", "player_composite_factors", "fatigue_score", "phase4", 50.0),
    Feature(
        "shot_zone_mismatch_score", "player_composite_factors", "shot_zone_mismatch_score", "phase4", 0.0
    ),
    Feature("pace_score", "player_composite_factors", "pace_score", "phase4", 0.0),
    Feature("usage_spike_score", "player_composite_factors", "usage_spike_score", "phase4", 0.0),
    Feature("pct_three_last_10", "player_shot_zone_analysis", "pct_three_last_10", "phase4", 0.3),
    Feature("pct_ft_last_10", "player_shot_zone_analysis", "pct_ft_last_10", "phase4", 0.15),
    Feature(
        "pct_paint_last_10", "player_shot_zone_analysis", "pct_paint_last_10", "phase4", 0.35, needs="paint"
    ),
    Feature("opp_def_rating_last_15", "team_defense_zone_analysis", "def_rating_last_15", "phase4", 114.0),
    Feature(
        "opp_points_allowed_vs_league",
        "team_defense_zone_analysis",
        "points_allowed_vs_league",
        "phase4",
        0.0,
    ),
    Feature("days_rest", "upcoming_player_game_context", "days_rest", "phase3", 1.0),
    Feature("back_to_back", "upcoming_player_game_context", "back_to_back", "phase3", 0.0),
    Feature("is_home", "upcoming_player_game_context", "is_home", "phase3", 0.5),
    Feature("games_played_season", "upcoming_player_game_context", "games_played_season", "phase3", 0.0),
    Feature(
        "injury_status_code",
        "upcoming_player_game_context",
        "injury_status_code",
        "phase3",
        0.0,
        needs="injury_report",
    ),
    Feature("team_pace_last_10", "upcoming_team_game_context", "pace_last_10", "phase3", 99.0),
    Feature("team_off_rating_last_10", "upcoming_team_game_context", "off_rating_last_10", "phase3", 114.0),
    Feature("opp_pace_last_10", "upcoming_team_game_context", "opp_pace_last_10", "phase3", 99.0),
    Feature("vegas_points_line", "odds_api", "points_line", "vegas", None, needs="prop_lines"),
    Feature("vegas_opening_line", "odds_api", "opening_line", "vegas", None, needs="prop_lines"),
    Feature("vegas_line_move", "odds_api", "line_move", "vegas", None, needs="prop_lines"),
    Feature("has_vegas_line", "odds_api", "has_prop_line", "vegas", 0.0, needs="prop_lines"),
    Feature("recent_trend", "calculated", "recent_trend", "calculated", 0.0),
    Feature("minutes_change", "calculated", "minutes_change", "calculated", 0.0),
    # Recent form and role, and the expected points they imply (rate x minutes: a product trees learn poorly)
    *(
        Feature(name, "player_daily_cache", name, "phase4", default)
        for name, default in (
            ("points_avg_last_3", 8.0),
            ("points_last_game", 8.0),
            ("points_avg_last_20", 8.0),
            ("minutes_avg_last_3", 18.0),
            ("minutes_last_game", 18.0),
            ("minutes_avg_long", 18.0),
            ("ppm_long", 0.4),
            ("ewm_points", 8.0),
            ("ewm_minutes", 18.0),
            ("fga_avg_last_3", 7.0),
            ("minutes_rank_last_game", 7.0),
            ("minutes_rank_avg_last_5", 7.0),
            ("minutes_share_last_game", 0.08),
            ("minutes_share_avg_last_5", 0.08),
            ("points_share_avg_last_5", 0.08),
        )
    ),
    Feature("missed_last_team_game", "upcoming_player_game_context", "missed_last_team_game", "phase3", 0.0),
    Feature(
        "teammates_missing_points", "upcoming_player_game_context", "teammates_missing_points", "phase3", 0.0
    ),
    Feature(
        "teammates_missing_usage", "upcoming_player_game_context", "teammates_missing_usage", "phase3", 0.0
    ),
    Feature("net_rating_diff", "upcoming_team_game_context", "net_rating_diff", "phase3", 0.0),
    Feature("win_pct_season", "upcoming_team_game_context", "win_pct_season", "phase3", 0.5),
    Feature("exp_points_ewm", "calculated", "exp_points_ewm", "calculated", 8.0),
    Feature("exp_points_recent", "calculated", "exp_points_recent", "calculated", 8.0),
    Feature("exp_points_last_game", "calculated", "exp_points_last_game", "calculated", 8.0),
    Feature("exp_points_share", "calculated", "exp_points_share", "calculated", 8.0),
    # Carried across seasons: the most recent earlier season's rates, and this season's blended with them
    *(
        Feature(name, "player_daily_cache", name, "carry", None)
        for name in (
            "prev_season_points_avg",
            "prev_season_minutes_avg",
            "prev_season_ppm",
            "prev_season_games",
            "seasons_since_prev",
        )
    ),
    *(
        Feature(name, "player_daily_cache", name, "phase4", default)
        for name, default in (
            ("points_avg_blend", 8.0),
            ("minutes_avg_blend", 18.0),
            ("ppm_blend", 0.4),
            ("exp_points_blend", 8.0),
        )
    ),
    # His place in the team's rotation this season (who plays is known only from past box scores)
    *(
        Feature(name, "player_daily_cache", name, "phase4", default)
        for name, default in (
            ("team_games_before", 0.0),
            ("games_missed_streak", 0.0),
            ("apps_last_10_team", 0.0),
            ("app_share_season", 0.5),
        )
    ),
    # Recent form at more half-lives (1.5, 8, 16 games) and the per-minute rates they imply
    *(
        Feature(name, "player_daily_cache", name, "phase4", default)
        for name, default in (
            ("ewm_points_short", 8.0),
            ("ewm_points_mid", 8.0),
            ("ewm_points_long", 8.0),
            ("ewm_minutes_short", 18.0),
            ("ewm_minutes_mid", 18.0),
            ("ewm_minutes_long", 18.0),
            ("ewm_ppm_mid", 0.4),
            ("ewm_ppm_long", 0.4),
        )
    ),
    Feature("exp_points_long_rate", "calculated", "exp_points_long_rate", "calculated", 8.0),
    Feature("exp_points_mid_rate", "calculated", "exp_points_mid_rate", "calculated", 8.0),
    # Who else is expected on his team (the date's feature rows, from the team's last box score)
    *(
        Feature(name, "calculated", name, "calculated", default)
        for name, default in (
            ("team_active_points", 60.0),
            ("team_recent_out_points", 0.0),
            ("team_recent_out_minutes", 0.0),
            ("team_just_out_points", 0.0),
            ("points_share_available", 0.08),
            ("points_rank_available", 7.0),
            ("team_active_players", 10.0),
        )
    ),
)
FEATURE_NAMES = tuple(f.name for f in FEATURES)
# Windows over this season's games only: empty before a player's first game of the season.
SEASON_WINDOWS = frozenset(
    {
        *(f.name for f in FEATURES if f.table in ("player_daily_cache", "player_shot_zone_analysis")),
        "fatigue_score",
        "shot_zone_mismatch_score",
        "usage_spike_score",
        "days_rest",
        "back_to_back",
        "recent_trend",
        "minutes_change",
        "exp_points_ewm",
        "exp_points_recent",
        "exp_points_last_game",
        "exp_points_share",
        "exp_points_long_rate",
        "exp_points_mid_rate",
    }
    - {"games_in_last_7_days", "points_avg_blend", "minutes_avg_blend", "ppm_blend", "exp_points_blend"}
    - {f.name for f in FEATURES if f.kind == "carry"}
)
VEGAS = {f.name for f in FEATURES if f.kind == "vegas"}


def quality_column(name: str) -> str:
    return f"{name}__quality"


def source_column(name: str) -> str:
    return f"{name}__source"
