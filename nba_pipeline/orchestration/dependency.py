"""The dependency check: gather each input's numbers from the warehouse, decide, record, alert.

One read per input table for a whole range of dates (a backfill's gate decides every date from the
same few queries), in one warehouse session. Every evaluation is written to
`nba_orchestration.dependency_check_log`; a WAIT's give-up timer lives in the coordination store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from nba_pipeline.coverage import UNKNOWN, Coverage, coverage_by_date, schedule_known
from nba_pipeline.modes import Mode, table_active
from nba_pipeline.observability.alerts import Alert, make_sink
from nba_pipeline.observability.tables import DEPENDENCY_CHECK_LOG
from nba_pipeline.partitions import utc_naive
from nba_pipeline.phases.catalog import TABLES
from nba_pipeline.readiness import Decision, Input, TableReadiness, Verdict, decide, inputs, measure
from nba_pipeline.resources.warehouse import Warehouse, read_dates
from nba_pipeline.validity import invalid_rows

if TYPE_CHECKING:  # the instance is asked only of dates with no schedule rows and of phase 6
    import dagster as dg

SCHEDULE_LOOKBACK = timedelta(days=45)  # far enough to find the previous game date across any break


def _previous_game_dates(schedule: pd.DataFrame, days: Iterable[date]) -> dict[date, date | None]:
    played = sorted(set(schedule.game_date)) if not schedule.empty else []
    return {day: max((d for d in played if d < day), default=None) for day in days}


@dataclass(frozen=True)
class _Stats:
    """One table's numbers for every date at once (one pass over its rows, not one per date)."""

    coverage: dict[date, Coverage]
    age_seconds: dict[date, float]
    validity: dict[date, float]


def _stats(name: str, frame: pd.DataFrame, schedule: pd.DataFrame, days: list[date], now: datetime) -> _Stats:
    coverage = coverage_by_date(name, frame, schedule, days, now)
    if frame.empty:
        return _Stats(coverage, {}, {})
    by_day = frame.game_date
    valid = (invalid_rows(name, frame, TABLES[name].key) == "").groupby(by_day).mean()
    latest = frame.loaded_at.groupby(by_day).max().dropna()
    age = (pd.Timestamp(utc_naive(now)) - latest).dt.total_seconds().clip(lower=0.0)
    return _Stats(coverage, age.to_dict(), valid.astype(float).to_dict())


def gather(
    warehouse: Warehouse,
    phase: int,
    days: list[date],
    mode: Mode,
    now: datetime,
    active_feeds: frozenset[str],
    instance: dg.DagsterInstance | None = None,
) -> dict[date, list[TableReadiness]]:
    """Each date's inputs measured: games expected and covered, age, validity, failed checks. Its
    reads share the caller's warehouse session (`check` holds one for the reads, log and alerts)."""
    specs = {
        day: [s for s in inputs(phase, mode, day, now) if table_active(s.table, active_feeds)] for day in days
    }
    names = {s.table for ss in specs.values() for s in ss}
    schedule = read_dates(warehouse, TABLES["nbac_schedule"], min(days) - SCHEDULE_LOOKBACK, max(days))
    previous = _previous_game_dates(schedule, days)
    history_days = [d for d in previous.values() if d is not None]
    first = min([*days, *history_days])
    frames = {n: read_dates(warehouse, TABLES[n], first, max(days)) for n in names if n in TABLES}
    wanted = sorted({*days, *history_days})
    stats = {n: _stats(n, frame, schedule, wanted, now) for n, frame in frames.items()}
    loaded = schedule_known(instance, schedule, days)
    out = {}
    for day in days:
        measured = []
        for spec in specs[day]:
            if spec.table == "nbac_schedule" and day not in loaded:  # never loaded: what to expect is unknown
                note = [UNKNOWN]
                measured.append(measure(spec, 1, 0, None, 1.0, mode, day, now, note))
                continue
            on = previous[day] if spec.history else day
            measured.append(_measure_table(spec, on, stats[spec.table], mode, day, now, instance))
        out[day] = measured
    return out


