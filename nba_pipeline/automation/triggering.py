"""Requesting a phase for a game date: the one path every trigger takes (DOMAIN §6).

Cascade sensors, fallback schedules, self-heal and a person's `nba-pipeline trigger` all call
`request_phase`: upstream version → existing claim → breaker → upstream still running → readiness →
atomic claim → a run request whose key names the version and the claim's attempt. Exactly one
caller wins a (phase, date, version); the mode is recorded on the claim, never part of its key.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

import dagster as dg

from nba_pipeline.automation.jobs import (
    MODEL_JOB,
    TOMORROW_ASSETS,
    TOMORROW_JOB,
    phase_assets,
    phase_job_name,
)
from nba_pipeline.modes import Mode
from nba_pipeline.observability.alerts import Alert, make_sink
from nba_pipeline.observability.audit import Event, write_events
from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.claims import MODEL_TARGET, Claim, target_of
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import week_of
from nba_pipeline.phases.predictions.keys import POINTS_MODEL
from nba_pipeline.resources.warehouse import Warehouse
from nba_pipeline.tags import CLAIM, CLAIM_ATTEMPT, RANGE_END, RANGE_START, new_correlation_id, run_tags

IN_FLIGHT = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
)


@dataclass(frozen=True)
class TriggerContext:
    """What a trigger needs, whoever pulls it."""

    instance: dg.DagsterInstance
    warehouse: Warehouse
    store: CoordinationStore
    feeds: frozenset[str]
    now: datetime  # the business clock: which game date is today, is a game final
    wall: Callable[[], datetime]  # the wall clock: claim leases, breaker timeouts (read at each use)
    claimant: str  # the sensor, schedule or person asking
    extra_tags: dict[str, str] = field(default_factory=dict)  # source, scenario


def trigger_context(
    context, clock, warehouse, source, coordination, claimant: str, now: datetime | None = None
) -> TriggerContext:
    """A TriggerContext from Dagster resources, for a sensor, a schedule or an asset's admission."""
    return TriggerContext(
        instance=context.instance,
        warehouse=warehouse.get(),
        store=coordination.store(),
        feeds=source.active_feeds(),
        now=now or clock.now(),
        wall=clock.wall_now,
        claimant=claimant,
        extra_tags={"source": source.name, "scenario": source.scenario},
    )


@dataclass(frozen=True)
class Outcome:
    phase: int
    game_date: date
    status: str  # launched | taken | held
    reason: str
    version: str | None = None
    claim: Claim | None = None
    job_name: str | None = None
    asset_selection: tuple[dg.AssetKey, ...] = ()
    partition_key: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    recheck_at: datetime | None = None  # a WAIT: when to look again; None: not before new data
    decision: object | None = None  # the readiness Decision, when one was made
    check_seconds: float | None = None  # how long the readiness check took

    @property
    def run_key(self) -> str | None:
        if self.claim is None or self.status != "launched":
            return None
        return f"p{self.phase}-{self.game_date}-{self.version[:16]}-a{self.claim.attempt}"

    def run_request(self, with_job: bool = True) -> dg.RunRequest:
        return dg.RunRequest(
            run_key=self.run_key,
            job_name=self.job_name if with_job else None,
            asset_selection=list(self.asset_selection),
            partition_key=self.partition_key,
            tags=self.tags,
        )

    def line(self) -> str:
        return f"phase {self.phase} {self.game_date}: {self.status} — {self.reason}"


def upstream_versions(instance: dg.DagsterInstance, phase: int, days: list[date]) -> dict[date, str | None]:
    """Per date, a digest of the latest materialization of each of phase N-1's assets (Dagster's own
    runs and the outside loaders' runless events alike); None when nothing upstream exists. One
    event-log query per upstream asset, whatever the number of dates."""
    wanted = {d.isoformat() for d in days}
    latest: dict[str, list[str]] = {iso: [] for iso in wanted}
    for name, key in phase_assets(phase - 1).items():
        ids = instance.get_latest_storage_id_by_partition(
            key, dg.DagsterEventType.ASSET_MATERIALIZATION, wanted
        )
        for iso, storage_id in ids.items():
            if iso in latest:
                latest[iso].append(f"{name}@{storage_id}")
    return {
        date.fromisoformat(iso): hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:20]
        if parts
        else None
        for iso, parts in latest.items()
    }


