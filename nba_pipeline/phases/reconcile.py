"""Cross-table checks: a table agrees with the table it was built from, or with the schedule.

- `players_match_gamebook`: player_game_summary has exactly the gamebook's players who played
  (active, minutes > 0) — none dropped by a join, none duplicated or invented.
- `points_match_schedule`: a team's box-score points equal the final score the schedule publishes
  (a box score missing a player, or a stale one, shows up here before it skews every average).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import dagster as dg
import pandas as pd

from nba_pipeline.checks import Verdict
from nba_pipeline.text import markdown_table

EXAMPLES = 5


@dataclass(frozen=True)
class Reconciliation:
    """A cross-table check: `verdicts(output, *inputs, days)` gives each date's outcome."""

    name: str
    description: str
    verdicts: Callable[..., dict[date, Verdict]]


def _day(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["game_date"]).dt.date


def _keys(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*columns, "day"])
    return frame[columns].assign(day=_day(frame))


def _examples(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(markdown_table(frame.head(EXAMPLES)))


def players_match_gamebook(
    summary: pd.DataFrame, gamebook: pd.DataFrame, *_inputs, days: list[date]
) -> dict[date, Verdict]:
    key = ["game_id", "player_lookup"]
    played = (
        gamebook[(gamebook.player_status == "active") & (gamebook.minutes > 0)]
        if not gamebook.empty
        else gamebook
    )
    want, have = _keys(played, key), _keys(summary, key)
    both = want.merge(have, on=[*key, "day"], how="outer", indicator=True)
    out = {}
    for day in days:
        on = both[both.day == day]
        missing, extra = on[on._merge == "left_only"], on[on._merge == "right_only"]
        duplicated = int(have[have.day == day].duplicated(key).sum())
        metadata = {
            "players_played": int((want.day == day).sum()),
            "missing": len(missing),
            "extra": len(extra),
            "duplicated": duplicated,
        }
        if len(missing) or len(extra) or duplicated:
            shown = pd.concat([missing.assign(problem="missing"), extra.assign(problem="extra")])
            metadata["examples"] = _examples(shown[[*key, "problem"]])
        out[day] = Verdict(not (len(missing) or len(extra) or duplicated), metadata)
    return out


def points_match_schedule(
    teams: pd.DataFrame, schedule: pd.DataFrame, days: list[date]
) -> dict[date, Verdict]:
    finals = (
        schedule[(schedule.game_status == 3) & schedule.home_score.notna()]
        if not schedule.empty
        else schedule
    )
    published = (
        pd.concat(
            [
                finals[["game_id", "home_team_abbr", "home_score"]].set_axis(
                    ["game_id", "team_abbr", "score"], axis=1
                ),
                finals[["game_id", "away_team_abbr", "away_score"]].set_axis(
                    ["game_id", "team_abbr", "score"], axis=1
                ),
            ]
        )
        if not finals.empty
        else pd.DataFrame(columns=["game_id", "team_abbr", "score"])
    )
    compared = _keys(teams, ["game_id", "team_abbr", "points"]).merge(published, on=["game_id", "team_abbr"])
    compared = compared.astype({"points": float, "score": float})
    out = {}
    for day in days:
        on = compared[compared.day == day]
        wrong = on[on.points != on.score]
        metadata = {"team_games_compared": len(on), "mismatched": len(wrong)}
        if len(wrong):
            metadata["examples"] = _examples(wrong[["game_id", "team_abbr", "points", "score"]])
        out[day] = Verdict(wrong.empty, metadata)
    return out


PLAYERS_MATCH_GAMEBOOK = Reconciliation(
    "players_match_gamebook",
    "exactly the gamebook's players who played (active, minutes > 0): none dropped, duplicated or invented",
    players_match_gamebook,
)
POINTS_MATCH_SCHEDULE = "points_match_schedule"
POINTS_MATCH_HELP = "each team's box-score points equal the final score the schedule publishes"
