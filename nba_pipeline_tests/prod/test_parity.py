"""Parity: the same phases 1-3, for a date and then a short range, built on the local stack (DuckDB,
folders, SQLite) and on the production stack (the BigQuery and GCS emulators, Firestore and Pub/Sub
emulators) give equal tables — every row and value but `loaded_at` — and the same landed payloads."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pandas as pd
import pytest

from nba_pipeline.environment import load_settings
from nba_pipeline.phases.analytics.tables import ANALYTICS_TABLES
from nba_pipeline.phases.raw.tables import RAW_TABLES
from nba_pipeline.resources import blobs_for, warehouse_for
from nba_pipeline.resources.warehouse import read_dates
from nba_pipeline.runner import run_phases
from nba_pipeline_tests.conftest import DEMO_NOW

pytestmark = [pytest.mark.prod_stack, pytest.mark.slow]
DAY, RANGE = date(2024, 1, 15), (date(2024, 1, 13), date(2024, 1, 14))  # all final by DEMO_NOW
DAYS = {DAY, RANGE[0], RANGE[1]}
FINAL_GAMES = ("nbac_schedule", "nbac_team_boxscore", "nbac_gamebook_player_stats", "player_game_summary")


def build(settings) -> None:
    with dg.instance_for_test() as instance:
        for first, last in ((DAY, DAY), RANGE):
            outcomes = run_phases(
                settings, first, last, 3, "backfill", "backfill", "parity", instance=instance, gated=False
            )
            assert [o.status for o in outcomes] == ["success"] * 3, [o.errors for o in outcomes]


def table_rows(settings, table) -> pd.DataFrame:
    frame = read_dates(warehouse_for(settings), table, RANGE[0], DAY).drop(columns="loaded_at")
    return frame.sort_values(list(table.key)).reset_index(drop=True)


def test_local_and_prod_stacks_build_equal_tables(gcp_stack, tmp_path, monkeypatch):
    for name, value in gcp_stack.items():  # the coordination store and bus read these themselves
        monkeypatch.setenv(name, value)
    local = load_settings(environ={}, home=str(tmp_path / "local"), now=DEMO_NOW)
    prod = load_settings(
        environ={
            "NBA_PIPELINE_ENV": "prod",
            "NBA_PIPELINE_GCP_PROJECT": "nba-parity",
            "NBA_PIPELINE_LANDING_BUCKET": "nba-landing",
            **gcp_stack,
        },
        home=str(tmp_path / "prod"),
        now=DEMO_NOW,
    )
    build(local)
    build(prod)
    counts = {}
    for table in (*RAW_TABLES, *ANALYTICS_TABLES):
        mine, theirs = table_rows(local, table), table_rows(prod, table)
        pd.testing.assert_frame_equal(mine, theirs, check_exact=False, rtol=1e-9)
        counts[table.name] = int((mine.game_date == DAY).sum())
        assert len(mine) > 0, table.name
        if table.name in FINAL_GAMES:
            assert set(mine.game_date) == DAYS, table.name  # every date was built, on both
    # The date's raw tables, as the simulated league publishes them (same on both stacks, above).
    assert {k: counts[k] for k in ("nbac_schedule", "nbac_team_boxscore", "nbac_gamebook_player_stats")} == {
        "nbac_schedule": 10,
        "nbac_team_boxscore": 20,
        "nbac_gamebook_player_stats": 319,
    }
    assert counts["odds_api_player_points_props"] == 800 and counts["player_game_summary"] == 238
    folder = f"boxscores/{DAY.isoformat()}"
    local_landing, prod_landing = blobs_for(local, "landing").get(), blobs_for(prod, "landing").get()
    names = local_landing.list(folder)
    assert len(names) == 10 and prod_landing.list(folder) == names
    assert [prod_landing.read(n) for n in names] == [local_landing.read(n) for n in names]
