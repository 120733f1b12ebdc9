"""The real sources (`--source nba`): NBA.com through nba_api, The Odds API, the official injury report.

All of them share one `SourceSession` (pooling, pacing, retries, actionable errors). Payloads land
in the upstreams' own shapes: the schedule as `scheduleLeagueV2` restricted to the date, box scores
as the day's `LeagueGameLog` plus live `boxscore_{gameId}.json` for games it lacks, each event's
Odds API v4 odds as served, and the injury report as its parsed records (the PDF itself is not JSON).
Without `NBA_PIPELINE_ODDS_API_KEY` the lines feed is off — not provided, so nothing waits on it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from nba_pipeline.sources import FEEDS, Payload
from nba_pipeline.sources.http import SourceSession
from nba_pipeline.sources.nba.injuries import InjuryReports
from nba_pipeline.sources.nba.odds import OddsClient
from nba_pipeline.sources.nba.stats import NbaStats

log = logging.getLogger(__name__)
NO_KEY = "switched off: NBA_PIPELINE_ODDS_API_KEY is not set"


class NbaSource:
    name = "nba"
    stat_splits = frozenset()  # LeagueGameLog has no paint points, and it is the primary box score
    retries_itself = True  # its session retries transient failures with back-off: ask it once

    def __init__(self, session: SourceSession, odds_api_key: str | None):
        self.session = session
        self.stats = NbaStats(session)
        self.injuries = InjuryReports(session)
        self.odds = OddsClient(session, odds_api_key) if odds_api_key else None
        self.unavailable = {} if self.odds else {"prop_lines": NO_KEY}
        self.provides = frozenset(FEEDS) - set(self.unavailable)
        if not self.odds:
            log.warning("source nba: prop lines %s; nothing will wait for them", NO_KEY)
        self.notes: dict = {}  # what the last fetch called, fell back to and skipped (landing metadata)

    def fetch(self, feed: str, day: date, now: datetime) -> list[Payload]:
        if feed not in FEEDS:
            raise ValueError(f"unknown feed {feed!r}")
        before = dict(self.session.calls)
        self.stats.fallbacks, self.stats.problems = [], []
        try:
            return [Payload(name, body) for name, body in self._fetch(feed, day, now)]
        finally:
            calls = {h: n - before.get(h, 0) for h, n in self.session.calls.items() if n > before.get(h, 0)}
            self.notes = {"calls": calls, "fallbacks": self.stats.fallbacks, "problems": self.stats.problems}
            if feed == "prop_lines" and self.odds:
                report = self.odds.report
                self.notes |= {
                    "quota": report.quota,
                    "events": report.events,
                    "expired_events": report.expired,
                    "skipped_for_quota": report.skipped_for_quota,
                }
            if feed == "injury_report":
                self.notes["release_hours_tried"] = self.injuries.tried

    def _fetch(self, feed: str, day: date, now: datetime) -> list[tuple[str, dict]]:
        if feed == "schedule":
            return [("schedule.json", self.stats.day_schedule(day))]
        if feed == "boxscores":
            return self.stats.boxscores(day)
        if feed == "prop_lines":
            return self.odds.event_odds(day) if self.odds else []
        if not self.stats.day_schedule(day)["leagueSchedule"]["gameDates"]:
            return []  # no games: no report to look for
        report = self.injuries.latest(day, now)
        return [report] if report else []
