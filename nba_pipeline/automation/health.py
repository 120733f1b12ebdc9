"""The 08:00 ET daily health summary: yesterday's and today's dates in one message to the alert sink."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from nba_pipeline.automation.schedules import ET, HEALTH, tick_key
from nba_pipeline.automation.triggering import send_alerts
from nba_pipeline.observability.alerts import Alert
from nba_pipeline.observability.slo import evaluate
from nba_pipeline.observability.tables import ALERTS
from nba_pipeline.observability.timelines import load_timelines
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import et_date, utc_naive
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.warehouse import Warehouse, WarehouseResource


def health_summary(warehouse: Warehouse, store: CoordinationStore, now: datetime) -> tuple[str, dict]:
    """Yesterday's and today's dates, SLOs, alerts, heals and slow phases of the last day, in one line
    (and the details behind it)."""
    today = et_date(now)
    days = [today - timedelta(days=1), today]
    timelines = load_timelines(warehouse, days[0], days[1], now)
    dates = {}
    for day in days:
        done = {p: sum(c.status != "failed" for c in store.completions(day, p)) for p in range(2, 7)}
        missed = [r.name for r in evaluate([timelines[day]]) if not r.ok]
        dates[day.isoformat()] = {"completions": done, "slo_missed": missed}
    warehouse.ensure(ALERTS)
    raised = warehouse.query(
        f"SELECT kind, severity, summary FROM {warehouse.ref(ALERTS)} WHERE raised_at >= $since AND severity != 'resolved'"
        " AND kind != 'daily_health_summary'",
        {"since": utc_naive(now - timedelta(days=1))},
    )
    kinds = raised.kind.value_counts().to_dict()
    heals = list(raised[raised.kind == "self_heal"].summary)
    slow = list(raised[raised.kind == "slow_phase"].summary)
    parts = [
        f"{d}: "
        + " ".join(f"P{p} {n}" for p, n in v["completions"].items())
        + (f", SLO missed: {', '.join(v['slo_missed'])}" if v["slo_missed"] else ", SLOs met")
        for d, v in dates.items()
    ]
    alerts_part = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
    summary = f"Daily health — {' | '.join(parts)} | alerts in 24 h: {alerts_part}; heals: {len(heals)}; slow phases: {len(slow)}"
    return summary, {"dates": dates, "alerts": kinds, "heals": heals, "slow_phases": slow}


@dg.op(name="daily_health_summary")
def daily_health_summary_op(
    context,
    clock: ClockResource,
    warehouse: WarehouseResource,
    coordination: CoordinationResource,
) -> str:
    now, store, wh = clock.now(), coordination.store(), warehouse.get()
    summary, details = health_summary(wh, store, now)
    key = f"daily_health_summary:{et_date(now)}"
    send_alerts(wh, [Alert("daily_health_summary", "info", summary, key, details=details)], now)
    context.log.info(summary)
    return summary


@dg.job(name="daily_health_summary_job", tags={"nba/kind": "health"})
def daily_health_summary_job():
    daily_health_summary_op()


@dg.schedule(
    name=HEALTH[0],
    cron_schedule=f"{HEALTH[2]} {HEALTH[1]} * * *",
    execution_timezone=ET,
    job=daily_health_summary_job,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def daily_health_summary_schedule(
    context: dg.ScheduleEvaluationContext, clock: ClockResource, coordination: CoordinationResource
):
    now = context.scheduled_execution_time or clock.now()
    coordination.store().mark_processed(tick_key(HEALTH[0], now), now)
    return dg.RunRequest(run_key=f"health-{et_date(now)}")
