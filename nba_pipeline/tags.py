"""Run tags every run the platform launches carries (DOMAIN §6)."""

from __future__ import annotations

import uuid

PHASE, MODE, TRIGGER, CORRELATION_ID = "nba/phase", "nba/mode", "nba/trigger", "nba/correlation_id"
SOURCE, SCENARIO = "nba/source", "nba/scenario"
# A gated run carries its readiness decision; a degraded one says so and names what it went without.
DECISION, DEGRADED, DEGRADED_INPUTS = "nba/decision", "nba/degraded", "nba/degraded_inputs"
CLAIM = "nba/claim"  # target|game date|upstream version (a range: target|first..last): the run's claim
CLAIM_ATTEMPT = "nba/claim_attempt"  # the claim's attempt: its fencing token (one-date runs)
LOADER = "loader"  # the live loader: the only trigger whose Phase 1 finds its payloads staged
TRIGGERS = ("cascade", "schedule", "self_heal", "manual", "backfill", LOADER)
EXECUTED_BY = "nba/executed_by"  # pid@host of the command executing a run in its own process
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def new_correlation_id() -> str:
    return uuid.uuid4().hex[:12]


def run_tags(phase: int, mode: str, trigger: str, correlation_id: str, **extra: str) -> dict[str, str]:
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    tags = {PHASE: str(phase), MODE: mode, TRIGGER: trigger, CORRELATION_ID: correlation_id}
    tags.update({f"nba/{k}": str(v) for k, v in extra.items() if v is not None})
    return tags
