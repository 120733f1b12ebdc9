"""Parsers of the real upstream formats into Phase 2 rows: the same code for sim, replay and prod.

Each returns row dicts with the table's columns except `loaded_at`, which the asset stamps from the
injected clock; `frame()` turns the rows of a whole date range into one DataFrame. Rows carry the canonical `game_id` (ET date + tricodes), never a feed's own key only.
"""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd

from nba_pipeline.identity import display_name, game_id, game_sides, player_lookup, team_by_full_name
from nba_pipeline.partitions import ET, UTC
from nba_pipeline.phases.raw.tables import COUNTING_STATS


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _naive(moment: datetime, tz) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def frame(table, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[c for c in table.column_names if c != "loaded_at"])


# --- NBA.com scheduleLeagueV2 --------------------------------------------------------------------


def postponed(game: dict) -> bool:
    """NBA.com keeps a postponed game on its original date with postponedStatus "Y" and "PPD"."""
    return game.get("postponedStatus", "N") not in ("N", "", None) or game.get("gameStatusText") == "PPD"


def parse_schedule(payload: dict) -> list[dict]:
    rows = []
    schedule = payload["leagueSchedule"]
    for game_date in schedule.get("gameDates", []):
        for game in game_date["games"]:
            if postponed(game):
                continue  # not played on this date: nothing is expected of it
            # gameDateTimeEst is Eastern wall time with a fake 'Z'; the true instant is gameDateTimeUTC.
            tip_utc = _utc(game["gameDateTimeUTC"])
            day = tip_utc.astimezone(ET).date()
            home, away = game["homeTeam"], game["awayTeam"]
            final = game["gameStatus"] == 3
            rows.append(
                {
                    "game_id": game_id(day, away["teamTricode"], home["teamTricode"]),
                    "nba_game_id": game["gameId"],
                    "game_code": game.get("gameCode"),
                    "game_date": day,
                    "season": schedule.get("seasonYear"),
                    "home_team_abbr": home["teamTricode"],
                    "away_team_abbr": away["teamTricode"],
                    "game_status": game["gameStatus"],
                    "game_status_text": game.get("gameStatusText"),
                    "tipoff_et": _naive(tip_utc, ET),
                    "tipoff_utc": _naive(tip_utc, UTC),
                    "home_score": home.get("score") if final else None,
                    "away_score": away.get("score") if final else None,
                }
            )
    return rows


# --- box scores: cdn.nba.com liveData boxscore, and stats.nba.com LeagueGameLog ----------------------

_ISO_MINUTES = re.compile(r"PT(?:(\d+)M)?(?:([\d.]+)S)?")


def iso_minutes(value: str | None) -> float:
    """'PT25M01.00S' -> 25.02 minutes."""
    match = _ISO_MINUTES.fullmatch(value or "")
    if not match:
        raise ValueError(f"not an ISO-8601 minutes duration: {value!r}")
    return round(int(match.group(1) or 0) + float(match.group(2) or 0) / 60, 2)


_LIVE_STATS = {
    "points": "points",
    "fgm": "fieldGoalsMade",
    "fga": "fieldGoalsAttempted",
    "fg3m": "threePointersMade",
    "fg3a": "threePointersAttempted",
    "ftm": "freeThrowsMade",
    "fta": "freeThrowsAttempted",
    "oreb": "reboundsOffensive",
    "dreb": "reboundsDefensive",
    "reb": "reboundsTotal",
    "ast": "assists",
    "stl": "steals",
    "blk": "blocks",
    "tov": "turnovers",
    "pf": "foulsPersonal",
    "paint_points": "pointsInThePaint",
}


def parse_live_boxscore(payload: dict) -> list[dict]:
    game = payload["game"]
    day = _utc(game["gameTimeUTC"]).astimezone(ET).date()
    home, away = game["homeTeam"]["teamTricode"], game["awayTeam"]["teamTricode"]
    gid = game_id(day, away, home)
    rows = []
    for side, team, opponent in (("homeTeam", home, away), ("awayTeam", away, home)):
        for player in game[side]["players"]:
            stats = player.get("statistics", {})
            if player.get("status") == "INACTIVE":
                status = "inactive"
            elif player.get("played") == "1":
                status = "active"
            else:
                status = "dnp"
            played = status == "active"
            row = {
                "game_id": gid,
                "nba_game_id": game["gameId"],
                "game_date": day,
                "team_abbr": team,
                "opponent_abbr": opponent,
                "is_home": side == "homeTeam",
                "player_id": player["personId"],
                "player_lookup": player_lookup(player["name"]),
                "player_name": player["name"],
                "player_status": status,
                "not_playing_reason": player.get("notPlayingDescription") or player.get("notPlayingReason"),
                "starter": player.get("starter") == "1",
                "minutes": iso_minutes(stats.get("minutes")) if played else None,
                "plus_minus": round(stats["plusMinusPoints"]) if played else None,
                "source_format": "live_boxscore",
            }
            row |= {col: (stats.get(key) if played else None) for col, key in _LIVE_STATS.items()}
            rows.append(row)
    return rows


