"""Pre-flight checks (DOMAIN §8 item 11: a missing dependency must not take the platform down
unnoticed): each upstream reachable — or its recordings present —, its key present, and the
warehouse, coordination store and signal bus answering. One row per part, with its latency.

`nba-pipeline health` prints them; the fallback schedules run the platform ones before they trigger.
Upstream probes are single, cheap calls (The Odds API's `/sports` costs no credit), made without
retries: health says what is true now, quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from nba_pipeline.environment import Settings, odds_api_key
from nba_pipeline.partitions import ET

OK, FAIL, OFF = "ok", "fail", "off"  # off: switched off on purpose, so healthy
PROBE_TOPIC, PROBE_SUBSCRIPTION = "nba-pipeline-health", "nba-pipeline-health-probe"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str
    latency_ms: float
    detail: str

    @property
    def healthy(self) -> bool:
        return self.status != FAIL

    def to_json(self) -> dict:
        return asdict(self)


def timed(
    name: str, probe: Callable[[], str], monotonic: Callable[[], float] = time.monotonic
) -> CheckResult:
    """Run `probe` (its return value is the detail); any exception is a failure in one line."""
    began = monotonic()
    try:
        detail, status = probe(), OK
    except Exception as exc:  # noqa: BLE001 — a health check reports every failure, it does not raise
        first = (str(exc).splitlines() or [""])[0]
        detail, status = f"{type(exc).__name__}: {first}"[:300], FAIL
    return CheckResult(name, status, round((monotonic() - began) * 1000, 1), detail)


def platform_checks(warehouse: Callable, store: Callable, bus: Callable) -> list[CheckResult]:
    """The parts every phase needs, each built inside its probe (building one may be what fails)."""

    def warehouse_probe() -> str:
        wh = warehouse()
        wh.query("SELECT 1 AS ok")
        return type(wh).__name__

    def store_probe() -> str:
        st = store()
        st.is_processed("health:probe")
        return type(st).__name__

    def bus_probe() -> str:
        signals = bus()
        signals.ensure(PROBE_TOPIC, PROBE_SUBSCRIPTION)
        signals.pull(PROBE_SUBSCRIPTION, max_messages=1, timeout_s=0.1)
        return type(signals).__name__

    return [
        timed("warehouse", warehouse_probe),
        timed("coordination store", store_probe),
        timed("signal bus", bus_probe),
    ]


# What each feed of the real source calls: its hosts (any one answering will do) and a cheap probe.
UPSTREAMS = {
    "schedule and box scores": ("NBA.com", ("stats.nba.com", "cdn.nba.com")),
    "prop_lines": ("The Odds API", ("api.the-odds-api.com",)),
    "injury_report": ("NBA injury report", ("ak-static.cms.nba.com",)),
}


def _probe_requests(now: datetime, key: str | None) -> dict[str, tuple[str, dict]]:
    """One cheap request per upstream host (The Odds API's /sports costs no credit)."""
    from nba_pipeline.sources.nba.injuries import release_hours, report_url

    today = now.astimezone(ET).date()
    return {
        "stats.nba.com": (
            "https://stats.nba.com/stats/scoreboardv3",
            {"GameDate": f"{today:%Y-%m-%d}", "LeagueID": "00"},
        ),
        "cdn.nba.com": ("https://cdn.nba.com/static/json/liveData/scoreboard/todaysScoreboard_00.json", {}),
        "api.the-odds-api.com": ("https://api.the-odds-api.com/v4/sports", {"apiKey": key or ""}),
        "ak-static.cms.nba.com": (report_url(release_hours(today, now)[0]), {}),
    }


def _recorded(folder) -> Callable[[tuple[str, ...]], Callable[[], str]]:
    from nba_pipeline.sources.recordings import RecordingsAdapter

    hosts: dict[str, int] = {}
    for _, url, _, _, _ in RecordingsAdapter(folder).recordings():
        host = url.split("://", 1)[1].split("/", 1)[0]
        hosts[host] = hosts.get(host, 0) + 1

    def check(wanted: tuple[str, ...]) -> Callable[[], str]:
        def probe() -> str:
            found = {h: hosts[h] for h in wanted if hosts.get(h)}
            if not found:
                raise LookupError(f"no recordings for {' or '.join(wanted)} in {folder}")
            return ", ".join(f"{n} recordings of {h}" for h, n in found.items())

        return probe

    return check


def _reached(session, url: str, params: dict) -> Callable[[], str]:
    from nba_pipeline.sources.http import NotFound, UpstreamError

    def probe() -> str:
        try:
            response = session.get(url, params=params, timeout=10)
        except (NotFound, UpstreamError) as exc:
            if "ak-static" in url and (isinstance(exc, NotFound) or exc.status == 403):
                return "reachable (this hour's report is not out yet)"
            raise
        left = response.headers.get("x-requests-remaining")
        return f"HTTP {response.status_code}" + (f"; key accepted, {left} credits left" if left else "")

    return probe


def nba_source_checks(settings: Settings, now: datetime) -> list[CheckResult]:
    """Per feed of the real source: its upstream reachable (or recorded), and the key lines need."""
    from nba_pipeline.sources.http import SourceSession

    key, off = odds_api_key(), settings.disabled_feeds
    rows = []
    recorded = _recorded(settings.http_recordings) if settings.http_recordings else None
    session = SourceSession(attempts=1) if recorded is None else None
    requests = _probe_requests(now, key)
    for feed, (label, hosts) in UPSTREAMS.items():
        if feed in off or (feed == "prop_lines" and not key):
            rows.append(
                CheckResult(f"source {label}", OFF, 0.0, f"{feed} switched off" if feed in off else "no key")
            )
        elif recorded is not None:
            rows.append(timed(f"source {label} (recorded)", recorded(hosts)))
        else:
            rows += [timed(f"source {label} {host}", _reached(session, *requests[host])) for host in hosts]
    if "prop_lines" in off:
        rows.append(CheckResult("key NBA_PIPELINE_ODDS_API_KEY", OFF, 0.0, "prop_lines switched off"))
    elif key:
        rows.append(CheckResult("key NBA_PIPELINE_ODDS_API_KEY", OK, 0.0, "set"))
    else:
        rows.append(
            CheckResult(
                "key NBA_PIPELINE_ODDS_API_KEY",
                FAIL,
                0.0,
                "not set, so prop lines are off — set it, or NBA_PIPELINE_DISABLED_FEEDS=prop_lines to mean it",
            )
        )
    return rows


def source_checks(settings: Settings, now: datetime) -> list[CheckResult]:
    if settings.source == "nba":
        return nba_source_checks(settings, now)
    if settings.source == "replay":
        from nba_pipeline.sources.replay import check_replay_csv

        return [timed("source replay", lambda: f"CSV {check_replay_csv(settings.replay_csv)}")]
    return [CheckResult("source sim", OK, 0.0, "the simulated league: nothing to reach")]


def run_checks(settings: Settings, now: datetime) -> list[CheckResult]:
    from nba_pipeline.resources import build_resources

    resources = build_resources(settings)
    coordination = resources["coordination"]
    return [
        *source_checks(settings, now),
        *platform_checks(resources["warehouse"].get, coordination.store, coordination.bus),
    ]


def failing(results: list[CheckResult]) -> list[str]:
    """`name: detail` of each unhealthy check (empty: all healthy)."""
    return [f"{r.name}: {r.detail}" for r in results if not r.healthy]
