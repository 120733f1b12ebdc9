"""Settling a finished run: its completions recorded and published, its claim closed, its breaker moved.

Whoever sees a run finish first settles it — the CLI right after its own runs, the settlement sensor
for runs the daemon launched, any path's `tidy` for runs that finished unseen (a UI launch, a killed
worker). Everything here is idempotent, and the run is marked settled only after the envelopes are
published, so a crash in between publishes again rather than never (DOMAIN §8 item 6: never marked
done before the publish).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import dagster as dg

from nba_pipeline.observability.alerts import Alert, make_sink
from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.bus import SignalBus, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import date_range
from nba_pipeline.resources.clock import system_now
from nba_pipeline.resources.warehouse import Warehouse
from nba_pipeline.tags import CORRELATION_ID, MODE, PHASE, RANGE_END, RANGE_START

FINISHED = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)


@dataclass
class Settlement:
    run_id: str
    status: str  # success | failure | canceled | skipped (settled before, or not a phase run)
    envelopes: list[Envelope] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


def _run_dates(tags: dict[str, str]) -> list[date]:
    if RANGE_START in tags:
        return list(date_range(date.fromisoformat(tags[RANGE_START]), date.fromisoformat(tags[RANGE_END])))
    partition = tags.get("dagster/partition")
    try:
        return [date.fromisoformat(partition)] if partition else []
    except ValueError:  # a weekly model partition is a date too; anything else has no game date
        return []


def _materialized(instance: dg.DagsterInstance, run_id: str) -> dict[tuple[str, date], tuple[int, float]]:
    """(processor, game date) -> (rows, completeness) for each materialization of the run."""
    out = {}
    for entry in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
        m = entry.dagster_event.event_specific_data.materialization
        try:
            day = date.fromisoformat(m.partition or "")
        except ValueError:
            continue
        meta = m.metadata
        rows = meta.get("dagster/row_count")
        completeness = meta.get("completeness")
        out[(m.asset_key.path[-1], day)] = (
            int(rows.value) if rows else 0,
            float(completeness.value) if completeness else 1.0,
        )
    return out


def _status(rows: int, completeness: float) -> str:
    return "no_data" if rows == 0 else "partial" if completeness < 1.0 else "success"


def run_envelopes(instance: dg.DagsterInstance, record: dg.RunRecord, now: datetime) -> list[Envelope]:
    """One envelope per processor and date the run was to build: what it wrote, or `failed`."""
    run = record.dagster_run
    tags = run.tags
    phase = int(tags[PHASE])
    started, ended = record.start_time, record.end_time
    duration = max(0.0, (ended or started or 0.0) - (started or 0.0))
    from nba_pipeline.automation.jobs import phase_assets

    processors = {*phase_assets(phase), "points_model"}  # not the status view: it reports, it is not data
    done = {k: v for k, v in _materialized(instance, run.run_id).items() if k[0] in processors}
    planned = ({k.path[-1] for k in run.asset_selection or ()} | {p for p, _ in done}) & processors
    common = dict(
        phase=phase,
        correlation_id=tags.get(CORRELATION_ID, run.run_id),
        execution_id=run.run_id,
        duration_seconds=round(duration, 3),
        mode=tags.get(MODE, "manual"),
        published_at=now.astimezone(UTC),
    )
    envelopes = []
    for processor in sorted(planned):
        for day in _run_dates(tags) or sorted({d for p, d in done if p == processor}):
            if (processor, day) in done:
                rows, completeness = done[(processor, day)]
                status = _status(rows, completeness)
            else:
                rows, status = 0, "failed"
            envelopes.append(Envelope(processor=processor, game_date=day, status=status, rows=rows, **common))
    return envelopes


def settle_run(
    instance: dg.DagsterInstance,
    run_id: str,
    store: CoordinationStore,
    bus: SignalBus,
    now: datetime,
    warehouse: Warehouse | None = None,
    wall: datetime | None = None,
) -> Settlement:
    """Record, publish and close out one finished run of a phase, once. With a warehouse, also its
    audit rows (events, the phase completion log) and its alerts (breaker, failed checks, slowness).

    Idempotent per run id, also after a crash half-way: completions are upserts, the run's claims move
    only if they are still this run's (`claims.close`), the breaker counts a run's failure once, audit
    rows are keyed by id, and the run is marked settled only at the end — so a second settlement
    finishes what the first could not and changes nothing the first did."""
    record = instance.get_run_record_by_id(run_id)
    if record is None or PHASE not in record.dagster_run.tags or record.dagster_run.status not in FINISHED:
        return Settlement(run_id, "skipped")
    ledger_key = f"run:{run_id}"
    if store.is_processed(ledger_key):
        return Settlement(run_id, "skipped")
    wall = wall or system_now()
    run = record.dagster_run
    envelopes = run_envelopes(instance, record, now)
    store.record_completions([e.completion() for e in envelopes])
    by_topic: dict[str, list] = {}
    for envelope in envelopes:
        by_topic.setdefault(envelope.topic, []).append((envelope.to_bytes(), envelope.attributes()))
    for topic, items in by_topic.items():
        bus.ensure(topic, subscription_for(topic))
        bus.publish_many(topic, items)
    alerts = close_claims(run, store, wall)
    free_pool_slots(instance, run_id)
    if warehouse is not None:
        from nba_pipeline.orchestration.run_audit import audit_run

        alerts += audit_run(instance, record, envelopes, warehouse, now, alerts)
        alerts = make_sink(warehouse).send(alerts, now)
    store.mark_processed(ledger_key, now)
    return Settlement(run_id, run.status.value.lower(), envelopes, alerts)


def free_pool_slots(instance: dg.DagsterInstance, run_id: str) -> int:
    """A finished run holds no pool slot: one killed mid-step would otherwise keep its table's pool
    (every warehouse write is in one) taken forever, and every later writer of it waits."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return 0
    return storage.free_concurrency_slots_for_run(run_id) or 0


