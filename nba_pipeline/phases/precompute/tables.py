"""Phase 4 tables: `nba_precompute` and the feature store in `nba_predictions`."""

from nba_pipeline.phases.precompute.features import FEATURES, quality_column, source_column
from nba_pipeline.resources.warehouse import Table

STR, INT, FLT, BOOL, DATE, TS = "STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP"
PLAYER_GAME = (("game_id", STR), ("game_date", DATE), ("player_lookup", STR), ("team_abbr", STR))

TEAM_DEFENSE_ZONES = Table(
    "nba_precompute",
    "team_defense_zone_analysis",
    (
        ("game_id", STR),
        ("game_date", DATE),
        ("team_abbr", STR),
        ("games_in_window", INT),
        ("points_allowed_last_15", FLT),
        ("two_pt_allowed_last_15", FLT),
        ("three_pt_allowed_last_15", FLT),
        ("ft_allowed_last_15", FLT),
        ("paint_allowed_last_15", FLT),
        ("mid_range_allowed_last_15", FLT),
        ("def_rating_last_15", FLT),
        ("points_allowed_vs_league", FLT),
        ("two_pt_vs_league", FLT),
        ("three_pt_vs_league", FLT),
        ("ft_vs_league", FLT),
        ("paint_vs_league", FLT),
        ("mid_range_vs_league", FLT),
        ("loaded_at", TS),
    ),
    key=("game_id", "team_abbr"),
    description="Each team playing on the date: points allowed per game by shot type over its last 15 games "
    "before the date (paint and mid-range where the source has them, else 2-pt / 3-pt / FT), versus the league.",
)

PLAYER_SHOT_ZONES = Table(
    "nba_precompute",
    "player_shot_zone_analysis",
    (
        *PLAYER_GAME,
        ("games_last_10", INT),
        ("games_last_20", INT),
        *((f"pct_{zone}_last_{w}", FLT) for w in (10, 20) for zone in ("two", "three", "ft", "paint", "mid")),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup"),
    description="Each player of the date's games: the share of his points by shot type over his last 10 and 20 games.",
)

PLAYER_DAILY_CACHE = Table(
    "nba_precompute",
    "player_daily_cache",
    (
        *PLAYER_GAME,
        ("games_before", INT),
        ("points_avg_last_5", FLT),
        ("points_avg_last_10", FLT),
        ("points_avg_season", FLT),
        ("points_std_last_10", FLT),
        ("minutes_avg_last_5", FLT),
        ("minutes_avg_last_10", FLT),
        ("games_in_last_7_days", INT),
        ("ppm_avg_last_10", FLT),
        ("usage_avg_last_5", FLT),
        ("usage_avg_last_10", FLT),
        ("ts_avg_last_10", FLT),
        ("points_avg_last_3", FLT),
        ("points_last_game", FLT),
        ("points_avg_last_20", FLT),
        ("minutes_avg_last_3", FLT),
        ("minutes_last_game", FLT),
        ("minutes_avg_long", FLT),
        ("ppm_long", FLT),
        ("ewm_points", FLT),
        ("ewm_minutes", FLT),
        ("fga_avg_last_3", FLT),
        ("minutes_rank_last_game", FLT),
        ("minutes_rank_avg_last_5", FLT),
        ("minutes_share_last_game", FLT),
        ("minutes_share_avg_last_5", FLT),
        ("points_share_avg_last_5", FLT),
        ("ewm_points_short", FLT),
        ("ewm_points_mid", FLT),
        ("ewm_points_long", FLT),
        ("ewm_minutes_short", FLT),
        ("ewm_minutes_mid", FLT),
        ("ewm_minutes_long", FLT),
        ("ewm_ppm_mid", FLT),
        ("ewm_ppm_long", FLT),
        ("prev_season_games", INT),
        ("seasons_since_prev", INT),
        ("prev_season_points_avg", FLT),
        ("prev_season_minutes_avg", FLT),
        ("prev_season_ppm", FLT),
        ("points_avg_blend", FLT),
        ("minutes_avg_blend", FLT),
        ("ppm_blend", FLT),
        ("exp_points_blend", FLT),
        ("team_games_before", INT),
        ("games_missed_streak", INT),
        ("apps_last_10_team", INT),
        ("app_share_season", FLT),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup"),
    description="Each player of the date's games: rolling points and minutes over this season's games (last game, "
    "3, 5, 10, 20, season to date, exponentially weighted), spread, workload and role (his share of the team's "
    "minutes and points), the same exponentially weighted at half-lives of 1.5, 8 and 16 games, his place in the rotation (team games missed in a row, appearances in the last 10); his "
    "rates in the most recent earlier season, and this season's blended with them.",
)

PLAYER_COMPOSITE = Table(
    "nba_precompute",
    "player_composite_factors",
    (
        *PLAYER_GAME,
        ("opponent_abbr", STR),
        ("fatigue_score", FLT),
        ("days_rest", INT),
        ("back_to_back", BOOL),
        ("games_last_7_days", INT),
        ("minutes_avg_last_5", FLT),
        ("shot_zone_mismatch_score", FLT),
        ("player_pct_two", FLT),
        ("player_pct_three", FLT),
        ("player_pct_ft", FLT),
        ("opp_two_pt_vs_league", FLT),
        ("opp_three_pt_vs_league", FLT),
        ("opp_ft_vs_league", FLT),
        ("pace_score", FLT),
        ("team_pace_last_10", FLT),
        ("opp_pace_last_10", FLT),
        ("league_pace", FLT),
        ("usage_spike_score", FLT),
        ("usage_avg_last_5", FLT),
        ("usage_avg_last_10", FLT),
        ("teammates_out_usage", FLT),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup"),
    description="Each player of the date's games: fatigue, shot-zone mismatch against the opponent's defense, pace "
    "and usage-spike scores, each beside the inputs it was computed from.",
)

FEATURE_STORE = Table(
    "nba_predictions",
    "ml_feature_store",
    (
        *PLAYER_GAME,
        ("player_name", STR),
        ("opponent_abbr", STR),
        ("injury_status", STR),
        *(
            (col, kind)
            for f in FEATURES
            for col, kind in ((f.name, FLT), (quality_column(f.name), FLT), (source_column(f.name), STR))
        ),
        ("feature_count", INT),
        ("default_feature_count", INT),
        ("unavailable_feature_count", INT),
        ("feature_quality_score", FLT),
        ("is_quality_ready", BOOL),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup"),
    description="The model's feature vector per player and game: every feature with its value, a quality score and "
    "its source; a per-row quality score and the count of defaulted features.",
)

PRECOMPUTE_TABLES = (
    TEAM_DEFENSE_ZONES,
    PLAYER_SHOT_ZONES,
    PLAYER_DAILY_CACHE,
    PLAYER_COMPOSITE,
    FEATURE_STORE,
)
