"""The Odds API v4: a date's NBA events (free), then each event's player_points odds (1 credit each).

The key rides in the query (`apiKey`), so no URL with it is ever logged or put in metadata: errors
name the call by host and path only, and recordings never store it. Every response's quota headers
are kept; the client stops before the remaining credits fall under QUOTA_RESERVE, and an event that
has expired since the list was read answers 404, which only means it has no odds any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from nba_pipeline.partitions import ET, UTC, et_datetime
from nba_pipeline.sources.http import NotFound, SourceSession, UpstreamError, json_body

BASE = "https://api.the-odds-api.com/v4/sports/basketball_nba"
MARKET, REGIONS, ODDS_FORMAT = "player_points", "us", "american"
QUOTA_RESERVE = 10  # credits left untouched: a person can still look at the account before it runs dry
QUOTA_HEADERS = ("x-requests-remaining", "x-requests-used", "x-requests-last")


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class OddsReport:
    """What the last fetch cost and skipped, for the landing asset's metadata."""

    quota: dict[str, int] = field(default_factory=dict)
    events: int = 0
    expired: list[str] = field(default_factory=list)
    skipped_for_quota: int = 0


class OddsClient:
    def __init__(self, session: SourceSession, key: str):
        self.session, self._key = session, key
        self.report = OddsReport()

    def _get(self, path: str, **params) -> dict | list:
        response = self.session.get(f"{BASE}{path}", params={"apiKey": self._key, **params})
        for name in QUOTA_HEADERS:
            value = response.headers.get(name, "")
            if value.replace(".", "", 1).isdigit():
                self.report.quota[name.removeprefix("x-requests-")] = int(float(value))
        return json_body(response, list if path == "/events" else dict)

    def remaining(self) -> int | None:
        return self.report.quota.get("remaining")

    def events(self, day: date) -> list[dict]:
        """The date's events: tip-off on the ET date `day` (The Odds API speaks UTC)."""
        start = et_datetime(day, 0)
        events = self._get(
            "/events",
            dateFormat="iso",
            commenceTimeFrom=_z(start),
            commenceTimeTo=_z(start + timedelta(days=1) - timedelta(seconds=1)),
        )
        return [
            e
            for e in events
            if datetime.fromisoformat(e["commence_time"].replace("Z", "+00:00")).astimezone(ET).date() == day
        ]

    def event_odds(self, day: date) -> list[tuple[str, dict]]:
        """(file name, event odds) for each of the date's events that still has odds."""
        self.report = OddsReport()
        events = self.events(day)
        self.report.events = len(events)
        out = []
        for i, event in enumerate(events):
            left = self.remaining()
            if left is not None and left <= QUOTA_RESERVE:
                self.report.skipped_for_quota = len(events) - i
                if not out:
                    raise UpstreamError(
                        f"The Odds API: quota nearly exhausted ({left} credits left, {QUOTA_RESERVE} kept in reserve) "
                        "— wait for the monthly reset or raise the plan; lines switched off until then"
                    )
                break
            try:
                body = self._get(
                    f"/events/{event['id']}/odds", regions=REGIONS, markets=MARKET, oddsFormat=ODDS_FORMAT
                )
            except NotFound:
                self.report.expired.append(event["id"])
                continue
            out.append((f"{event['id']}.json", body))
        return out
