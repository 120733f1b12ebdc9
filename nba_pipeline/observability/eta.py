"""When a date's export will exist, from how long each phase usually takes (DOMAIN §7 status view)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from nba_pipeline.observability.slo import Timeline

DEFAULT_SECONDS = {2: 120.0, 3: 60.0, 4: 120.0, 5: 120.0, 6: 30.0}  # before any history
DEFAULT_GAP_SECONDS = 30.0  # from one phase's end to the next one's start (the cascade's reaction)
EXPORT_PHASE = 6


def typical(durations: dict[int, list[float]], gaps: list[float]) -> tuple[dict[int, float], float]:
    """Median duration per phase (defaults where there is no history) and the median gap."""
    medians = {
        p: statistics.median(durations[p]) if durations.get(p) else s for p, s in DEFAULT_SECONDS.items()
    }
    return medians, statistics.median(gaps) if gaps else DEFAULT_GAP_SECONDS


def eta(
    t: Timeline,
    now: datetime,
    medians: dict[int, float],
    gap: float,
    running: dict[int, datetime] | None = None,
) -> datetime | None:
    """The export's completion time: done already, or now plus what is left — a running phase's
    remaining median (never negative), then each phase not yet done: the gap and its median."""
    if t.exported_at is not None:
        return t.exported_at
    running = running or {}
    remaining = 0.0
    for phase in range(2, EXPORT_PHASE + 1):
        span = t.phases.get(phase)
        if span is not None and span.completed_at is not None and span.status != "failed":
            continue
        if phase in running:
            elapsed = (now - running[phase]).total_seconds()
            remaining += max(medians[phase] - elapsed, 0.0)
        else:
            remaining += gap + medians[phase]
    return now + timedelta(seconds=remaining)
