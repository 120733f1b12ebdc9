"""NBA.com through nba_api: the season schedule and a date's box scores, with a fallback for each.

- schedule: `ScheduleLeagueV2` (stats.nba.com) -> the cdn's `staticData/scheduleLeagueV2.json`
  (same shape; the cdn holds only the current season, so it answers only for that one);
- box scores: `LeagueGameLog` for the date (stats.nba.com, one call for every player of the day) ->
  the live `boxscore_{gameId}.json` (cdn.nba.com) for each final game the log does not have, or for
  all of them when stats.nba.com does not answer (nba_api#320: `/stats` times out where `/live` answers).
"""

from __future__ import annotations

import threading
import time
from datetime import date

from nba_api.library.http import NBAHTTP
from nba_api.live.nba.endpoints.boxscore import BoxScore
from nba_api.stats.endpoints.leaguegamelog import LeagueGameLog
from nba_api.stats.endpoints.scheduleleaguev2 import ScheduleLeagueV2

from nba_pipeline.phases.raw.parsers import postponed
from nba_pipeline.sources import SourceError
from nba_pipeline.sources.http import HOSTS, SourceSession, UpstreamError, json_body

CDN_SCHEDULE = "https://cdn.nba.com/static/json/staticData/scheduleLeagueV2.json"
SCHEDULE_TTL = 600.0  # seconds (wall clock) a fetched season schedule is reused for other dates
# Game-id prefixes of the games the pipeline predicts, and the LeagueGameLog season type of each.
# Preseason (001) and All-Star (003) games are on NBA.com's schedule too — against non-NBA teams at
# times — but have no props and no regular box-score log: they are left out of the date's slate.
SEASON_TYPES = {"002": "Regular Season", "004": "Playoffs", "005": "PlayIn", "006": "Regular Season"}
_NBA_API_LOCK = threading.Lock()  # nba_api keeps its session class-level


def season_of(day: date) -> str:
    """'2023-24' for any date from July 2023 to June 2024."""
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def call_nba_api(session: SourceSession, endpoint, **params) -> dict:
    """One nba_api endpoint call (its URL, parameters and headers) through our session; the body as
    the upstream sent it. nba_api's own data-set parsing is skipped: it raises on payloads it does
    not foresee (a schedule without `weeks`), and the Phase 2 parsers read the body itself."""
    with _NBA_API_LOCK:
        NBAHTTP.set_session(session)
        call = endpoint(**params, get_request=False)
        call.load_response = lambda: None
        call.get_request()
        try:
            body = call.nba_response.get_dict()
        except ValueError as exc:
            raise UpstreamError(f"NBA.com: {endpoint.__name__}: malformed JSON body ({exc})") from exc
    if not isinstance(body, dict):
        raise UpstreamError(f"NBA.com: {endpoint.__name__}: malformed body: not a JSON object")
    return body


def slice_schedule(season_payload: dict, day: date) -> dict:
    """The season schedule restricted to one ET date's predicted games, in the same shape (gameDate is
    the ET date)."""
    schedule = season_payload["leagueSchedule"]
    wanted = f"{day:%m/%d/%Y} 00:00:00"
    dates = [
        {**d, "games": games}
        for d in schedule.get("gameDates", [])
        if d.get("gameDate") == wanted
        and (games := [g for g in d.get("games", []) if g.get("gameId", "")[:3] in SEASON_TYPES])
    ]
    return {
        "meta": season_payload.get("meta", {}),
        "leagueSchedule": {**{k: v for k, v in schedule.items() if k != "gameDates"}, "gameDates": dates},
    }


def final_games(day_schedule: dict) -> list[dict]:
    return [
        g
        for d in day_schedule["leagueSchedule"]["gameDates"]
        for g in d["games"]
        if g.get("gameStatus") == 3 and not postponed(g)
    ]


class NbaStats:
    def __init__(self, session: SourceSession, monotonic=time.monotonic):
        self.session, self.monotonic = session, monotonic
        self._seasons: dict[str, tuple[float, dict]] = {}
        self.fallbacks: list[str] = []  # what answered in place of a primary endpoint, since last read
        self.problems: list[str] = []  # games no endpoint answered for, on a date others landed

    def season_schedule(self, season: str) -> dict:
        cached = self._seasons.get(season)
        if cached and self.monotonic() - cached[0] < SCHEDULE_TTL:
            return cached[1]
        try:
            payload = call_nba_api(self.session, ScheduleLeagueV2, league_id="00", season=season)
        except SourceError as primary:
            payload = json_body(self._cdn_schedule(primary))
            if payload.get("leagueSchedule", {}).get("seasonYear") != season:
                raise UpstreamError(
                    f"{primary} — and the cdn fallback has only season "
                    f"{payload.get('leagueSchedule', {}).get('seasonYear')}, not {season}"
                ) from primary
            self.fallbacks.append(f"schedule from cdn.nba.com ({primary})")
        if "leagueSchedule" not in payload:
            raise UpstreamError(
                f"{HOSTS['stats.nba.com'].label}: scheduleleaguev2: malformed body (no leagueSchedule)"
            )
        self._seasons[season] = (self.monotonic(), payload)
        return payload

    def _cdn_schedule(self, primary: SourceError):
        try:
            return self.session.get(CDN_SCHEDULE)
        except SourceError as fallback:
            raise type(fallback)(f"{primary}; fallback: {fallback}") from fallback

    def day_schedule(self, day: date) -> dict:
        return slice_schedule(self.season_schedule(season_of(day)), day)

    def boxscores(self, day: date) -> list[tuple[str, dict]]:
        """(file name, body) of the date's final games: the day's LeagueGameLog, then a live box
        score for each final game it lacks."""
        games = final_games(self.day_schedule(day))
        if not games:
            return []
        out, have, primary = [], set(), None
        for season_type in sorted({SEASON_TYPES[g["gameId"][:3]] for g in games}):
            try:
                log = call_nba_api(
                    self.session,
                    LeagueGameLog,
                    season=season_of(day),
                    season_type_all_star=season_type,
                    player_or_team_abbreviation="P",
                    date_from_nullable=f"{day:%m/%d/%Y}",
                    date_to_nullable=f"{day:%m/%d/%Y}",
                )
            except SourceError as exc:
                primary = exc
                continue
            result = next((rs for rs in log.get("resultSets", []) if rs.get("name") == "LeagueGameLog"), None)
            if result is None:
                raise UpstreamError(
                    f"{HOSTS['stats.nba.com'].label}: leaguegamelog: malformed body (no LeagueGameLog)"
                )
            if result["rowSet"]:
                column = result["headers"].index("GAME_ID")
                have |= {str(row[column]).zfill(10) for row in result["rowSet"]}
                out.append((f"leaguegamelog_{season_type.replace(' ', '').lower()}.json", log))
        missing = [g["gameId"] for g in games if g["gameId"] not in have]
        errors = []
        for game_id in missing:
            try:
                body = call_nba_api(self.session, BoxScore, game_id=game_id)
            except SourceError as exc:
                errors.append(exc)
                continue
            out.append((f"{game_id}.json", body))
            self.fallbacks.append(
                f"box score {game_id} from the live feed" + (f" ({primary})" if primary else "")
            )
        if errors and not out:
            raise type(errors[0])(f"{primary}; fallback: {errors[0]}" if primary else str(errors[0]))
        self.problems += [str(e) for e in errors]
        return out
