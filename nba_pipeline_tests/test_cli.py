"""The nba-pipeline command: exit codes, one-line errors, nothing written on bad input, JSON output."""

import json

import pytest

from nba_pipeline import cli
from nba_pipeline.phases import PHASES
from nba_pipeline_tests.conftest import DEMO_NOW


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--date", "2024-02-30"], "invalid date '2024-02-30'"),
        (["run", "--date", "20240115"], "expected YYYY-MM-DD"),
        (["run", "--date", "2019-06-01"], "outside the game-date partitions"),
        (["run", "--date", "2024-01-15", "--source", "espn"], "--source espn: is not one of: sim, replay"),
        (
            ["run", "--date", "2024-01-15", "--scenario", "meteor"],
            "--scenario meteor: unknown scenario 'meteor'",
        ),
        (["run", "--date", "2024-01-15", "--through", "0"], "--through 0 is not a phase"),
        (
            ["run", "--date", "2024-01-15", "--source", "replay", "--replay-csv", "/no/such.csv"],
            "replay CSV not found: /no/such.csv",
        ),
        (
            ["backfill", "--start", "2024-01-15", "--end", "2024-01-10"],
            "--end 2024-01-10 is before --start 2024-01-15",
        ),
        (["run"], "the following arguments are required: --date"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(argv, message, capsys, home):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not home.exists()


def test_a_replay_csv_lacking_columns_names_them(tmp_path, capsys, home):
    bad = tmp_path / "bad.csv"
    bad.write_text("SEASON_ID,PLAYER_ID,PLAYER_NAME\n1,2,x\n")
    assert cli.main(["run", "--date", "2024-01-15", "--source", "replay", "--replay-csv", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "lacks required columns: TEAM_ID, TEAM_ABBREVIATION, GAME_ID" in err and not home.exists()


def test_an_unexpected_error_exits_1_with_one_line(monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_NOW", DEMO_NOW)

    def explode(*args, **kwargs):
        raise RuntimeError("warehouse on fire")

    monkeypatch.setattr("nba_pipeline.runner.run_phases", explode)
    assert cli.main(["run", "--date", "2024-01-15", "--json"]) == 1
    assert (
        capsys.readouterr().err.strip() == "nba-pipeline: unexpected error: RuntimeError: warehouse on fire"
    )


def test_run_json_reports_every_phase(season_home):
    """The season fixture's own `run --date 2024-01-15 --json` from an empty home (its report kept)."""
    home = season_home
    report = json.loads((home.parent / "run.json").read_text())
    assert (report["date"], report["source"], report["mode"]) == ("2024-01-15", "sim", "manual")
    assert [p["phase"] for p in report["phases"]] == [p.number for p in PHASES]
    raw = {a["asset"]: a for a in report["phases"][1]["assets"]}
    assert raw["nba_raw/nbac_schedule"] == {
        "asset": "nba_raw/nbac_schedule",
        "rows": 10,
        "checks_passed": 3,
        "checks_failed": 0,
        "checks_warned": 0,
        "materialized": True,
    }
    assert (home / "dagster" / "dagster.yaml").exists() and (home / "warehouse.duckdb").exists()


def test_run_prints_a_table_per_phase(monkeypatch, capsys):
    monkeypatch.setenv("NBA_PIPELINE_NOW", DEMO_NOW)
    assert cli.main(["run", "--date", "2024-01-15", "--through", "1"]) == 0
    out = capsys.readouterr().out
    assert "Phase 1 · scrape" in out and "landing/boxscores" in out and "Phase 2" not in out


def test_dev_launches_the_webserver_and_daemon_directly_from_the_instance_home():
    """`dagster dev` warns (SupersessionWarning, the cwd's dagster.yaml): the UI starts without it."""
    from nba_pipeline.cli.dev import dev_commands

    daemon, webserver = dev_commands("/repo/workspace.yaml", "127.0.0.1", 3000)
    assert [daemon[0].rsplit("/", 1)[-1], *daemon[1:]] == [
        "dagster-daemon",
        "run",
        "-w",
        "/repo/workspace.yaml",
    ]
    assert [webserver[0].rsplit("/", 1)[-1], *webserver[1:]] == [
        "dagster-webserver",
        "-w",
        "/repo/workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        "3000",
    ]
