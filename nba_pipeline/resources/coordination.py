"""The coordination store and the signal bus as one resource: SQLite files locally, Firestore and
Pub/Sub in prod (or their emulators, by FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from nba_pipeline.orchestration.bus import SignalBus, make_bus
from nba_pipeline.orchestration.store import CoordinationStore, make_store


class CoordinationResource(dg.ConfigurableResource):
    state_dir: str
    gcp_project: str | None = None

    def store(self) -> CoordinationStore:
        return make_store(Path(self.state_dir), self.gcp_project)

    def bus(self) -> SignalBus:
        return make_bus(Path(self.state_dir), self.gcp_project)
