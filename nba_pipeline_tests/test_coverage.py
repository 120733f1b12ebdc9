"""Games expected and covered per date: the same counts whatever form the dates arrive in (the
check reads `datetime.date` objects and skips re-parsing them; other callers pass strings or
timestamps), and box scores expected only for games final by the clock."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from nba_pipeline.coverage import Coverage, coverage_by_date
from nba_pipeline.partitions import ET

D1, D2 = date(2024, 1, 15), date(2024, 1, 16)
NOW = datetime(2024, 1, 16, 20, 0, tzinfo=ET)  # D1's games long over, D2's 19:00 tip-off one hour ago


def schedule(as_form) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": ["g1", "g2", "g3", "g4"],
            "game_date": [as_form(d) for d in (D1, D1, D2, D2)],
            "game_status": [3, 3, 2, 1],
            "tipoff_et": ["2024-01-15 19:00", "2024-01-15 19:30", "2024-01-16 19:00", "2024-01-16 22:00"],
        }
    )


def box(as_form) -> pd.DataFrame:  # g1 has both teams, g2 one, g3 (in progress) both
    rows = [("g1", D1, "BOS"), ("g1", D1, "NYK"), ("g2", D1, "LAL"), ("g3", D2, "MIA"), ("g3", D2, "CHI")]
    return pd.DataFrame(
        {
            "game_id": [r[0] for r in rows],
            "game_date": [as_form(r[1]) for r in rows],
            "team_abbr": [r[2] for r in rows],
        }
    )


FORMS = {
    "date objects": lambda d: d,
    "iso strings": lambda d: d.isoformat(),
    "timestamps": lambda d: pd.Timestamp(d),
}


@pytest.mark.parametrize("form", list(FORMS))
def test_box_scores_are_expected_only_for_final_games_in_any_date_form(form):
    as_form = FORMS[form]
    got = coverage_by_date("nbac_team_boxscore", box(as_form), schedule(as_form), [D1, D2], NOW)
    # D2: g3 tipped off one hour ago (not final by the clock, not status 3), g4 later: none expected.
    assert got == {D1: Coverage(D1, 2, 1, 3), D2: Coverage(D2, 0, 0, 2)}


def test_lines_are_expected_for_every_scheduled_game():
    lines = pd.DataFrame({"game_id": ["g3"], "game_date": [D2]})
    got = coverage_by_date(
        "odds_api_player_points_props", lines, schedule(FORMS["date objects"]), [D1, D2], NOW
    )
    assert got == {D1: Coverage(D1, 2, 0, 0), D2: Coverage(D2, 2, 1, 1)}
