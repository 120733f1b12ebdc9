"""Payloads of the simulated league in the upstreams' real shapes (reference/payload-shapes.md).

- schedule: NBA.com `scheduleLeagueV2` (leagueSchedule.gameDates[].games[]), restricted to one date
- box score: cdn.nba.com liveData `boxscore_{gameId}.json`, one per final game, DNP/inactive included
- injury report: the parsed official report ({metadata, parsing_stats, records[]})
- prop lines: The Odds API v4 historical event odds ({timestamp, …, data: event}), player_points market
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from nba_pipeline.identity import TEAMS
from nba_pipeline.partitions import ET, UTC, et_datetime
from nba_pipeline.sources.sim.games import BoxScore, PlayerLine, PlayerPlan, team_plan
from nba_pipeline.sources.sim.league import Game, Season, rng_for, unit

BOOKS = [("fanduel", "FanDuel"), ("draftkings", "DraftKings"), ("betmgm", "BetMGM")]
LINE_MIN_EXPECTED_MINUTES = 15.0
SNAPSHOT_HOURS = 2
LINES_OPEN_HOUR_BEFORE = 12  # lines for date D open at 12:00 ET on D-1


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fake_z(moment: datetime) -> str:
    """NBA.com's *Est fields: Eastern wall-clock time written with a 'Z' suffix (a real pitfall)."""
    return moment.astimezone(ET).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_minutes(seconds: int) -> str:
    return f"PT{seconds // 60:02d}M{seconds % 60:02d}.00S"


def _status(game: Game, now: datetime) -> tuple[int, str]:
    if now < game.actual_start:
        return 1, game.tip.astimezone(ET).strftime("%-I:%M %p ET").lower().replace(" et", " ET")
    if now < game.final_at:
        elapsed = (now - game.actual_start).total_seconds() / 60
        return 2, f"Q{min(4, 1 + int(elapsed // 32))}"
    return 3, "Final"


def _team_header(abbr: str) -> dict:
    team = TEAMS[abbr]
    return {"teamId": team.team_id, "teamName": team.name, "teamCity": team.city, "teamTricode": abbr}


