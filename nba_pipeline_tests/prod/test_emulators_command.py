"""`nba-pipeline emulators up | down`: real services on free ports, found again and stopped by
process group from another process; bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from nba_pipeline import cli
from nba_pipeline.orchestration import emulators, stack


def nba(home, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_PIPELINE_")} | {
        "NBA_PIPELINE_HOME": str(home)
    }
    command = [sys.executable, "-m", "nba_pipeline.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_an_unknown_service_is_one_line_and_exit_2(capsys):
    assert cli.main(["emulators", "up", "--only", "bigquery,redshift"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "nba-pipeline: error: --only 'bigquery,redshift': known services are bigquery, storage, postgres, pubsub, firestore"
    ]


@pytest.mark.prod_stack
def test_up_then_down_from_another_process(tmp_path):
    from nba_pipeline_tests.prod.conftest import _require

    _require((stack.BIGQUERY, stack.STORAGE))
    up = nba(tmp_path, "emulators", "up", "--only", "bigquery,storage")
    assert up.returncode == 0, up.stderr
    services = json.loads((tmp_path / "emulators" / "stack.json").read_text())
    assert [s["kind"] for s in services] == ["bigquery", "storage"]
    env = (tmp_path / "emulators" / "stack.env").read_text()
    assert "export NBA_PIPELINE_ENV=prod" in env and "export BIGQUERY_EMULATOR_HOST=127.0.0.1:" in env
    with urllib.request.urlopen(f"http://127.0.0.1:{services[1]['port']}/", timeout=5) as answer:
        assert answer.status == 200
    again = nba(tmp_path, "emulators", "up", "--only", "bigquery")
    assert again.returncode == 2 and "already up" in again.stderr
    down = nba(tmp_path, "emulators", "down")
    assert down.returncode == 0 and down.stdout.strip() == "stopped 2 services"
    assert not any(emulators.group_alive(s["pgid"]) for s in services)
    assert not (tmp_path / "emulators" / "stack.json").exists()