def _measure_table(
    spec: Input,
    on: date | None,
    stats: _Stats,
    mode: Mode,
    day: date,
    now: datetime,
    instance: dg.DagsterInstance | None,
) -> TableReadiness:
    if on is None:  # history before the first game date there is: nothing can be expected of it
        return measure(spec, 0, 0, None, 1.0, mode, day, now, ["no earlier game date"])
    table = TABLES[spec.table]
    coverage = stats.coverage[on]
    issues = []
    if instance is not None and spec.table == "player_prop_predictions":  # "with its checks passed"
        from nba_pipeline.checks import recorded_check_failures
        from nba_pipeline.phases.export.assets import PREDICTION_CHECKS

        issues = [
            f"check {name} failed"
            for name in recorded_check_failures(instance, table.asset_key, PREDICTION_CHECKS, on)
        ]
    return measure(
        spec,
        coverage.expected,
        coverage.found,
        stats.age_seconds.get(on),
        stats.validity.get(on, 1.0),
        mode,
        day,
        now,
        issues,
    )


def check(
    warehouse: Warehouse,
    store,
    phase: int,
    days: list[date],
    mode: Mode,
    now: datetime,
    active_feeds: frozenset[str],
    correlation_id: str,
    instance: dg.DagsterInstance | None = None,
    record: bool = True,
    versions: dict[date, str | None] | None = None,
) -> dict[date, Decision]:
    """Decide each date; a WAIT starts (or continues) its give-up timer; FAILs and low WAITs alert.
    The timer belongs to the inputs' version (`versions`): new upstream data waits afresh."""
    decisions = {}
    with warehouse.session():  # the reads, the log and the alerts on one connection (one file open)
        for day, tables in gather(warehouse, phase, days, mode, now, active_feeds, instance).items():
            decision = decide(phase, day, mode, tables, now)
            if decision.decision is Verdict.WAIT:
                version = (versions or {}).get(day) or ""
                key = wait_key(phase, day, mode, version)
                decision = decide(phase, day, mode, tables, now, waiting_since=store.wait_started(key, now))
            decisions[day] = decision
        if record:
            write_log(warehouse, decisions, now, correlation_id)
            make_sink(warehouse).send([alert_for(d) for d in decisions.values() if d.alert], now)
    return decisions


def wait_key(phase: int, day: date, mode: Mode, version: str) -> str:
    """A WAIT's give-up timer: per phase, date, mode and version of the inputs waited on."""
    return f"{phase}|{day.isoformat()}|{mode.value}|{version}"


def alert_for(decision: Decision) -> Alert:
    kind = "dependency_fail" if decision.decision is Verdict.FAIL else "dependency_wait"
    return Alert(
        kind=kind,
        severity=decision.alert,
        summary=f"Phase {decision.phase} for {decision.game_date} ({decision.mode.value}): {decision.decision.value} — {decision.reasons[0]}",
        dedupe_key=f"{kind}:{decision.phase}:{decision.game_date}:{decision.mode.value}",
        game_date=decision.game_date,
        phase=decision.phase,
        details={"reasons": decision.reasons, "short": decision.short, "completeness": decision.completeness},
    )


def check_id_of(correlation_id: str, phase: int, day: date, mode: Mode, now: datetime) -> str:
    key = f"{correlation_id}|{phase}|{day.isoformat()}|{mode.value}|{utc_naive(now).isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def write_log(
    warehouse: Warehouse, decisions: dict[date, Decision], now: datetime, correlation_id: str
) -> list[str]:
    """One row per upstream table per check; returns the check ids. A check is named by what it
    evaluated (correlation id, phase, date, mode, time), so a retried evaluation rewrites its rows."""
    rows, ids = [], []
    for d in decisions.values():
        check_id = check_id_of(correlation_id, d.phase, d.game_date, d.mode, now)
        ids.append(check_id)
        for t in d.tables:
            rows.append(
                {
                    "check_id": check_id,
                    "check_time": utc_naive(now),
                    "phase": d.phase,
                    "game_date": d.game_date,
                    "mode": d.mode.value,
                    "table_name": t.table,
                    "critical": t.critical,
                    "history": t.history,
                    "expected": t.expected,
                    "found": t.found,
                    "completeness": t.completeness,
                    "freshness_seconds": t.freshness_seconds,
                    "freshness": t.freshness,
                    "validity": t.validity,
                    "quality": t.quality,
                    "status": t.status,
                    "issues": "; ".join(t.issues),
                    "decision": d.decision.value,
                    "overall_completeness": d.completeness,
                    "optional_coverage": d.optional_coverage,
                    "overall_quality": d.quality,
                    "correlation_id": correlation_id,
                    "loaded_at": utc_naive(now),
                }
            )
    if rows:
        warehouse.upsert(DEPENDENCY_CHECK_LOG, pd.DataFrame(rows))
    return ids