def schedule_payload(
    season: Season | None, day: date, now: datetime, scores: dict[str, tuple[int, int]]
) -> dict:
    """The date's slate; `season` is None in the off-season (an empty but valid schedule)."""
    games = []
    slate = season.games_by_date.get(day, []) if season else []
    for i, game in enumerate(slate, start=1):
        status, text = _status(game, now)
        home_score, away_score = scores.get(game.nba_game_id, (0, 0))
        day_utc = et_datetime(day, 0)
        games.append(
            {
                "gameId": game.nba_game_id,
                "gameCode": f"{day:%Y%m%d}/{game.away}{game.home}",
                "gameStatus": status,
                "gameStatusText": text,
                "gameSequence": i,
                "gameDateEst": f"{day:%Y-%m-%d}T00:00:00Z",
                "gameTimeEst": f"1900-01-01T{game.tip:%H:%M}:00Z",
                "gameDateTimeEst": _fake_z(game.tip),
                "gameDateUTC": _z(day_utc),
                "gameTimeUTC": f"1900-01-01T{game.tip.astimezone(UTC):%H:%M}:00Z",
                "gameDateTimeUTC": _z(game.tip),
                "day": f"{day:%a}",
                "monthNum": day.month,
                "weekNumber": (day - season.dates[0]).days // 7 + 1,
                "gameLabel": "",
                "gameSubLabel": "",
                "arenaName": f"{TEAMS[game.home].city} Arena",
                "arenaCity": TEAMS[game.home].city,
                "postponedStatus": "N",
                "isNeutral": False,
                "homeTeam": {
                    **_team_header(game.home),
                    "teamSlug": TEAMS[game.home].name.lower().replace(" ", ""),
                    "wins": 0,
                    "losses": 0,
                    "score": home_score if status == 3 else 0,
                    "seed": 0,
                },
                "awayTeam": {
                    **_team_header(game.away),
                    "teamSlug": TEAMS[game.away].name.lower().replace(" ", ""),
                    "wins": 0,
                    "losses": 0,
                    "score": away_score if status == 3 else 0,
                    "seed": 0,
                },
                "pointsLeaders": [],
            }
        )
    year = day.year if day.month >= 7 else day.year - 1
    label = season.label if season else f"{year}-{(year + 1) % 100:02d}"
    return {
        "meta": {
            "version": 1,
            "request": f"http://nba.cloud/league/00/{label}/scheduleleaguev2?Format=json",
            "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        },
        "leagueSchedule": {
            "seasonYear": label,
            "leagueId": "00",
            "gameDates": [{"gameDate": f"{day:%m/%d/%Y} 00:00:00", "games": games}] if games else [],
        },
    }


def _player_json(line: PlayerLine, order: int) -> dict:
    plan = line.plan
    p = plan.player
    pct = lambda made, att: round(made / att, 3) if att else 0.0  # noqa: E731
    record = {
        "status": "INACTIVE" if plan.status == "inactive" else "ACTIVE",
        "order": order,
        "personId": p.player_id,
        "jerseyNum": str(p.slot + 1),
    }
    if line.starter:
        record["position"] = p.position
    record |= {"starter": "1" if line.starter else "0", "oncourt": "0", "played": "1" if plan.plays else "0"}
    if plan.status == "inactive":
        reason = plan.availability.reason or ""
        record["notPlayingReason"] = (
            "INACTIVE_GLEAGUE_TWOWAY" if reason.startswith("G League") else "INACTIVE_INJURY"
        )
        record["notPlayingDescription"] = reason.replace("Injury/Illness - ", "")
    elif plan.status == "dnp":
        record["notPlayingReason"] = "DNP_COACH"
    record["statistics"] = {
        "assists": line.ast,
        "blocks": line.blk,
        "blocksReceived": 0,
        "fieldGoalsAttempted": line.fga,
        "fieldGoalsMade": line.fgm,
        "fieldGoalsPercentage": pct(line.fgm, line.fga),
        "foulsOffensive": 0,
        "foulsDrawn": 0,
        "foulsPersonal": line.pf,
        "foulsTechnical": 0,
        "freeThrowsAttempted": line.fta,
        "freeThrowsMade": line.ftm,
        "freeThrowsPercentage": pct(line.ftm, line.fta),
        "minus": 0.0,
        "minutes": _iso_minutes(line.seconds),
        "minutesCalculated": f"PT{round(line.seconds / 60):02d}M",
        "plus": 0.0,
        "plusMinusPoints": float(line.plus_minus),
        "points": line.points,
        "pointsFastBreak": 0,
        "pointsInThePaint": line.paint_points,
        "pointsSecondChance": 0,
        "reboundsDefensive": line.dreb,
        "reboundsOffensive": line.oreb,
        "reboundsPersonal": line.oreb + line.dreb,
        "reboundsTotal": line.oreb + line.dreb,
        "steals": line.stl,
        "threePointersAttempted": line.fg3a,
        "threePointersMade": line.fg3m,
        "threePointersPercentage": pct(line.fg3m, line.fg3a),
        "turnovers": line.tov,
        "twoPointersAttempted": line.fga - line.fg3a,
        "twoPointersMade": line.fgm - line.fg3m,
        "twoPointersPercentage": pct(line.fgm - line.fg3m, line.fga - line.fg3a),
    }
    record |= {
        "name": p.name,
        "nameI": f"{p.first_name[0]}. {p.family_name}",
        "firstName": p.first_name,
        "familyName": p.family_name,
    }
    return record


def _quarters(points: int, key: str) -> list[dict]:
    rng = rng_for(key, "quarters")
    shares = rng.dirichlet([20, 20, 20, 20])
    scores = [int(points * s) for s in shares]
    scores[-1] += points - sum(scores)
    return [{"period": i + 1, "periodType": "REGULAR", "score": s} for i, s in enumerate(scores)]


def _team_json(box: BoxScore, abbr: str, lines: tuple[PlayerLine, ...]) -> dict:
    points = box.total(lines)
    totals = {
        k: sum(getattr(x, k) for x in lines)
        for k in (
            "fgm",
            "fga",
            "fg3m",
            "fg3a",
            "ftm",
            "fta",
            "oreb",
            "dreb",
            "ast",
            "stl",
            "blk",
            "tov",
            "pf",
        )
    }
    return {
        **_team_header(abbr),
        "score": points,
        "inBonus": "1",
        "timeoutsRemaining": 1,
        "periods": _quarters(points, f"{box.game.nba_game_id}{abbr}"),
        "players": [_player_json(line, i + 1) for i, line in enumerate(lines)],
        "statistics": {
            "assists": totals["ast"],
            "blocks": totals["blk"],
            "fieldGoalsAttempted": totals["fga"],
            "fieldGoalsMade": totals["fgm"],
            "foulsPersonal": totals["pf"],
            "freeThrowsAttempted": totals["fta"],
            "freeThrowsMade": totals["ftm"],
            "points": points,
            "reboundsDefensive": totals["dreb"],
            "reboundsOffensive": totals["oreb"],
            "reboundsTotal": totals["oreb"] + totals["dreb"],
            "steals": totals["stl"],
            "threePointersAttempted": totals["fg3a"],
            "threePointersMade": totals["fg3m"],
            "turnoversTotal": totals["tov"],
        },
    }


def boxscore_payload(box: BoxScore, published_at: datetime) -> dict:
    game = box.game
    return {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{game.nba_game_id}/boxscore?Format=json",
            "time": published_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000"),
        },
        "game": {
            "gameId": game.nba_game_id,
            "gameTimeLocal": game.tip.isoformat(),
            "gameTimeUTC": _z(game.tip),
            "gameEt": _fake_z(game.tip),
            "duration": game.duration_minutes,
            "gameCode": f"{game.day:%Y%m%d}/{game.away}{game.home}",
            "gameStatusText": "Final",
            "gameStatus": 3,
            "regulationPeriods": 4,
            "period": 4,
            "gameClock": "PT00M00.00S",
            "attendance": 17000 + int(rng_for(game.nba_game_id, "attendance").integers(0, 3000)),
            "sellout": "0",
            "arena": {
                "arenaName": f"{TEAMS[game.home].city} Arena",
                "arenaCity": TEAMS[game.home].city,
                "arenaCountry": "US",
                "arenaTimezone": "America/New_York",
            },
            "officials": [],
            "homeTeam": _team_json(box, game.home, box.home),
            "awayTeam": _team_json(box, game.away, box.away),
        },
    }


