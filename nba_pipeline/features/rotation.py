"""A player's place in his team's rotation this season, from the games the team has played.

Minutes decide points, and who plays is known only from past box scores (the real replay has no
injury reports): a player back from a long absence, or in and out of the rotation, plays less than
his averages say. Everything is counted in the team's games of this season strictly before the date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nba_pipeline.features.rolling import timestamps
from nba_pipeline.features.seasons import season_year

WINDOW = 10  # team games


def _team_games(history: pd.DataFrame) -> pd.DataFrame:
    """Each team's games of each season, numbered 1, 2, ... in date order."""
    games = (
        history[["team_abbr", "game_date"]]
        .drop_duplicates()
        .assign(game_date=lambda g: timestamps(g.game_date).to_numpy())
    )
    games = games.sort_values("game_date", kind="stable").assign(season=lambda g: season_year(g.game_date))
    return games.assign(team_game=games.groupby(["team_abbr", "season"]).cumcount() + 1)


def _asof(left: pd.DataFrame, right: pd.DataFrame, on: str, by: list[str], strict: bool) -> pd.DataFrame:
    merged = pd.merge_asof(
        left.sort_values(on, kind="stable"),
        right.sort_values(on, kind="stable"),
        on=on,
        by=by,
        allow_exact_matches=not strict,
        direction="backward",
    )
    return merged.sort_values("_row").reset_index(drop=True)


def rotation_status(history: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Per target (player_lookup, team_abbr, game_date): `team_games_before` (the team's games this
    season), `games_missed_streak` (team games since he last played for the team: all of them when he
    has not yet), `apps_last_10_team` (his appearances in the team's last 10) and `app_share_season`."""
    season = season_year(targets.game_date)
    left = pd.DataFrame(
        {
            "player_lookup": targets.player_lookup.to_numpy(),
            "team_abbr": targets.team_abbr.to_numpy(),
            "season": season,
            "game_date": timestamps(targets.game_date).to_numpy(),
            "_row": np.arange(len(targets)),
        }
    )
    out = pd.DataFrame(index=targets.index)
    if history.empty:
        out["team_games_before"] = out["games_missed_streak"] = out["apps_last_10_team"] = 0
        out["app_share_season"] = np.nan
        return out
    games = _team_games(history)
    played = history[["player_lookup", "team_abbr", "game_date"]].assign(
        game_date=lambda h: timestamps(h.game_date).to_numpy()
    )
    played = played.merge(games, on=["team_abbr", "game_date"])
    played = played.sort_values("team_game", kind="stable")
    played["appearances"] = played.groupby(["player_lookup", "team_abbr", "season"]).cumcount() + 1
    team_before = _asof(left, games, "game_date", ["team_abbr", "season"], strict=True).team_game.fillna(0)
    mine = played[["player_lookup", "team_abbr", "season", "game_date", "team_game", "appearances"]]
    last = _asof(
        left,
        mine.rename(columns={"team_game": "last_team_game"}),
        "game_date",
        ["player_lookup", "team_abbr", "season"],
        True,
    )

    def appearances_by(team_game: pd.Series) -> np.ndarray:
        """His appearances for the team in its first `team_game` games of the season."""
        at = left.assign(team_game=team_game.astype(int).to_numpy())
        by = ["player_lookup", "team_abbr", "season"]
        return (
            _asof(at, mine[[*by, "team_game", "appearances"]], "team_game", by, strict=False)
            .appearances.fillna(0)
            .to_numpy()
        )

    apps = last.appearances.fillna(0).to_numpy()
    out["team_games_before"] = team_before.to_numpy().astype(int)
    out["games_missed_streak"] = (team_before - last.last_team_game.fillna(0)).to_numpy().astype(int)
    out["apps_last_10_team"] = (apps - appearances_by((team_before - WINDOW).clip(lower=0))).astype(int)
    out["app_share_season"] = np.where(team_before > 0, apps / team_before.where(team_before > 0), np.nan)
    return out
