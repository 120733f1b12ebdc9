"""Where every game date stands: the status view of one date and the expected-outputs grid.

Processors done come from Dagster's own record of materializations (runless ones from outside
loaders included), decisions and timings from the audit tables, what is running from the runs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from nba_pipeline.automation.jobs import phase_assets
from nba_pipeline.observability.alerts import RESOLVED, open_conditions
from nba_pipeline.observability.eta import eta, typical
from nba_pipeline.observability.slo import SLO_BY_NAME, SLOS, deadline, evaluate
from nba_pipeline.observability.tables import (
    ALERTS,
    DEPENDENCY_CHECK_LOG,
    ORCHESTRATION_EVENTS,
    PHASE_COMPLETION_LOG,
)
from nba_pipeline.observability.timelines import Timeline, load_timelines, number, recent_durations
from nba_pipeline.orchestration.claims import alive_in_flight
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.phases.raw.tables import SCHEDULE
from nba_pipeline.resources.clock import system_now
from nba_pipeline.resources.warehouse import Warehouse, read_dates
from nba_pipeline.tags import PHASE, RANGE_END, RANGE_START
from nba_pipeline.text import human_seconds

PHASES = range(1, 7)
UNGATED = (1, 2)  # the loaders run when data arrives; there is no readiness decision to show
LOADERS = "LOAD"
LOADER_WHY = "a loader: runs when its source's data arrives (no readiness gate)"


def done_by_date(instance: dg.DagsterInstance, days: list[date]) -> dict[tuple[int, date], int]:
    """(phase, date) -> processors materialized: one event-log query per asset for all the dates."""
    wanted = {d.isoformat() for d in days}
    out: dict[tuple[int, date], int] = {}
    for phase in PHASES:
        for key in phase_assets(phase).values():
            for iso in instance.get_latest_storage_id_by_partition(
                key, dg.DagsterEventType.ASSET_MATERIALIZATION, wanted
            ):
                out[(phase, date.fromisoformat(iso))] = out.get((phase, date.fromisoformat(iso)), 0) + 1
    return out


def running_by_date(
    instance: dg.DagsterInstance, store: CoordinationStore, now: datetime | None = None
) -> dict[tuple[int, date], datetime]:
    """(phase, date) -> when its run started, for runs in flight that are really running: a started run
    whose worker died (no heartbeat) is not, whatever the instance still says. Given `now` (the
    injected clock ETAs are computed on), the start is on that clock: a run that started 40 s ago by
    the wall clock started at now - 40 s (under a frozen clock a wall-clock start would be years off)."""
    out, wall = {}, system_now()
    shift = (now - wall) if now is not None else timedelta(0)
    for record in alive_in_flight(instance, store, wall):
        tags = record.dagster_run.tags
        if PHASE not in tags:
            continue
        first = tags.get(RANGE_START) or tags.get("dagster/partition")
        last = tags.get(RANGE_END) or first
        try:
            day, end = date.fromisoformat(first), date.fromisoformat(last)
        except (TypeError, ValueError):
            continue
        started = (
            datetime.fromtimestamp(record.start_time or record.create_timestamp.timestamp(), tz=UTC) + shift
        )
        while day <= end:
            out[(int(tags[PHASE]), day)] = started
            day += timedelta(days=1)
    return out


def games_by_date(warehouse: Warehouse, start: date, end: date) -> dict[date, int]:
    frame = read_dates(warehouse, SCHEDULE, start, end, ["game_date", "game_id"])
    return frame.groupby("game_date").game_id.nunique().to_dict()


def degraded_by_date(warehouse: Warehouse, start: date, end: date) -> set[tuple[int, date]]:
    """(phase, date) whose latest run completed only partly or ran on a degraded decision."""
    log = read_dates(
        warehouse, PHASE_COMPLETION_LOG, start, end, ["game_date", "phase", "status", "completed_at"]
    )
    latest = log.sort_values("completed_at").drop_duplicates(["game_date", "phase"], keep="last")
    events = read_dates(
        warehouse, ORCHESTRATION_EVENTS, start, end, ["game_date", "phase", "event_type", "decision"]
    )
    launched = events[(events.event_type == "trigger") & (events.decision == "PROCEED_DEGRADED")]
    partial = {(int(r.phase), r.game_date) for r in latest.itertuples() if r.status == "partial"}
    return partial | {(int(r.phase), r.game_date) for r in launched.itertuples()}


def state_of(phase: int, expected: int, done: int, running: bool, games: int | None, degraded: bool) -> str:
    if running:
        return "running"
    if phase >= 3 and games == 0:
        return "not_expected"  # the schedule is loaded and has no games
    if done >= expected:
        return "degraded" if degraded else "done"
    return "degraded" if done else "missing"


def _decisions(warehouse: Warehouse, day: date) -> dict[int, dict]:
    """The last decision per phase for the date, with its reasons: a sensor's from its audit event, a
    person's or a backfill's (gated in the command or the asset, no trigger event) from the readiness
    check log, whichever is later."""
    out = {}
    checks = read_dates(warehouse, DEPENDENCY_CHECK_LOG, day, day)
    for (phase, _), rows in checks.sort_values("check_time").groupby(["phase", "check_id"], sort=False):
        issues = [i for i in rows.issues if i]
        first = rows.iloc[0]
        out[int(phase)] = {
            "at": first.check_time,
            "decision": first.decision,
            "quality": None if (q := number(first.overall_quality)) is None else round(q, 4),
            "why": issues[0]
            if issues
            else f"{len(rows)} input{'s' * (len(rows) > 1)} ready, completeness {first.overall_completeness:.0%}",
        }
    events = read_dates(warehouse, ORCHESTRATION_EVENTS, day, day)
    events = events[events.event_type.isin(["decision", "trigger"])].sort_values("event_time")
    for row in events.itertuples():
        if int(row.phase) in out and out[int(row.phase)]["at"] > row.event_time:
            continue
        details = json.loads(row.details)
        out[int(row.phase)] = {
            "at": row.event_time,
            "decision": row.decision,
            "quality": None,
            "why": (details.get("reasons") or [details.get("reason")])[0],
        }
    return out


def _seconds(span) -> float | None:
    return None if span is None or span.minutes is None else round(span.minutes * 60, 1)


def open_alerts(warehouse: Warehouse, day: date) -> list[dict]:
    warehouse.ensure(ALERTS)
    frame = warehouse.query(
        f"SELECT raised_at, severity, kind, dedupe_key, summary, link FROM {warehouse.ref(ALERTS)}"
        " WHERE game_date = $day ORDER BY raised_at, loaded_at",
        {"day": day},
    )
    still = open_conditions(list(zip(frame.dedupe_key, frame.severity, strict=True)))
    latest = frame[frame.severity != RESOLVED].drop_duplicates("dedupe_key", keep="last")
    return [
        {"severity": r.severity, "kind": r.kind, "summary": r.summary, "link": r.link}
        for r in latest.itertuples()
        if r.dedupe_key in still
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def date_status(
    instance: dg.DagsterInstance,
    warehouse: Warehouse,
    store: CoordinationStore,
    day: date,
    now: datetime,
    timeline: Timeline | None = None,
) -> dict:
    """The status view of one date (the `--json` shape of `nba-pipeline status --date`). `timeline`:
    the date's as its caller knows it (the export's own run: exported now, not yet settled)."""
    timeline = timeline or load_timelines(warehouse, day, day, now)[day]
    done = done_by_date(instance, [day])
    running = running_by_date(instance, store, now)
    games = games_by_date(warehouse, day, day).get(day)
    decisions = _decisions(warehouse, day)
    phases = []
    for phase in PHASES:
        expected = len(phase_assets(phase))
        n = done.get((phase, day), 0)
        span = timeline.phases.get(phase)
        decided = decisions.get(phase, {})
        degraded = decided.get("decision") == "PROCEED_DEGRADED" or (
            span is not None and span.status == "partial"
        )
        phases.append(
            {
                "phase": phase,
                "expected": expected,
                "done": min(n, expected),
                "completeness": round(min(n, expected) / expected, 4),
                "quality": span.quality if span and span.quality is not None else decided.get("quality"),
                "decision": decided.get("decision") or (LOADERS if phase in UNGATED else None),
                "why": decided.get("why") or (LOADER_WHY if phase in UNGATED else None),
                "state": state_of(phase, expected, n, (phase, day) in running, games, degraded),
                "started_at": _iso(span.started_at if span else None),
                "completed_at": _iso(span.completed_at if span else None),
                "seconds": _seconds(span),
            }
        )
    medians, gap = typical(*recent_durations(warehouse, now))
    flight = {p: started for (p, d), started in running.items() if d == day}
    expected_at = eta(timeline, now, medians, gap, flight) if timeline.first_phase2_at or flight else None
    due = deadline(timeline)
    exported = timeline.exported_at
    measured = [r for r in evaluate([timeline]) if r.value is not None]
    return {
        "date": day.isoformat(),
        "mode": timeline.mode.value,
        "games": games,  # None: the schedule for the date is not loaded
        "phases": phases,
        "exported_at": _iso(exported),
        "eta": None if exported else _iso(expected_at),
        "deadline": _iso(due),
        "eta_late": bool(not exported and expected_at and due and expected_at > due),
        "slo": [r.to_json() for r in measured],
        "slo_not_measured": [s.name for s in SLOS if s.name not in {r.name for r in measured}],
        "alerts": open_alerts(warehouse, day),
    }


def grid(
    instance: dg.DagsterInstance, warehouse: Warehouse, store: CoordinationStore, today: date, days: int
) -> dict:
    """Every date × phase for the `days` dates up to today: done / degraded / missing / not_expected /
    running — a gap of weeks shows as a column of `missing` (DOMAIN §8 item 14)."""
    dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    done = done_by_date(instance, dates)
    running = running_by_date(instance, store)
    games = games_by_date(warehouse, dates[0], dates[-1])
    degraded = degraded_by_date(warehouse, dates[0], dates[-1])
    rows = []
    for day in dates:
        loaded = (2, day) in done
        states = [
            {
                "phase": phase,
                "state": state_of(
                    phase,
                    len(phase_assets(phase)),
                    done.get((phase, day), 0),
                    (phase, day) in running,
                    games.get(day, 0 if loaded else None),
                    (phase, day) in degraded,
                ),
            }
            for phase in PHASES
        ]
        rows.append({"date": day.isoformat(), "phases": states})
    return {"grid": rows}


def headline(status: dict, bold: str = "{}", late: str = " (late)") -> str:
    """The date, its mode and where the export stands: when it was written, or when it is expected."""
    if status["exported_at"]:
        where = f"exported at {status['exported_at'][:19]}"
    elif status["eta"]:
        where = f"export expected at {status['eta'][:19]}" + (late if status["eta_late"] else "")
    else:
        where = "no export yet, none expected until Phase 2 completes"
    games = "schedule not loaded" if status["games"] is None else f"{status['games']} games"
    return f"{bold.format(status['date'])} · {status['mode']} · {games} · {where}"


def slo_cells(slo: dict) -> tuple[str, str]:
    """An SLO's target and value as people read them: durations in s / m, shares and counts as numbers."""
    limit = "≤" if SLO_BY_NAME[slo["name"]].at_most else "≥"
    if slo["name"].endswith("_minutes"):
        return f"{limit} {human_seconds(slo['target'] * 60)}", human_seconds(slo["value"] * 60)
    if slo["name"].endswith("_seconds"):
        return f"{limit} {human_seconds(slo['target'])}", human_seconds(slo["value"])
    return f"{limit} {slo['target']:g}", f"{slo['value']:g}"


