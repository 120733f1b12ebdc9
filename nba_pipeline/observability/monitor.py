"""Conditions watched on the clock (every 5 minutes): a stuck date, a predicted SLO miss, a missed SLO.

Each condition has a dedupe key per date, so it alerts once, escalates once (stuck past 4 hours
turns critical), and is cleared when it ends — the next occurrence alerts again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nba_pipeline.modes import Mode, date_mode
from nba_pipeline.observability.alerts import Alert
from nba_pipeline.observability.eta import eta
from nba_pipeline.observability.slo import Timeline, deadline, evaluate

STUCK_AFTER = timedelta(hours=2)
ESCALATE_AFTER = timedelta(hours=4)


def watch(
    t: Timeline, now: datetime, medians: dict[int, float], gap: float, running: dict
) -> tuple[list[Alert], list[str]]:
    """The alerts a date deserves now, and the dedupe keys of its conditions that have cleared."""
    day, alerts, cleared = t.game_date, [], []
    stuck, late = f"pipeline_stuck:{day}", f"predicted_slo_miss:{day}"
    exported = t.exported_at is not None
    waited = now - t.first_phase2_at if t.first_phase2_at else None
    if not exported and waited is not None and waited > STUCK_AFTER and date_mode(day, now) is Mode.SAME_DAY:
        severity = "critical" if waited > ESCALATE_AFTER else "error"
        hours = waited.total_seconds() / 3600
        alerts.append(
            Alert(
                "pipeline_stuck",
                severity,
                f"Pipeline stuck: {day} has had Phase 2 data for {hours:.1f} h and no export",
                stuck,
                day,
                None,
                {"first_phase2_at": t.first_phase2_at.isoformat()},
                f"/status/{day}",
            )
        )
    elif exported:
        cleared.append(stuck)
    due, expected = deadline(t), None
    if not exported and due is not None:
        expected = eta(t, now, medians, gap, running)
    if expected is not None and expected > due:
        alerts.append(
            Alert(
                "predicted_slo_miss",
                "warning",
                f"{day} ({t.mode.value}) will export at {expected:%H:%M} UTC, after its {due:%H:%M} UTC deadline",
                late,
                day,
                None,
                {"eta": expected.isoformat(), "deadline": due.isoformat()},
                f"/status/{day}",
            )
        )
    else:
        cleared.append(late)
    if exported:
        for r in evaluate([t]):
            if not r.ok:
                alerts.append(
                    Alert(
                        "slo_violated",
                        "error",
                        f"SLO {r.name} missed on {day}: {r.value} vs target {r.target}",
                        f"slo_violated:{r.name}:{day}",
                        day,
                        None,
                        r.to_json(),
                        f"/status/{day}",
                    )
                )
    return alerts, cleared


def monitor(instance, warehouse, store, days: list, now: datetime) -> tuple[list[Alert], list[str]]:
    """Watch the dates; send what is news, clear what ended. Returns (sent, cleared)."""
    from nba_pipeline.observability.alerts import make_sink
    from nba_pipeline.observability.eta import typical
    from nba_pipeline.observability.status import running_by_date
    from nba_pipeline.observability.timelines import load_timelines, recent_durations

    timelines = load_timelines(warehouse, min(days), max(days), now)
    medians, gap = typical(*recent_durations(warehouse, now))
    running = running_by_date(instance, store, now)
    alerts, cleared = [], []
    for day, t in timelines.items():
        found, ended = watch(t, now, medians, gap, {p: s for (p, d), s in running.items() if d == day})
        alerts += found
        cleared += ended
    sink = make_sink(warehouse)
    return sink.send(alerts, now), sink.resolve(cleared, now)
