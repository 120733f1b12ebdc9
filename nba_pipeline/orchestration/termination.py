"""A run this process executes, stopped from Dagster.

Dagster stops a run it launched by signalling the run's process. A run the command line executes in
its own process has no such handle: the UI's Terminate sets it CANCELING and finds nothing to
signal, and Cancel on a command-line backfill's page only marks the backfill CANCELING (the daemon
then asks each of its runs to terminate, within its 30 s loop). Left alone, the run would go on to
the end and the command to its next phase.

`StopWatch` watches both while the run executes and, on a request, marks the run CANCELING (if the
request was the backfill's) and stops it the way Dagster stops a run interrupted between two steps:
the step in flight finishes (an interrupt inside it would only be retried: Dagster honours a step's
retry policy on interrupts), no further step starts, Dagster ends the run CANCELED, settlement
releases its claims, and the command runs no further phase. `CommandLineAwareRunLauncher` lets the
UI's Terminate say so instead of "Unable to terminate run"."""

from __future__ import annotations

import logging
import threading

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher
from dagster._core.storage.tags import GRPC_INFO_TAG

from nba_pipeline.tags import EXECUTED_BY

log = logging.getLogger(__name__)

POLL_S = 1.0
_BACKFILL_STOPPING = (BulkActionStatus.CANCELING, BulkActionStatus.CANCELED)


class Terminated(Exception):
    """The run was stopped from Dagster (`reason` says by what), with its result when it returned
    one: no further run or phase is to start."""

    def __init__(self, reason: str, result=None):
        super().__init__(reason)
        self.reason, self.result = reason, result


def stop_requested(instance: dg.DagsterInstance, run_id: str, backfill_id: str | None) -> str | None:
    """Why the run is to stop, or None: terminated on its own page, or its backfill canceled."""
    run = instance.get_run_by_id(run_id)
    if run is not None and run.status == dg.DagsterRunStatus.CANCELING:
        return f"run {run_id} was terminated from Dagster"
    backfill = instance.get_backfill(backfill_id) if backfill_id else None
    if backfill is not None and backfill.status in _BACKFILL_STOPPING:
        return f"backfill {backfill_id} was canceled on the UI's Backfills page"
    return None


def stop_at_the_next_step() -> None:
    """What Dagster's SIGINT handler records when a signal lands between steps (it raises at the next
    step or output, the run ending canceled). Dagster has no public call for it; checked by
    test_termination against the pinned Dagster."""
    from dagster._utils import interrupts as dagster_interrupts

    dagster_interrupts._received_interrupt["received"] = True


class StopWatch:
    """While the block executes the run, a thread polls for a stop request (`reason` says which)."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, backfill_id: str | None = None):
        self.instance, self.run_id, self.backfill_id = instance, run_id, backfill_id
        self.reason: str | None = None
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StopWatch:
        # An in-memory instance (tests, `execute_in_process` alone) is nobody else's to stop it through.
        if not self.instance.is_ephemeral and threading.current_thread() is threading.main_thread():
            self._thread = threading.Thread(
                target=self._watch, name=f"stopwatch-{self.run_id[:8]}", daemon=True
            )
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _watch(self) -> None:
        while not self._done.wait(POLL_S):
            try:
                reason = stop_requested(self.instance, self.run_id, self.backfill_id)
                if reason is None:
                    continue
                run = self.instance.get_run_by_id(self.run_id)
                if run is None or run.is_finished or self._done.is_set():
                    return
                if run.status != dg.DagsterRunStatus.CANCELING:
                    self.instance.report_run_canceling(run, message=reason)
            except Exception as exc:  # a storage hiccup: the run goes on, asked again next time
                log.warning("could not read whether run %s is to stop: %s", self.run_id, exc)
                continue
            self.reason = reason
            stop_at_the_next_step()
            return


class CommandLineAwareRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher; a run it did not launch but a command executes (tagged
    EXECUTED_BY) is terminated by marking it CANCELING: that command's `StopWatch` stops it."""

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or run.is_finished or GRPC_INFO_TAG in run.tags or EXECUTED_BY not in run.tags:
            return super().terminate(run_id)
        by = run.tags[EXECUTED_BY]
        self._instance.report_run_canceling(run, message=f"the command executing it ({by}) stops it")
        return True
