"""The JSON feed for the web app: pure builders of each file, and validation against its JSON Schema.

Every file carries the halt envelope (`halt_active`, `halt_reason`, `halt_since`, `halt_source_date`);
when halted (off-season, no games, a manual halt) its arrays are present and empty, never absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pandas as pd

SCHEMAS = Path(__file__).parent / "schemas"
FILES = ("tonight", "predictions", "results", "status")


@dataclass(frozen=True)
class Halt:
    active: bool
    reason: str | None = None  # off_season | no_games | manual
    since: str | None = None

    def envelope(self, day: date | None) -> dict:
        return {
            "halt_active": self.active,
            "halt_reason": self.reason,
            "halt_since": self.since,
            "halt_source_date": day.isoformat() if day else None,
        }


def halt_for(day: date, games_on_day: int, games_near: int, manual: str | None) -> Halt:
    """Manual halts win; then a season without games around the date; then a date without games."""
    if manual:
        return Halt(True, "manual", manual)
    if games_near == 0:
        return Halt(True, "off_season")
    if games_on_day == 0:
        return Halt(True, "no_games")
    return Halt(False)


def _clean(value):
    """JSON-safe scalars: NaN and NA become null, numpy numbers become Python numbers."""
    if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: dict[str, str]) -> list[dict]:
    """Rows as dicts with the feed's field names ({field: column})."""
    if frame.empty:
        return []
    return [
        {field: _clean(row[column]) for field, column in columns.items()}
        for row in frame[list(columns.values())].to_dict("records")
    ]


def _round(value, digits: int = 1):
    value = _clean(value)
    return None if value is None else round(float(value), digits)


CONTEXT_FIELDS = (
    "player_name",
    "team_abbr",
    "is_home",
    "has_prop_line",
    "points_line",
    "days_rest",
    "injury_status",
    "injury_reason",
    "points_avg_last_10",
    "minutes_avg_last_10",
    "games_last_10",
)
FACTORS = ("fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score")


def tonight(
    day: date,
    generated_at: datetime,
    halt: Halt,
    schedule: pd.DataFrame,
    contexts: pd.DataFrame,
    predictions: pd.DataFrame,
    factors: pd.DataFrame,
    cache: pd.DataFrame,
) -> dict:
    """Games of the date, their players, lines and the model's prediction with its factors."""
    games = []
    if not halt.active:
        best = predictions.sort_values("system_id", key=lambda s: s != "points_model_lgbm").drop_duplicates(
            ["game_id", "player_lookup"]
        )
        keys = ["game_id", "player_lookup"]
        shown = [*keys, "system_id", "predicted_points", "edge", "recommendation", "confidence"]
        players = contexts[[*keys, *CONTEXT_FIELDS]].merge(best[shown], on=keys, how="left")
        players = players.merge(factors[[*keys, *FACTORS]], on=keys, how="left")
        players = players.merge(cache[[*keys, "points_avg_season"]], on=keys, how="left")
        for game in schedule.sort_values("tipoff_et").itertuples():
            rows = players[players.game_id == game.game_id]
            games.append(
                {
                    "game_id": game.game_id,
                    "nba_game_id": game.nba_game_id,
                    "home_team": game.home_team_abbr,
                    "away_team": game.away_team_abbr,
                    "game_time": pd.Timestamp(game.tipoff_et).isoformat(),
                    "game_status": int(game.game_status),
                    "players": [
                        _player(row)
                        for row in rows.sort_values(["team_abbr", "player_lookup"]).to_dict("records")
                    ],
                }
            )
    all_players = [p for g in games for p in g["players"]]
    return {
        **halt.envelope(day),
        "game_date": day.isoformat(),
        "generated_at": generated_at.isoformat(),
        "total_players": len(all_players),
        "total_with_lines": sum(p["has_line"] for p in all_players),
        "games": games,
    }


