"""The official injury report: the hourly PDF release that stands for a game date, parsed.

Releases are named by their ET date and hour (`Injury-Report_2024-01-04_12PM.pdf`) and go out at
half past. For game date D the report that counts is the latest one out by `now` and no later than
D's evening; when that hour's file is not out yet (HTTP 403/404 from the bucket) the hour before is
tried, back to the evening before D (whose report already lists D's games).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from nba_pipeline.partitions import ET, et_datetime
from nba_pipeline.sources.http import NotFound, SourceSession, UpstreamError
from nba_pipeline.sources.nba.injury_pdf import InjuryReportError, parse_injury_pdf

URL = "https://ak-static.cms.nba.com/referee/injury/Injury-Report_{moment:%Y-%m-%d_%I%p}.pdf"
LAST_RELEASE = (19, 30)  # the release before the evening's first tips: later ones add nothing for D
FIRST_RELEASE_BEFORE = (17, 30)  # on D-1: the earliest release that lists D's games


def release_hours(day: date, now: datetime) -> list[datetime]:
    """Release times to try for game date `day`, latest first (each at :30, ET)."""
    latest = min(now.astimezone(ET), et_datetime(day, *LAST_RELEASE))
    moment = latest.replace(minute=30, second=0, microsecond=0)
    if moment > latest:
        moment -= timedelta(hours=1)
    first = et_datetime(day - timedelta(days=1), *FIRST_RELEASE_BEFORE)
    hours = []
    while moment >= first:
        hours.append(moment)
        moment -= timedelta(hours=1)
    return hours


def report_url(moment: datetime) -> str:
    return URL.format(moment=moment.astimezone(ET))


class InjuryReports:
    def __init__(self, session: SourceSession):
        self.session = session
        self.tried = 0  # release hours asked for by the last fetch

    def latest(self, day: date, now: datetime) -> tuple[str, dict] | None:
        """(file name, parsed report restricted to `day`'s games), or None when none is out yet."""
        self.tried = 0
        for moment in release_hours(day, now):
            self.tried += 1
            url = report_url(moment)
            try:
                response = self.session.get(url)
            except NotFound:
                continue
            except UpstreamError as exc:
                if exc.status == 403:  # the bucket answers 403 for a file that does not exist yet
                    continue
                raise
            try:
                parsed = parse_injury_pdf(response.content)
            except InjuryReportError as exc:
                raise UpstreamError(
                    f"NBA injury report: {url.split('://', 1)[1]}: malformed PDF ({exc})"
                ) from exc
            released = moment.astimezone(ET)
            wanted = f"{day:%m/%d/%Y}"
            body = {
                "metadata": {
                    "gamedate": f"{released:%Y%m%d}",
                    "hour": released.strftime("%I"),
                    "period": released.strftime("%p"),
                    "hour24": released.strftime("%H"),
                    "url": url,
                },
                "parsing_stats": parsed["parsing_stats"],
                "records": [r for r in parsed["records"] if r["date"] == wanted],
            }
            return f"report_{released:%Y%m%d_%H%M}.json", body
        return None
