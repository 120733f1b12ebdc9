"""Issue 11 through the command line: a bad date fails alone (DOMAIN §8 item 20) with its own exit
status, an unloaded schedule is unknown rather than "no games", and a data directory keeps one source."""

from __future__ import annotations

import json
from datetime import date

import dagster as dg
import pytest

from nba_pipeline import cli
from nba_pipeline.environment import load_settings
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline.runner import ensure_instance

BAD = date(2024, 1, 10)
GAMEBOOK = dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"])


def games_per_date(home, table: str) -> dict[str, int]:
    frame = DuckDBWarehouse(home / "warehouse.duckdb").query(
        f"SELECT game_date, count(DISTINCT game_id) AS games FROM {table} GROUP BY 1 ORDER BY 1"
    )
    return {str(d)[:10]: int(n) for d, n in zip(frame.game_date, frame.games, strict=True)}


def test_a_corrupt_payload_fails_its_date_alone_and_the_command_says_so(home, monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_NOW", "2024-01-16T12:00:00-05:00")
    argv = ["backfill", "--start", "2024-01-08", "--end", "2024-01-12", "--through", "3", "--json"]
    assert cli.main([*argv, "--scenario", f"corrupt_payload@{BAD}"]) == 3  # SOME_DATES_FAILED
    report = json.loads(capsys.readouterr().out)
    raw = next(p for p in report["phases"] if p["phase"] == 2)
    assert raw["status"] == "failed"
    assert list(raw["failed"]) == [BAD.isoformat()]
    assert raw["failed"][BAD.isoformat()].startswith("0022300")  # the game's payload file
    assert "does not parse: KeyError:" in raw["failed"][BAD.isoformat()]

    built = games_per_date(home, "nba_raw.nbac_gamebook_player_stats")
    assert set(built) == {"2024-01-08", "2024-01-09", "2024-01-11", "2024-01-12"}  # the others landed
    settings = load_settings(environ={}, home=str(home))
    with ensure_instance(settings) as instance:
        status = instance.get_status_by_partition(
            GAMEBOOK, [f"2024-01-{d:02d}" for d in range(8, 13)], instance_partitions()
        )
    assert {k: v.value for k, v in status.items()} == {
        "2024-01-08": "MATERIALIZED",
        "2024-01-09": "MATERIALIZED",
        "2024-01-10": "FAILED",
        "2024-01-11": "MATERIALIZED",
        "2024-01-12": "MATERIALIZED",
    }
    analytics = next(p for p in report["phases"] if p["phase"] == 3)
    assert BAD.isoformat() in analytics["held"]  # phase 3 waits for the date's box scores, the rest built
    assert set(games_per_date(home, "nba_analytics.player_game_summary")) == set(built)


def instance_partitions():
    from nba_pipeline.partitions import GAME_DATE_PARTITIONS

    return GAME_DATE_PARTITIONS


def test_a_data_directory_keeps_the_source_it_was_built_from(home, monkeypatch, capsys, real_csv):
    monkeypatch.setenv("NBA_PIPELINE_NOW", "2024-01-16T12:00:00-05:00")
    assert cli.main(["run", "--date", "2024-01-15", "--through", "1"]) == 0
    capsys.readouterr()
    assert cli.main(["run", "--date", "2024-01-15", "--through", "1", "--source", "replay"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (
        f"nba-pipeline: error: {home} holds data built from source sim (seed 20211019), not source replay"
        f" (replay {real_csv.parent}): use another data directory for it, e.g. NBA_PIPELINE_HOME={home}-replay"
    )
    assert json.loads((home / "source.json").read_text()) == {"source": "sim", "seed": 20211019}
    assert cli.main(["run", "--date", "2024-01-15", "--through", "1", "--scenario", "late_boxscores"]) == 0


@pytest.mark.parametrize("seed", ["7"])
def test_another_seed_is_another_league(home, monkeypatch, capsys, seed):
    monkeypatch.setenv("NBA_PIPELINE_NOW", "2024-01-16T12:00:00-05:00")
    assert cli.main(["run", "--date", "2024-01-15", "--through", "1"]) == 0
    monkeypatch.setenv("NBA_PIPELINE_SEED", seed)
    capsys.readouterr()
    assert cli.main(["status", "--days", "2"]) == 2
    assert (
        "holds data built from source sim (seed 20211019), not source sim (seed 7)" in capsys.readouterr().err
    )