def injury_payload(season: Season, day: date, released_at: datetime) -> dict:
    records = []
    for game in season.games_by_date.get(day, []):
        matchup = f"{game.away}@{game.home}"
        for abbr in (game.away, game.home):
            for plan in team_plan(season, game, abbr):
                status = plan.availability.status
                if status is None:
                    continue
                records.append(
                    {
                        "date": f"{day:%m/%d/%Y}",
                        "gametime": game.tip.strftime("%I:%M (ET)"),
                        "matchup": matchup,
                        "team": abbr,
                        "player": f"{plan.player.family_name}, {plan.player.first_name}",
                        "status": status,
                        "reason": plan.availability.reason,
                        "confidence": 0.9 if (plan.availability.reason or "").startswith("G League") else 1.0,
                    }
                )
    released = released_at.astimezone(ET)
    counts = {
        s: sum(r["status"] == s for r in records)
        for s in ("Out", "Questionable", "Doubtful", "Probable", "Available")
    }
    return {
        "metadata": {
            "gamedate": f"{released:%Y%m%d}",
            "hour": released.strftime("%I"),
            "period": released.strftime("%p"),
            "hour24": released.strftime("%H"),
            "season": season.label,
            "run_id": f"sim{released:%H%M}",
        },
        "parsing_stats": {"total_records": len(records), "overall_confidence": 0.97, "status_counts": counts},
        "records": records,
    }


