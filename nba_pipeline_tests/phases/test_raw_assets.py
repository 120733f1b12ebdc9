"""Phases 1-2 materialized through Dagster into a temporary data directory."""

import shutil
from datetime import date, timedelta

import dagster as dg
import duckdb
import pytest

from nba_pipeline.runner import ensure_instance, run_phases
from nba_pipeline_tests.conftest import DEMO_DATE


def run(settings, start=DEMO_DATE, end=None, through=2, mode="manual", trigger="manual"):
    return run_phases(settings, start, end or start, through, mode, trigger, "test-correlation")


def sql(settings, query):
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(query).fetchall()


def by_asset(outcomes):
    return {a.asset: a for o in outcomes for a in o.assets}


def test_demo_date_is_plausible(make_settings):
    settings = make_settings()
    outcomes = run(settings)
    assert [o.status for o in outcomes] == ["success", "success"]
    assets = by_asset(outcomes)
    games = sql(settings, "select count(*) from nba_raw.nbac_schedule")[0][0]
    assert games == 10 and 1 <= games <= 15
    assert assets["landing/boxscores"].rows == 10 and assets["nba_raw/nbac_schedule"].rows == 10
    per_team = sql(
        settings,
        "select count(*), count(*) filter (where player_status = 'active') from nba_raw.nbac_gamebook_player_stats group by game_id, team_abbr",
    )
    assert len(per_team) == 20
    assert all(13 <= listed <= 20 and 8 <= played <= 13 for listed, played in per_team)
    assert sql(settings, "select count(*), count(distinct game_id) from nba_raw.nbac_team_boxscore")[0] == (
        20,
        10,
    )
    assert (
        sql(
            settings,
            """
        select count(*) from nba_raw.nbac_team_boxscore t
        join (select game_id, team_abbr, sum(points) p from nba_raw.nbac_gamebook_player_stats group by all) g using (game_id, team_abbr)
        where t.points <> g.p""",
        )[0][0]
        == 0
    )
    # lines for most rotation players (25+ minutes played)
    with_line, rotation = sql(
        settings,
        """
        select count(distinct g.player_lookup) filter (where p.player_lookup is not null), count(distinct g.player_lookup)
        from nba_raw.nbac_gamebook_player_stats g
        left join nba_raw.odds_api_player_points_props p using (game_id, player_lookup)
        where g.minutes >= 25""",
    )[0]
    assert with_line / rotation >= 0.8
    assert (
        sql(settings, "select count(distinct bookmaker) from nba_raw.odds_api_player_points_props")[0][0] >= 2
    )
    assert all(a.checks_failed == 0 for a in assets.values())
    assert (
        sql(settings, "select min(loaded_at), max(loaded_at) from nba_raw.nbac_gamebook_player_stats")[0][
            0
        ].isoformat()
        == "2024-01-16T17:00:00"
    )


def test_rematerializing_a_partition_replaces_its_rows(make_settings):
    settings = make_settings()
    run(settings)
    counts = sql(
        settings,
        "select (select count(*) from nba_raw.nbac_gamebook_player_stats), (select count(*) from nba_raw.odds_api_player_points_props)",
    )
    run(settings)
    assert (
        sql(
            settings,
            "select (select count(*) from nba_raw.nbac_gamebook_player_stats), (select count(*) from nba_raw.odds_api_player_points_props)",
        )
        == counts
    )
    assert (
        sql(
            settings,
            "select count(*) from (select game_id, player_lookup from nba_raw.nbac_gamebook_player_stats group by all having count(*) > 1)",
        )[0][0]
        == 0
    )
    # and a neighbouring date is untouched by re-running this one
    run(settings, DEMO_DATE + timedelta(days=1))
    run(settings)
    assert sql(settings, "select count(distinct game_date) from nba_raw.nbac_schedule")[0][0] == 2


def test_a_zero_row_write_fails_its_check(make_settings):
    """DOMAIN §8 item 13: the payloads went missing between scrape and load; the write of 0 rows fails."""
    settings = make_settings()
    run(settings, through=1)
    shutil.rmtree(settings.landing_dir / "boxscores" / DEMO_DATE.isoformat())
    (raw,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 2, "manual", "manual", "t", first=2)
    assets = {a.asset: a for a in raw.assets}
    assert raw.status == "failed"  # blocking ERROR checks failed: no rows, and 0 of 10 games
    assert raw.errors == [
        "boxscore_tables: DagsterAssetCheckFailedError: 4 blocking asset checks failed with ERROR severity: "
        "nba_raw/nbac_gamebook_player_stats: rows_written,complete; nba_raw/nbac_team_boxscore: rows_written,complete"
    ]
    gamebook = assets["nba_raw/nbac_gamebook_player_stats"]
    assert (gamebook.rows, gamebook.checks_failed, gamebook.checks_passed) == (0, 2, 1)  # valid: nothing bad
    assert assets["nba_raw/nbac_team_boxscore"].checks_failed == 2
    assert (
        assets["nba_raw/nbac_schedule"].checks_passed == 3
        and assets["nba_raw/odds_api_player_points_props"].checks_passed == 3
    )
    with ensure_instance(settings) as instance:
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"]), "rows_written")]
        )
        evaluation = next(iter(record.values())).event.dagster_event.event_specific_data
        assert evaluation.passed is False and evaluation.partition == DEMO_DATE.isoformat()
        assert evaluation.metadata["games_expected"].value == 10 and evaluation.metadata["rows"].value == 0


