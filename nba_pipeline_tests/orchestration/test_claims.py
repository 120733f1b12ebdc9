"""The claim lifecycle (DOMAIN §6): fencing by attempt, idempotent settlement, leases and the sweep on
the wall clock, dead runs found by their heartbeat — against SQLite and the Firestore emulator, with
real runs in a real Dagster instance."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime, timedelta

import dagster as dg
import pytest
from dagster._core.test_utils import create_run_for_test

from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.settle import close_claims
from nba_pipeline.orchestration.store.records import Beat
from nba_pipeline.tags import CLAIM, CLAIM_ATTEMPT, PHASE

DAY = date(2024, 1, 15)
T0 = datetime(2024, 1, 16, 6, 0, tzinfo=UTC)
KEY = claims.claim_key("4", DAY, "v1")


def take(store, holder="phase4_precompute_sensor", wall=T0, run_id=None):
    return claims.take(store, "4", DAY, "v1", holder, "overnight", "cascade", "corr", wall, run_id)


@pytest.fixture
def instance():
    with dg.instance_for_test() as inst:
        yield inst


def run(instance, status, tags=None, run_id=None) -> dg.DagsterRun:
    return create_run_for_test(
        instance,
        job_name="phase4_precompute_job",
        status=status,
        tags={PHASE: "4", **(tags or {})},
        run_id=run_id,
    )


def test_a_holder_moves_only_its_own_attempt(store):
    first = take(store).claim
    claims.release(store, KEY, first.attempt, "launch failed", T0)
    second = take(store, "cli:backfill").claim
    assert second.attempt == 2

    # the first holder, late: nothing it does reaches attempt 2
    assert claims.release(store, KEY, 1, "late release", T0) is None
    assert claims.close(store, first, "run-1", False, "run-1 failed", T0) is False
    with pytest.raises(claims.ClaimLost, match="attempt 1"):
        claims.bind(store, first, "run-1", T0)
    held = store.get_claim(KEY)
    assert (held.attempt, held.state, held.holder, held.run_id) == (2, "claimed", "cli:backfill", None)


def test_settling_a_failed_run_twice_leaves_its_successor_alone_and_counts_once(store, instance):
    failed = run(instance, dg.DagsterRunStatus.FAILURE)
    mine = take(store, run_id=failed.run_id).claim
    assert close_claims(failed, store, T0) == []
    successor = take(store, "phase4_precompute_sensor", wall=T0 + timedelta(seconds=5)).claim
    started = run(instance, dg.DagsterRunStatus.STARTED, {CLAIM: KEY, CLAIM_ATTEMPT: "2"})
    claims.bind(store, successor, started.run_id, T0)

    close_claims(failed, store, T0 + timedelta(seconds=10))  # settled again (the first settlement crashed)
    assert claims.close(store, mine, failed.run_id, False, "again", T0) is False  # finish_claims twice

    held = store.get_claim(KEY)
    assert (held.attempt, held.state, held.run_id) == (2, "launched", started.run_id)
    assert breaker.state_of(store, "4", DAY, T0, "v1").failures == 1


def test_a_success_then_a_late_resettlement_of_an_earlier_failure_counts_nothing(store, instance):
    failed = run(instance, dg.DagsterRunStatus.FAILURE)
    take(store, run_id=failed.run_id)
    close_claims(failed, store, T0)
    ok = run(instance, dg.DagsterRunStatus.SUCCESS)
    take(store, run_id=ok.run_id, wall=T0 + timedelta(seconds=1))
    close_claims(ok, store, T0 + timedelta(seconds=2))
    close_claims(failed, store, T0 + timedelta(seconds=3))

    assert store.get_claim(KEY).state == "done"
    assert breaker.state_of(store, "4", DAY, T0, "v1").failures == 0


def test_a_retried_claim_binds_to_its_own_attempts_run(store, instance):
    """The sweep finds a claim's run by key and attempt: attempt 2 is never bound to attempt 1's run."""
    first = take(store).claim
    old = run(instance, dg.DagsterRunStatus.FAILURE, {CLAIM: KEY, CLAIM_ATTEMPT: "1"})
    claims.release(store, KEY, first.attempt, "run failed", T0)
    take(store, wall=T0)
    new = run(instance, dg.DagsterRunStatus.SUCCESS, {CLAIM: KEY, CLAIM_ATTEMPT: "2"})

    report = claims.sweep(store, instance, T0 + timedelta(seconds=30))

    assert report.bound == [KEY]
    assert store.get_claim(KEY).run_id == new.run_id and old.run_id != new.run_id
    assert report.to_settle == [new.run_id]  # finished: its settlement closes the claim


def test_a_claim_whose_run_never_appears_is_released_when_its_wall_clock_lease_expires(store, instance):
    take(store, wall=T0)
    assert claims.sweep(store, instance, T0 + claims.LAUNCH_LEASE - timedelta(seconds=1)).released == []
    report = claims.sweep(store, instance, T0 + claims.LAUNCH_LEASE)
    assert report.released == [
        "phase 4 2024-01-15 attempt 1: launch lease expired: no run within 2 min of the claim"
    ]
    assert store.get_claim(KEY).state == "released"


def test_a_claim_bound_before_its_run_exists_waits_for_it_then_lets_go(store, instance):
    take(store, "cli:backfill", wall=T0, run_id="run-not-yet-created")
    assert claims.sweep(store, instance, T0 + timedelta(seconds=90)).released == []
    report = claims.sweep(store, instance, T0 + claims.LAUNCH_LEASE)
    assert report.released == ["phase 4 2024-01-15 attempt 1: run run-not-yet-created never appeared"]


def test_a_started_run_with_a_fresh_heartbeat_is_left_alone(store, instance):
    alive = run(instance, dg.DagsterRunStatus.STARTED)
    take(store, run_id=alive.run_id)
    wall = datetime.now(UTC)
    store.beat(Beat(alive.run_id, "1@elsewhere", wall - timedelta(seconds=30)))
    report = claims.sweep(store, instance, wall)
    assert (report.dead, report.to_settle) == ([], [])
    assert instance.get_run_by_id(alive.run_id).status == dg.DagsterRunStatus.STARTED


def test_a_started_run_whose_heartbeat_stopped_is_failed_and_listed_for_settlement(store, instance):
    dead = run(instance, dg.DagsterRunStatus.STARTED)
    take(store, run_id=dead.run_id)
    wall = datetime.now(UTC) + claims.BEAT_STALE + timedelta(seconds=5)
    store.beat(Beat(dead.run_id, "1@another-host", datetime.now(UTC)))

    report = claims.sweep(store, instance, wall)

    assert report.to_settle == [dead.run_id]
    assert len(report.dead) == 1 and report.dead[0].startswith(
        f"run {dead.run_id} (phase 4): no heartbeat for 9"
    )
    assert instance.get_run_by_id(dead.run_id).status == dg.DagsterRunStatus.FAILURE
    close_claims(instance.get_run_by_id(dead.run_id), store, wall)
    assert store.get_claim(KEY).state == "released"


@pytest.mark.parametrize(
    ("status", "ended"),
    [
        (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.FAILURE),
        # terminated from the UI, then its command was killed before the run reached its next step
        (dg.DagsterRunStatus.CANCELING, dg.DagsterRunStatus.CANCELED),
    ],
)
def test_a_run_whose_process_on_this_host_is_gone_is_dead_at_once(store, instance, status, ended):
    child = subprocess.Popen(["sleep", "60"])
    holder = f"{child.pid}@{claims.holder_id().split('@', 1)[1]}"
    killed = run(instance, status)
    take(store, run_id=killed.run_id)
    store.beat(Beat(killed.run_id, holder, datetime.now(UTC)))
    assert claims.sweep(store, instance, datetime.now(UTC)).dead == []  # alive: left alone

    child.kill()
    child.wait()
    report = claims.sweep(store, instance, datetime.now(UTC))

    assert report.dead == [f"run {killed.run_id} (phase 4): its process {holder} is gone"]
    assert report.to_settle == [killed.run_id]
    assert instance.get_run_by_id(killed.run_id).status == ended
    close_claims(instance.get_run_by_id(killed.run_id), store, datetime.now(UTC))
    assert store.get_claim(KEY).state == "released"


def test_alive_in_flight_leaves_out_dead_runs(store, instance):
    alive = run(instance, dg.DagsterRunStatus.STARTED)
    dead = run(instance, dg.DagsterRunStatus.STARTED)
    queued = run(instance, dg.DagsterRunStatus.STARTING)  # not started yet: alive by definition
    started, later = datetime.now(UTC), datetime.now(UTC) + timedelta(minutes=5)
    store.beat(Beat(alive.run_id, "1@elsewhere", later - timedelta(seconds=10)))
    store.beat(Beat(dead.run_id, "1@elsewhere", started))  # silent ever since
    found = {r.dagster_run.run_id for r in claims.alive_in_flight(instance, store, later)}
    assert found == {alive.run_id, queued.run_id}


def test_the_process_check_is_only_for_this_host():
    assert claims._process_gone("1@some-other-host") is False
    assert claims._process_gone(claims.holder_id()) is False
    assert claims.why_dead(None, None, T0) is None
