"""A real season replayed from a stats.nba.com LeagueGameLog CSV (player rows, PlayerOrTeam=P).

Box scores come out as the endpoint's own `resultSets` payload, one per date; the schedule
(NBA.com scheduleLeagueV2 shape) is derived from the player rows: a game is its GAME_ID, the home
team is the one whose MATCHUP reads "vs.". The CSV has no tip-off times, so every game is listed at
7:30 pm ET, and no prop lines or injury reports: the replay does not provide those feeds and says
so through `provides`, so they land as empty tables rather than errors.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd

from nba_pipeline.environment import ConfigError
from nba_pipeline.identity import TEAMS
from nba_pipeline.partitions import UTC, et_datetime
from nba_pipeline.sources import Payload

REQUIRED_COLUMNS = (
    "SEASON_ID",
    "PLAYER_ID",
    "PLAYER_NAME",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "GAME_ID",
    "GAME_DATE",
    "MATCHUP",
    "WL",
    "MIN",
    "PTS",
    "FGM",
    "FGA",
    "FG3M",
    "FG3A",
    "FTM",
    "FTA",
    "OREB",
    "DREB",
    "REB",
    "AST",
    "STL",
    "BLK",
    "TOV",
    "PF",
    "PLUS_MINUS",
)
REPLAY_TIP = (19, 30)
REPLAY_FINAL_AFTER = timedelta(hours=2, minutes=30)


def check_replay_csv(path: Path | None) -> Path:
    """A one-line ConfigError unless `path` is a readable CSV with every required column."""
    if path is None:
        raise ConfigError(
            "--source replay needs a CSV: pass --replay-csv PATH or set NBA_PIPELINE_REPLAY_CSV"
        )
    if not path.is_file():
        raise ConfigError(f"replay CSV not found: {path}")
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"replay CSV {path} is not a readable CSV: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"replay CSV {path} lacks required columns: {', '.join(missing)}")
    return path


@lru_cache(maxsize=2)
def _load(path: str, mtime: float) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"GAME_ID": str, "SEASON_ID": str}, usecols=list(REQUIRED_COLUMNS))
    frame["GAME_ID"] = frame["GAME_ID"].str.zfill(10)
    frame["GAME_DATE"] = pd.to_datetime(frame["GAME_DATE"]).dt.date
    return frame


def _team(abbr: str, score: int) -> dict:
    team = TEAMS.get(abbr)
    return {
        "teamId": team.team_id if team else 0,
        "teamName": team.name if team else abbr,
        "teamCity": team.city if team else "",
        "teamTricode": abbr,
        "score": score,
    }


class ReplaySource:
    name = "replay"
    provides = frozenset({"schedule", "boxscores"})
    stat_splits = frozenset()  # LeagueGameLog has 2-pt / 3-pt / FT only

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.by_date = {day: rows for day, rows in frame.groupby("GAME_DATE", sort=True)}

    @classmethod
    def from_csv(cls, path: Path | None) -> ReplaySource:
        path = check_replay_csv(path)
        return cls(_load(str(path), path.stat().st_mtime))

    @property
    def dates(self) -> list[date]:
        return list(self.by_date)

    def games(self, day: date) -> pd.DataFrame:
        """One row per game: GAME_ID, home and away tricodes (from MATCHUP), in GAME_ID order."""
        rows = self.by_date.get(day)
        if rows is None:
            return pd.DataFrame(columns=["GAME_ID", "home", "away"])
        sides = rows.drop_duplicates(["GAME_ID", "TEAM_ABBREVIATION"])
        home = sides[sides["MATCHUP"].str.contains(" vs. ", regex=False)].set_index("GAME_ID")[
            "TEAM_ABBREVIATION"
        ]
        away = sides[sides["MATCHUP"].str.contains(" @ ", regex=False)].set_index("GAME_ID")[
            "TEAM_ABBREVIATION"
        ]
        games = pd.DataFrame({"home": home, "away": away}).dropna().sort_index()
        return games.rename_axis("GAME_ID").reset_index()

    def fetch(self, feed: str, day: date, now: datetime) -> list[Payload]:
        if feed == "schedule":
            return [self._schedule(day, now)]
        if feed == "boxscores":
            return self._boxscores(day, now)
        return []  # no lines, no injury reports: `provides` says so

    def _schedule(self, day: date, now: datetime) -> Payload:
        tip = et_datetime(day, *REPLAY_TIP)
        final = now >= tip + REPLAY_FINAL_AFTER
        rows = self.by_date.get(day)
        points = rows.groupby(["GAME_ID", "TEAM_ABBREVIATION"])["PTS"].sum() if rows is not None else {}
        games = []
        for i, game in enumerate(self.games(day).itertuples(index=False), start=1):
            home_score, away_score = (
                int(points[(game.GAME_ID, a)]) if final else 0 for a in (game.home, game.away)
            )
            games.append(
                {
                    "gameId": game.GAME_ID,
                    "gameCode": f"{day:%Y%m%d}/{game.away}{game.home}",
                    "gameStatus": 3 if final else 1,
                    "gameStatusText": "Final" if final else "7:30 pm ET",
                    "gameSequence": i,
                    "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                    "gameDateTimeEst": tip.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "gameDateTimeUTC": tip.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "homeTeam": _team(game.home, home_score),
                    "awayTeam": _team(game.away, away_score),
                }
            )
        season = f"{day.year if day.month >= 7 else day.year - 1}"
        return Payload(
            "schedule.json",
            {
                "meta": {
                    "version": 1,
                    "request": "replay://scheduleleaguev2",
                    "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                },
                "leagueSchedule": {
                    "seasonYear": f"{season}-{(int(season) + 1) % 100:02d}",
                    "leagueId": "00",
                    "gameDates": [{"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": games}] if games else [],
                },
            },
        )

    def _boxscores(self, day: date, now: datetime) -> list[Payload]:
        rows = self.by_date.get(day)
        if rows is None or now < et_datetime(day, *REPLAY_TIP) + REPLAY_FINAL_AFTER:
            return []
        rows = rows.assign(GAME_DATE=day.isoformat())
        headers = list(REQUIRED_COLUMNS)
        row_set = [
            [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row]
            for row in rows[headers].itertuples(index=False)
        ]
        return [
            Payload(
                "leaguegamelog.json",
                {
                    "resource": "leaguegamelog",
                    "parameters": {
                        "LeagueID": "00",
                        "PlayerOrTeam": "P",
                        "DateFrom": day.isoformat(),
                        "DateTo": day.isoformat(),
                    },
                    "resultSets": [{"name": "LeagueGameLog", "headers": headers, "rowSet": row_set}],
                },
            )
        ]