def test_partial_box_scores_are_reported_as_three_of_ten(make_settings):
    settings = make_settings(scenario="partial_boxscores")
    raw = run(settings)[1]
    with ensure_instance(settings) as instance:
        event = instance.get_latest_materialization_event(
            dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"])
        )
        metadata = event.asset_materialization.metadata
    assert (
        metadata["games_expected"].value,
        metadata["games_covered"].value,
        metadata["completeness"].value,
    ) == (10, 3, 0.3)
    # 3 of 10 is 30 %: never complete, and the box scores are critical, so the check blocks.
    assert raw.status == "failed" and "nba_raw/nbac_gamebook_player_stats: complete" in raw.errors[0]


def test_box_scores_are_expected_only_for_games_final_by_the_clock(make_settings):
    settings = make_settings(now="2024-01-15T21:30:00-05:00")  # early games final, late ones not
    raw = run(settings)[1]
    assert raw.status == "success"
    finals, scheduled = sql(
        settings, "select count(*) filter (where game_status = 3), count(*) from nba_raw.nbac_schedule"
    )[0]
    assert (finals, scheduled) == (2, 10)
    with ensure_instance(settings) as instance:
        metadata = instance.get_latest_materialization_event(
            dg.AssetKey(["nba_raw", "nbac_team_boxscore"])
        ).asset_materialization.metadata
    # one of the two finals has published its box score (15 minutes after the buzzer)
    assert (metadata["games_expected"].value, metadata["games_covered"].value) == (2, 1)


def test_a_range_is_one_run_per_phase_with_the_platform_tags(make_settings):
    settings = make_settings()
    start, end = date(2024, 1, 10), date(2024, 1, 12)
    outcomes = run(settings, start, end, mode="backfill", trigger="backfill")
    assert [o.status for o in outcomes] == ["success", "success"]
    with ensure_instance(settings) as instance:
        runs = instance.get_runs()
        assert len(runs) == 2
        for r in runs:
            assert {r.tags["nba/phase"], r.tags["nba/mode"], r.tags["nba/trigger"]} <= {"1", "2", "backfill"}
            assert r.tags["nba/correlation_id"] == "test-correlation"
            assert (
                r.tags["dagster/asset_partition_range_start"],
                r.tags["dagster/asset_partition_range_end"],
            ) == ("2024-01-10", "2024-01-12")
        materialized = instance.get_materialized_partitions(
            dg.AssetKey(["nba_raw", "nbac_gamebook_player_stats"])
        )
        assert materialized == {"2024-01-10", "2024-01-11", "2024-01-12"}
    assert (
        sql(settings, "select count(distinct game_date) from nba_raw.nbac_gamebook_player_stats")[0][0] == 3
    )


def test_transient_source_errors_are_retried(make_settings):
    settings = make_settings(scenario="source_errors")
    scrape = run(settings, through=1)[0]
    assert scrape.status == "success"
    with ensure_instance(settings) as instance:
        metadata = instance.get_latest_materialization_event(
            dg.AssetKey(["landing", "boxscores"])
        ).asset_materialization.metadata
    assert metadata["retries"].value == 2 and metadata["files"].value == 10


def test_a_switched_off_feed_is_not_fetched_nor_expected(make_settings):
    settings = make_settings(disabled_feeds="injury_report")
    outcomes = run(settings)
    assets = by_asset(outcomes)
    assert assets["landing/injury_report"].rows == 0
    assert (
        assets["nba_raw/nbac_injury_report"].rows == 0
        and assets["nba_raw/nbac_injury_report"].checks_passed == 3
    )


@pytest.mark.real_data
def test_replay_date_through_dagster(make_settings, real_csv):
    settings = make_settings(source="replay", replay_csv=str(real_csv))
    outcomes = run(settings)
    assets = by_asset(outcomes)
    assert [o.status for o in outcomes] == ["success", "success"]
    assert sql(settings, "select count(*), count(distinct game_id) from nba_raw.nbac_gamebook_player_stats")[
        0
    ] == (229, 11)
    assert sql(settings, "select count(*) from nba_raw.nbac_team_boxscore")[0][0] == 22
    # no lines, no injury reports: empty tables, passing checks, never an error
    for table in ("nba_raw/odds_api_player_points_props", "nba_raw/nbac_injury_report"):
        assert assets[table].rows == 0 and assets[table].checks_failed == 0


def test_a_corrupt_payload_fails_its_date_with_the_file_and_the_error(make_settings):
    settings = make_settings()
    run(settings, through=1)
    first = sorted((settings.landing_dir / "boxscores" / DEMO_DATE.isoformat()).iterdir())[0]
    first.write_text("{not json")
    (raw,) = run_phases(settings, DEMO_DATE, DEMO_DATE, 2, "manual", "manual", "t", first=2)
    assert raw.status == "failed"
    assert raw.errors == [
        f"boxscore_tables: {first.name} does not parse: JSONDecodeError: Expecting property name enclosed in"
        " double quotes: line 1 column 2 (char 1)"
    ]
    with ensure_instance(settings) as instance:  # never partial data passed off as the date's box scores
        assert (
            instance.get_latest_materialization_event(dg.AssetKey(["nba_raw", "nbac_team_boxscore"])) is None
        )
        schedule = instance.get_materialized_partitions(dg.AssetKey(["nba_raw", "nbac_schedule"]))
    assert schedule == {DEMO_DATE.isoformat()}  # the date's other tables landed
