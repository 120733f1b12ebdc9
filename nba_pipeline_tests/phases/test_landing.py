"""Phase 1 with the real source on recordings: a date whose upstream fails is reported — in the
landing asset's metadata and as an audit event — while the other dates land; a feed that fails on
every date fails its step in one line, without retrying what the client already retried."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pytest

from nba_pipeline.observability.tables import ORCHESTRATION_EVENTS
from nba_pipeline.phases.scrape.assets import LANDING_ASSETS, landing_key
from nba_pipeline.resources.blobs import BlobStoreResource
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.resources.source import SourceResource
from nba_pipeline.resources.warehouse import DuckDBWarehouse, WarehouseResource
from nba_pipeline.runner import step_errors
from nba_pipeline.tags import RANGE_END, RANGE_START
from nba_pipeline_tests.conftest import FIXTURES


@pytest.fixture
def land(tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_ODDS_API_KEY", "recorded")
    recordings = tmp_path / "recordings"
    shutil.copytree(FIXTURES / "http" / "day_2025-03-15", recordings)

    def _land(feed: str, start: str, end: str) -> dg.ExecuteInProcessResult:
        [asset] = [a for a in LANDING_ASSETS if a.key == landing_key(feed)]
        resources = {
            "source": SourceResource(name="nba", http_recordings=str(recordings)),
            "landing": BlobStoreResource(local_root=str(tmp_path / "landing")),
            "clock": ClockResource(fixed_now="2025-03-15T19:00:00-04:00"),
            "warehouse": WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "warehouse.duckdb")),
            "coordination": CoordinationResource(state_dir=str(tmp_path / "state")),
        }
        tags = {RANGE_START: start, RANGE_END: end} if start != end else {}
        return dg.materialize(
            [asset],
            resources=resources,
            tags=tags,
            partition_key=start if start == end else None,
            raise_on_error=False,
        )

    return _land


def test_a_failing_date_is_reported_and_the_others_land(land, tmp_path):
    result = land("prop_lines", "2025-03-15", "2025-03-16")
    assert not result.success  # the failed date fails the step, after the other date was recorded
    [error] = step_errors(result)
    assert error.startswith("landing__prop_lines: prop_lines: 1 of 2 dates failed — 2025-03-16: The Odds API")
    [materialization] = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    assert materialization.partition == "2025-03-15"  # only the date that landed is materialized
    meta = materialization.metadata
    assert (meta["files"].value, meta["dates"].value, meta["failed_dates"].value) == (3, 1, 1)
    [(day, line)] = meta["errors"].value.items()
    assert day == "2025-03-16"
    assert line.startswith(
        "The Odds API: api.the-odds-api.com/v4/sports/basketball_nba/events: no recording for GET "
    )
    assert meta["source_calls"].value["quota"] == {"remaining": 478, "used": 22, "last": 0}
    assert meta["source_calls"].value["expired_events"] == ["7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"]
    assert sorted(p.name for p in (tmp_path / "landing" / "prop_lines" / "2025-03-15").iterdir()) == [
        "0f3e5d7c9b1a2c4e6f8d0b2a4c6e8f1d.json",
        "5c2a9f61d1f0a3b7e4c8d2a1b0f9e3c7.json",
        "9e1d7b3c5a2f4e6d8c0b1a3f5e7d9c2b.json",
    ]
    assert not (tmp_path / "landing" / "prop_lines" / "2025-03-16").exists()
    warehouse = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    events = warehouse.query(
        "SELECT event_type, CAST(game_date AS VARCHAR) AS day, phase, processor, status, details"
        f" FROM {warehouse.ref(ORCHESTRATION_EVENTS)}"
    )
    assert events[["event_type", "day", "phase", "processor", "status"]].values.tolist() == [
        ["source_error", "2025-03-16", 1, "prop_lines", "failed"]
    ]
    assert json.loads(events.details[0])["error"] == line
    assert "recorded" not in json.dumps({k: str(v.value) for k, v in meta.items()})  # no key in metadata


def test_a_feed_failing_on_every_date_fails_its_step_once_in_one_line(land, tmp_path):
    (
        tmp_path / "recordings" / "schedule_2024-25.json"
    ).unlink()  # stats.nba.com and the cdn: nothing recorded
    result = land("schedule", "2025-03-15", "2025-03-15")
    assert not result.success
    [error] = step_errors(result)
    assert error.startswith(
        "landing__schedule: schedule for 2025-03-15: NBA.com stats: stats.nba.com/stats/scheduleleaguev2: no recording"
    )
    assert (
        "; fallback: NBA.com cdn: cdn.nba.com/static/json/staticData/scheduleLeagueV2.json: no recording"
        in error
    )
    restarts = [e for e in result.all_events if e.event_type_value == "STEP_RESTARTED"]
    assert restarts == []  # the client retried already: the step is not retried on top
