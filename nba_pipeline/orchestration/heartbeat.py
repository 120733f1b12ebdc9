"""A run's heartbeat: while a run executes, its worker writes a Beat every few seconds.

Started by the coordination resource when a run initializes it (every phase asset requires it), in
whatever process executes the run — a daemon's run worker or a command line's own process — and
stopped when the run's resources are torn down. A process that is killed stops beating; the claim
sweep then finds the run dead (`claims.why_dead`) and marks it failed, which releases its claims.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from nba_pipeline.orchestration.claims import BEAT_EVERY, holder_id
from nba_pipeline.orchestration.store import CoordinationStore
from nba_pipeline.orchestration.store.records import Beat
from nba_pipeline.resources.clock import system_now

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(
        self,
        store: Callable[[], CoordinationStore],
        run_id: str,
        every_s: float = BEAT_EVERY.total_seconds(),
    ):
        self._store, self.run_id, self.every_s = store, run_id, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{run_id[:8]}", daemon=True)

    def beat(self) -> None:
        # Wall-clock time by definition: never the business clock, which may be frozen.
        self._store().beat(Beat(self.run_id, holder_id(), system_now()))

    def start(self) -> Heartbeat:
        self.beat()  # the first beat before any work: a run is alive from its first step
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - a missed beat is not worth failing the run for
                log.warning("heartbeat of run %s failed: %s", self.run_id, exc)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
