"""The audit trail in `nba_orchestration`: orchestration events and the phase completion log.

Written when a run is settled (whoever launched it: the CLI, a sensor, a schedule, a person in the
UI) and when a trigger decides, so the tables explain every run and every run not made. Rows are
idempotent: an event's id is a digest of what it records, a completion-log row is keyed by date,
phase and run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime

import pandas as pd

from nba_pipeline.observability.tables import ORCHESTRATION_EVENTS, PHASE_COMPLETION_LOG
from nba_pipeline.partitions import utc_naive
from nba_pipeline.resources.warehouse import Warehouse


@dataclass(frozen=True)
class Event:
    event_type: str
    event_time: datetime
    game_date: date
    phase: int
    mode: str = ""
    correlation_id: str = ""
    processor: str | None = None
    status: str | None = None
    rows_written: int | None = None
    decision: str | None = None
    triggered_phase: int | None = None
    trigger_source: str | None = None
    claimant: str | None = None
    run_id: str | None = None
    duration_seconds: float | None = None
    details: dict = field(default_factory=dict)

    @property
    def event_id(self) -> str:
        parts = (
            self.event_type,
            self.game_date,
            self.phase,
            self.processor,
            self.run_id,
            self.claimant,
            self.decision,
            utc_naive(self.event_time).isoformat(),
        )
        return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]

    def row(self, now: datetime) -> dict:
        row = asdict(self)
        row.update(
            event_id=self.event_id,
            event_time=utc_naive(self.event_time),
            details=json.dumps(self.details, default=str, sort_keys=True),
            loaded_at=utc_naive(now),
        )
        return row


def completion_event(envelope, trigger_source: str) -> Event:
    """A completion envelope (orchestration.envelopes.Envelope) as an audit event."""
    return Event(
        "completion",
        envelope.published_at,
        envelope.game_date,
        envelope.phase,
        envelope.mode,
        envelope.correlation_id,
        processor=envelope.processor,
        status=envelope.status,
        rows_written=envelope.rows,
        trigger_source=trigger_source,
        run_id=envelope.execution_id,
        duration_seconds=envelope.duration_seconds,
    )


def write_events(warehouse: Warehouse, events: list[Event], now: datetime) -> int:
    if not events:
        return 0
    return warehouse.upsert(ORCHESTRATION_EVENTS, pd.DataFrame([e.row(now) for e in events]))


@dataclass(frozen=True)
class PhaseRun:
    """One date's share of a finished phase run: a row of the phase completion log."""

    game_date: date
    phase: int
    run_id: str
    mode: str
    trigger_source: str
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    expected: list[str]
    completed: list[str]
    completeness: float
    quality: float | None
    correlation_id: str

    def row(self, now: datetime) -> dict:
        duration = (
            (self.completed_at - self.started_at).total_seconds()
            if self.started_at and self.completed_at
            else None
        )
        return {
            "game_date": self.game_date,
            "phase": self.phase,
            "run_id": self.run_id,
            "mode": self.mode,
            "trigger_source": self.trigger_source,
            "status": self.status,
            "started_at": utc_naive(self.started_at) if self.started_at else None,
            "completed_at": utc_naive(self.completed_at) if self.completed_at else None,
            "duration_seconds": duration,
            "expected_processors": len(self.expected),
            "completed_processors": len(self.completed),
            "missing_processors": ",".join(sorted(set(self.expected) - set(self.completed))),
            "completeness": self.completeness,
            "quality": self.quality,
            "triggered_downstream_at": None,
            "downstream_trigger": None,
            "correlation_id": self.correlation_id,
            "loaded_at": utc_naive(now),
        }


def write_phase_runs(warehouse: Warehouse, runs: list[PhaseRun], now: datetime) -> int:
    if not runs:
        return 0
    return warehouse.upsert(PHASE_COMPLETION_LOG, pd.DataFrame([r.row(now) for r in runs]))


def mark_downstream(warehouse: Warehouse, phase: int, days: list[date], at: datetime, trigger: str) -> None:
    """The previous phase's rows for these dates learn when, and by which path, this phase started
    (the first time only: a later re-run does not rewrite history)."""
    if phase <= 1 or not days:
        return
    warehouse.ensure(PHASE_COMPLETION_LOG)
    warehouse.execute(
        f"UPDATE {warehouse.ref(PHASE_COMPLETION_LOG)} SET triggered_downstream_at = $at, downstream_trigger = $trigger"
        " WHERE phase = $phase AND game_date BETWEEN $first AND $last AND triggered_downstream_at IS NULL"
        " AND status != 'failed'",
        {"at": utc_naive(at), "trigger": trigger, "phase": phase - 1, "first": min(days), "last": max(days)},
    )
