"""Fallback schedules (DOMAIN §6, ET): they catch what the cascade missed, through the same claim.

Schedules are code and default to running. Every tick records itself in the coordination store, so
an expected tick that never happened (a stopped daemon, a deleted schedule) is reported by the
wall-clock recovery sensor (DOMAIN §8 item 16).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg

from nba_pipeline.automation.jobs import TOMORROW_ASSETS, daily_selection
from nba_pipeline.automation.triggering import (
    Outcome,
    TriggerContext,
    request_phase,
    send_alerts,
    trigger_context,
)
from nba_pipeline.modes import Mode, date_mode
from nba_pipeline.observability.alerts import Alert
from nba_pipeline.observability.audit import Event, write_events
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import et_date, et_datetime, to_et
from nba_pipeline.preflight import failing, platform_checks
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import WarehouseResource

ET = "America/New_York"
TICK_GRACE = timedelta(minutes=15)  # a tick this late is missing


@dataclass(frozen=True)
class Fallback:
    name: str
    hour: int
    minute: int
    phases: tuple[int, ...]
    day_offset: int  # -1 yesterday, 0 today, +1 tomorrow (ET)
    mode: Mode

    @property
    def schedule_name(self) -> str:
        return f"{self.name}_schedule"

    @property
    def cron(self) -> str:
        return f"{self.minute} {self.hour} * * *"


FALLBACKS = (
    Fallback("overnight_analytics", 6, 0, (3,), -1, Mode.OVERNIGHT),
    Fallback("overnight_precompute", 7, 0, (4,), -1, Mode.OVERNIGHT),
    Fallback("same_day_analytics", 10, 30, (3,), 0, Mode.SAME_DAY),
    Fallback("same_day_precompute_predictions", 11, 0, (4, 5), 0, Mode.SAME_DAY),
    Fallback("tomorrow_contexts", 17, 0, (3,), 1, Mode.TOMORROW),
)
SELF_HEAL = Fallback("self_heal", 12, 45, (3, 4, 5, 6), 0, Mode.SAME_DAY)
HEALTH = ("daily_health_summary_schedule", 8, 0)
EXPECTED_TICKS = {f.schedule_name: (f.hour, f.minute) for f in (*FALLBACKS, SELF_HEAL)} | {
    HEALTH[0]: HEALTH[1:]
}


def tick_key(name: str, at: datetime) -> str:
    return f"tick:{name}:{to_et(at):%Y-%m-%dT%H:%M}"


def missed_ticks(store: CoordinationStore, since: datetime, now: datetime) -> list[tuple[str, datetime]]:
    """(schedule, ET time) of every tick expected in (since, now - grace] that left no record."""
    missed = []
    for name, (hour, minute) in EXPECTED_TICKS.items():
        day = et_date(since)
        while day <= et_date(now):
            at = et_datetime(day, hour, minute)
            if since < at <= now - TICK_GRACE and not store.is_processed(tick_key(name, at)):
                missed.append((name, at))
            day += timedelta(days=1)
    return sorted(missed, key=lambda m: m[1])


def missed_tick_alerts(store: CoordinationStore, now: datetime, since: datetime | None = None) -> list[Alert]:
    since = since or now - timedelta(days=1)
    return [
        Alert(
            kind="schedule_tick_missing",
            severity="error",
            summary=f"Schedule {name} expected a tick at {at:%Y-%m-%d %H:%M} ET and none happened",
            dedupe_key=f"schedule_tick_missing:{name}:{at:%Y-%m-%dT%H:%M}",
            details={"schedule": name, "expected_at": at.isoformat()},
            link=f"/automation/schedules/{name}",
        )
        for name, at in missed_ticks(store, since, now)
    ]


def _selection(fallback: Fallback) -> dg.AssetSelection:
    if fallback.mode is Mode.TOMORROW:
        return dg.AssetSelection.assets(*TOMORROW_ASSETS)
    selection = daily_selection(fallback.phases[0])
    for phase in fallback.phases[1:]:
        selection = selection | daily_selection(phase)
    return selection


def _tick(context: dg.ScheduleEvaluationContext, clock: ClockResource) -> datetime:
    return context.scheduled_execution_time or clock.now()


def _result(outcomes: list[Outcome]) -> list[dg.RunRequest] | dg.SkipReason:
    launched = [o.run_request(with_job=False) for o in outcomes if o.status == "launched"]
    return launched or dg.SkipReason("; ".join(o.line() for o in outcomes))


def platform_schedule(
    spec: Fallback, description: str, evaluate: Callable[[TriggerContext, datetime], Any]
) -> dg.ScheduleDefinition:
    """A schedule that records its tick, then lets `evaluate` request through the claims."""

    @dg.schedule(
        name=spec.schedule_name,
        cron_schedule=spec.cron,
        execution_timezone=ET,
        target=_selection(spec),
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description,
    )
    def _schedule(
        context: dg.ScheduleEvaluationContext,
        clock: ClockResource,
        warehouse: WarehouseResource,
        source: SourceResource,
        coordination: CoordinationResource,
    ):
        now = _tick(context, clock)
        ctx = trigger_context(context, clock, warehouse, source, coordination, spec.name, now)
        ctx.store.mark_processed(tick_key(spec.schedule_name, now), now)
        # --- pre-flight (issue 12; DOMAIN §8 item 11): no trigger while a part it needs is down ---
        down = failing(platform_checks(lambda: ctx.warehouse, lambda: ctx.store, coordination.bus))
        if down:
            return dg.SkipReason("pre-flight failed: " + "; ".join(down))
        # --- end pre-flight ---
        return evaluate(ctx, now)

    return _schedule


def fallback_schedule(fallback: Fallback) -> dg.ScheduleDefinition:
    def evaluate(ctx: TriggerContext, now: datetime):
        day = et_date(now) + timedelta(days=fallback.day_offset)
        return _result(
            [
                request_phase(ctx, phase, day, fallback.mode, "schedule", train_model=False)
                for phase in fallback.phases
            ]
        )

    phases = ", ".join(map(str, fallback.phases))
    return platform_schedule(fallback, f"Fallback: phase(s) {phases} in {fallback.mode.value} mode", evaluate)


def heal(ctx: TriggerContext, days: list[date]) -> tuple[list[Outcome], list[Alert]]:
    """What should exist by now and does not: a phase whose upstream data exists for the date and
    whose own output does not. Re-triggers exactly those, and says so in one alert."""
    from nba_pipeline.observability.status import done_by_date

    done = done_by_date(ctx.instance, days)
    outcomes = []
    for day in days:
        for phase in SELF_HEAL.phases:
            if done.get((phase, day)):
                continue
            outcome = request_phase(ctx, phase, day, date_mode(day, ctx.now), "self_heal", train_model=False)
            if outcome.version is not None:  # upstream exists: this should have run
                outcomes.append(outcome)
    healed = [o for o in outcomes if o.status == "launched"]
    alerts = []
    write_events(
        ctx.warehouse,
        [
            Event(
                "heal",
                ctx.now,
                o.game_date,
                o.phase,
                o.tags.get("nba/mode", ""),
                o.tags.get("nba/correlation_id", ""),
                triggered_phase=o.phase,
                trigger_source="self_heal",
                claimant=ctx.claimant,
                details={"reason": o.reason},
            )
            for o in healed
        ],
        ctx.now,
    )
    if healed:
        what = ", ".join(f"phase {o.phase} {o.game_date}" for o in healed)
        alerts.append(
            Alert(
                kind="self_heal",
                severity="warning",
                summary=f"Self-heal re-triggered what the cascade missed: {what}",
                dedupe_key=f"self_heal:{what}:{ctx.now:%Y-%m-%d}",
                details={
                    "healed": [o.line() for o in healed],
                    "held": [o.line() for o in outcomes if o not in healed],
                },
            )
        )
    return outcomes, alerts


def _self_heal(ctx: TriggerContext, now: datetime):
    today = et_date(now)
    outcomes, alerts = heal(ctx, [today - timedelta(days=1), today])
    send_alerts(ctx.warehouse, alerts, now)
    return _result(outcomes) if outcomes else dg.SkipReason("nothing to heal")


self_heal_schedule = platform_schedule(
    SELF_HEAL, "Re-trigger whatever should exist by now for today and yesterday and does not", _self_heal
)


SCHEDULES = [*(fallback_schedule(f) for f in FALLBACKS), self_heal_schedule]
