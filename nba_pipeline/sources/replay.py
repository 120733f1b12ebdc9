"""Real seasons replayed from stats.nba.com LeagueGameLog CSVs (player rows, PlayerOrTeam=P).

The replay reads one CSV, or a folder of them (every `*.csv`, one season each), as one continuous
history: a model can then learn from previous seasons. Box scores come out as the endpoint's own
`resultSets` payload, one per date; the schedule (NBA.com scheduleLeagueV2 shape) is derived from the
player rows: a game is its GAME_ID on the date it was played (a postponed game is where it was made
up), and home and away come from the MATCHUP text (`identity.game_sides`, neutral sites included).
The CSV has no tip-off times, so every game is listed at 7:30 pm ET, and no prop lines or injury
reports: the replay does not provide those feeds and says so through `provides`, so they land as
empty tables rather than errors.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd

from nba_pipeline.environment import ConfigError
from nba_pipeline.identity import TEAMS, game_sides
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


def _check_file(path: Path) -> None:
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"replay CSV {path} is not a readable CSV: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ConfigError(f"replay CSV {path} lacks required columns: {', '.join(missing)}")


def replay_files(path: Path | None) -> list[Path]:
    """The season files of `path` (a CSV, or a folder of them), each checked: a one-line ConfigError
    unless every one is a readable CSV with every required column."""
    if path is None:
        raise ConfigError(
            "--source replay needs a CSV or a folder of them: pass --replay-csv PATH or set NBA_PIPELINE_REPLAY_CSV"
        )
    if path.is_dir():
        files = sorted(p for p in path.glob("*.csv") if p.is_file())
        if not files:
            raise ConfigError(f"replay folder {path} holds no .csv season files")
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"replay CSV not found: {path}")
    for file in files:
        _check_file(file)
    return files


def check_replay_csv(path: Path | None) -> Path:
    """`path` when it is a valid replay CSV or folder of CSVs, else a one-line ConfigError (read now,
    so a repeated player-game is refused before anything runs; the read is cached for the run)."""
    load_seasons(replay_files(path))
    return path


@lru_cache(maxsize=4)
def _load_file(path: str, mtime: float) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype={"GAME_ID": str, "SEASON_ID": str}, usecols=list(REQUIRED_COLUMNS))
    frame["GAME_ID"] = frame["GAME_ID"].str.zfill(10)
    frame["GAME_DATE"] = pd.to_datetime(frame["GAME_DATE"]).dt.date
    return frame


def load_seasons(files: list[Path]) -> pd.DataFrame:
    """Every file's rows as one history; a player-game in two files is a one-line ConfigError (the
    same season twice would double every stat)."""
    frames = [_load_file(str(f), f.stat().st_mtime).assign(_file=f.name) for f in files]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    twice = frame[frame.duplicated(["GAME_ID", "PLAYER_ID"], keep=False)]
    if not twice.empty:
        first = twice.iloc[0]
        where = sorted(set(twice[twice.GAME_ID == first.GAME_ID]._file))
        raise ConfigError(
            f"replay rows repeat: game {first.GAME_ID} player {first.PLAYER_ID} appears more than once ({', '.join(where)})"
        )
    return frame.drop(columns="_file")


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
        """A CSV, or a folder of season CSVs replayed as one continuous history."""
        return cls(load_seasons(replay_files(path)))

    @property
    def dates(self) -> list[date]:
        return list(self.by_date)

    def games(self, day: date) -> pd.DataFrame:
        """One row per game of the date: GAME_ID, home, away (from MATCHUP) and neutral, in GAME_ID order."""
        rows = self.by_date.get(day)
        if rows is None:
            return pd.DataFrame(columns=["GAME_ID", "home", "away", "neutral"])
        # per date, so one unreadable MATCHUP fails its own date only
        return game_sides(rows)[["GAME_ID", "home", "away", "neutral"]]

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
                    "isNeutral": bool(game.neutral),
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
