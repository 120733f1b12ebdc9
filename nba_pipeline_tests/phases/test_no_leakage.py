"""No leakage: features for a date are the same after every game result on and after it is deleted."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import load_settings
from nba_pipeline.phases.analytics.tables import (
    PLAYER_GAME_SUMMARY,
    TEAM_DEFENSE,
    TEAM_OFFENSE,
    UPCOMING_PLAYER,
    UPCOMING_TEAM,
)
from nba_pipeline.phases.precompute.tables import FEATURE_STORE, PRECOMPUTE_TABLES
from nba_pipeline.phases.raw.tables import GAMEBOOK, TEAM_BOXSCORE
from nba_pipeline.runner import ensure_instance
from nba_pipeline_tests.conftest import DEMO_NOW

DAY = date(2024, 1, 15)
RESULTS = (GAMEBOOK, TEAM_BOXSCORE, TEAM_OFFENSE, TEAM_DEFENSE, PLAYER_GAME_SUMMARY)  # what happened in games


def features(path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        frame = con.execute(
            f"select * from {FEATURE_STORE.qualified} where game_date = $d order by game_id, player_lookup",
            {"d": DAY},
        ).df()
    return frame.drop(columns=["loaded_at"]).reset_index(drop=True)


def test_deleting_every_result_on_and_after_the_date_changes_no_feature(season_copy):
    settings = load_settings(environ={}, home=str(season_copy), now=DEMO_NOW)
    before = features(settings.warehouse_path)
    assert len(before) > 250
    with duckdb.connect(str(settings.warehouse_path)) as con:
        tables = [
            r[0] + "." + r[1]
            for r in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        ]
        for table in tables:  # everything after the date, wherever it is
            if "game_date" in [c[0] for c in con.execute(f"describe {table}").fetchall()]:
                con.execute(f"delete from {table} where game_date > $d", {"d": DAY})
        for (
            table
        ) in RESULTS:  # and the date's own results; its schedule, injury report and lines stay (pre-game)
            con.execute(f"delete from {table.qualified} where game_date = $d", {"d": DAY})
        assert (
            con.execute(
                f"select count(*) from {PLAYER_GAME_SUMMARY.qualified} where game_date >= $d", {"d": DAY}
            ).fetchone()[0]
            == 0
        )
    # rebuild the date's features: its pre-game contexts and every phase 4 table
    defs = build_definitions(settings)
    keys = [UPCOMING_PLAYER.asset_key, UPCOMING_TEAM.asset_key, *(t.asset_key for t in PRECOMPUTE_TABLES)]
    with ensure_instance(settings) as instance:
        # Launched like a person's rebuild from the UI, in the pre-game mode whose inputs still exist.
        result = defs.resolve_implicit_job_def_def_for_assets(keys).execute_in_process(
            instance=instance,
            asset_selection=keys,
            partition_key=DAY.isoformat(),
            raise_on_error=False,
            tags={"nba/mode": "tomorrow"},
        )
    assert result.success
    pd.testing.assert_frame_equal(features(settings.warehouse_path), before)


def _history(seasons: dict[int, int], seed: int = 0) -> pd.DataFrame:
    """Player games of `a` (LAL) and `b` (BOS): `n` games from each listed season's November on."""
    import numpy as np

    rng = np.random.default_rng(seed)
    rows = []
    for year, n in seasons.items():
        for i in range(n):
            for player, team in (("a", "LAL"), ("b", "BOS")):
                minutes = float(rng.uniform(20, 36))
                rows.append(
                    {
                        "game_id": f"{year}-{i}-{team}",
                        "game_date": date(year, 11, 1) + pd.Timedelta(days=2 * i).to_pytimedelta(),
                        "player_lookup": player,
                        "team_abbr": team,
                        "points": float(rng.integers(5, 30)),
                        "minutes": minutes,
                        "usage_rate": 20.0,
                        "ts_pct": 0.55,
                        "fga": 10.0,
                        "minutes_rank": 2.0,
                        "minutes_share": minutes / 240,
                        "points_share": 0.15,
                    }
                )
    return pd.DataFrame(rows)


def test_features_across_a_season_boundary_use_only_earlier_games_and_a_fixed_window():
    """A season's first nights: this season's windows are empty, last season's rates are carried, and
    neither later games nor history older than the carried seasons changes a number."""
    from nba_pipeline.features.seasons import carry_start
    from nba_pipeline.phases.precompute.compute import daily_cache

    history = _history({2019: 30, 2021: 30, 2023: 10})
    opener, third = date(2023, 11, 1), date(2023, 11, 5)
    players = pd.DataFrame(
        [(f"g{d}", d, p, t) for d in (opener, third) for p, t in (("a", "LAL"), ("b", "BOS"))],
        columns=["game_id", "game_date", "player_lookup", "team_abbr"],
    )
    full = daily_cache(players, history)
    opening = full[full.game_date == opener]
    assert opening.games_before.tolist() == [0, 0] and opening.points_avg_last_10.isna().all()
    # carried from 2021-22, two seasons back (2022-23 is missing), never from 2019-20 (three back)
    season_2021 = history[(history.game_date < date(2022, 8, 1)) & (history.game_date > date(2021, 8, 1))]
    expected = season_2021.groupby("player_lookup").points.mean()
    assert opening.prev_season_points_avg.tolist() == pytest.approx(expected[["a", "b"]].tolist())
    assert opening.seasons_since_prev.tolist() == [2, 2]
    assert full[full.game_date == third].games_before.tolist() == [2, 2]
    # later games, and anything before the carried seasons, change nothing
    window = history[
        (pd.to_datetime(history.game_date) >= pd.Timestamp(carry_start(opener)))
        & (pd.to_datetime(history.game_date) < pd.Timestamp(third))
    ]
    pd.testing.assert_frame_equal(daily_cache(players, window), full)
