"""A run stopped from Dagster while it is in flight (`orchestration.termination`): a command's run by
its Terminate (what the UI's button calls: the instance's run launcher) and by its backfill's Cancel,
and a run Dagster executes itself, marked CANCELING as Dagster's own Terminate does first.

One process, a real SQLite instance, the run genuinely in flight: `slow_source` makes each of phase
1's four feeds take 5 s for the date, and a second thread asks for the stop once the run started."""

from __future__ import annotations

import threading
import time
from datetime import date

import dagster as dg
import pytest
from dagster._core.execution.backfill import BulkActionStatus

from nba_pipeline import interrupts
from nba_pipeline.automation.jobs import phase_job_name
from nba_pipeline.definitions import build_definitions
from nba_pipeline.orchestration.termination import CommandLineAwareRunLauncher
from nba_pipeline.phases import PHASES
from nba_pipeline.runner import QUIET, ensure_instance, phase_keys, run_phases
from nba_pipeline.tags import EXECUTED_BY

pytestmark = pytest.mark.slow

DAY = date(2024, 1, 8)
NOW = "2024-01-10T12:00:00-05:00"


def _when_started(instance: dg.DagsterInstance, then) -> threading.Thread:
    """In a second thread: wait for the phase 1 run to start, then do `then(run)`."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
            if runs:
                time.sleep(1.0)  # inside the first feed's 5 s
                then(runs[0])
                return
            time.sleep(0.1)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _stopped(settings, trigger: str, stop) -> tuple[list, list, float]:
    restore = interrupts.install()  # as the command line does: a person's Ctrl-C is told apart
    try:
        with ensure_instance(settings) as instance:
            helper = _when_started(instance, lambda run: stop(instance, run))
            began = time.monotonic()
            outcomes = run_phases(settings, DAY, DAY, 2, trigger, trigger, "t", instance=instance)
            took = time.monotonic() - began
            helper.join(5)
            runs = instance.get_runs()
        return outcomes, runs, took
    finally:
        restore()


def test_terminate_on_the_ui_stops_the_commands_run_and_its_next_phase(make_settings):
    settings = make_settings(now=NOW, scenario=f"slow_source@{DAY}")
    answers = []

    def terminate(instance, run) -> None:  # the UI's Terminate: the instance's launcher
        launcher = CommandLineAwareRunLauncher()
        launcher.register_instance(instance)
        answers.append(launcher.terminate(run.run_id))

    outcomes, runs, took = _stopped(settings, "manual", terminate)
    assert answers == [True]  # not "Unable to terminate run"
    assert [(o.phase, o.status) for o in outcomes] == [(1, "canceled")]
    assert [r.status for r in runs] == [dg.DagsterRunStatus.CANCELED]
    assert runs[0].tags[EXECUTED_BY].split("@")[0].isdigit()
    assert any("was terminated from Dagster" in e for e in outcomes[0].errors)
    assert took < 15  # four feeds of 5 s each uninterrupted: 20 s
    assert not interrupts.received()  # the stop was Dagster's, not a signal to this process


def test_a_backfill_canceled_on_the_ui_stops_its_run_in_flight(make_settings):
    settings = make_settings(now=NOW, scenario=f"slow_source@{DAY}")

    def cancel(instance, run) -> None:  # the UI's Cancel on the Backfills page
        [backfill] = instance.get_backfills()
        instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELING))

    outcomes, runs, took = _stopped(settings, "backfill", cancel)
    assert [(o.phase, o.status) for o in outcomes] == [(1, "canceled")]
    assert [r.status for r in runs] == [dg.DagsterRunStatus.CANCELED]
    assert any("canceled on the UI's Backfills page" in e for e in outcomes[0].errors)
    assert took < 15


def test_a_run_dagster_executes_itself_stops_when_marked_canceling(make_settings):
    """What a daemon's run worker executes: the job, by Dagster, with no command around it."""
    settings = make_settings(now=NOW, scenario=f"slow_source@{DAY}")
    defs = build_definitions(settings)
    job = defs.resolve_job_def(phase_job_name(1))
    with ensure_instance(settings) as instance:
        helper = _when_started(instance, lambda run: instance.report_run_canceling(run))
        began = time.monotonic()
        result = job.execute_in_process(
            run_config=QUIET,
            instance=instance,
            partition_key=DAY.isoformat(),
            asset_selection=phase_keys(defs, PHASES[0]),
            raise_on_error=False,
        )
        took = time.monotonic() - began
        helper.join(5)
        status = instance.get_run_by_id(result.run_id).status
    assert status == dg.DagsterRunStatus.CANCELED
    assert result.get_asset_materialization_events() == []  # the step in flight stopped at its output
    assert took < 15
