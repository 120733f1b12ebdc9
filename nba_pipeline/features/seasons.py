"""Seasons in feature math: windows that start fresh each season, and rates carried across seasons.

A season is named by the year it starts (2023 for 2023-24; its games all fall after August 1). This
season's rolling windows are keyed by (entity, season), so they never reach into last season and give
the same numbers whatever range of dates a run reads. What a player did in an earlier season is
carried over explicitly instead: his per-game and per-minute rates in the most recent earlier season
the history holds (up to `CARRY_SEASONS` back), blended with this season's as a prior worth
`PRIOR_GAMES` games that halves with each season further back, so it fades as this season's games
accumulate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

CARRY_SEASONS = 2  # how many seasons back a previous-season rate may come from
PRIOR_GAMES = 8.0  # the previous season counts as this many of this season's games...
PRIOR_MINUTES = 200.0  # ...and, for per-minute rates, as this many minutes
DECAY = 0.5  # per season further back


def season_year(dates) -> np.ndarray:
    """The season of each date: the year of the August 1 before it."""
    d = pd.to_datetime(pd.Series(dates))
    return np.where(d.dt.month >= 8, d.dt.year, d.dt.year - 1).astype(int)


def carry_start(first_day: date) -> date:
    """The earliest date carried-over rates read for targets from `first_day` on."""
    return date(int(season_year([first_day])[0]) - CARRY_SEASONS, 8, 1)


def season_keyed(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """`frame` with `key` replaced by "key@season": windows over it stay inside the season."""
    return frame.assign(**{key: frame[key].astype(str) + "@" + season_year(frame.game_date).astype(str)})


def previous_season(
    history: pd.DataFrame, targets: pd.DataFrame, key: str, values: Sequence[str]
) -> pd.DataFrame:
    """Per target (key, game_date): the entity's most recent earlier season within CARRY_SEASONS —
    `prev_games`, `seasons_back` and each value's sum and per-game mean there (`prev_{v}_sum`,
    `prev_{v}_avg`). NaN (and 0 games) when the history holds no such season."""
    by_season = history.assign(_season=season_year(history.game_date)).groupby([key, "_season"])
    seasons = pd.concat(
        [by_season.size().rename("prev_games")]
        + [by_season[v].sum(min_count=1).rename(f"prev_{v}_sum") for v in values]
        + [by_season[v].count().rename(f"_n_{v}") for v in values],
        axis=1,
    )
    season = season_year(targets.game_date)
    picked = pd.DataFrame(np.nan, index=targets.index, columns=[*seasons.columns, "seasons_back"])
    for back in range(CARRY_SEASONS, 0, -1):  # nearer seasons are written last: the nearest wins
        there = seasons.reindex(pd.MultiIndex.from_arrays([targets[key].to_numpy(), season - back]))
        hit = there.prev_games.notna().to_numpy()
        picked.loc[hit, seasons.columns] = there.to_numpy()[hit]
        picked.loc[hit, "seasons_back"] = back
    out = picked[["prev_games", "seasons_back"]].assign(prev_games=picked.prev_games.fillna(0))
    for v in values:
        out[f"prev_{v}_sum"] = picked[f"prev_{v}_sum"]
        out[f"prev_{v}_avg"] = picked[f"prev_{v}_sum"] / picked[f"_n_{v}"].where(picked[f"_n_{v}"] > 0)
    return out


def prior_weight(base: float, seasons_back: pd.Series) -> pd.Series:
    """How much the carried-over season weighs: `base` one season back, halved per season further."""
    return (base * DECAY ** (seasons_back - 1)).fillna(0.0)


def blend(current_total, current_count, prior_rate, weight) -> np.ndarray:
    """(this season's total + weight x the carried rate) / (this season's count + weight): the carried
    rate alone before the season's first game, this season's rate once it has many."""
    total = np.asarray(current_total, dtype=float)
    count = np.asarray(current_count, dtype=float)
    prior = np.asarray(prior_rate, dtype=float)
    w = np.where(np.isnan(prior), 0.0, np.asarray(weight, dtype=float))
    num = np.nan_to_num(total) + w * np.nan_to_num(prior)
    den = np.nan_to_num(count) + w
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
