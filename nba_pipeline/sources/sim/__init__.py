"""The simulated league: the embedded default source, deterministic for a seed, a date and a clock."""

from __future__ import annotations

import time
import zlib
from datetime import date, datetime, timedelta
from pathlib import Path

from nba_pipeline.partitions import et_datetime
from nba_pipeline.sources import FEEDS, Payload, TransientSourceError
from nba_pipeline.sources.sim import feeds
from nba_pipeline.sources.sim.games import box_score
from nba_pipeline.sources.sim.league import Game, Season, build_season, season_year_of
from nba_pipeline.sources.sim.scenarios import (
    LATE_BOXSCORE_DELAY_HOURS,
    PARTIAL_BOXSCORE_GAMES,
    SLOW_SOURCE_S,
    TRANSIENT_FAILURES,
    parse_scenarios,
)

BOXSCORE_PUBLISH_DELAY = timedelta(minutes=15)


def corrupted(payload: Payload) -> Payload:
    """The same file with its body cut down to an id: valid JSON no parser can read a box score from."""
    game_id = payload.body.get("game", {}).get("gameId", payload.name)
    return Payload(payload.name, {"meta": {"version": 1, "code": 500}, "game": {"gameId": game_id}})


class SimSource:
    name = "sim"
    provides = frozenset(FEEDS)
    stat_splits = frozenset({"paint"})  # liveData box scores carry pointsInThePaint

    def __init__(self, seed: int, scenario: str = "none", state_dir: Path | None = None):
        self.seed = seed
        self.scenarios = parse_scenarios(scenario)
        self.state_dir = state_dir
        self._failures: dict[str, int] = {}

    def season(self, day: date) -> Season | None:
        year = season_year_of(day)
        return None if year is None else build_season(self.seed, year)

    def games(self, day: date) -> list[Game]:
        season = self.season(day)
        return [] if season is None else season.games_by_date.get(day, [])

    def fetch(self, feed: str, day: date, now: datetime) -> list[Payload]:
        if feed not in FEEDS:
            raise ValueError(f"unknown feed {feed!r}")
        if self.scenarios.on("slow_source", day):
            time.sleep(SLOW_SOURCE_S)
        season = self.season(day)
        if feed == "schedule":  # the schedule always answers, with no games on an off day
            return (
                [Payload("schedule.json", feeds.schedule_payload(season, day, now, {}))]
                if season is None
                else [self._schedule(season, day, now)]
            )
        if season is None:
            return []
        payloads = {"boxscores": self._boxscores, "injury_report": self._injuries, "prop_lines": self._props}[
            feed
        ](season, day, now)
        if feed == "boxscores" and self.scenarios.on("corrupt_payload", day):
            return [corrupted(p) for p in payloads]
        return payloads

    def boxscore_available_at(self, game: Game) -> datetime | None:
        """When the game's box score appears (None: never, in the partial scenario)."""
        day_games = self.games(game.day)
        if (
            self.scenarios.on("partial_boxscores", game.day)
            and game not in day_games[:PARTIAL_BOXSCORE_GAMES]
        ):
            return None
        at = game.final_at + BOXSCORE_PUBLISH_DELAY
        if self.scenarios.on("late_boxscores", game.day) and self._is_late(game, day_games):
            at += timedelta(hours=LATE_BOXSCORE_DELAY_HOURS)
        return at

    @staticmethod
    def _is_late(game: Game, day_games: list[Game]) -> bool:
        late = [g for g in day_games if zlib.crc32(g.nba_game_id.encode()) % 3 == 0] or day_games[:1]
        return game in late

    def _schedule(self, season: Season, day: date, now: datetime) -> Payload:
        scores = {}
        for game in season.games_by_date.get(day, []):
            if now >= game.final_at:
                box = box_score(season, game)
                scores[game.nba_game_id] = (box.home_points, box.away_points)
        return Payload("schedule.json", feeds.schedule_payload(season, day, now, scores))

    def _boxscores(self, season: Season, day: date, now: datetime) -> list[Payload]:
        if self.scenarios.on("source_errors", day):
            self._maybe_fail("boxscores", day)
        payloads = []
        for game in season.games_by_date.get(day, []):
            at = self.boxscore_available_at(game)
            if at is not None and now >= at:
                payloads.append(
                    Payload(f"{game.nba_game_id}.json", feeds.boxscore_payload(box_score(season, game), at))
                )
        return payloads

    def _injuries(self, season: Season, day: date, now: datetime) -> list[Payload]:
        games = season.games_by_date.get(day, [])
        if self.scenarios.on("source_off", day) or not games:
            return []
        first = et_datetime(day - timedelta(days=1), 17, 30)
        latest = min(now, max(g.tip for g in games))
        if latest < first:
            return []
        released = first + timedelta(hours=int((latest - first).total_seconds() // 3600))
        return [Payload(f"report_{released:%Y%m%d_%H%M}.json", feeds.injury_payload(season, day, released))]

    def _props(self, season: Season, day: date, now: datetime) -> list[Payload]:
        if self.scenarios.on("lines_not_published", day):
            return []
        payloads = []
        for game in season.games_by_date.get(day, []):
            times = feeds.snapshot_times(game)
            current = sum(1 for t in times if t <= now) - 1
            for index in sorted({0, current}) if current >= 0 else []:
                body = feeds.props_payload(season, game, index)
                payloads.append(Payload(f"{feeds.event_file_stem(body)}.json", body))
        return payloads

    def _maybe_fail(self, feed: str, day: date) -> None:
        """The first TRANSIENT_FAILURES calls per (feed, date) fail; counted on disk so retries in other
        processes see the same count."""
        key = f"{feed}_{day.isoformat()}"
        if self.state_dir is None:
            count = self._failures.get(key, 0)
            self._failures[key] = count + 1
        else:
            path = self.state_dir / "sim_faults" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            count = int(path.read_text()) if path.exists() else 0
            path.write_text(str(count + 1))
        if count < TRANSIENT_FAILURES:
            raise TransientSourceError(
                f"HTTP 503 from the {feed} feed for {day} (simulated failure {count + 1} of {TRANSIENT_FAILURES})"
            )