def markdown(status: dict) -> str:
    """The status as markdown, for the `pipeline_status` asset's metadata in the UI."""
    lines = [f"### {headline(status)}", ""]
    if status["games"] == 0:
        lines += ["No games on this date: nothing from Phase 3 on is expected.", ""]
    lines += ["| phase | done | state | decision | quality | took | why |", "|---|---|---|---|---|---|---|"]
    for p in status["phases"]:
        why = (p["why"] or "—").replace("|", "/")
        quality = "—" if p["quality"] is None else f"{p['quality']:.2f}"
        lines.append(
            f"| {p['phase']} | {p['done']}/{p['expected']} | {p['state']} | {p['decision'] or '—'}"
            f" | {quality} | {human_seconds(p['seconds'])} | {why} |"
        )
    lines += ["", "| SLO | target | value | ok |", "|---|---|---|---|"]
    for s in status["slo"]:
        target, value = slo_cells(s)
        lines.append(f"| {s['name']} | {target} | {value} | {'✅' if s['ok'] else '❌'} |")
    if status["slo_not_measured"]:
        lines += ["", f"_Not measured for this date: {', '.join(status['slo_not_measured'])}._"]
    if status["alerts"]:
        lines += ["", *(f"- **{a['severity']}** {a['summary']}" for a in status["alerts"])]
    return "\n".join(lines)