def upstream_version(instance: dg.DagsterInstance, phase: int, day: date) -> str | None:
    return upstream_versions(instance, phase, [day])[day]


def upstream_running(instance: dg.DagsterInstance, phase: int, day: date) -> str | None:
    """The id of a run of phase N-1 in flight that covers the date (its data is not final yet)."""
    for run in instance.get_runs(dg.RunsFilter(statuses=list(IN_FLIGHT), tags={"nba/phase": str(phase - 1)})):
        tags = run.tags
        if tags.get("dagster/partition") == day.isoformat():
            return run.run_id
        if RANGE_START in tags and tags[RANGE_START] <= day.isoformat() <= tags[RANGE_END]:
            return run.run_id
    return None


def correlation_of(store: CoordinationStore, phase: int, day: date) -> str:
    """The correlation id of the date's first upstream completion: it flows through every later run."""
    done = sorted(store.completions(day, phase - 1), key=lambda c: c.completed_at)
    return done[0].correlation_id if done else new_correlation_id()


def _taken(phase: int, day: date, version: str, held: Claim) -> Outcome:
    by = f"{held.holder} ({held.trigger}, {held.mode})"
    run = f", run {held.run_id}" if held.run_id else ""
    if held.state == claims.DONE:
        reason = f"already built for this version by {by} at {held.claimed_at:%Y-%m-%d %H:%M} UTC{run}; --force builds it again"
    else:
        reason = f"already claimed by {by} at {held.claimed_at:%Y-%m-%d %H:%M} UTC; it holds it{run}"
    return Outcome(phase, day, "taken", reason, version, held)


def _never_launched_by_me(ctx: TriggerContext, held: Claim, trigger: str) -> bool:
    """The cascade sensor's own claim whose request never became a run: evaluated by the UI's Test
    Sensor, or lost by the daemon. (A sensor's evaluations are the daemon's one at a time, and a
    dry run launches nothing: asking again cannot start a second run. A person's commands may run
    side by side, so theirs are never asked again.)"""
    if trigger != "cascade" or held.trigger != "cascade" or held.holder != ctx.claimant:
        return False
    if held.state != claims.CLAIMED or held.run_id is not None:
        return False
    tags = {CLAIM: held.key, CLAIM_ATTEMPT: str(held.attempt)}
    return not ctx.instance.get_run_ids(dg.RunsFilter(tags=tags), limit=1)


def _job_and_assets(phase: int, mode: Mode) -> tuple[str, tuple[dg.AssetKey, ...]]:
    if phase == 3 and mode is Mode.TOMORROW:  # before the games: only the contexts can be built
        return TOMORROW_JOB, TOMORROW_ASSETS
    from nba_pipeline.observability.assets import PIPELINE_STATUS

    status = (PIPELINE_STATUS,) if phase == 6 else ()  # the status view is rebuilt with every export
    return phase_job_name(phase), (*phase_assets(phase).values(), *status)


def _model_missing(instance: dg.DagsterInstance, day: date) -> bool:
    return not instance.get_latest_storage_id_by_partition(
        POINTS_MODEL, dg.DagsterEventType.ASSET_MATERIALIZATION, {week_of(day).isoformat()}
    )


def request_phase(
    ctx: TriggerContext,
    phase: int,
    day: date,
    mode: Mode,
    trigger: str,
    force: bool = False,
    train_model: bool = True,
) -> Outcome:
    """Launch (claim and describe the run), or say who already has it, or why it is held back. The
    readiness check records itself and raises its own FAIL / WAIT alerts (deduplicated); the
    outcome is an orchestration event when it says something new (a launch, a decision, a person
    or schedule finding the claim taken)."""
    outcome = _request(ctx, phase, day, mode, trigger, force, train_model)
    event = outcome_event(ctx, outcome, mode, trigger)
    if event is not None:
        write_events(ctx.warehouse, [event], ctx.now)
    return outcome


