"""No leakage: features for a date are the same after every game result on and after it is deleted."""

from datetime import date

import duckdb
import pandas as pd

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
