"""Audit tables in `nba_orchestration`: append-only, partitioned by game date, idempotent by id."""

from nba_pipeline.resources.warehouse import Table

STR, INT, FLT, BOOL, DATE, TS = "STRING", "INT64", "FLOAT64", "BOOL", "DATE", "TIMESTAMP"

DEPENDENCY_CHECK_LOG = Table(
    "nba_orchestration",
    "dependency_check_log",
    (
        ("check_id", STR),
        ("check_time", TS),
        ("phase", INT),
        ("game_date", DATE),
        ("mode", STR),
        ("table_name", STR),
        ("critical", BOOL),
        ("history", BOOL),
        ("expected", INT),
        ("found", INT),
        ("completeness", FLT),
        ("freshness_seconds", FLT),
        ("freshness", FLT),
        ("validity", FLT),
        ("quality", FLT),
        ("status", STR),
        ("issues", STR),
        ("decision", STR),
        ("overall_completeness", FLT),
        ("optional_coverage", FLT),
        ("overall_quality", FLT),
        ("correlation_id", STR),
        ("loaded_at", TS),
    ),
    key=("check_id", "table_name"),
    description="One row per upstream table per readiness check: the numbers behind every decision.",
)

ALERTS = Table(
    "nba_orchestration",
    "alerts",
    (
        ("alert_id", STR),
        ("raised_at", TS),
        ("game_date", DATE),
        ("phase", INT),
        ("severity", STR),
        ("kind", STR),
        ("dedupe_key", STR),
        ("summary", STR),
        ("details", STR),
        ("link", STR),
        ("loaded_at", TS),
    ),
    key=("alert_id",),
    description="Every alert the platform raised (the local alert sink).",
)
