"""`check`, `trigger` (a phase that does not launch) and `status` answer from the warehouse, the
coordination store and the Dagster instance: they never import the runner nor build Definitions (all
the phases' assets, the model libraries). Issue 16 row A: a regression here costs seconds per command.

`trigger` and `status` open the instance (claims are swept against its runs; status shows them), so
`dagster` itself is imported there; `check` opens it only when its records decide (a date with no
schedule rows, phase 6's check results) and otherwise imports no Dagster at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime

import pandas as pd
import pytest

NOW = "2024-01-16T12:00:00-05:00"
FORBIDDEN = {"nba_pipeline.definitions", "nba_pipeline.runner", "nba_pipeline.automation.sensors", "lightgbm"}


def command(args: list[str], home, *python: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBA_PIPELINE_", "DAGSTER_"))}
    env |= {"NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_NOW": NOW}
    done = subprocess.run(
        [sys.executable, *python, "-m", "nba_pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def run_json(args: list[str], home) -> str:
    return command(args, home).stdout


def imported(args: list[str], home) -> set[str]:
    """The modules a fresh `nba-pipeline` process imports for `args`, by `python -X importtime`."""
    done = command(args, home, "-X", "importtime")
    return {
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    }


@pytest.mark.parametrize(
    "args",
    [
        ["check", "--date", "2024-01-15", "--phase", "4", "--json"],
        ["trigger", "--date", "2024-01-15", "--phase", "4", "--json"],  # held: nothing of phase 3 yet
        ["status", "--date", "2024-01-15", "--json"],
    ],
    ids=lambda a: a[0],
)
def test_command_does_not_import_the_runner_or_definitions(args, tmp_path):
    modules = imported(args, tmp_path)
    assert "nba_pipeline.cli" in modules  # the measurement saw the command's imports
    assert modules & FORBIDDEN == set()


def test_check_of_a_date_with_schedule_rows_imports_no_dagster(tmp_path):
    """The warehouse answers: one scheduled game, nothing of its box scores, so phase 3 is short."""
    from nba_pipeline.environment import load_settings
    from nba_pipeline.phases.raw.tables import SCHEDULE
    from nba_pipeline.resources import warehouse_for

    settings = load_settings(environ={"NBA_PIPELINE_HOME": str(tmp_path)})
    game = {
        "game_id": "20240115_BOS_NYK",
        "nba_game_id": "0022300590",
        "game_code": "20240115/BOSNYK",
        "game_date": date(2024, 1, 15),
        "season": "2023-24",
        "home_team_abbr": "NYK",
        "away_team_abbr": "BOS",
        "game_status": 3,
        "game_status_text": "Final",
        "tipoff_et": datetime(2024, 1, 15, 19, 30),
        "tipoff_utc": datetime(2024, 1, 16, 0, 30),
        "home_score": 110,
        "away_score": 118,
        "loaded_at": datetime(2024, 1, 16, 3, 0),
    }
    warehouse_for(settings).upsert(SCHEDULE, pd.DataFrame([game]))
    args = ["check", "--date", "2024-01-15", "--phase", "3", "--json"]
    modules = imported(args, tmp_path)
    assert "nba_pipeline.orchestration.dependency" in modules  # the check ran in this process
    assert {m for m in modules if m == "dagster" or m.startswith("dagster.")} == set()
    decision = json.loads(run_json(args, tmp_path))
    gamebook = next(t for t in decision["tables"] if t["table"] == "nbac_gamebook_player_stats")
    assert (gamebook["expected"], gamebook["found"]) == (1, 0)