def parse_league_game_log(payload: dict) -> list[dict]:
    result = next(rs for rs in payload["resultSets"] if rs["name"] == "LeagueGameLog")
    log = pd.DataFrame(result["rowSet"], columns=result["headers"])
    if log.empty:
        return []
    log["GAME_DATE"] = pd.to_datetime(log["GAME_DATE"]).dt.date
    log["GAME_ID"] = log["GAME_ID"].astype(str).str.zfill(10)
    # Home and away from the MATCHUP text, never from which rows say "vs.": at a neutral site both say "@".
    sides = log[["GAME_ID"]].merge(game_sides(log), on="GAME_ID", how="left")
    home, away = sides["home"].to_numpy(), sides["away"].to_numpy()
    team = log["TEAM_ABBREVIATION"].to_numpy()
    strangers = log.loc[(team != home) & (team != away), ["GAME_ID", "TEAM_ABBREVIATION", "MATCHUP"]]
    if not strangers.empty:
        raise ValueError(
            f"LeagueGameLog row of a team its MATCHUP does not name: {strangers.iloc[0].to_dict()}"
        )
    is_home = team == home
    log["TEAM_ABBREVIATION_OPP"] = np.where(is_home, away, home)
    out = pd.DataFrame(
        {
            "game_id": [game_id(d, a, h) for d, a, h in zip(log["GAME_DATE"], away, home, strict=True)],
            "nba_game_id": log["GAME_ID"],
            "game_date": log["GAME_DATE"],
            "team_abbr": log["TEAM_ABBREVIATION"],
            "opponent_abbr": log["TEAM_ABBREVIATION_OPP"],
            "is_home": is_home,
            "player_id": log["PLAYER_ID"],
            "player_lookup": log["PLAYER_NAME"].map(player_lookup),
            "player_name": log["PLAYER_NAME"],
            "player_status": "active",  # the log lists only players who appeared
            "not_playing_reason": None,
            "starter": None,
            "minutes": pd.to_numeric(log["MIN"]).astype(float),
            "points": log["PTS"],
            **{col: log[col.upper()] for col in COUNTING_STATS},
            "plus_minus": log["PLUS_MINUS"],
            "paint_points": None,
            "source_format": "league_game_log",
        }
    )
    return out.astype(object).where(out.notna(), None).to_dict("records")


def parse_boxscore(payload: dict) -> list[dict]:
    """Either box-score format, recognized by its shape."""
    if "resultSets" in payload:
        return parse_league_game_log(payload)
    if "game" in payload:
        return parse_live_boxscore(payload)
    raise ValueError("unrecognized box-score payload: expected liveData 'game' or LeagueGameLog 'resultSets'")


def team_boxscores(gamebook: pd.DataFrame) -> pd.DataFrame:
    """Team rows as sums over the team's players (so team points always equal player points)."""
    played = gamebook[gamebook["player_status"] == "active"]
    keys = ["game_id", "nba_game_id", "game_date", "team_abbr", "opponent_abbr", "is_home"]
    if played.empty:
        return pd.DataFrame(
            columns=[*keys, "points", *COUNTING_STATS, "minutes", "paint_points", "players_played"]
        )
    sums = played.groupby(keys, as_index=False, dropna=False).agg(
        points=("points", "sum"),
        **{c: (c, "sum") for c in COUNTING_STATS},
        minutes=("minutes", "sum"),
        paint_points=("paint_points", lambda s: s.sum() if s.notna().any() else None),
        players_played=("player_lookup", "count"),
    )
    sums["minutes"] = sums["minutes"].round(1)
    return sums


# --- the official injury report, parsed -----------------------------------------------------------


