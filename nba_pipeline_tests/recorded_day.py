"""Build a folder of HTTP recordings for a real game date from the real season's LeagueGameLog CSV
(`../shared/data/nba/`, read, never copied into the project), so `--source nba` runs a real day end
to end with no network:

    python -m nba_pipeline_tests.recorded_day DIR --date 2024-01-15
    NBA_PIPELINE_HTTP_RECORDINGS=DIR NBA_PIPELINE_ODDS_API_KEY=recorded NBA_PIPELINE_DISABLED_FEEDS=injury_report \
        NBA_PIPELINE_NOW=2024-01-16T12:00:00-05:00 nba-pipeline run --date 2024-01-15 --source nba

What is real and what is not: the schedule (stats.nba.com `scheduleleaguev2`) lists the season's
real games with their real final scores — at 7:30 pm ET, since the CSV has no tip times — and each
date's `leaguegamelog` is the real one, the CSV being that endpoint's export. No real Odds API or
injury-report recording may be committed here, so the date's lines are built for the recording
(each player's average over his previous ten games, at the half point below, spelled as books spell
names), and there is no injury report: run it with that feed switched off, as below.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from nba_pipeline.identity import TEAMS
from nba_pipeline.partitions import UTC, et_datetime
from nba_pipeline.sources.nba.stats import season_of

LOG_HEADERS = [
    "SEASON_ID",
    "PLAYER_ID",
    "PLAYER_NAME",
    "TEAM_ID",
    "TEAM_ABBREVIATION",
    "TEAM_NAME",
    "GAME_ID",
    "GAME_DATE",
    "MATCHUP",
    "WL",
    "MIN",
    "FGM",
    "FGA",
    "FG_PCT",
    "FG3M",
    "FG3A",
    "FG3_PCT",
    "FTM",
    "FTA",
    "FT_PCT",
    "OREB",
    "DREB",
    "REB",
    "AST",
    "STL",
    "BLK",
    "TOV",
    "PF",
    "PTS",
    "PLUS_MINUS",
    "FANTASY_PTS",
    "VIDEO_AVAILABLE",
]  # the endpoint's own column order (the CSV moved PTS and dropped the last two)
TIP = (19, 30)
JSON = {"Content-Type": "application/json; charset=utf-8"}
BOOKS = (("fanduel", "FanDuel"), ("draftkings", "DraftKings"))


def _write(folder: Path, name: str, url: str, answer: dict, params: dict | None = None) -> None:
    record = {"request": {"method": "GET", "url": url, "params": params or {}}, "responses": [answer]}
    (folder / name).write_text(json.dumps(record, ensure_ascii=False))


def _z(moment) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _games(log: pd.DataFrame) -> pd.DataFrame:
    """One row per game: date, id, home, away and their points (home = the "vs." side)."""
    sides = log.groupby(["GAME_ID", "GAME_DATE", "TEAM_ABBREVIATION", "MATCHUP"], as_index=False)["PTS"].sum()
    home = sides[sides.MATCHUP.str.contains(" vs. ", regex=False)].set_index("GAME_ID")
    away = sides[sides.MATCHUP.str.contains(" @ ", regex=False)].set_index("GAME_ID")
    games = home[["GAME_DATE", "TEAM_ABBREVIATION", "PTS"]].join(
        away[["TEAM_ABBREVIATION", "PTS"]], rsuffix="_AWAY"
    )
    games.columns = ["day", "home", "home_pts", "away", "away_pts"]
    return games.reset_index().sort_values(["day", "GAME_ID"])


def _team(abbr: str, points: int) -> dict:
    t = TEAMS[abbr]
    return {
        "teamId": t.team_id,
        "teamName": t.name,
        "teamCity": t.city,
        "teamTricode": abbr,
        "score": int(points),
    }


def schedule(games: pd.DataFrame, season: str) -> dict:
    dates = []
    for day, slate in games.groupby("day", sort=True):
        tip = et_datetime(day, *TIP)
        dates.append(
            {
                "gameDate": f"{day:%m/%d/%Y} 00:00:00",
                "games": [
                    {
                        "gameId": g.GAME_ID,
                        "gameCode": f"{day:%Y%m%d}/{g.away}{g.home}",
                        "gameStatus": 3,
                        "gameStatusText": "Final",
                        "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                        "gameDateTimeEst": f"{day:%Y-%m-%d}T19:30:00Z",
                        "gameDateTimeUTC": _z(tip),
                        "postponedStatus": "N",
                        "homeTeam": _team(g.home, g.home_pts),
                        "awayTeam": _team(g.away, g.away_pts),
                    }
                    for g in slate.itertuples()
                ],
            }
        )
    return {
        "meta": {
            "version": 1,
            "request": f"http://nba.cloud/league/00/{season}/scheduleleaguev2?Format=json",
        },
        "leagueSchedule": {"seasonYear": season, "leagueId": "00", "gameDates": dates},
    }


def league_game_log(rows: pd.DataFrame, day: date, season: str) -> dict:
    rows = rows.assign(GAME_DATE=day.isoformat(), FANTASY_PTS=None, VIDEO_AVAILABLE=1)
    row_set = [
        [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in r]
        for r in rows[LOG_HEADERS].itertuples(index=False)
    ]
    return {
        "resource": "leaguegamelog",
        "parameters": {
            "LeagueID": "00",
            "Season": season,
            "SeasonType": "Regular Season",
            "PlayerOrTeam": "P",
        },
        "resultSets": [{"name": "LeagueGameLog", "headers": LOG_HEADERS, "rowSet": row_set}],
    }


def book_name(name: str, book: str) -> str:
    """FanDuel drops the period of "Jr."; DraftKings writes no periods and no accents."""
    if book == "fanduel":
        return name.removesuffix(".")
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.replace(".", "")


def event_odds(log: pd.DataFrame, game, day: date) -> dict:
    before = log[day > log.GAME_DATE].sort_values("GAME_DATE")
    tonight = log[log.GAME_ID == game.GAME_ID]
    event_id = hashlib.md5(f"{day}{game.away}{game.home}".encode()).hexdigest()
    commence = et_datetime(day, *TIP) + timedelta(minutes=10)
    bookmakers = []
    for b, (key, title) in enumerate(BOOKS):
        outcomes = []
        for player in tonight.itertuples():
            recent = before[before.PLAYER_ID == player.PLAYER_ID].tail(10)
            if len(recent) < 5 or recent.MIN.mean() < 15:
                continue  # books post lines for rotation players
            point = float(int(recent.PTS.mean()) + b) + 0.5
            name = book_name(player.PLAYER_NAME, key)
            outcomes += [
                {"name": "Over", "description": name, "price": -115 + 5 * b, "point": point},
                {"name": "Under", "description": name, "price": -105 - 5 * b, "point": point},
            ]
        bookmakers.append(
            {
                "key": key,
                "title": title,
                "last_update": _z(commence - timedelta(hours=1)),
                "markets": [
                    {
                        "key": "player_points",
                        "last_update": _z(commence - timedelta(hours=1)),
                        "outcomes": outcomes,
                    }
                ],
            }
        )
    return {
        "id": event_id,
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": _z(commence),
        "home_team": TEAMS[game.home].full_name,
        "away_team": TEAMS[game.away].full_name,
        "bookmakers": bookmakers,
    }


def build(folder: Path, csv: Path, day: date, history_days: int = 90) -> dict:
    """Write the recordings; returns what they hold (games, players and points of `day`)."""
    folder.mkdir(parents=True, exist_ok=True)
    log = pd.read_csv(csv, dtype={"GAME_ID": str, "SEASON_ID": str})
    log["GAME_ID"] = log["GAME_ID"].str.zfill(10)
    log["GAME_DATE"] = pd.to_datetime(log["GAME_DATE"]).dt.date
    season = season_of(day)
    games = _games(log)
    stats = "https://stats.nba.com/stats"
    _write(
        folder,
        f"scheduleleaguev2_{season}.json",
        f"{stats}/scheduleleaguev2",
        {"status": 200, "headers": JSON, "json": schedule(games, season)},
        {"Season": season},
    )
    first = day - timedelta(days=history_days)
    for logged, rows in log[(first <= log.GAME_DATE) & (day >= log.GAME_DATE)].groupby("GAME_DATE"):
        params = {
            "DateFrom": f"{logged:%m/%d/%Y}",
            "DateTo": f"{logged:%m/%d/%Y}",
            "PlayerOrTeam": "P",
            "SeasonType": "Regular Season",
        }
        _write(
            folder,
            f"leaguegamelog_{logged}.json",
            f"{stats}/leaguegamelog",
            {"status": 200, "headers": JSON, "json": league_game_log(rows, logged, season)},
            params,
        )
    slate = games[games.day == day]
    odds = [event_odds(log, g, day) for g in slate.itertuples()]
    base = "https://api.the-odds-api.com/v4/sports/basketball_nba/events"
    quota = lambda used: {**JSON, "x-requests-remaining": str(500 - used), "x-requests-used": str(used)}  # noqa: E731
    events = [{k: v for k, v in e.items() if k != "bookmakers"} for e in odds]
    _write(
        folder,
        "odds_events.json",
        base,
        {"status": 200, "headers": quota(0), "json": events},
        {"commenceTimeFrom": _z(et_datetime(day, 0))},
    )
    for used, event in enumerate(odds, start=1):
        _write(
            folder,
            f"odds_{event['id']}.json",
            f"{base}/{event['id']}/odds",
            {"status": 200, "headers": quota(used), "json": event},
            {"markets": "player_points"},
        )
    tonight = log[day == log.GAME_DATE]
    return {
        "games": sorted(slate.GAME_ID),
        "players": len(tonight),
        "points": {(r.GAME_ID, r.PLAYER_NAME): int(r.PTS) for r in tonight.itertuples()},
        "lines": sum(len(b["markets"][0]["outcomes"]) // 2 for e in odds for b in e["bookmakers"]),
    }


def main() -> None:
    from nba_pipeline.environment import REAL_SEASONS_DIR

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--date", type=date.fromisoformat, default=date(2024, 1, 15))
    parser.add_argument("--csv", type=Path, default=REAL_SEASONS_DIR / "player_logs_2023-24.csv")
    args = parser.parse_args()
    held = build(args.folder, args.csv, args.date)
    print(
        f"{args.folder}: {len(held['games'])} games, {held['players']} player rows, {held['lines']} lines for {args.date}"
    )


if __name__ == "__main__":
    main()