def _player(row: dict) -> dict:
    predicted = _clean(row.get("predicted_points"))
    return {
        "player_lookup": row["player_lookup"],
        "name": row["player_name"],
        "team": row["team_abbr"],
        "is_home": bool(row["is_home"]),
        "has_line": bool(row["has_prop_line"]),
        "line": _clean(row["points_line"]),
        "days_rest": _clean(row["days_rest"]),
        "injury_status": _clean(row["injury_status"]),
        "injury_reason": _clean(row["injury_reason"]),
        "season_ppg": _round(row.get("points_avg_season")),
        "last_10": {
            "points": _round(row["points_avg_last_10"]),
            "minutes": _round(row["minutes_avg_last_10"]),
            "games": _clean(row["games_last_10"]),
        },
        "prediction": None
        if predicted is None
        else {
            "system_id": row["system_id"],
            "predicted": predicted,
            "edge": _clean(row["edge"]),
            "recommendation": row["recommendation"],
            "confidence": _clean(row["confidence"]),
            "factors": {
                k: _round(row.get(k), 2)
                for k in ("fatigue_score", "shot_zone_mismatch_score", "pace_score", "usage_spike_score")
            },
        },
    }


PREDICTION_FIELDS = {
    "game_id": "game_id",
    "player_lookup": "player_lookup",
    "name": "player_name",
    "team": "team_abbr",
    "opponent": "opponent_abbr",
    "system_id": "system_id",
    "model_version": "model_version",
    "predicted_points": "predicted_points",
    "line": "line",
    "edge": "edge",
    "recommendation": "recommendation",
    "confidence": "confidence",
}


def predictions_file(day: date, generated_at: datetime, halt: Halt, predictions: pd.DataFrame) -> dict:
    rows = pd.DataFrame() if halt.active else predictions
    summary = {}
    for (system, call), n in (
        rows.groupby(["system_id", "recommendation"]).size().items() if not rows.empty else []
    ):
        summary.setdefault(system, {"OVER": 0, "UNDER": 0, "PASS": 0, "NO_LINE": 0})[call] = int(n)
    return {
        **halt.envelope(day),
        "game_date": day.isoformat(),
        "generated_at": generated_at.isoformat(),
        "summary": summary,
        "predictions": _records(
            rows.sort_values(["game_id", "player_lookup", "system_id"]) if not rows.empty else rows,
            PREDICTION_FIELDS,
        ),
    }


RESULT_FIELDS = {
    "game_id": "game_id",
    "player_lookup": "player_lookup",
    "system_id": "system_id",
    "predicted_points": "predicted_points",
    "actual_points": "actual_points",
    "abs_error": "abs_error",
    "line": "line",
    "recommendation": "recommendation",
    "result": "result",
}
SUMMARY_FIELDS = {
    "system_id": "system_id",
    "graded": "graded",
    "mae": "mae",
    "hit_rate_edge_2": "hit_rate_edge_2",
    "hit_rate_edge_3": "hit_rate_edge_3",
    "bets_edge_2": "bets_edge_2",
    "bets_edge_3": "bets_edge_3",
}


def results_file(
    day: date, generated_at: datetime, halt: Halt, graded: pd.DataFrame, summary: pd.DataFrame
) -> dict:
    halted = halt.active
    return {
        **halt.envelope(day),
        "game_date": day.isoformat(),
        "generated_at": generated_at.isoformat(),
        "summary": [] if halted else _records(summary, SUMMARY_FIELDS),
        "graded": []
        if halted
        else _records(
            graded.sort_values(["game_id", "player_lookup", "system_id"]) if not graded.empty else graded,
            RESULT_FIELDS,
        ),
    }


def status_file(
    day: date, generated_at: datetime, halt: Halt, paths: dict[str, str], counts: dict[str, int]
) -> dict:
    return {
        **halt.envelope(day),
        "generated_at": generated_at.isoformat(),
        "last_export_date": day.isoformat(),
        "files": paths,
        "counts": counts,
    }


@cache
def _validator(name: str):
    """The schema compiled to Python (fastjsonschema): a season's files validate in seconds, not minutes."""
    import fastjsonschema

    return fastjsonschema.compile(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))


def schema_errors(name: str, document: dict) -> list[str]:
    """Where the document breaks its schema (empty: valid)."""
    import fastjsonschema

    try:
        _validator(name)(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        return [f"{exc.path}: {exc.message}"]
    return []
