"""What the image and the production instance rest on: the prod definitions load (the image's entry
point), every table writer is in its table's pool, deploy/dagster.yaml is a Postgres instance with
the run queue's per-phase limits and two slots per table pool, and `doctor` finds each problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import dagster as dg
import pytest

from nba_pipeline.definitions import build_definitions
from nba_pipeline.doctor import problems
from nba_pipeline.environment import REPO_ROOT, load_settings
from nba_pipeline.orchestration import stack

PROD = {
    "NBA_PIPELINE_ENV": "prod",
    "NBA_PIPELINE_GCP_PROJECT": "nba-props",
    "NBA_PIPELINE_LANDING_BUCKET": "nba-landing",
}


def test_the_prod_definitions_load_and_every_table_writer_has_its_pool():
    defs = build_definitions(load_settings(environ=PROD))
    dg.Definitions.validate_loadable(defs)
    assert defs.resources["warehouse"].kind == "bigquery"
    graph = defs.resolve_asset_graph()
    pools = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if key.path[0].startswith("nba_") and key.path[0] not in ("nba_export", "nba_orchestration"):
            pools[key.to_user_string()] = node.pools
    assert pools["nba_raw/nbac_schedule"] == {"warehouse_nba_raw_nbac_schedule"}
    assert pools["nba_raw/nbac_team_boxscore"] == {"warehouse_nba_raw_nbac_gamebook_player_stats"}
    assert pools["nba_precompute/player_daily_cache"] == {"warehouse_nba_precompute_player_daily_cache"}
    without = sorted(k for k, p in pools.items() if not p)
    assert without == ["nba_predictions/points_model"]  # a model artifact in GCS, not a table
    assert pools["nba_predictions/prediction_accuracy_summary"] == {
        "warehouse_nba_predictions_prediction_accuracy"
    }


def test_the_image_entry_point_validates_in_prod(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NBA_PIPELINE_")} | PROD
    env |= {"DAGSTER_HOME": str(tmp_path), "NBA_PIPELINE_HOME": str(tmp_path / "nba")}
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    done = subprocess.run(
        [dagster, "definitions", "validate", "-m", "nba_pipeline.definitions"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def good_environment(tmp_path) -> dict[str, str]:
    (tmp_path / "dagster.yaml").write_text((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
    key = tmp_path / "key.json"
    key.write_text(json.dumps({"type": "service_account"}))
    return PROD | {
        "GOOGLE_APPLICATION_CREDENTIALS": str(key),
        "DAGSTER_HOME": str(tmp_path),
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "secret",
        "DAGSTER_PG_DB": "dagster",
    }


def test_doctor_passes_a_complete_configuration_and_names_each_problem(tmp_path):
    env = good_environment(tmp_path)
    assert problems(env, home=tmp_path) == []
    bad = env | {
        "NBA_PIPELINE_LANDING_BUCKET": "Has_Caps",
        "NBA_PIPELINE_GCP_PROJECT": "x",
        "DAGSTER_PG_PORT": "54x",
    }
    del bad["GOOGLE_APPLICATION_CREDENTIALS"], bad["DAGSTER_PG_PASSWORD"]
    found = problems(bad, home=tmp_path)
    assert len(found) == 5
    assert found[0].startswith("NBA_PIPELINE_GCP_PROJECT='x' is not a GCP project id")
    assert found[1].startswith("NBA_PIPELINE_LANDING_BUCKET='Has_Caps': a bucket name")
    assert found[2].startswith("no Google credentials findable")
    assert found[3:] == [
        "DAGSTER_PG_PASSWORD is not set (the Dagster instance's Postgres)",
        "DAGSTER_PG_PORT='54x' is not a port number",
    ]
    assert problems({}, home=tmp_path)[:2] == [
        "NBA_PIPELINE_ENV='local': production needs 'prod'",
        "NBA_PIPELINE_ENV=prod needs NBA_PIPELINE_GCP_PROJECT (the GCP project of BigQuery, Pub/Sub and Firestore)",
    ]
    emulated = {k: v for k, v in env.items() if k != "GOOGLE_APPLICATION_CREDENTIALS"} | {
        "BIGQUERY_EMULATOR_HOST": "127.0.0.1:9050",
        "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9023",
        "PUBSUB_EMULATOR_HOST": "127.0.0.1:8085",
        "FIRESTORE_EMULATOR_HOST": "localhost",
    }
    assert problems(emulated, home=tmp_path) == ["FIRESTORE_EMULATOR_HOST='localhost' is not host:port"]


@pytest.mark.prod_stack
def test_the_production_instance_runs_on_postgres_with_its_limits(tmp_path, monkeypatch):
    from nba_pipeline_tests.prod.conftest import _require

    _require((stack.POSTGRES,))
    with stack.running((stack.POSTGRES,), tmp_path / "logs") as services:
        for name, value in services[stack.POSTGRES].env.items():
            monkeypatch.setenv(name, value)
        (tmp_path / "dagster.yaml").write_text((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
        with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
            assert type(instance.run_storage).__name__ == "PostgresRunStorage"
            config = instance.get_concurrency_config()
            assert config.pool_config.default_pool_limit == 2
            queue = config.run_queue_config
            assert queue.max_concurrent_runs == 12
            assert {"key": "nba/phase", "value": "5", "limit": 1} in queue.tag_concurrency_limits
            assert instance.event_log_storage.supports_global_concurrency_limits
