"""`check`, `trigger` (a phase that does not launch) and `status` answer from the warehouse, the
coordination store and the Dagster instance: they never import the runner nor build Definitions (all
the phases' assets, the model libraries). Issue 16 row A: a regression here costs seconds per command.

The instance is opened (its records decide: loaded schedules, check results, runs), so `dagster`
itself is imported; what must not be is below."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

NOW = "2024-01-16T12:00:00-05:00"
FORBIDDEN = {"nba_pipeline.definitions", "nba_pipeline.runner", "nba_pipeline.automation.sensors", "lightgbm"}


def imported(args: list[str], home) -> set[str]:
    """The modules a fresh `nba-pipeline` process imports for `args`, by `python -X importtime`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBA_PIPELINE_", "DAGSTER_"))}
    env |= {"NBA_PIPELINE_HOME": str(home), "NBA_PIPELINE_NOW": NOW}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nba_pipeline.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
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
