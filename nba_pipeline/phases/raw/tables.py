"""Phase 2 tables (dataset `nba_raw`): grains and keys as in DOMAIN §3."""

from nba_pipeline.resources.warehouse import Table

STR, INT, FLT, BOOL, DATE, TS = "STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP"
COUNTING_STATS = (
    "fgm",
    "fga",
    "fg3m",
    "fg3a",
    "ftm",
    "fta",
    "oreb",
    "dreb",
    "reb",
    "ast",
    "stl",
    "blk",
    "tov",
    "pf",
)

SCHEDULE = Table(
    "nba_raw",
    "nbac_schedule",
    (
        ("game_id", STR),
        ("nba_game_id", STR),
        ("game_code", STR),
        ("game_date", DATE),
        ("season", STR),
        ("home_team_abbr", STR),
        ("away_team_abbr", STR),
        ("game_status", INT),
        ("game_status_text", STR),
        ("tipoff_et", TS),
        ("tipoff_utc", TS),
        ("home_score", INT),
        ("away_score", INT),
        ("loaded_at", TS),
    ),
    key=("game_id",),
    description="One row per scheduled game of the ET date, with its status as of loading.",
)

GAMEBOOK = Table(
    "nba_raw",
    "nbac_gamebook_player_stats",
    (
        ("game_id", STR),
        ("nba_game_id", STR),
        ("game_date", DATE),
        ("team_abbr", STR),
        ("opponent_abbr", STR),
        ("is_home", BOOL),
        ("player_id", INT),
        ("player_lookup", STR),
        ("player_name", STR),
        ("player_status", STR),
        ("not_playing_reason", STR),
        ("starter", BOOL),
        ("minutes", FLT),
        ("points", INT),
        *((c, INT) for c in COUNTING_STATS),
        ("plus_minus", INT),
        ("paint_points", INT),
        ("source_format", STR),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup"),
    description="One row per player per game, DNP and inactive players included (their stats are null).",
)

TEAM_BOXSCORE = Table(
    "nba_raw",
    "nbac_team_boxscore",
    (
        ("game_id", STR),
        ("nba_game_id", STR),
        ("game_date", DATE),
        ("team_abbr", STR),
        ("opponent_abbr", STR),
        ("is_home", BOOL),
        ("points", INT),
        *((c, INT) for c in COUNTING_STATS),
        ("minutes", FLT),
        ("paint_points", INT),
        ("players_played", INT),
        ("loaded_at", TS),
    ),
    key=("game_id", "team_abbr"),
    description="One row per team per game; points are the sum of its players' points.",
)

INJURY_REPORT = Table(
    "nba_raw",
    "nbac_injury_report",
    (
        ("report_time", TS),
        ("game_date", DATE),
        ("game_id", STR),
        ("team_abbr", STR),
        ("player_lookup", STR),
        ("player_name", STR),
        ("injury_status", STR),
        ("reason", STR),
        ("confidence", FLT),
        ("loaded_at", TS),
    ),
    key=("report_time", "game_id", "player_lookup"),
    description="One row per player listed on an injury-report release (a snapshot) for the date's games.",
)

PROPS = Table(
    "nba_raw",
    "odds_api_player_points_props",
    (
        ("game_id", STR),
        ("game_date", DATE),
        ("event_id", STR),
        ("bookmaker", STR),
        ("snapshot_timestamp", TS),
        ("commence_time", TS),
        ("minutes_before_tipoff", INT),
        ("player_lookup", STR),
        ("player_name", STR),
        ("points_line", FLT),
        ("over_price_american", INT),
        ("under_price_american", INT),
        ("over_price", FLT),
        ("under_price", FLT),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup", "bookmaker", "snapshot_timestamp"),
    description="One row per game × player × bookmaker × snapshot of The Odds API player_points market.",
)

RAW_TABLES = (SCHEDULE, GAMEBOOK, TEAM_BOXSCORE, INJURY_REPORT, PROPS)