def line_eligible(plan: PlayerPlan) -> bool:
    """Books post lines for healthy rotation players, not for the questionable or the deep bench."""
    return (
        plan.plays
        and plan.expected_minutes >= LINE_MIN_EXPECTED_MINUTES
        and plan.availability.status in (None, "Probable")
    )


def snapshot_times(game: Game) -> list[datetime]:
    """When books refresh a game's lines: every 2 h from noon ET the day before until tip-off."""
    first = et_datetime(game.day - timedelta(days=1), LINES_OPEN_HOUR_BEFORE)
    times, moment = [], first
    while moment < game.tip:
        times.append(moment)
        moment += timedelta(hours=SNAPSHOT_HOURS)
    return times


def _odds_name(name: str, book: str) -> str:
    """Books spell some names differently from NBA.com ("Scotty Pippen Jr" vs "Scotty Pippen Jr.")."""
    roll = unit(book, name, "spelling")
    if roll < 0.5 and name.endswith("."):
        return name[:-1]
    return name.replace(".", "") if roll < 0.3 else name


def props_payload(season: Season, game: Game, snapshot_index: int) -> dict:
    """One snapshot of the game's player_points market. All snapshots draw the same numbers from one
    generator per game, so a line is stable across snapshots except for its drift."""
    times = snapshot_times(game)
    moment = times[snapshot_index]
    event_id = hashlib.md5(f"{game.day}{game.away}{game.home}".encode()).hexdigest()
    plans = [
        plan
        for abbr in (game.away, game.home)
        for plan in team_plan(season, game, abbr)
        if line_eligible(plan)
    ]
    rng = rng_for(season.seed, game.nba_game_id, "lines")
    n_books = 2 + int(rng.integers(0, 2))
    listed = rng.random((n_books, len(plans))) < 0.92  # a book does not list every player
    noise = rng.normal(0, 1.0, (n_books, len(plans)))
    drift = rng.choice([-0.5, 0.0, 0.0, 0.0, 0.5], size=(n_books, len(plans), len(times))).cumsum(axis=2)
    vig = rng.choice([-10, -5, 0, 5, 10], size=(n_books, len(plans)))
    over_first = rng.random((n_books, len(plans))) < 0.5  # Over and Under come in either order
    bookmakers = []
    for b, (key, title) in enumerate(BOOKS[:n_books]):
        outcomes = []
        for i, plan in enumerate(plans):
            if not listed[b, i]:
                continue
            point = float(int(plan.expected_points + noise[b, i] + drift[b, i, snapshot_index])) + 0.5
            name = _odds_name(plan.player.name, key)
            pair = [
                {"name": "Over", "description": name, "price": -110 + int(vig[b, i]), "point": point},
                {"name": "Under", "description": name, "price": -110 - int(vig[b, i]), "point": point},
            ]
            outcomes += pair if over_first[b, i] else pair[::-1]
        bookmakers.append(
            {
                "key": key,
                "title": title,
                "last_update": _z(moment),
                "markets": [{"key": "player_points", "last_update": _z(moment), "outcomes": outcomes}],
            }
        )
    previous = times[snapshot_index - 1] if snapshot_index > 0 else None
    following = times[snapshot_index + 1] if snapshot_index + 1 < len(times) else None
    return {
        "timestamp": _z(moment),
        "previous_timestamp": _z(previous) if previous else None,
        "next_timestamp": _z(following) if following else None,
        "data": {
            "id": event_id,
            "sport_key": "basketball_nba",
            "sport_title": "NBA",
            "commence_time": _z(game.actual_start),
            "home_team": TEAMS[game.home].full_name,
            "away_team": TEAMS[game.away].full_name,
            "bookmakers": bookmakers,
        },
    }


def event_file_stem(payload: dict) -> str:
    stamp = payload["timestamp"].replace(":", "").replace("-", "")
    return f"{payload['data']['id']}_{stamp}"