def outcome_event(ctx: TriggerContext, outcome: Outcome, mode: Mode, trigger: str) -> Event | None:
    decision = outcome.decision
    if outcome.status == "launched":
        kind = "trigger"
    elif decision is not None:
        kind = "decision"
    elif outcome.status == "taken" and trigger != "cascade":
        kind = "claim_taken"
    else:  # nothing upstream yet, a breaker or a running upstream: the sensor's skip reason says so
        return None
    return Event(
        kind,
        ctx.now,
        outcome.game_date,
        outcome.phase,
        mode.value,
        outcome.tags.get("nba/correlation_id", "") or (outcome.claim.correlation_id if outcome.claim else ""),
        decision=decision.decision.value if decision is not None else None,
        triggered_phase=outcome.phase if kind == "trigger" else None,
        trigger_source=trigger,
        claimant=outcome.claim.holder if outcome.claim else ctx.claimant,
        duration_seconds=outcome.check_seconds,
        details={
            "reason": outcome.reason,
            "version": outcome.version,
            "attempt": outcome.claim.attempt if outcome.claim else None,
            "asker": ctx.claimant,
            "completeness": getattr(decision, "completeness", None),
            "quality": getattr(decision, "quality", None),
            "reasons": getattr(decision, "reasons", None),
        },
    )


def _request(
    ctx: TriggerContext, phase: int, day: date, mode: Mode, trigger: str, force: bool, train_model: bool
) -> Outcome:
    from nba_pipeline.orchestration.dependency import check

    version = upstream_version(ctx.instance, phase, day)
    if version is None:
        return Outcome(phase, day, "held", f"nothing of phase {phase - 1} has been materialized for {day}")
    if force:  # a person's new version on purpose
        version = f"{version}+force-{uuid.uuid4().hex[:8]}"
    held = ctx.store.get_claim(claims.claim_key(target_of(phase), day, version))
    again = held if held is not None and _never_launched_by_me(ctx, held, trigger) else None
    if held is not None and held.state != claims.RELEASED and again is None:
        return _taken(phase, day, version, held)
    gate = breaker.state_of(ctx.store, target_of(phase), day, ctx.wall(), version)
    if not gate.allows_run:
        retry = gate.opened_at + breaker.RETRY_AFTER
        reason = f"circuit breaker open after {gate.failures} failures; half-opens at {retry:%H:%M} UTC or on new data"
        return Outcome(phase, day, "held", reason, version, recheck_at=ctx.now + (retry - ctx.wall()))
    running = upstream_running(ctx.instance, phase, day)
    if running:
        return Outcome(
            phase,
            day,
            "held",
            f"phase {phase - 1} run {running} is still writing {day}",
            version,
            recheck_at=ctx.now,
        )
    correlation_id = correlation_of(ctx.store, phase, day)
    if phase == 5 and _model_missing(ctx.instance, day):
        # DOMAIN §5: the week's model is trained first when it can be; Phase 5 never waits for one
        # that cannot (a failed or impossible training, or a path that does not train): the baseline
        # predicts and the model system says why it wrote nothing.
        tried = ctx.store.get_claim(claims.claim_key(MODEL_TARGET, week_of(day), "points_model"))
        if tried is not None and tried.active:
            reason = f"training the model of the week of {week_of(day)} first (claimed by {tried.holder})"
            return Outcome(5, day, "held", reason, version, recheck_at=ctx.now)
        if tried is None and train_model:
            return _request_model(ctx, day, mode, trigger, correlation_id)
    began = time.monotonic()
    decision = check(
        ctx.warehouse,
        ctx.store,
        phase,
        [day],
        mode,
        ctx.now,
        ctx.feeds,
        correlation_id,
        ctx.instance,
        record=True,
        versions={day: version},
    )[day]
    seconds = round(time.monotonic() - began, 4)
    if not decision.decision.runs:
        return Outcome(
            phase,
            day,
            "held",
            f"{decision.decision.value}: {decision.reasons[0]}",
            version,
            recheck_at=decision.recheck_at,
            decision=decision,
            check_seconds=seconds,
        )
    if again is not None:
        claim = claims.request_again(ctx.store, again, ctx.wall())
        if claim is None:  # its run appeared (or it was released) meanwhile
            return _taken(phase, day, version, ctx.store.get_claim(again.key) or again)
    else:
        won = _take(ctx, target_of(phase), day, version, mode.value, trigger, correlation_id, None)
        if not won.won:
            return _taken(phase, day, version, won.claim)
        claim = won.claim
    with releasing_on_error(ctx, claim):
        job, keys = _job_and_assets(phase, mode)
        tags = run_tags(phase, mode.value, trigger, claim.correlation_id, **ctx.extra_tags) | claim_tags(
            claim
        )
        tags |= {"nba/decision": decision.decision.value, "nba/quality": f"{decision.quality:.4f}"}
        if decision.decision.value == "PROCEED_DEGRADED":
            tags |= {
                "nba/degraded": "true",
                "nba/degraded_inputs": ",".join(sorted({*decision.short, *decision.missing_optional})),
            }
    return Outcome(
        phase,
        day,
        "launched",
        decision.decision.value,
        version,
        claim,
        job,
        keys,
        day.isoformat(),
        tags,
        decision=decision,
        check_seconds=seconds,
    )


