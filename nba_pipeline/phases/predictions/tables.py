"""Phase 5 tables (dataset `nba_predictions`)."""

from nba_pipeline.resources.warehouse import Table

STR, INT, FLT, BOOL, DATE, TS = "STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP"

MODEL_REGISTRY = Table(
    "nba_predictions",
    "model_registry",
    (
        ("model_version", STR),
        ("cutoff_date", DATE),
        ("trained_at", TS),
        ("train_rows", INT),
        ("validation_rows", INT),
        ("trees", INT),
        ("mae_model", FLT),
        ("mae_baseline", FLT),
        ("improvement_pct", FLT),
        ("train_start", DATE),
        ("brier", FLT),
        ("calibration_lines", STR),
        ("edge_threshold", FLT),
        ("features", STR),
        ("artifact", STR),
        ("loaded_at", TS),
    ),
    key=("model_version",),
    partition_column="cutoff_date",
    description="Every trained points model: its training window (every game before its cutoff, previous seasons "
    "included), validation MAE next to the moving-average baseline's on the same rows, the Brier score of its "
    "P(OVER), the edge threshold chosen on past games, and where its artifact is.",
)

PREDICTIONS = Table(
    "nba_predictions",
    "player_prop_predictions",
    (
        ("game_id", STR),
        ("game_date", DATE),
        ("player_lookup", STR),
        ("player_name", STR),
        ("team_abbr", STR),
        ("opponent_abbr", STR),
        ("system_id", STR),
        ("model_version", STR),
        ("predicted_points", FLT),
        ("line", FLT),
        ("edge", FLT),
        ("p_over", FLT),
        ("recommendation", STR),
        ("confidence", FLT),
        ("feature_quality_score", FLT),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup", "system_id"),
    description="Each system's predicted points for each player and game, the real line (none: NO_LINE, never an "
    "invented one), the edge, P(OVER), OVER / UNDER / PASS / NO_LINE and a confidence of 0-100.",
)

ACCURACY = Table(
    "nba_predictions",
    "prediction_accuracy",
    (
        ("game_id", STR),
        ("game_date", DATE),
        ("player_lookup", STR),
        ("system_id", STR),
        ("model_version", STR),
        ("predicted_points", FLT),
        ("actual_points", INT),
        ("abs_error", FLT),
        ("line", FLT),
        ("edge", FLT),
        ("p_over", FLT),
        ("recommendation", STR),
        ("result", STR),
        ("loaded_at", TS),
    ),
    key=("game_id", "player_lookup", "system_id"),
    description="Every prediction of a player who played, graded: actual points, absolute error, and hit / miss / push "
    "for OVER and UNDER (pass or no_line otherwise).",
)

ACCURACY_SUMMARY = Table(
    "nba_predictions",
    "prediction_accuracy_summary",
    (
        ("game_date", DATE),
        ("system_id", STR),
        ("graded", INT),
        ("mae", FLT),
        ("brier", FLT),
        ("bets_edge_2", INT),
        ("hits_edge_2", INT),
        ("hit_rate_edge_2", FLT),
        ("bets_edge_3", INT),
        ("hits_edge_3", INT),
        ("hit_rate_edge_3", FLT),
        ("loaded_at", TS),
    ),
    key=("game_date", "system_id"),
    description="Per date and system: MAE over graded predictions, the Brier score of P(OVER), and hit rates of "
    "OVER/UNDER calls at edge >= 2 and >= 3.",
)

PREDICTION_TABLES = (MODEL_REGISTRY, PREDICTIONS, ACCURACY, ACCURACY_SUMMARY)
