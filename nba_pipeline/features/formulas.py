"""Box-score formulas, vectorized over pandas Series (or plain numbers).

Every ratio is undefined (NaN) rather than zero when its denominator is zero: a player with no shot
attempts has no true-shooting percentage, not a 0 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FT_WEIGHT = 0.44  # the share of free-throw attempts that end a possession


def _div(numerator, denominator):
    num, den = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den != 0, num / np.where(den == 0, 1, den), np.nan)
    return pd.Series(out, index=numerator.index) if isinstance(numerator, pd.Series) else float(out)


def possessions(fga, fta, oreb, tov):
    """Estimated possessions: FGA − OREB + TOV + 0.44·FTA."""
    return fga - oreb + tov + FT_WEIGHT * fta


def pace(team_possessions, opponent_possessions, team_minutes):
    """Possessions per 48 minutes, averaging both teams' estimates (overtime counts via minutes)."""
    return _div(48 * (team_possessions + opponent_possessions) / 2, team_minutes / 5)


def rating(points, possessions_):
    """Points per 100 possessions (offensive rating of the scorer, defensive rating of the defender)."""
    return _div(100 * points, possessions_)


def true_shooting(points, fga, fta):
    """PTS / (2 · (FGA + 0.44·FTA))."""
    return _div(points, 2 * (fga + FT_WEIGHT * fta))


def effective_fg(fgm, fg3m, fga):
    return _div(fgm + 0.5 * fg3m, fga)


def usage_rate(fga, fta, tov, minutes, team_fga, team_fta, team_tov, team_minutes):
    """Share (%) of the team's possessions a player used while on the floor (Basketball-Reference):
    100 · (FGA + 0.44·FTA + TOV) · (team minutes / 5) / (minutes · (team FGA + 0.44·team FTA + team TOV))."""
    used = fga + FT_WEIGHT * fta + tov
    team_used = team_fga + FT_WEIGHT * team_fta + team_tov
    return _div(100 * used * (team_minutes / 5), minutes * team_used)


def share(part, whole):
    return _div(part, whole)
