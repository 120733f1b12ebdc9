"""Stalled-run recovery (DOMAIN §8 item 10): on the wall clock, never waiting for a message.

A phase's timeout adapts to how long that phase usually takes (3× the median of its recent
successful runs, within a floor and a cap). A run past it is terminated and marked failed; settling
it releases its claim, so the cascade re-requests it on its next tick — bounded by the breaker,
which opens after 5 failures.
"""

from __future__ import annotations

import statistics
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg

from nba_pipeline.tags import PHASE

TIMEOUT_FLOOR = timedelta(minutes=10)
TIMEOUT_CAP = timedelta(hours=2)
TIMEOUT_DEFAULT = timedelta(hours=1)  # no history yet
TIMEOUT_FACTOR = 3
TRAILING_RUNS = 20


def adaptive_timeout(durations: list[float]) -> timedelta:
    """3× the median duration (seconds) of recent successful runs, within [floor, cap]."""
    if not durations:
        return TIMEOUT_DEFAULT
    guess = timedelta(seconds=TIMEOUT_FACTOR * statistics.median(durations))
    return min(max(guess, TIMEOUT_FLOOR), TIMEOUT_CAP)


def trailing_durations(instance: dg.DagsterInstance, phase: str) -> list[float]:
    records = instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], tags={PHASE: phase}), limit=TRAILING_RUNS
    )
    return [r.end_time - r.start_time for r in records if r.start_time and r.end_time]


@dataclass(frozen=True)
class Stalled:
    run_id: str
    phase: str
    running_for: timedelta
    timeout: timedelta

    def line(self) -> str:
        return (
            f"run {self.run_id} (phase {self.phase}) running {self.running_for.total_seconds() / 60:.0f} min,"
            f" past its {self.timeout.total_seconds() / 60:.0f} min timeout"
        )


def stalled_runs(instance: dg.DagsterInstance, wall_now: datetime) -> list[Stalled]:
    started = instance.get_run_records(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    timeouts: dict[str, timedelta] = {}
    out = []
    for record in started:
        phase = record.dagster_run.tags.get(PHASE)
        if phase is None or record.start_time is None:
            continue
        if phase not in timeouts:
            timeouts[phase] = adaptive_timeout(trailing_durations(instance, phase))
        running_for = wall_now - datetime.fromtimestamp(record.start_time, tz=UTC)
        if running_for > timeouts[phase]:
            out.append(Stalled(record.dagster_run.run_id, phase, running_for, timeouts[phase]))
    return out


def stop(instance: dg.DagsterInstance, stalled: Stalled) -> None:
    """Terminate the run if its launcher can; either way it is marked failed, so it settles."""
    with suppress(Exception):  # a launcher that cannot terminate still lets us mark it failed
        instance.run_launcher.terminate(stalled.run_id)
    run = instance.get_run_by_id(stalled.run_id)
    if run is not None and not run.is_finished:
        instance.report_run_failed(run, f"stalled: {stalled.line()}; stopped by stalled_run_recovery")
