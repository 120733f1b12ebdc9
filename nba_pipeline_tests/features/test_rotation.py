"""A player's place in his team's rotation, from the team's games this season."""

from datetime import date

import numpy as np
import pandas as pd

from nba_pipeline.features.rotation import rotation_status

DAYS = [date(2024, 1, d) for d in (1, 3, 5, 7, 9)]
# LAL plays five games: a misses the third and fourth, b the fifth; c has not played for LAL.
HISTORY = pd.DataFrame(
    [("a", "LAL", d) for d in (DAYS[0], DAYS[1], DAYS[4])]
    + [("b", "LAL", d) for d in DAYS[:4]]
    + [("c", "BOS", DAYS[0])],
    columns=["player_lookup", "team_abbr", "game_date"],
)


def test_streaks_appearances_and_shares_count_the_teams_games_before_the_date():
    targets = pd.DataFrame(
        [
            ("a", "LAL", date(2024, 1, 11)),
            ("b", "LAL", date(2024, 1, 11)),
            ("c", "LAL", date(2024, 1, 11)),
            ("a", "LAL", date(2024, 1, 7)),
        ],
        columns=["player_lookup", "team_abbr", "game_date"],
    )
    out = rotation_status(HISTORY, targets)
    assert out.team_games_before.tolist() == [5, 5, 5, 3]  # the Jan 7 game itself is not before Jan 7
    assert out.games_missed_streak.tolist() == [0, 1, 5, 1]
    assert out.apps_last_10_team.tolist() == [3, 4, 0, 2]
    assert np.allclose(out.app_share_season, [0.6, 0.8, 0.0, 2 / 3])


def test_a_new_season_starts_the_count_again():
    targets = pd.DataFrame(
        [("a", "LAL", date(2024, 10, 22))], columns=["player_lookup", "team_abbr", "game_date"]
    )
    out = rotation_status(HISTORY, targets)
    assert (
        out.team_games_before.iloc[0],
        out.games_missed_streak.iloc[0],
        out.apps_last_10_team.iloc[0],
    ) == (0, 0, 0)
    assert np.isnan(out.app_share_season.iloc[0])
