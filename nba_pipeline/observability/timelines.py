"""Timelines from the audit tables: what happened to each game date, phase by phase."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from nba_pipeline.modes import Mode, date_mode
from nba_pipeline.observability.slo import PhaseSpan, Timeline
from nba_pipeline.observability.tables import ORCHESTRATION_EVENTS, PHASE_COMPLETION_LOG
from nba_pipeline.resources.warehouse import Warehouse, read_dates

HISTORY = timedelta(days=7)


def _aware(value) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime().replace(tzinfo=UTC)


def number(value) -> float | None:
    """A warehouse cell as a float, None for a missing one (None or NaN)."""
    return None if value is None or pd.isna(value) else float(value)


def _span(row) -> PhaseSpan:
    return PhaseSpan(
        int(row.phase),
        _aware(row.started_at),
        _aware(row.completed_at),
        number(row.completeness),
        number(row.quality),
        row.trigger_source,
        row.status,
    )


def _external_phase2(events: pd.DataFrame) -> PhaseSpan | None:
    """Phase 2 loaded outside Dagster: its span from the completion envelopes."""
    done = events[(events.event_type == "completion") & (events.phase == 2) & (events.status != "failed")]
    if done.empty:
        return None
    last = done[done.run_id == done.sort_values("event_time").run_id.iloc[-1]]  # the latest load
    end = max(_aware(t) for t in last.event_time)
    longest = max((number(d) or 0.0) for d in last.duration_seconds)
    return PhaseSpan(2, end - timedelta(seconds=longest), end, 1.0, None, "external")


def _duplicates(events: pd.DataFrame) -> int:
    """Triggers launched more than once for one claim (phase, version, attempt): must stay 0."""
    triggers = events[events.event_type == "trigger"]
    keys = Counter(
        (int(p), d.get("version"), d.get("attempt"))
        for p, d in zip(triggers.phase, map(json.loads, triggers.details), strict=True)
    )
    return sum(n - 1 for n in keys.values() if n > 1)


def load_timelines(warehouse: Warehouse, start: date, end: date, now: datetime) -> dict[date, Timeline]:
    with warehouse.session():
        log = read_dates(warehouse, PHASE_COMPLETION_LOG, start, end)
        events = read_dates(warehouse, ORCHESTRATION_EVENTS, start, end)
    out = {}
    day = start
    while day <= end:
        rows = log[log.game_date == day].sort_values(["completed_at"], na_position="first")
        mine = events[events.game_date == day]
        modes = [m for m in rows["mode"] if m in Mode._value2member_map_]
        mode = Mode(modes[-1]) if modes else date_mode(day, now)
        phases = {}
        for phase, group in rows.groupby("phase"):
            good = group[group.status != "failed"]
            phases[int(phase)] = _span((good if not good.empty else group).iloc[-1])
        if 2 not in phases and (external := _external_phase2(mine)) is not None:
            phases[2] = external
        p2 = mine[(mine.event_type == "completion") & (mine.phase == 2) & (mine.status != "failed")]
        first = min((_aware(t) for t in p2.event_time), default=None)
        if first is None and 2 in phases:
            first = phases[2].completed_at
        checks = mine[mine.event_type.isin(["decision", "trigger"]) & mine.duration_seconds.notna()]
        out[day] = Timeline(
            day, mode, phases, first, [float(s) for s in checks.duration_seconds], _duplicates(mine)
        )
        day += timedelta(days=1)
    return out


def recent_durations(
    warehouse: Warehouse, now: datetime, exclude_run: str | None = None
) -> tuple[dict[int, list[float]], list[float]]:
    """The trailing week's phase durations (one per run) and cascade gaps (phase N end → N+1 start);
    `exclude_run`: leave out a run being judged against the others."""
    warehouse.ensure(PHASE_COMPLETION_LOG)
    log = warehouse.query(
        f"SELECT game_date, phase, run_id, started_at, completed_at, duration_seconds FROM {warehouse.ref(PHASE_COMPLETION_LOG)}"
        " WHERE status != 'failed' AND duration_seconds IS NOT NULL AND loaded_at >= $since"
        " AND run_id != $exclude",
        {"since": (now - HISTORY).astimezone(UTC).replace(tzinfo=None), "exclude": exclude_run or ""},
    )
    durations: dict[int, list[float]] = {}
    for (phase, _), seconds in log.groupby(["phase", "run_id"]).duration_seconds.max().items():
        durations.setdefault(int(phase), []).append(float(seconds))
    gaps = []
    for _, rows in log.groupby("game_date"):
        by_phase = {int(r.phase): r for r in rows.itertuples()}
        for phase, row in by_phase.items():
            nxt = by_phase.get(phase + 1)
            if nxt is not None:
                gap = (pd.Timestamp(nxt.started_at) - pd.Timestamp(row.completed_at)).total_seconds()
                if gap >= 0:
                    gaps.append(gap)
    return durations, gaps
