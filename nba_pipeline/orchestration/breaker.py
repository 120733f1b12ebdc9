"""The circuit breaker per (target, game date) (DOMAIN §6, §8 item 15): opens after 5 failed runs,
alerts, and half-opens after an hour of wall clock or when new upstream data lands.

Each failure is counted once per run id, so settling a run twice (or after a crash half-way) never
counts it twice. The rules are one pure function; the store only persists the record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.orchestration.store.records import BreakerRecord, aware

FAILURE_THRESHOLD = 5  # failures that open a breaker
RETRY_AFTER = timedelta(hours=1)  # an open breaker half-opens after this (wall clock)
_COUNTED_KEPT = 20  # run ids remembered per breaker: more than it takes to open and re-open


class Breaker(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerState:
    target: str
    game_date: date
    state: Breaker
    failures: int
    opened_at: datetime | None
    opened_version: str | None

    @property
    def allows_run(self) -> bool:
        """Closed runs freely; half-open lets a trial run through; open blocks."""
        return self.state is not Breaker.OPEN


def transition(
    record: BreakerRecord | None, event: str, wall: datetime, upstream_version: str, run_id: str = ""
) -> tuple[BreakerRecord, Breaker]:
    """The only place breaker rules live. `event` is "failure", "success" or "check" (no change).

    Returns the record to persist and the state as seen at `wall` for `upstream_version`."""
    record = record or BreakerRecord()
    if event == "success":
        return BreakerRecord(updated_at=wall), Breaker.CLOSED
    if record.opened_at is None:
        state = Breaker.CLOSED
    elif wall - record.opened_at >= RETRY_AFTER or upstream_version != record.opened_version:
        state = Breaker.HALF_OPEN  # time has passed, or new upstream data may fix what failed
    else:
        state = Breaker.OPEN
    if event == "check":
        return record, state
    if event != "failure":
        raise ValueError(f"unknown breaker event {event!r}")
    counted = [r for r in record.counted.split(",") if r]
    if run_id and run_id in counted:
        return record, state  # this run's failure is already in the count
    counted = ",".join([*counted, run_id][-_COUNTED_KEPT:]) if run_id else record.counted
    failures = record.failures + 1
    if state is Breaker.HALF_OPEN or (state is Breaker.CLOSED and failures >= FAILURE_THRESHOLD):
        return BreakerRecord(failures, wall, upstream_version, wall, counted), Breaker.OPEN  # (re)open now
    return replace(record, failures=failures, updated_at=wall, counted=counted), state


def _event(
    store: CoordinationStore, target: str, day: date, wall: datetime, version: str, event: str, run_id: str
) -> BreakerState:
    def step(current: BreakerRecord | None) -> tuple[BreakerRecord | None, BreakerState]:
        new, state = transition(current, event, aware(wall, "wall"), version, run_id)
        result = BreakerState(target, day, state, new.failures, new.opened_at, new.opened_version)
        return (None if event == "check" or new == current else new), result

    return store.update_breaker(target, day, step)


def record_failure(
    store: CoordinationStore, target: str, day: date, wall: datetime, version: str, run_id: str
) -> BreakerState:
    return _event(store, target, day, wall, version, "failure", run_id)


def record_success(store: CoordinationStore, target: str, day: date, wall: datetime) -> BreakerState:
    return _event(store, target, day, wall, "", "success", "")


def state_of(store: CoordinationStore, target: str, day: date, wall: datetime, version: str) -> BreakerState:
    return _event(store, target, day, wall, version, "check", "")
