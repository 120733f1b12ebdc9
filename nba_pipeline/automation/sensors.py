"""The sensors: bus intake, run settlement, one cascade sensor per phase 3–6, stalled-run recovery.

All default to running. Each tick is bounded (messages, dates, seconds) so it finishes well inside
Dagster's 60 s sensor timeout, and a tick that hits an error reports it as a skip reason with the
error in one line instead of failing: a sensor must never go down.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import suppress
from datetime import date, datetime, timedelta

import dagster as dg

from nba_pipeline.automation.intake import take_in
from nba_pipeline.automation.jobs import MODEL_JOB_DEF, PHASE_JOBS, TOMORROW_JOB_DEF, phase_assets
from nba_pipeline.automation.recovery import stalled_runs, stop
from nba_pipeline.automation.triggering import (
    TriggerContext,
    request_phase,
    send_alerts,
    trigger_context,
    upstream_version,
)
from nba_pipeline.modes import date_mode
from nba_pipeline.observability.alerts import Alert
from nba_pipeline.orchestration import claims
from nba_pipeline.orchestration.settle import settle_run, tidy, unsettled_runs
from nba_pipeline.partitions import et_date
from nba_pipeline.phases import PHASES
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import WarehouseResource

RUNNING = dg.DefaultSensorStatus.RUNNING
CASCADE_INTERVAL_S = 5
MAX_DATES_PER_TICK = 8  # readiness checks are ~150 ms each; the rest wait for the next tick
SETTLE_MARGIN = timedelta(minutes=5)  # re-scan a little behind the cursor; the ledger dedupes
MAX_RETRIED_RUNS = 200  # runs that failed to settle, retried every tick until they do


def guarded(name: str, body: Callable[[], dg.SensorResult]) -> dg.SensorResult:
    try:
        return body()
    except Exception as exc:  # noqa: BLE001 - report, keep the sensor alive
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return dg.SensorResult(skip_reason=f"{name}: {type(exc).__name__}: {first}")


@dg.sensor(name="signal_intake_sensor", minimum_interval_seconds=10, default_status=RUNNING)
def signal_intake_sensor(
    context, clock: ClockResource, warehouse: WarehouseResource, coordination: CoordinationResource
):
    """Outside loaders' Phase 1/2 completion envelopes → runless materializations, completion records
    and orchestration events."""

    def body() -> dg.SensorResult:
        bus, store = coordination.bus(), coordination.store()
        report = take_in(bus, store, context.instance, clock.now(), warehouse=warehouse.get())
        for line in report.dead_lettered:
            context.log.warning(f"dead-lettered {line}")
        return dg.SensorResult(skip_reason=f"intake: {report.summary()}")

    return guarded("signal_intake_sensor", body)


@dg.sensor(name="run_settlement_sensor", minimum_interval_seconds=5, default_status=RUNNING)
def run_settlement_sensor(
    context, clock: ClockResource, warehouse: WarehouseResource, coordination: CoordinationResource
):
    """The claim sweep (dead runs failed, expired launches released), then every finished phase run
    settled: completion records, envelopes on the phase topics, claims closed, breakers moved. Each
    run on its own: one that fails to settle is retried next tick and never holds up the others."""

    def body() -> dg.SensorResult:
        cursor = json.loads(context.cursor) if context.cursor and context.cursor.startswith("{") else {}
        since = datetime.fromisoformat(cursor["since"]) - SETTLE_MARGIN if cursor.get("since") else None
        retry = dict(cursor.get("retry", {}))
        store, bus, now, wh = coordination.store(), coordination.bus(), clock.now(), warehouse.get()
        found = unsettled_runs(context.instance, store, since)
        report = tidy(context.instance, store, bus, now, wh, clock.wall_now(), also=[*retry, *found])
        retry = {r: retry.get(r, 0) + 1 for r in report.failed}
        for run_id, error in report.failed.items():
            context.log.warning(f"run {run_id} could not be settled (attempt {retry[run_id]}): {error}")
        record = context.instance.get_run_records(limit=1, order_by="update_timestamp")
        newest = record[0].update_timestamp.isoformat() if record else cursor.get("since")
        lines = report.lines()
        return dg.SensorResult(
            skip_reason=f"settled {len(report.settled)} runs: {'; '.join(lines) or 'none'}",
            cursor=json.dumps({"since": newest, "retry": dict(list(retry.items())[:MAX_RETRIED_RUNS])}),
        )

    return guarded("run_settlement_sensor", body)


def _recent(now: datetime) -> set[date]:
    today = et_date(now)
    return {today - timedelta(days=1), today, today + timedelta(days=1)}


def cascade_sensor(phase: int) -> dg.SensorDefinition:
    """Phase N starts as soon as phase N-1's data for a date is ready (the event-driven path)."""
    title = next(p.title for p in PHASES if p.number == phase)
    name = f"phase{phase}_{title}_sensor"
    jobs = (
        [PHASE_JOBS[phase]]
        + ([TOMORROW_JOB_DEF] if phase == 3 else [])
        + ([MODEL_JOB_DEF] if phase == 5 else [])
    )
    upstream = list(phase_assets(phase - 1).values())

    @dg.sensor(name=name, jobs=jobs, minimum_interval_seconds=CASCADE_INTERVAL_S, default_status=RUNNING)
    def _sensor(
        context,
        clock: ClockResource,
        warehouse: WarehouseResource,
        source: SourceResource,
        coordination: CoordinationResource,
    ):
        def body() -> dg.SensorResult:
            ctx = trigger_context(context, clock, warehouse, source, coordination, name)
            cursor = json.loads(context.cursor) if context.cursor else None
            seen, changed = _changed_dates(context.instance, upstream, cursor)
            cursor = {"seen": {}, "held": {}, "queue": [], "errors": {}} | (cursor or {})
            pending = {c.game_date for c in ctx.store.claims(states=claims.ACTIVE) if c.target == str(phase)}
            pending |= _failed_recently(ctx, phase)
            wanted = set(cursor["queue"]) | {d.isoformat() for d in changed | _recent(ctx.now) | pending}
            # Dates that raised go last: a date that keeps failing never holds up the others.
            candidates = sorted(wanted, key=lambda iso: (cursor["errors"].get(iso, 0), iso))
            requests, lines, evaluated, queue, errors = [], [], 0, [], {}
            for iso in candidates:
                day = date.fromisoformat(iso)
                if evaluated >= MAX_DATES_PER_TICK:
                    queue.append(iso)
                    continue
                try:
                    if _still_held(cursor["held"].get(iso), context.instance, phase, day, ctx.now):
                        continue
                    evaluated += 1
                    outcome = request_phase(ctx, phase, day, date_mode(day, ctx.now), "cascade")
                except Exception as exc:  # noqa: BLE001 - one bad date is reported and skipped, alone
                    errors[iso] = cursor["errors"].get(iso, 0) + 1
                    lines.append(_date_error(ctx, name, phase, day, exc, errors[iso]))
                    queue.append(iso)  # looked at again next tick, after the others
                    continue
                lines.append(outcome.line())
                if outcome.status == "launched":
                    requests.append(outcome.run_request())
                if outcome.status != "held":  # a taken claim may be released: look again next tick
                    cursor["held"].pop(iso, None)
                else:
                    cursor["held"][iso] = {
                        "version": outcome.version,
                        "until": outcome.recheck_at.isoformat() if outcome.recheck_at else None,
                    }
            cursor.update(seen=seen, queue=queue, held=_trim(cursor["held"], ctx.now), errors=errors)
            return dg.SensorResult(
                run_requests=requests,
                skip_reason=None if requests else "; ".join(lines) or "nothing new upstream",
                cursor=json.dumps(cursor),
            )

        return guarded(name, body)

    return _sensor


