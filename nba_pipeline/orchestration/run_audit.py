"""A settled run's audit rows and the alerts it deserves: failed asset checks, a slow phase.

Slowness is judged against the phase's own recent history (DOMAIN §7): more than 2× the trailing
7-day median duration is a warning, more than 3× critical — and only when the run is also at least a
minute longer than usual, so a 3 s phase taking 7 s is not news.
"""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta

import dagster as dg

from nba_pipeline.observability.alerts import Alert
from nba_pipeline.observability.audit import (
    Event,
    PhaseRun,
    completion_event,
    mark_downstream,
    write_events,
    write_phase_runs,
)
from nba_pipeline.observability.timelines import recent_durations
from nba_pipeline.orchestration.envelopes import Envelope
from nba_pipeline.resources.warehouse import Warehouse
from nba_pipeline.tags import MODE, PHASE, TRIGGER

SLOW_WARNING, SLOW_CRITICAL = 2.0, 3.0
SLOW_MIN_EXCESS_S = 60.0
MIN_SAMPLES = 3


def phase_runs(record: dg.RunRecord, envelopes: list[Envelope], now: datetime) -> list[PhaseRun]:
    """Times on the platform's clock: completed when settled (`now`, seconds after the run ended),
    started that long before by the run's own duration — so a replayed or simulated clock and the
    run's wall-clock duration stay consistent."""
    run, tags = record.dagster_run, record.dagster_run.tags
    seconds = (record.end_time - record.start_time) if record.start_time and record.end_time else 0.0
    planned = sorted({e.processor for e in envelopes})
    by_day: dict[date, list[Envelope]] = {}
    for e in envelopes:
        by_day.setdefault(e.game_date, []).append(e)
    quality = tags.get("nba/quality")
    out = []
    for day, mine in sorted(by_day.items()):
        done = [e.processor for e in mine if e.status != "failed"]
        statuses = {e.status for e in mine}
        # partial: a processor wrote nothing (a table below complete is its own check's business)
        status = "failed" if "failed" in statuses else "partial" if "no_data" in statuses else "success"
        out.append(
            PhaseRun(
                game_date=day,
                phase=int(tags[PHASE]),
                run_id=run.run_id,
                mode=tags.get(MODE, "manual"),
                trigger_source=tags.get(TRIGGER, "manual"),
                status=status,
                started_at=now - timedelta(seconds=seconds),
                completed_at=now,
                expected=planned,
                completed=done,
                completeness=round(len(done) / len(planned), 4) if planned else 1.0,
                quality=float(quality) if quality else None,
                correlation_id=mine[0].correlation_id,
            )
        )
    return out


def completion_events(record: dg.RunRecord, envelopes: list[Envelope]) -> list[Event]:
    trigger = record.dagster_run.tags.get(TRIGGER, "manual")
    return [completion_event(e, trigger) for e in envelopes]


def check_failure_alerts(instance: dg.DagsterInstance, run_id: str) -> list[Alert]:
    """One alert per failed check result of the run, per date. A range run's run-level result (its
    summary of the per-date results, which carry the numbers) is not raised again."""
    alerts = []
    evaluations = [
        entry.dagster_event.event_specific_data
        for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    per_date = {(e.asset_key, e.check_name) for e in evaluations if e.partition}
    for evaluation in evaluations:
        if evaluation.passed or (
            not evaluation.partition and (evaluation.asset_key, evaluation.check_name) in per_date
        ):
            continue
        asset = evaluation.asset_key.to_user_string()
        error = evaluation.severity == dg.AssetCheckSeverity.ERROR
        where = f" for {evaluation.partition}" if evaluation.partition else ""
        alerts.append(
            Alert(
                kind="asset_check_failed",
                severity="error" if error else "warning",
                summary=f"Check {evaluation.check_name} failed on {asset}{where}"
                + (" (blocking)" if error and evaluation.blocking else ""),
                dedupe_key=f"asset_check_failed:{asset}:{evaluation.check_name}:{evaluation.partition}",
                game_date=date.fromisoformat(evaluation.partition)
                if _is_date(evaluation.partition)
                else None,
                details={
                    "run_id": run_id,
                    "metadata": {k: str(v.value) for k, v in evaluation.metadata.items()},
                },
                link=f"/assets/{asset}",
            )
        )
    return alerts


def _is_date(value: str | None) -> bool:
    try:
        date.fromisoformat(value or "")
        return True
    except ValueError:
        return False


def slow_phase_alert(phase: int, run_id: str, seconds: float, history: list[float]) -> Alert | None:
    """Against the trailing median of the phase's earlier runs (at least three of them)."""
    if len(history) < MIN_SAMPLES:
        return None
    median = statistics.median(history)
    if seconds - median < SLOW_MIN_EXCESS_S or seconds <= SLOW_WARNING * median:
        return None
    severity = "critical" if seconds > SLOW_CRITICAL * median else "warning"
    return Alert(
        kind="slow_phase",
        severity=severity,
        summary=f"Phase {phase} run took {seconds / 60:.1f} min, {seconds / median:.1f}× its 7-day median of {median / 60:.1f} min",
        dedupe_key=f"slow_phase:{run_id}",
        phase=phase,
        details={"run_id": run_id, "seconds": seconds, "median_seconds": median, "samples": len(history)},
        link=f"/runs/{run_id}",
    )


def audit_run(
    instance: dg.DagsterInstance,
    record: dg.RunRecord,
    envelopes: list[Envelope],
    warehouse: Warehouse,
    now: datetime,
    alerts_so_far: list[Alert],
) -> list[Alert]:
    """Write the run's events and completion-log rows; return the alerts it raises."""
    run = record.dagster_run
    phase = int(run.tags[PHASE])
    rows = phase_runs(record, envelopes, now)
    events = completion_events(record, envelopes) + [
        Event(
            "breaker_open",
            now,
            a.game_date,
            phase,
            run.tags.get(MODE, ""),
            run_id=run.run_id,
            details=a.details,
        )
        for a in alerts_so_far
        if a.kind == "breaker_open"
    ]
    write_events(warehouse, events, now)
    write_phase_runs(warehouse, rows, now)
    if rows:
        started = rows[0].started_at
        mark_downstream(
            warehouse, phase, [r.game_date for r in rows], started, run.tags.get(TRIGGER, "manual")
        )
    alerts = check_failure_alerts(instance, run.run_id)
    if record.start_time and record.end_time and run.status == dg.DagsterRunStatus.SUCCESS:
        history = recent_durations(warehouse, now, exclude_run=run.run_id)[0].get(phase, [])
        slow = slow_phase_alert(phase, run.run_id, record.end_time - record.start_time, history)
        alerts += [slow] if slow else []
    return alerts
