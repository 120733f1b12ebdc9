"""The coordination store and the signal bus as one resource: SQLite files locally, Firestore and
Pub/Sub in prod (or their emulators, by FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST).

Initialized for a run (every phase asset requires it), it also keeps that run's heartbeat going for
as long as the run executes (orchestration.heartbeat), and watches for the run being stopped from
Dagster, to stop it at its next step (orchestration.termination)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from nba_pipeline.orchestration.bus import SignalBus, make_bus
from nba_pipeline.orchestration.store import CoordinationStore, make_store


class CoordinationResource(dg.ConfigurableResource):
    state_dir: str
    gcp_project: str | None = None
    _heartbeat: object = PrivateAttr(default=None)
    _stop_watch: object = PrivateAttr(default=None)

    def store(self) -> CoordinationStore:
        return make_store(Path(self.state_dir), self.gcp_project)

    def bus(self) -> SignalBus:
        return make_bus(Path(self.state_dir), self.gcp_project)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        run = context.dagster_run
        if run is not None and self._heartbeat is None:  # a run, not a sensor or schedule tick
            from nba_pipeline.orchestration.heartbeat import Heartbeat

            self._heartbeat = Heartbeat(self.store, run.run_id).start()
            # An in-memory instance is nobody else's: nothing can ask its runs to stop.
            if context.instance is not None and not context.instance.is_ephemeral:
                from nba_pipeline.orchestration.termination import StopWatch

                self._stop_watch = StopWatch(context.instance, run).start()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for attribute in ("_heartbeat", "_stop_watch"):
            running = getattr(self, attribute)
            if running is not None:
                running.stop()
                setattr(self, attribute, None)
