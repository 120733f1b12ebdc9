"""The 08:00 ET daily health summary: yesterday's and today's dates in one message to the alert sink."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg

from nba_pipeline.automation.schedules import ET, HEALTH, tick_key
from nba_pipeline.automation.triggering import send_alerts
from nba_pipeline.observability.alerts import Alert
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.partitions import et_date
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.warehouse import WarehouseResource


def date_summary(store: CoordinationStore, day: date) -> str:
    """`2024-01-15: P2 5/5 P3 5/5 P4 0/5 …` — processors completed (not failed) per phase."""
    parts = []
    for phase in range(2, 7):
        done = store.completions(day, phase)
        ok = sum(c.status != "failed" for c in done)
        failed = len(done) - ok
        parts.append(f"P{phase} {ok}" + (f" ({failed} failed)" if failed else ""))
    return f"{day}: " + ", ".join(parts)


@dg.op(name="daily_health_summary")
def daily_health_summary_op(
    context,
    clock: ClockResource,
    warehouse: WarehouseResource,
    coordination: CoordinationResource,
) -> str:
    now, store = clock.now(), coordination.store()
    today = et_date(now)
    lines = [date_summary(store, d) for d in (today - timedelta(days=1), today)]
    summary = "Daily health: " + " | ".join(lines)
    send_alerts(
        warehouse.get(),
        [
            Alert(
                "daily_health_summary",
                "info",
                summary,
                f"daily_health_summary:{today}",
                details={"dates": lines},
            )
        ],
        now,
    )
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
