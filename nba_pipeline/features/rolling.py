"""Rolling statistics over an entity's games strictly before a target date: no leakage by construction.

History rows are (key, game_date, values…), one per game. For each target (key, date) the functions
find the entity's last game strictly before the date with `merge_asof(allow_exact_matches=False)` and
read windows off per-entity cumulative sums, so a whole season of targets costs a few vectorized
joins, not one query or loop per player.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

N = "_games_before"  # games the entity played before the target date


def timestamps(values) -> pd.Series:
    """Dates as nanosecond timestamps: DuckDB returns microseconds, Python dates become nanoseconds,
    and merge_asof refuses to compare the two."""
    return pd.Series(pd.to_datetime(values)).astype("datetime64[ns]")


def _prepared(history: pd.DataFrame, key: str, values: Sequence[str]) -> pd.DataFrame:
    h = history[[key, "game_date", *values]].copy()
    h["game_date"] = timestamps(h["game_date"]).to_numpy()
    h = h.sort_values([key, "game_date"], kind="stable").reset_index(drop=True)
    h[N] = h.groupby(key).cumcount() + 1
    for v in values:
        filled = h[v].astype(float)
        h[f"_cs_{v}"] = filled.fillna(0).groupby(h[key]).cumsum()
        h[f"_cn_{v}"] = filled.notna().astype(int).groupby(h[key]).cumsum()  # windows skip missing values
        h[f"_cq_{v}"] = (filled.fillna(0) ** 2).groupby(h[key]).cumsum()
    return h


def _asof(
    targets: pd.DataFrame, h: pd.DataFrame, key: str, at: pd.Series, columns: list[str]
) -> pd.DataFrame:
    """The last history row of each target's entity strictly before `at` (NaN when none)."""
    left = pd.DataFrame(
        {key: targets[key].to_numpy(), "_at": timestamps(at).to_numpy(), "_row": np.arange(len(targets))}
    )
    left = left.sort_values("_at", kind="stable")
    right = h[[key, "game_date", *columns]].sort_values("game_date", kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        left_on="_at",
        right_on="game_date",
        by=key,
        allow_exact_matches=False,
        direction="backward",
    )
    return merged.sort_values("_row").reset_index(drop=True)


def _at_count(
    h: pd.DataFrame, key: str, entities: pd.Series, counts: pd.Series, columns: list[str]
) -> pd.DataFrame:
    """Cumulative columns of each entity after its first `counts` games (zeros for a count of 0)."""
    lookup = h.set_index([key, N])[columns]
    index = pd.MultiIndex.from_arrays([entities.to_numpy(), counts.fillna(0).astype(int).to_numpy()])
    return lookup.reindex(index).fillna(0).reset_index(drop=True)


def rolling_before(
    history: pd.DataFrame,
    targets: pd.DataFrame,
    key: str,
    values: Sequence[str],
    windows: Iterable[int],
    std_windows: Iterable[int] = (),
) -> pd.DataFrame:
    """For each target row (key, game_date): the mean of each value over the entity's last w games
    strictly before game_date (fewer when fewer exist; NaN with none), `games_before`, the date of the
    previous game, and sample standard deviations for `std_windows`.

    Columns: `games_before`, `last_game_date`, `{value}_avg_last_{w}`, `{value}_std_last_{w}`.
    """
    h = _prepared(history, key, values)
    cum = [c for v in values for c in (f"_cs_{v}", f"_cn_{v}", f"_cq_{v}")]
    last = _asof(targets, h, key, targets["game_date"], [N, *cum])
    out = pd.DataFrame(index=targets.index)
    games = last[N].fillna(0).astype(int)
    out["games_before"] = games.to_numpy()
    out["last_game_date"] = last["game_date"].dt.date.to_numpy()
    windows, std_windows = set(windows), set(std_windows)
    for w in sorted(windows | std_windows):
        start = _at_count(h, key, targets[key], (games - w).clip(lower=0), cum)
        for v in values:
            total = last[f"_cs_{v}"].fillna(0).to_numpy() - start[f"_cs_{v}"].to_numpy()
            count = last[f"_cn_{v}"].fillna(0).to_numpy() - start[f"_cn_{v}"].to_numpy()
            squares = last[f"_cq_{v}"].fillna(0).to_numpy() - start[f"_cq_{v}"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
                if w in std_windows:
                    var = (squares - count * mean**2) / np.maximum(count - 1, 1)
                    out[f"{v}_std_last_{w}"] = np.where(count > 1, np.sqrt(np.clip(var, 0, None)), np.nan)
            if w in windows:
                out[f"{v}_avg_last_{w}"] = mean
    return out


def ewm_before(
    history: pd.DataFrame, targets: pd.DataFrame, key: str, value: str, halflife: float
) -> np.ndarray:
    """Exponentially weighted mean of `value` over the entity's games strictly before game_date (the
    most recent game weighs most; `halflife` is in games)."""
    h = history[[key, "game_date", value]].copy()
    h["game_date"] = timestamps(h["game_date"]).to_numpy()
    h = h.sort_values([key, "game_date"], kind="stable")
    h["_ewm"] = (
        h[value].astype(float).groupby(h[key]).ewm(halflife=halflife).mean().reset_index(level=0, drop=True)
    )
    return _asof(targets, h, key, targets["game_date"], ["_ewm"])["_ewm"].to_numpy()


def games_since(history: pd.DataFrame, targets: pd.DataFrame, key: str, since: pd.Series) -> np.ndarray:
    """How many games each target's entity played in [since, game_date)."""
    h = _prepared(history, key, [])
    now = _asof(targets, h, key, targets["game_date"], [N])[N].fillna(0).to_numpy()
    before = _asof(targets, h, key, since, [N])[N].fillna(0).to_numpy()
    return (now - before).astype(int)


def games_in_window(history: pd.DataFrame, targets: pd.DataFrame, key: str, days: int) -> np.ndarray:
    """How many games each target's entity played in the `days` calendar days before game_date."""
    return games_since(history, targets, key, timestamps(targets["game_date"]) - pd.Timedelta(days=days))


def season_mean_before(
    history: pd.DataFrame, targets: pd.DataFrame, key: str, value: str, season_start: pd.Series
) -> np.ndarray:
    """Mean of `value` over the entity's games in [season_start, game_date)."""
    h = _prepared(history, key, [value])
    cols = [N, f"_cs_{value}", f"_cn_{value}"]
    upto = _asof(targets, h, key, targets["game_date"], cols)[cols].fillna(0)
    before = _asof(targets, h, key, season_start, cols)[cols].fillna(0)
    total = upto[f"_cs_{value}"].to_numpy() - before[f"_cs_{value}"].to_numpy()
    count = upto[f"_cn_{value}"].to_numpy() - before[f"_cn_{value}"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
