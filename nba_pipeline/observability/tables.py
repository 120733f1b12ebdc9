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

ORCHESTRATION_EVENTS = Table(
    "nba_orchestration",
    "orchestration_events",
    (
        ("event_id", STR),
        ("event_time", TS),
        (
            "event_type",
            STR,
        ),  # completion | trigger | decision | claim_taken | heal | breaker_open | breaker_closed
        ("game_date", DATE),
        ("phase", INT),
        ("mode", STR),
        ("correlation_id", STR),
        ("processor", STR),
        ("status", STR),
        ("rows_written", INT),
        ("decision", STR),
        ("triggered_phase", INT),
        ("trigger_source", STR),  # cascade | schedule | self_heal | manual | backfill | external
        ("claimant", STR),
        ("run_id", STR),
        ("duration_seconds", FLT),
        ("details", STR),
        ("loaded_at", TS),
    ),
    key=("event_id",),
    description="Completions, triggers, decisions, heals and breaker changes: why everything ran, or did not.",
)

PHASE_COMPLETION_LOG = Table(
    "nba_orchestration",
    "phase_completion_log",
    (
        ("game_date", DATE),
        ("phase", INT),
        ("run_id", STR),
        ("mode", STR),
        ("trigger_source", STR),
        ("status", STR),  # success | partial | failed
        ("started_at", TS),
        ("completed_at", TS),
        ("duration_seconds", FLT),
        ("expected_processors", INT),
        ("completed_processors", INT),
        ("missing_processors", STR),
        ("completeness", FLT),
        ("quality", FLT),
        ("triggered_downstream_at", TS),
        ("downstream_trigger", STR),
        ("correlation_id", STR),
        ("loaded_at", TS),
    ),
    key=("game_date", "phase", "run_id"),
    description="One row per date, phase and run: when it started and ended, what it completed, what it triggered.",
)

SLO_REPORT = Table(
    "nba_orchestration",
    "slo_report",
    (
        ("game_date", DATE),
        ("slo", STR),
        ("target", FLT),
        ("value", FLT),
        ("ok", BOOL),
        ("window_days", INT),  # 1: the date alone; 7: the trailing week ending on it
        ("evaluated_at", TS),
        ("loaded_at", TS),
    ),
    key=("game_date", "slo", "window_days"),
    description="Each SLO per date and over the trailing week, as evaluated when the date's status was built.",
)

AUDIT_TABLES = (DEPENDENCY_CHECK_LOG, ALERTS, ORCHESTRATION_EVENTS, PHASE_COMPLETION_LOG, SLO_REPORT)