RETRY_FAILED_FOR = timedelta(days=3)  # dates whose run failed are retried this long, within the breaker


def _failed_recently(ctx: TriggerContext, phase: int) -> set[date]:
    """Dates whose latest claim was released by a failed run: retried (a new attempt of the same
    version) as long as the breaker lets a run through (DOMAIN §6: bounded retries)."""
    released = ctx.store.claims(states=(claims.RELEASED,), moved_since=ctx.wall() - RETRY_FAILED_FOR)
    return {c.game_date for c in released if c.target == str(phase) and c.closed_by}


def _date_error(ctx: TriggerContext, sensor: str, phase: int, day: date, exc: Exception, times: int) -> str:
    """One line for the tick, and one alert for the first time this date raises this error — not for
    a transient one (the warehouse locked by a writer, a dropped connection): that is retried."""
    from nba_pipeline.phases.io import TRANSIENT_ERRORS

    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    line = f"phase {phase} {day}: error — {type(exc).__name__}: {first}"
    if times == 1 and not isinstance(exc, TRANSIENT_ERRORS):
        alert = Alert(
            kind="sensor_error",
            severity="error",
            summary=f"{sensor} could not evaluate {day}: {type(exc).__name__}: {first}",
            dedupe_key=f"sensor_error:{sensor}:{day}:{type(exc).__name__}",
            game_date=day,
            phase=phase,
            details={"sensor": sensor, "error": f"{type(exc).__name__}: {first}"},
            link=f"/automation/sensors/{sensor}",
        )
        with suppress(Exception):  # the warehouse may be what fails: the tick's line still says it
            send_alerts(ctx.warehouse, [alert], ctx.now)
    return line


