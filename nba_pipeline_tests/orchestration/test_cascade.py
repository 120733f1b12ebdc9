"""The platform runs itself (issue 5, done-when): an outside loader's Phase 2 completion envelopes
for a simulated date drive Phases 3-6 to the export with no other input — on the embedded default
and on the Pub/Sub and Firestore emulators."""

from __future__ import annotations

import json

import pytest

from nba_pipeline.environment import load_settings
from nba_pipeline.orchestration.bus import subscription_for
from nba_pipeline.orchestration.envelopes import parse_envelope, topic_of
from nba_pipeline.phases.export.assets import path_of
from nba_pipeline.resources.coordination import CoordinationResource
from nba_pipeline.runner import ensure_instance
from nba_pipeline_tests.orchestration.cascade import (
    LOADER_CORRELATION,
    NEXT,
    NEXT_MORNING,
    envelopes_for,
    load_outside,
    publish,
)
from nba_pipeline_tests.orchestration.driver import Driver


@pytest.fixture(params=["embedded", pytest.param("emulators", marks=pytest.mark.emulators)])
def backend(request, monkeypatch):
    if request.param == "emulators":
        from nba_pipeline.orchestration import emulators

        started = request.getfixturevalue("running_emulators")
        for kind, variable in (
            (emulators.FIRESTORE, "FIRESTORE_EMULATOR_HOST"),
            (emulators.PUBSUB, "PUBSUB_EMULATOR_HOST"),
        ):
            started[kind].reset(emulators.DEFAULT_PROJECT)
            monkeypatch.setenv(variable, started[kind].host)
    return request.param


@pytest.fixture
def platform(season_copy, backend):
    settings = load_settings(environ={}, home=str(season_copy), now=NEXT_MORNING.isoformat())
    with ensure_instance(settings) as instance:
        driver = Driver(settings, instance, NEXT_MORNING)
        driver.cascade()  # the daemon was already running: sensors have their cursors
        yield settings, driver


def coordination(settings) -> CoordinationResource:
    return CoordinationResource(state_dir=str(settings.state_dir))


def test_phase2_envelopes_drive_phases_3_to_6_to_the_export(platform):
    settings, driver = platform
    bus = coordination(settings).bus()
    publish(bus, envelopes_for(NEXT, load_outside(settings, NEXT), NEXT_MORNING))

    launched = driver.cascade()

    assert [(r.job_name, r.partition_key) for r in launched] == [
        ("phase3_analytics_job", NEXT.isoformat()),
        ("phase4_precompute_job", NEXT.isoformat()),
        ("phase5_predictions_job", NEXT.isoformat()),
        ("phase6_export_job", NEXT.isoformat()),
    ]
    for request in launched:
        assert request.tags["nba/trigger"] == "cascade"
        assert request.tags["nba/mode"] == "overnight"
        assert request.tags["nba/correlation_id"] == LOADER_CORRELATION
    runs = driver.instance.get_runs()
    assert all(r.is_success for r in runs if r.tags.get("nba/trigger") == "cascade")
    feed = settings.export_dir / path_of("predictions", NEXT)
    assert feed.exists() and json.loads(feed.read_text())["game_date"] == NEXT.isoformat()

    # The export's own completions are on the phase 6 topic, still carrying the loader's correlation id.
    topic = topic_of(6)
    messages = bus.pull(subscription_for(topic), max_messages=100)
    exported = [e for e in map(parse_envelope, (m.data for m in messages)) if e.game_date == NEXT]
    assert {e.processor for e in exported} == {"predictions", "results", "status", "tonight"}
    assert {(e.game_date, e.correlation_id, e.status) for e in exported} == {
        (NEXT, LOADER_CORRELATION, "success")
    }

    # Nothing fires twice: another full round of every sensor requests nothing.
    assert driver.cascade() == []
