"""The live loader: Phase 1-2 for yesterday, today and tomorrow (ET) as the source publishes them.

With it on (`NBA_PIPELINE_LOADER=on`; `nba-pipeline dev` turns it on when the clock is real), the
platform feeds itself: every `POLL` it asks the source what it has for each of the three dates and,
when that differs from what it last loaded, launches the date's Phase 1 run; when that run succeeds,
the date's Phase 2 run, once. The cascade sensors take it from there. Nothing new at the source,
nothing launched: the fingerprint of the source's payloads is the version of a Phase 1 load, so the
phases downstream run again only when the source's data changed (a game went final, a line moved).
The payloads it looked at are staged for the load it launches, whose Phase 1 lands them: the source
is asked once per look, and what lands is what was fingerprinted.

The decision is `plan_tick`, a pure function of the cursor, the fingerprints and the runs' states;
the sensor around it only fetches and looks runs up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import dagster as dg

from nba_pipeline.automation.jobs import PHASE_JOBS, phase_job_name
from nba_pipeline.modes import date_mode
from nba_pipeline.partitions import et_date
from nba_pipeline.phases.scrape.landing import stage
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.sources import TransientSourceError
from nba_pipeline.tags import CORRELATION_ID, LOADER, PHASE, new_correlation_id, run_tags

NAME = "live_loader_sensor"
TICK_S = 30  # how often a landed date's Phase 2 is looked for
POLL = timedelta(minutes=5)  # how often the source is asked again about a date
TRIGGER = LOADER


def loader_dates(now: datetime) -> list[date]:
    today = et_date(now)
    return [today - timedelta(days=1), today, today + timedelta(days=1)]


def content(body: dict) -> dict:
    """A payload without its response time (`meta.time`: the upstream stamps each answer with the moment
    it was asked, so two looks at unchanged data differ only there)."""
    meta = body.get("meta")
    if not isinstance(meta, dict) or "time" not in meta:
        return body
    return {**body, "meta": {k: v for k, v in meta.items() if k != "time"}}


def fingerprint(payloads_by_feed: Mapping[str, list]) -> str:
    """One digest of what the source has for a date (names and contents, feed by feed)."""
    parts = {
        feed: [(p.name, content(p.body)) for p in payloads]
        for feed, payloads in sorted(payloads_by_feed.items())
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:20]


@dataclass
class Plan:
    """A tick's requests: (phase, date, correlation id) to launch, and the cursor to keep."""

    launch: list[tuple[int, date, str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    cursor: dict = field(default_factory=dict)


def plan_tick(
    cursor: dict,
    days: list[date],
    wall: datetime,
    fetch: Callable[[date], str],
    landed_status: Callable[[str], str | None],
) -> Plan:
    """`fetch(day)` is the source's fingerprint for the day (raising when it does not answer: that
    date is asked again next tick, the others go on); `landed_status(correlation_id)` is SUCCESS / FAILURE / None (still running or queued) of
    the Phase 1 run of that load. The cursor: `fetched` {date: {fingerprint, at}} and `landing`
    {date: correlation id of the Phase 1 run in flight}."""
    fetched = dict(cursor.get("fetched", {}))
    landing = dict(cursor.get("landing", {}))
    plan = Plan()
    for iso, corr in sorted(landing.items()):
        status = landed_status(corr)
        if status is None:
            plan.lines.append(f"{iso}: phase 1 loading ({corr})")
            continue
        del landing[iso]
        if status == "SUCCESS":
            plan.launch.append((2, date.fromisoformat(iso), corr))
            plan.lines.append(f"{iso}: phase 1 landed, phase 2 launched")
        else:  # a failed load is tried again at the next poll
            fetched.pop(iso, None)
            plan.lines.append(f"{iso}: phase 1 run {status.lower()}; asking the source again next poll")
    for day in days:
        iso = day.isoformat()
        if iso in landing:
            continue
        seen = fetched.get(iso)
        if seen and wall - datetime.fromisoformat(seen["at"]) < POLL:
            again = datetime.fromisoformat(seen["at"]) + POLL
            plan.lines.append(f"{iso}: loaded; the source is asked again at {again:%H:%M:%S} UTC")
            continue
        try:
            now_print = fetch(day)
        except TransientSourceError as exc:
            plan.lines.append(f"{iso}: the source did not answer ({exc}); asking again next tick")
            continue
        except Exception as exc:  # noqa: BLE001 - one date's bad answer is reported, alone
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            plan.lines.append(f"{iso}: error — {type(exc).__name__}: {first}")
            continue
        fetched[iso] = {"fingerprint": now_print, "at": wall.isoformat()}
        if seen and seen["fingerprint"] == now_print:
            plan.lines.append(f"{iso}: nothing new at the source")
            continue
        corr = new_correlation_id()
        landing[iso] = corr
        plan.launch.append((1, day, corr))
        plan.lines.append(f"{iso}: {'new data' if seen else 'first look'} at the source, phase 1 launched")
    oldest = min(days).isoformat()
    plan.cursor = {
        "fetched": {d: f for d, f in fetched.items() if d >= oldest},
        "landing": landing,
    }
    return plan


def _landed_status(instance: dg.DagsterInstance, corr: str) -> str | None:
    runs = instance.get_runs(dg.RunsFilter(tags={PHASE: "1", CORRELATION_ID: corr}), limit=1)
    if not runs:
        return None  # not created yet (the request is still being turned into a run)
    run = runs[0]
    if not run.is_finished:
        return None
    return "SUCCESS" if run.status == dg.DagsterRunStatus.SUCCESS else run.status.value


def loader_sensor(enabled: bool) -> dg.SensorDefinition:
    status = dg.DefaultSensorStatus.RUNNING if enabled else dg.DefaultSensorStatus.STOPPED

    @dg.sensor(
        name=NAME,
        jobs=[PHASE_JOBS[1], PHASE_JOBS[2]],
        minimum_interval_seconds=TICK_S,
        default_status=status,
        description="Phase 1-2 for yesterday, today and tomorrow (ET) whenever the source has something new",
    )
    def _sensor(context, clock: ClockResource, source: SourceResource, landing: BlobStoreResource):
        from nba_pipeline.automation.sensors import guarded

        def body() -> dg.SensorResult:
            client = source.client()
            feeds = sorted(source.active_feeds())
            now = clock.now()
            looked: dict[date, dict[str, list]] = {}

            def fetch(day: date) -> str:
                looked[day] = {feed: client.fetch(feed, day, now) for feed in feeds}
                return fingerprint(looked[day])

            cursor = json.loads(context.cursor) if context.cursor else {}
            plan = plan_tick(
                cursor,
                loader_dates(now),
                clock.wall_now(),
                fetch,
                lambda corr: _landed_status(context.instance, corr),
            )
            store = landing.get()
            for phase, day, corr in plan.launch:  # its Phase 1 lands what was looked at, not a second call
                for feed, payloads in looked.get(day, {}).items() if phase == 1 else ():
                    stage(store, corr, feed, day, payloads)
            requests = [
                dg.RunRequest(
                    run_key=f"{TRIGGER}:{phase}:{day}:{corr}",
                    job_name=phase_job_name(phase),
                    partition_key=day.isoformat(),
                    tags=run_tags(phase, date_mode(day, now).value, TRIGGER, corr),
                )
                for phase, day, corr in plan.launch
            ]
            return dg.SensorResult(
                run_requests=requests,
                skip_reason=None if requests else "; ".join(plan.lines) or "nothing to load",
                cursor=json.dumps(plan.cursor),
            )

        return guarded(NAME, body)

    return _sensor