def parse_injury_report(payload: dict) -> list[dict]:
    meta = payload.get("metadata", {})
    # The release is named by its ET date and hour (reports go out at :30); stored as naive UTC.
    released = datetime.strptime(f"{meta['gamedate']} {meta.get('hour24', '00')}:30", "%Y%m%d %H:%M").replace(
        tzinfo=ET
    )
    rows = []
    for record in payload.get("records", []):
        day = datetime.strptime(record["date"], "%m/%d/%Y").replace(tzinfo=ET).date()
        away, home = record["matchup"].split("@")
        rows.append(
            {
                "report_time": _naive(released, UTC),
                "game_date": day,
                "game_id": game_id(day, away.strip(), home.strip()),
                "team_abbr": record["team"],
                "player_lookup": player_lookup(record["player"]),
                "player_name": display_name(record["player"]),
                "injury_status": record["status"],
                "reason": record.get("reason"),
                "confidence": record.get("confidence"),
            }
        )
    return rows


# --- The Odds API v4 event odds (player_points) ---------------------------------------------------


def american_to_decimal(price: float) -> float:
    return round(1 + (price / 100 if price > 0 else 100 / -price), 4)


def decimal_to_american(price: float) -> int:
    return round((price - 1) * 100) if price >= 2 else round(-100 / (price - 1))


def _prices(price) -> tuple[int | None, float | None]:
    if price is None:
        return None, None
    if isinstance(price, int) or abs(price) >= 100:  # american odds
        return int(price), american_to_decimal(price)
    return decimal_to_american(price), float(price)


def parse_odds_event(payload: dict) -> list[dict]:
    """An event-odds response, bare or wrapped by the historical endpoint ({timestamp, data})."""
    event = payload.get("data", payload)
    commence = _utc(event["commence_time"])
    day = commence.astimezone(ET).date()
    home = team_by_full_name(event["home_team"]).abbr
    away = team_by_full_name(event["away_team"]).abbr
    event_fields = {
        "game_id": game_id(day, away, home),
        "game_date": day,
        "event_id": event["id"],
        "commence_time": _naive(commence, UTC),
    }
    snapshot = _utc(payload["timestamp"]) if "timestamp" in payload else None
    rows: dict[tuple[str, str], dict] = {}
    for book in event.get("bookmakers", []):
        taken = snapshot or _utc(book["last_update"])
        book_fields = {
            **event_fields,
            "bookmaker": book["key"],
            "snapshot_timestamp": _naive(taken, UTC),
            "minutes_before_tipoff": int((commence - taken).total_seconds() // 60),
        }
        for market in book.get("markets", []):
            if market["key"] != "player_points":
                continue
            for outcome in market["outcomes"]:
                lookup = player_lookup(outcome["description"])
                row = rows.get((book["key"], lookup))
                if row is None:
                    row = rows[(book["key"], lookup)] = {
                        **book_fields,
                        "player_lookup": lookup,
                        "player_name": outcome["description"],
                        "points_line": outcome.get("point"),
                        "over_price_american": None,
                        "under_price_american": None,
                        "over_price": None,
                        "under_price": None,
                    }
                side = outcome["name"].lower()  # Over and Under come in either order
                if side in ("over", "under"):
                    row[f"{side}_price_american"], row[f"{side}_price"] = _prices(outcome.get("price"))
    return list(rows.values())


# --- what a landed payload covers (Phase 1 metadata) --------------------------------------------------


def games_in_payload(feed: str, payload: dict) -> set[str]:
    """Identifiers of the games a landed payload carries data for, read cheaply (no full parse)."""
    if feed == "schedule":
        return {g["gameId"] for d in payload["leagueSchedule"].get("gameDates", []) for g in d["games"]}
    if feed == "boxscores":
        if "game" in payload:
            return {payload["game"]["gameId"]}
        result = next(rs for rs in payload["resultSets"] if rs["name"] == "LeagueGameLog")
        column = result["headers"].index("GAME_ID")
        return {str(row[column]) for row in result["rowSet"]}
    if feed == "injury_report":
        return {f"{r['date']} {r['matchup']}" for r in payload.get("records", [])}
    if feed == "prop_lines":
        event = payload.get("data", payload)
        has_lines = any(m["outcomes"] for b in event.get("bookmakers", []) for m in b.get("markets", []))
        return {event["id"]} if has_lines else set()
    raise ValueError(f"unknown feed {feed!r}")
