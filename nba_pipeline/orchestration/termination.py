"""A run stopped from Dagster — Terminate on its page, Cancel on its backfill's page — or by a
command's own Ctrl-C / SIGTERM, stops.

Dagster stops a run by signalling its process, and the signal lands inside a step almost always:
Dagster then honours the step's retry policy, so a step that retries (phase 1's scrapers, the daily
table builders) is re-run rather than stopped, and the run goes on; a command's Ctrl-C or SIGTERM
fares the same. A run a command executes in its own process cannot even be signalled by Dagster:
Terminate answers "Unable to terminate run", and Cancel on a command-line backfill only marks the
backfill CANCELING.

So each run watches for itself. `StopWatch` is started with the run's resources (the coordination
resource, which every phase asset requires, whatever process executes the run: a daemon's run
worker, a command line, `dagster asset materialize`); every second it looks at the run, its backfill
and the command's own interrupt. On a request it marks the run CANCELING (unless Dagster did) and
stops it as Dagster stops a run interrupted between two steps: the step in flight finishes, no
further step or output starts, Dagster ends the run CANCELED, settlement releases its claims; a
command then runs no further phase (`stopped_from_dagster`). `CommandLineAwareRunLauncher` lets the
UI's Terminate of a command's run say so instead of "Unable to terminate run"."""

from __future__ import annotations

import logging
import threading

import dagster as dg
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher
from dagster._core.storage.tags import BACKFILL_ID_TAG, GRPC_INFO_TAG

from nba_pipeline import interrupts
from nba_pipeline.tags import EXECUTED_BY

log = logging.getLogger(__name__)

POLL_S = 1.0
_BACKFILL_STOPPING = (BulkActionStatus.CANCELING, BulkActionStatus.CANCELED)
_STOPPED = (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED)


class Terminated(Exception):
    """The run was stopped from Dagster (`reason` says by what), with its result: no further run or
    phase is to start."""

    def __init__(self, reason: str, result):
        super().__init__(reason)
        self.reason, self.result = reason, result


def stop_requested(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str | None:
    """Why the run (as stored now) is to stop, or None: terminated on its own page, or its backfill
    canceled."""
    if run.status == dg.DagsterRunStatus.CANCELING:
        return f"run {run.run_id} was terminated from Dagster"
    backfill_id = run.tags.get(BACKFILL_ID_TAG)
    backfill = instance.get_backfill(backfill_id) if backfill_id else None
    if backfill is not None and backfill.status in _BACKFILL_STOPPING:
        return f"backfill {backfill_id} was canceled on the UI's Backfills page"
    return None


def _interrupted_here() -> str | None:
    """A command's own Ctrl-C or SIGTERM (`interrupts`): Dagster turns it into a retried step too."""
    if interrupts.received():
        return "the command executing it was interrupted (Ctrl-C or SIGTERM)"
    return None


def stopped_from_dagster(instance: dg.DagsterInstance, run_id: str) -> str | None:
    """After a run executed: why it was stopped from Dagster (its CANCELING event's message), or None."""
    run = instance.get_run_by_id(run_id)
    if run is None or run.status not in _STOPPED:
        return None
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.RUN_CANCELING, limit=1, ascending=False
    ).records
    message = records[0].event_log_entry.message if records else ""
    return message or f"run {run_id} was terminated from Dagster"


def stop_at_the_next_step() -> None:
    """What Dagster's SIGINT handler records when a signal lands between steps (it raises at the next
    step or output, the run ending canceled). Dagster has no public call for it; checked by
    test_termination against the pinned Dagster."""
    from dagster._utils import interrupts as dagster_interrupts

    dagster_interrupts._received_interrupt["received"] = True


class StopWatch:
    """While a run executes, a thread polls for a stop request."""

    def __init__(self, instance: dg.DagsterInstance, run: dg.DagsterRun):
        self.instance, self.run = instance, run
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name=f"stopwatch-{run.run_id[:8]}", daemon=True)

    def start(self) -> StopWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._done.wait(POLL_S):
            try:
                current = self.instance.get_run_by_id(self.run.run_id)
                if current is None or current.is_finished or self._done.is_set():
                    return
                reason = _interrupted_here() or stop_requested(self.instance, current)
                if reason is None:
                    continue
                if current.status != dg.DagsterRunStatus.CANCELING:
                    self.instance.report_run_canceling(current, message=reason)
            except Exception as exc:  # a storage hiccup: the run goes on, asked again next time
                log.warning("could not read whether run %s is to stop: %s", self.run.run_id, exc)
                continue
            stop_at_the_next_step()
            return


class CommandLineAwareRunLauncher(DefaultRunLauncher):
    """Dagster's default launcher; a run it did not launch but a command executes (tagged
    EXECUTED_BY) is terminated by marking it CANCELING: the run's own `StopWatch` stops it."""

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or run.is_finished or GRPC_INFO_TAG in run.tags or EXECUTED_BY not in run.tags:
            return super().terminate(run_id)
        by = run.tags[EXECUTED_BY]
        message = f"run {run_id} was terminated from Dagster (the command executing it, {by}, stops it)"
        self._instance.report_run_canceling(run, message=message)
        return True
