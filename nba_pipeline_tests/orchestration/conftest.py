"""The Pub/Sub and Firestore emulators, started once per session, and the contract fixtures that run
the same tests against the embedded (SQLite) and the Google Cloud implementations.

Without gcloud (or Java) the emulator tests skip with the reason; in CI (CI=true) they fail, since
there the emulators must run. State is reset between tests through the emulators' reset endpoints.
"""

from __future__ import annotations

import os

import pytest

from nba_pipeline.orchestration import emulators
from nba_pipeline.orchestration.bus import PubSubBus, SqliteBus
from nba_pipeline.orchestration.store.firestore import FirestoreStore
from nba_pipeline.orchestration.store.sqlite import SqliteStore

PROJECT = "nba-test"


@pytest.fixture(scope="session")
def running_emulators(tmp_path_factory):
    reason = emulators.unavailable_reason()
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the emulator tests must run in CI: {reason}")
        pytest.skip(reason)
    # Both at once: their JVMs start in parallel, and both are stopped by process group at the end.
    with emulators.running(log_dir=tmp_path_factory.mktemp("emulators"), project=PROJECT) as started:
        yield started


@pytest.fixture
def firestore_emulator(running_emulators) -> emulators.Emulator:
    emulator = running_emulators[emulators.FIRESTORE]
    emulator.reset(PROJECT)
    return emulator


@pytest.fixture
def pubsub_emulator(running_emulators) -> emulators.Emulator:
    emulator = running_emulators[emulators.PUBSUB]
    emulator.reset(PROJECT)
    return emulator


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulators)])
def store(request, tmp_path):
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "coordination.sqlite")
    emulator = request.getfixturevalue("firestore_emulator")
    return FirestoreStore(PROJECT, emulator_host=emulator.host, allow_reset=True)


@pytest.fixture
def store_factory(store, tmp_path):
    """Another handle on the same store, as another thread or process would open it (own client)."""
    if isinstance(store, SqliteStore):
        return lambda: SqliteStore(store.path)
    return lambda: FirestoreStore(PROJECT, emulator_host=store.emulator_host)


@pytest.fixture(params=["sqlite", pytest.param("pubsub", marks=pytest.mark.emulators)])
def bus(request, tmp_path):
    if request.param == "sqlite":
        return SqliteBus(tmp_path / "signals.sqlite")
    emulator = request.getfixturevalue("pubsub_emulator")
    return PubSubBus(PROJECT, emulator_host=emulator.host, allow_reset=True)
