"""SIGTERM reaching a command while Dagster runs a step: however Dagster reports it — here a step whose
cleanup turned the interruption into another error — the command knows it was stopped and unwinds
(the failure in CI: the command exited 3, 'a date failed', instead of 130)."""

from __future__ import annotations

import os
import signal
import threading
import time

import dagster as dg
import pytest

from nba_pipeline import interrupts, runner


@dg.asset
def interrupted_mid_step() -> None:
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    except BaseException:  # noqa: BLE001 — a cleanup that fails hides the interruption
        raise RuntimeError("the transaction could not roll back") from None


@pytest.fixture
def installed():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be installed from the main thread")
    restore = interrupts.install()
    yield
    restore()


def test_a_signal_hidden_in_another_error_still_stops_the_command(installed):
    job = dg.Definitions(
        assets=[interrupted_mid_step], jobs=[dg.define_asset_job("j", [interrupted_mid_step])]
    ).resolve_job_def("j")
    with dg.instance_for_test() as instance:
        with pytest.raises(KeyboardInterrupt):
            runner.execute(job, instance, "0" * 8 + "-0000-0000-0000-" + "0" * 12)
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.FAILURE  # the run's own ending, not rewritten
    assert interrupts.received()


def test_without_a_signal_nothing_reads_as_interrupted(installed):
    assert interrupts.received() is False