def _request_model(ctx: TriggerContext, day: date, mode: Mode, trigger: str, correlation_id: str) -> Outcome:
    """Predictions for a date need the week's model first: train it (once per week) and come back."""
    week = week_of(day)
    won = _take(ctx, MODEL_TARGET, week, "points_model", mode.value, trigger, correlation_id, None)
    if not won.won:
        return Outcome(
            5,
            day,
            "held",
            f"waiting for the model of the week of {week} (claimed by {won.claim.holder})",
            recheck_at=ctx.now,
        )
    tags = run_tags(5, mode.value, trigger, correlation_id, **ctx.extra_tags) | claim_tags(won.claim)
    return Outcome(
        5,
        day,
        "launched",
        f"training the model of the week of {week} first",
        "points_model",
        won.claim,
        MODEL_JOB,
        (POINTS_MODEL,),
        week.isoformat(),
        tags,
    )


def claim_tags(claim: Claim) -> dict[str, str]:
    """What tells any process which claim a one-date run was launched under (its fencing token too)."""
    return {CLAIM: claim.key, CLAIM_ATTEMPT: str(claim.attempt)}


@contextmanager
def releasing_on_error(ctx: TriggerContext, claim: Claim) -> Iterator[None]:
    """A claim won for a request that then fails to go out is released at once, in the same tick."""
    try:
        yield
    except BaseException:
        claims.release(
            ctx.store, claim.key, claim.attempt, "the request failed before it was sent", ctx.wall()
        )
        raise


def send_alerts(warehouse: Warehouse, alerts: list[Alert], now: datetime) -> list[Alert]:
    return make_sink(warehouse).send(alerts, now)


def claim_dates(
    ctx: TriggerContext,
    target: str,
    days: list[date],
    mode: str,
    trigger: str,
    correlation_id: str,
    run_id: str,
    force: bool = False,
    rerun_done: bool = False,
) -> tuple[dict[date, Claim], dict[date, str]]:
    """Claims for dates a process runs itself (a person's run, a backfill, a run launched from the UI),
    bound at once to the run about to execute them: the dates won, and for the others who holds them.
    A date already built for the same version is not built again (whoever built it: the cascade, an
    earlier command) unless `force` makes a new version on purpose, like `trigger --force` — or
    `rerun_done`: a person's launch from the UI asks for exactly that; what someone is running right
    now is never run twice. The weekly model's claims are keyed by their
    Monday, like the cascade's."""
    if target == MODEL_TARGET:
        versions = dict.fromkeys(days, "points_model")
    else:
        versions = upstream_versions(ctx.instance, int(target), days)
    won, taken = {}, {}
    for day in days:
        version = versions[day] or "nothing-upstream"
        if force:
            version = f"{version}+force-{uuid.uuid4().hex[:8]}"
        result = _take(ctx, target, day, version, mode, trigger, correlation_id, run_id)
        if rerun_done and not result.won and result.claim.state == claims.DONE:
            version = f"{version}+rerun-{uuid.uuid4().hex[:8]}"
            result = _take(ctx, target, day, version, mode, trigger, correlation_id, run_id)
        if result.won or result.claim.run_id == run_id:  # ours, or already bound to this very run
            won[day] = result.claim
        else:
            taken[day] = _taken(result.claim.phase, day, version, result.claim).reason
    return won, taken


def _take(ctx, target, day, version, mode, trigger, correlation_id, run_id) -> claims.Taken:
    return claims.take(
        ctx.store, target, day, version, ctx.claimant, mode, trigger, correlation_id, ctx.wall(), run_id
    )