def _changed_dates(
    instance: dg.DagsterInstance, upstream: list[dg.AssetKey], cursor: dict | None
) -> tuple[dict[str, int], set[date]]:
    """Dates with upstream materializations newer than the cursor. The first tick only takes the
    cursor: history is the backfill's business, not the cascade's."""
    seen = dict((cursor or {}).get("seen", {}))
    changed: set[date] = set()
    for key in upstream:
        name = key.to_user_string()
        ids = instance.get_latest_storage_id_by_partition(
            key, dg.DagsterEventType.ASSET_MATERIALIZATION, after_cursor=seen.get(name)
        )
        if ids:
            seen[name] = max([seen.get(name, 0), *ids.values()])
            if cursor is not None:
                changed |= {date.fromisoformat(p) for p in ids}
    return seen, changed


def _still_held(held: dict | None, instance, phase: int, day: date, now: datetime) -> bool:
    """A date held for the same upstream version stays held until its recheck time (a WAIT or an
    open breaker) or, with none, until new data arrives (a FAIL, a taken claim)."""
    if not held or held["version"] is None or held["version"] != upstream_version(instance, phase, day):
        return False
    return held["until"] is None or now < datetime.fromisoformat(held["until"])


def _trim(held: dict, now: datetime) -> dict:
    """Forget dates more than two weeks old (a new version brings them back)."""
    oldest = (et_date(now) - timedelta(days=14)).isoformat()
    return {d: h for d, h in held.items() if d >= oldest}


@dg.sensor(name="stalled_run_recovery_sensor", minimum_interval_seconds=1800, default_status=RUNNING)
def stalled_run_recovery_sensor(
    context, clock: ClockResource, warehouse: WarehouseResource, coordination: CoordinationResource
):
    """Every 30 minutes of wall clock: stop runs past their adaptive timeout, settle them (the claim
    is released, the cascade re-requests within the breaker's bound), alert once per run."""

    def body() -> dg.SensorResult:
        store, bus, now = coordination.store(), coordination.bus(), clock.now()
        found = stalled_runs(context.instance, clock.wall_now())
        alerts = []
        for stalled in found:
            stop(context.instance, stalled)
            settle_run(context.instance, stalled.run_id, store, bus, now, warehouse.get(), clock.wall_now())
            alerts.append(
                Alert(
                    kind="run_stalled",
                    severity="error",
                    summary=f"Stalled {stalled.line()}: stopped; the claim is released for a retry",
                    dedupe_key=f"run_stalled:{stalled.run_id}",
                    details={"run_id": stalled.run_id, "phase": stalled.phase},
                    link=f"/runs/{stalled.run_id}",
                )
            )
        from nba_pipeline.automation.schedules import missed_tick_alerts

        # Ticks are expected only since this sensor started watching (not before the platform ran).
        watching_since = datetime.fromisoformat(context.cursor) if context.cursor else now
        missed = missed_tick_alerts(store, now, since=max(watching_since, now - timedelta(days=1)))
        send_alerts(warehouse.get(), alerts + missed, now)
        lines = [s.line() for s in found] + [a.summary for a in missed]
        return dg.SensorResult(
            skip_reason=f"{len(found)} stalled, {len(missed)} missed ticks: " + ("; ".join(lines) or "none"),
            cursor=watching_since.isoformat(),
        )

    return guarded("stalled_run_recovery_sensor", body)


@dg.sensor(name="pipeline_monitor_sensor", minimum_interval_seconds=300, default_status=RUNNING)
def pipeline_monitor_sensor(
    context, clock: ClockResource, warehouse: WarehouseResource, coordination: CoordinationResource
):
    """Every 5 minutes: stuck dates, predicted and actual SLO misses for yesterday and today."""

    def body() -> dg.SensorResult:
        from nba_pipeline.observability.monitor import monitor

        now = clock.now()
        today = et_date(now)
        days = [today - timedelta(days=1), today]
        sent, cleared = monitor(context.instance, warehouse.get(), coordination.store(), days, now)
        lines = [a.summary for a in sent] + [f"cleared {k}" for k in cleared]
        return dg.SensorResult(skip_reason="; ".join(lines) or "all quiet")

    return guarded("pipeline_monitor_sensor", body)


CASCADE_SENSORS = [cascade_sensor(n) for n in (3, 4, 5, 6)]
SENSORS = [
    signal_intake_sensor,
    run_settlement_sensor,
    *CASCADE_SENSORS,
    stalled_run_recovery_sensor,
    pipeline_monitor_sensor,
]
