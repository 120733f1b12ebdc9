"""What makes a row invalid, per table: one definition for the validity checks and for readiness.

Critical columns must be present and in range where they apply (a DNP or inactive player has no
minutes, and that is valid); shooting makes never exceed attempts; keys are unique. `invalid_rows`
returns, for each row, the first rule it breaks (empty string when valid).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

Rule = tuple[str, Callable[[pd.DataFrame], pd.Series]]


def _range(
    column: str, low: float, high: float, where: Callable[[pd.DataFrame], pd.Series] | None = None
) -> Rule:
    def bad(f: pd.DataFrame) -> pd.Series:
        applies = where(f) if where else pd.Series(True, index=f.index)
        value = pd.to_numeric(f[column], errors="coerce")
        return applies & (value.isna() | (value < low) | (value > high))

    return f"{column} missing or outside {low:g}-{high:g}", bad


def _optional_range(column: str, low: float, high: float) -> Rule:
    """In range when present (absent is allowed: undefined rates, no line)."""
    return (
        f"{column} outside {low:g}-{high:g}",
        lambda f: f[column].notna() & ~pd.to_numeric(f[column], errors="coerce").between(low, high),
    )


def _made_le_attempted(prefix: str = "") -> Rule:
    pairs = [("fgm", "fga"), ("fg3m", "fg3a"), ("ftm", "fta"), ("fg3a", "fga")]

    def bad(f: pd.DataFrame) -> pd.Series:
        out = pd.Series(False, index=f.index)
        for made, attempted in pairs:
            out |= pd.to_numeric(f[prefix + made], errors="coerce") > pd.to_numeric(
                f[prefix + attempted], errors="coerce"
            )
        return out.fillna(False)

    return "made more shots than attempted", bad


def _present(*columns: str) -> Rule:
    return f"missing {', '.join(columns)}", lambda f: f[list(columns)].isna().any(axis=1)


def _in(column: str, allowed: tuple) -> Rule:
    return f"{column} not one of {allowed}", lambda f: ~f[column].isin(allowed)


def _points_add_up(f: pd.DataFrame) -> pd.Series:
    scored = 2 * (f.fgm - f.fg3m) + 3 * f.fg3m + f.ftm
    return (pd.to_numeric(scored, errors="coerce") != pd.to_numeric(f.points, errors="coerce")).fillna(False)


def played(f: pd.DataFrame) -> pd.Series:
    return f.player_status == "active"


RULES: dict[str, list[Rule]] = {
    "nbac_schedule": [
        _present("game_id", "home_team_abbr", "away_team_abbr", "tipoff_et"),
        _in("game_status", (1, 2, 3)),
        ("home team equals away team", lambda f: f.home_team_abbr == f.away_team_abbr),
    ],
    "nbac_gamebook_player_stats": [
        _present("game_id", "team_abbr", "player_lookup"),
        _in("player_status", ("active", "dnp", "inactive")),
        _range("minutes", 0, 70, played),
        _range("points", 0, 100, played),
        _made_le_attempted(),
        ("points do not add up from makes", lambda f: played(f) & _points_add_up(f)),
    ],
    "nbac_team_boxscore": [
        _range("points", 40, 200),
        _made_le_attempted(),
        ("points do not add up from makes", _points_add_up),
    ],
    "nbac_injury_report": [
        _present("game_id", "player_lookup"),
        _in("injury_status", ("Available", "Probable", "Questionable", "Doubtful", "Out")),
    ],
    "odds_api_player_points_props": [
        _range("points_line", 0, 80),
        ("no price on either side", lambda f: f.over_price.isna() & f.under_price.isna()),
    ],
    "team_offense_game_summary": [
        _range("points", 40, 200),
        _optional_range("pace", 60, 140),
        _optional_range("offensive_rating", 50, 180),
    ],
    "team_defense_game_summary": [
        _range("points_allowed", 40, 200),
        _optional_range("defensive_rating", 50, 180),
    ],
    "player_game_summary": [
        _range("minutes", 0, 70),
        _range("points", 0, 100),
        _made_le_attempted(),
        _optional_range("usage_rate", 0, 100),
        _optional_range("ts_pct", 0, 2),
        ("points do not add up from makes", _points_add_up),
    ],
    "upcoming_player_game_context": [
        _present("game_id", "team_abbr", "player_lookup"),
        _optional_range("days_rest", 0, 365),
        _optional_range("points_line", 0, 80),
    ],
    "upcoming_team_game_context": [
        _present("game_id", "team_abbr", "opponent_abbr"),
        _optional_range("pace_last_10", 60, 140),
    ],
    "team_defense_zone_analysis": [_optional_range("def_rating_last_15", 50, 180)],
    "player_shot_zone_analysis": [_optional_range(f"pct_{z}_last_10", 0, 1) for z in ("two", "three", "ft")],
    "player_daily_cache": [
        _optional_range("points_avg_last_10", 0, 100),
        _optional_range("minutes_avg_last_10", 0, 70),
    ],
    "player_composite_factors": [_optional_range("fatigue_score", 0, 100)],
    "ml_feature_store": [_range("feature_quality_score", 0, 100), _range("default_feature_count", 0, 999)],
    "player_prop_predictions": [
        _range("predicted_points", 0, 80),
        _optional_range("confidence", 0, 100),
        ("NO_LINE exactly when there is no line", lambda f: (f.recommendation == "NO_LINE") != f.line.isna()),
        (
            "a call weaker than the edge threshold",
            lambda f: f.recommendation.isin(["OVER", "UNDER"]) & (f.edge.abs() < 2.0),
        ),
        (
            "a call against its edge",
            lambda f: (
                ((f.recommendation == "OVER") & (f.edge <= 0))
                | ((f.recommendation == "UNDER") & (f.edge >= 0))
            ),
        ),
    ],
    "prediction_accuracy": [
        _range("abs_error", 0, 100),
        _in("result", ("hit", "miss", "push", "pass", "no_line")),
    ],
}


def invalid_rows(table: str, frame: pd.DataFrame, key: tuple[str, ...] = ()) -> pd.Series:
    """For each row, the first rule it breaks ("" when valid); duplicate keys break the key rule.
    Worked out on numpy arrays (a masked pandas assignment per rule was a fifth of a readiness check)."""
    if frame.empty:
        return pd.Series("", index=frame.index, dtype=object)
    names = [""]
    first = np.zeros(len(frame), dtype=np.int64)  # index into `names` of the first rule broken
    if key:
        names.append(f"duplicate key ({', '.join(key)})")
        first[frame.duplicated(list(key), keep=False).to_numpy()] = 1
    for name, rule in RULES.get(table, []):
        names.append(name)
        broken = rule(frame).fillna(False).to_numpy(dtype=bool) & (first == 0)
        first[broken] = len(names) - 1
    return pd.Series(np.array(names, dtype=object)[first], index=frame.index, dtype=object)