def close_claims(run: dg.DagsterRun, store: CoordinationStore, wall: datetime) -> list[Alert]:
    """Success finishes the run's claims and closes their breakers; failure releases them for a retry
    and counts toward each breaker (once per run), which alerts when it opens."""
    success = run.status == dg.DagsterRunStatus.SUCCESS
    reason = f"run {run.run_id} {run.status.value.lower()}"
    alerts = []
    for claim in claims.claims_of_run(store, run):
        claims.close(store, claim, run.run_id, success, reason, wall)
        if success:
            breaker.record_success(store, claim.target, claim.game_date, wall)
            continue
        if claims.closed_by_run(store, claim, run.run_id) is None:
            continue  # a successor holds the key now: this failure is history, not a trend
        state = breaker.record_failure(
            store, claim.target, claim.game_date, wall, claim.upstream_version, run.run_id
        )
        if state.state is breaker.Breaker.OPEN and state.opened_at == wall:
            alerts.append(_breaker_alert(claim, state, run.run_id))
    return alerts


def _breaker_alert(claim: claims.Claim, state: breaker.BreakerState, run_id: str) -> Alert:
    what = "The weekly model" if claim.target == claims.MODEL_TARGET else f"Phase {claim.target}"
    return Alert(
        kind="breaker_open",
        severity="error",
        summary=f"{what} for {claim.game_date}: circuit breaker open after {state.failures} failed runs;"
        " it half-opens in an hour or when new upstream data lands",
        dedupe_key=f"breaker_open:{claim.target}:{claim.game_date}:{state.opened_at.isoformat()}",
        game_date=claim.game_date,
        phase=claim.phase,
        details={"failures": state.failures, "last_run": run_id},
        link=f"/runs/{run_id}",
    )


def unsettled_runs(
    instance: dg.DagsterInstance, store: CoordinationStore, since: datetime | None
) -> list[str]:
    """Finished phase runs updated since `since` that nobody settled yet, oldest first."""
    records = instance.get_run_records(
        dg.RunsFilter(statuses=list(FINISHED), updated_after=since),
        order_by="update_timestamp",
        ascending=True,
    )
    phase_runs = [r.dagster_run.run_id for r in records if PHASE in r.dagster_run.tags]
    settled = store.processed_among([f"run:{run_id}" for run_id in phase_runs])  # one ledger read
    return [run_id for run_id in phase_runs if f"run:{run_id}" not in settled]


@dataclass
class Tidy:
    """One pass of the janitor: the claim sweep, then settlement of every finished run it found or the
    caller names, each run on its own (one that fails to settle is reported, the others go on)."""

    sweep: claims.Sweep
    settled: list[Settlement] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # run id -> the error that stopped it

    def lines(self) -> list[str]:
        done = [f"{s.run_id[:8]} {s.status} ({len(s.envelopes)} envelopes)" for s in self.settled]
        errors = [f"{run_id[:8]} not settled: {error}" for run_id, error in self.failed.items()]
        return self.sweep.lines() + done + errors


def tidy(
    instance: dg.DagsterInstance,
    store: CoordinationStore,
    bus: SignalBus,
    now: datetime,
    warehouse: Warehouse | None,
    wall: datetime,
    also: list[str] = (),
) -> Tidy:
    """Sweep the claims (dead runs failed, expired launches released) and settle the finished runs
    still holding claims plus `also`; every path calls this before it takes claims of its own."""
    report = Tidy(claims.sweep(store, instance, wall))
    for run_id in dict.fromkeys([*report.sweep.to_settle, *also]):
        try:
            settlement = settle_run(instance, run_id, store, bus, now, warehouse, wall)
        except Exception as exc:  # noqa: BLE001 - one run that cannot be settled never blocks the rest
            report.failed[run_id] = (
                f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            )
            continue
        if settlement.status != "skipped":
            report.settled.append(settlement)
    return report
