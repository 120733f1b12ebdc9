"""The command line's backfill record beside Dagster's backfill daemon, in a fixed order: the daemon's
own iteration code is run, in this process, at the moments a real daemon may look — between two of
the command's phases (no run in flight) and after its last run, before the command closes the record.

The daemon concludes the record at such moments (it cannot know another phase follows) and advances
its cursor past the runs' materializations; the command reopens it and, at the end, writes what was
attempted, built and failed, read from the backfill's own runs."""

from __future__ import annotations

import logging
from datetime import date

import dagster as dg
import pytest
from dagster._core.execution.backfill import BulkActionStatus
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.backfill import execute_backfill_iteration

from nba_pipeline import runner
from nba_pipeline.environment import REPO_ROOT
from nba_pipeline.phases import PHASE_ASSET_PATHS
from nba_pipeline.runner import ensure_instance, run_phases

pytestmark = pytest.mark.slow

DAYS = (date(2024, 1, 8), date(2024, 1, 9))
NOW = "2024-01-10T12:00:00-05:00"


def _tick(instance: dg.DagsterInstance) -> None:
    """One pass of the backfill daemon over the instance's backfills."""
    target = ModuleTarget(
        module_name="nba_pipeline.definitions",
        attribute="defs",
        working_directory=str(REPO_ROOT),
        location_name="nba_pipeline",
    )
    with create_test_daemon_workspace_context(target, instance) as context:
        errors = [e for e in execute_backfill_iteration(context, logging.getLogger("backfill")) if e]
    assert errors == []


def _record(instance: dg.DagsterInstance) -> dict:
    [backfill] = instance.get_backfills()
    data = backfill.asset_backfill_data

    def per_asset(subset) -> dict[str, list[str]]:
        return {
            key.to_user_string(): sorted(s.get_partition_keys())
            for key, s in subset.partitions_subsets_by_asset_key.items()
        }

    return {
        "status": backfill.status,
        "target": per_asset(data.target_subset),
        "built": per_asset(data.materialized_subset),
        "failed": per_asset(data.failed_and_downstream_subset),
        "cursor": data.latest_storage_id,
    }


def test_the_daemon_concluding_the_record_between_phases_and_before_the_close_changes_nothing(
    make_settings, monkeypatch
):
    settings = make_settings(now=NOW)
    seen: dict[str, dict] = {}

    def between_phases(phase) -> None:
        if phase.number == 2:  # phase 1's run has finished, phase 2's not started
            _tick(instance)  # the daemon sees phase 1's materializations and moves its cursor on
            _tick(instance)  # nothing new, no run in flight: it calls the rest "stalled"
            seen["between"] = _record(instance)

    close = runner.close_backfill

    def daemon_then_close(*args) -> None:
        seen["reopened"] = _record(instance)
        _tick(instance)  # after the last run: everything built, so the daemon completes it
        seen["before_close"] = _record(instance)
        close(*args)

    monkeypatch.setattr(runner, "close_backfill", daemon_then_close)
    with ensure_instance(settings) as instance:
        opened = instance.event_log_storage.get_maximum_record_id() or 0  # an empty home
        run_phases(
            settings, *DAYS, 2, "backfill", "backfill", "t", on_phase=between_phases, instance=instance
        )
        final = _record(instance)

    days = [d.isoformat() for d in DAYS]
    phase1, phase2 = ({"/".join(path) for path in PHASE_ASSET_PATHS[n]} for n in (1, 2))
    # The daemon did what a real one may: concluded the record as failed in the gap, its cursor past
    # phase 1's materializations.
    assert seen["between"]["status"] == BulkActionStatus.COMPLETED_FAILED
    assert set(seen["between"]["failed"]) == phase2
    assert seen["between"]["cursor"] > opened
    # The command reopened it for phase 2, with nothing marked failed.
    assert (seen["reopened"]["status"], seen["reopened"]["failed"]) == (BulkActionStatus.REQUESTED, {})
    assert seen["before_close"]["status"] == BulkActionStatus.COMPLETED_SUCCESS
    # The close: every asset of phases 1-2 on both dates, attempted and built, whatever the cursor.
    assert final["target"] == {key: days for key in phase1 | phase2}
    assert final["built"] == final["target"]
    assert (final["status"], final["failed"]) == (BulkActionStatus.COMPLETED_SUCCESS, {})


def test_a_backfill_canceled_from_the_ui_runs_no_further_phase(make_settings):
    """The UI's Cancel sets the record CANCELING (the daemon cancels its runs, then CANCELED): the
    command starts no further phase, says so, and leaves the record canceled."""
    settings = make_settings(now=NOW)

    def cancel_before_phase_2(phase) -> None:
        if phase.number == 2:
            [backfill] = instance.get_backfills()
            instance.update_backfill(backfill.with_status(BulkActionStatus.CANCELED))

    with ensure_instance(settings) as instance:
        outcomes = run_phases(
            settings, *DAYS, 3, "backfill", "backfill", "t", on_phase=cancel_before_phase_2, instance=instance
        )
        [backfill] = instance.get_backfills()
        phase2_runs = instance.get_runs(dg.RunsFilter(tags={"nba/phase": "2"}))
    assert [(o.phase, o.status) for o in outcomes] == [(1, "success"), (2, "canceled")]
    assert outcomes[1].errors == [runner.CANCELED]
    assert (backfill.status, phase2_runs) == (BulkActionStatus.CANCELED, [])
