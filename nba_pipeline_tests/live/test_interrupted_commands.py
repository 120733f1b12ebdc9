"""A person's command stopped half-way, with no daemon to clean up after it: SIGTERM (a scheduler, `kill`)
unwinds and releases its claims on the way out; after SIGKILL, the next command finds the run dead
(its process is gone) and cleans up before it claims anything — nothing stays claimed or STARTED,
and the re-run builds the same tables as a run that was never interrupted."""

from __future__ import annotations

import hashlib
import signal
import time
from datetime import date

import dagster as dg
import pytest

from nba_pipeline.orchestration import claims
from nba_pipeline.resources.warehouse import DuckDBWarehouse
from nba_pipeline_tests.live.harness import Live, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]

START, END = date(2024, 1, 8), date(2024, 1, 11)
TABLES = (
    "nba_raw.nbac_gamebook_player_stats",
    "nba_analytics.player_game_summary",
    "nba_analytics.upcoming_player_game_context",
    "nba_analytics.team_offense_game_summary",
)
ARGS = ("backfill", "--start", START.isoformat(), "--end", END.isoformat(), "--through", "3")


def running_phase3(live: Live):
    with live.instance() as instance:
        runs = instance.get_runs(
            dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags={"nba/phase": "3"})
        )
    return runs[0] if runs else None


def fingerprint(live: Live) -> dict[str, str]:
    """Each table's rows for the range, `loaded_at` aside, as a digest."""
    warehouse = DuckDBWarehouse(live.settings.warehouse_path)
    out = {}
    for table in TABLES:
        frame = warehouse.query(
            f"SELECT * EXCLUDE (loaded_at) FROM {table} WHERE game_date BETWEEN $a AND $b",
            {"a": START, "b": END},
        )
        frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        out[table] = f"{len(frame)}:" + hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()[:16]
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, str]:
    clean = Live.at(tmp_path_factory.mktemp("clean") / "nba")
    done = clean.cli(*ARGS)
    assert done.returncode == 0, done.stderr[-2000:]
    return fingerprint(clean)


def test_sigterm_cancels_the_run_and_releases_its_claims_on_the_way_out(tmp_path):
    live = Live.at(tmp_path / "nba")
    proc = live.spawn(*ARGS)
    run = wait_for("the phase 3 run to start", lambda: running_phase3(live), timeout=300, every=0.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 130
    assert "interrupted" in proc.stderr.read()
    with live.instance() as instance:
        status = instance.get_run_by_id(run.run_id).status
        assert instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []
    store = live.store()
    assert store.claims(states=claims.ACTIVE) == []
    settled = {c.state for c in store.claims(run_id=run.run_id)}
    assert len(store.claims(run_id=run.run_id)) == (END - START).days + 1
    # A 4-date phase 3 takes a few seconds, so the signal can land after its last step: then the run
    # stands as built and its claims close as done (releasing them would invite a second build).
    if status == dg.DagsterRunStatus.SUCCESS:
        assert settled == {claims.DONE}
    else:
        assert status in (dg.DagsterRunStatus.CANCELED, dg.DagsterRunStatus.FAILURE)
        assert settled == {claims.RELEASED}


def test_sigterm_inside_a_step_that_retries_stops_the_run_there(tmp_path):
    """Dagster retries a step interrupted inside it when the step has a retry policy (phase 1's do):
    the run would go on to SUCCESS with every feed landed. It stops after the step in flight."""
    slow = date(2024, 1, 15)
    live = Live.at(tmp_path / "nba", NBA_PIPELINE_SCENARIO=f"slow_source@{slow}")  # each feed: 5 s
    proc = live.spawn("backfill", "--start", slow.isoformat(), "--end", slow.isoformat(), "--through", "2")

    def inside_its_first_step():
        with live.instance() as instance:
            for run in instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                if instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_START).records:
                    return run
        return None

    # Inside the step: a signal before it (resources starting) would stop the run at its first step.
    run = wait_for("the phase 1 run's first step to start", inside_its_first_step, timeout=300, every=0.2)
    time.sleep(0.5)  # of its 5 s
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 130
    with live.instance() as instance:
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.CANCELED
        landed = instance.get_records_for_run(
            run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        ).records
        assert [r.run_id for r in instance.get_runs()] == [run.run_id]  # no phase 2
    assert landed == []  # of four feeds, none: the step in flight stopped at its output


def test_after_sigkill_the_rerun_cleans_up_and_builds_identical_tables(tmp_path, reference):
    live = Live.at(tmp_path / "nba")
    proc = live.spawn(*ARGS)
    run = wait_for("the phase 3 run to start", lambda: running_phase3(live), timeout=300, every=0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    held = live.store().claims(states=claims.ACTIVE)
    assert len(held) == (END - START).days + 1 and {c.run_id for c in held} == {run.run_id}

    listed = live.cli("claims", "--json")  # the operator's view runs the sweep: the run is dead at once
    assert listed.returncode == 0 and '"claims": []' in listed.stdout
    again = live.cli(*ARGS)
    assert again.returncode == 0, again.stderr[-2000:]

    with live.instance() as instance:
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []
    assert live.store().claims(states=claims.ACTIVE) == []
    assert fingerprint(live) == reference
