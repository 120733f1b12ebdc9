"""Phase 3 computations on hand-made rows."""

from datetime import date, datetime

import pandas as pd

from nba_pipeline.phases.analytics import compute


def schedule(*games):
    return pd.DataFrame(
        [
            {
                "game_id": f"{d:%Y%m%d}_{away}_{home}",
                "game_date": d,
                "home_team_abbr": home,
                "away_team_abbr": away,
                "tipoff_et": datetime(d.year, d.month, d.day, 19),
                "game_status": 1,
            }
            for d, away, home in games
        ]
    )


def pgs(*rows):
    return pd.DataFrame(
        [
            {
                "player_lookup": p,
                "player_name": p,
                "team_abbr": t,
                "game_date": d,
                "points": 10,
                "minutes": 30.0,
                "usage_rate": 20.0,
            }
            for p, t, d in rows
        ]
    )


NO_INJURIES = pd.DataFrame(
    columns=["game_id", "team_abbr", "player_lookup", "player_name", "injury_status", "reason", "report_time"]
)
NO_LINES = pd.DataFrame(
    columns=["game_id", "player_lookup", "bookmaker", "points_line", "snapshot_timestamp", "commence_time"]
)


def test_a_season_opener_finds_last_seasons_roster_and_traded_players_follow_their_latest_team():
    history = pgs(
        ("a", "LAL", date(2023, 4, 9)),
        ("b", "LAL", date(2023, 4, 9)),
        ("c", "LAL", date(2023, 1, 2)),  # c left in January
        ("d", "BOS", date(2023, 4, 9)),
        ("b", "BOS", date(2023, 3, 1)),
    )
    ctx = compute.player_context(schedule((date(2023, 10, 24), "BOS", "LAL")), NO_INJURIES, NO_LINES, history)
    roster = ctx.groupby("team_abbr").player_lookup.apply(sorted).to_dict()
    assert roster == {
        "LAL": ["a", "b"],
        "BOS": ["d"],
    }  # six months after the last game, yet the roster carries over
    # an off-season is not rest: the opener has no rest value (197 days would break the 0-365 rule
    # once a season is missing from a multi-season history)
    assert ctx.set_index("player_lookup").days_rest.isna().all()
    assert ctx.set_index("player_lookup").back_to_back.isna().all()


def test_missing_teammates_are_counted_from_the_teams_previous_game():
    history = pgs(
        ("a", "LAL", date(2024, 1, 1)), ("b", "LAL", date(2024, 1, 1)), ("a", "LAL", date(2024, 1, 3))
    )  # b sat out the 3rd
    ctx = compute.player_context(
        schedule((date(2024, 1, 5), "BOS", "LAL")), NO_INJURIES, NO_LINES, history
    ).set_index("player_lookup")
    assert (bool(ctx.loc["b", "missed_last_team_game"]), bool(ctx.loc["a", "missed_last_team_game"])) == (
        True,
        False,
    )
    assert (ctx.loc["a", "teammates_missing_points"], ctx.loc["b", "teammates_missing_points"]) == (10.0, 0.0)
