"""The coordination store's contract, run against SQLite and the Firestore emulator alike."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nba_pipeline.orchestration.store import (
    BREAKER_FAILURE_THRESHOLD,
    Breaker,
    BreakerRecord,
    Completion,
    FirestoreStore,
    SqliteStore,
    breaker_transition,
    make_store,
)

DAY = date(2024, 1, 15)
T0 = datetime(2024, 1, 16, 6, 0, tzinfo=UTC)
ET = timezone(timedelta(hours=-5))


def completion(processor: str, phase: int = 2, rows: int = 10, at: datetime = T0) -> Completion:
    return Completion(
        DAY, phase, processor, "success", rows, "corr-1", f"exec-{processor}", "v1", "overnight", at
    )


def claim(store, claimant: str = "cascade-sensor", version: str = "v1", now: datetime = T0, **kw):
    args = {"mode": "overnight", "trigger": "cascade", "correlation_id": f"corr-{claimant}"} | kw
    return store.claim(3, DAY, version, claimant, args["mode"], args["trigger"], args["correlation_id"], now)


def race(open_store, claimants: list[str], version: str = "v1") -> list[str]:
    """Every claimant claims at the same instant from its own thread and store handle; the winners."""
    barrier, winners = threading.Barrier(len(claimants)), []

    def attempt(name: str) -> None:
        handle = open_store()
        barrier.wait()
        if claim(handle, name, version).won:
            winners.append(name)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in claimants]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return winners


def test_completions_are_one_record_per_processor_and_upsert(store):
    store.record_completion(completion("player_game_summary", rows=10))
    store.record_completion(completion("team_offense", rows=30))
    store.record_completion(completion("upcoming_context", phase=3))
    store.record_completion(completion("player_game_summary", rows=12, at=T0 + timedelta(minutes=5)))

    found = store.completions(DAY, 2)

    assert [(c.processor, c.rows) for c in found] == [("player_game_summary", 12), ("team_offense", 30)]
    assert found[0] == completion("player_game_summary", rows=12, at=T0 + timedelta(minutes=5))
    assert [c.processor for c in store.completions(DAY, 3)] == ["upcoming_context"]
    assert store.completions(date(2024, 1, 16), 2) == []


def test_the_first_claim_wins_and_a_second_sees_the_holder(store):
    first = claim(store, "cascade-sensor")
    second = claim(store, "a-person", mode="manual", trigger="manual")  # the mode is not in the key

    assert first.won and not second.won
    assert (second.claim.claimant, second.claim.mode, second.claim.trigger) == (
        "cascade-sensor",
        "overnight",
        "cascade",
    )
    assert second.claim.state == "claimed" and second.claim.claimed_at == T0
    assert store.get_claim(3, DAY, "v1") == first.claim


def test_a_new_upstream_version_is_a_new_claim(store):
    assert claim(store, "a", "v1").won
    assert claim(store, "b", "v2").won
    assert not claim(store, "c", "v2").won


def test_exactly_one_of_many_concurrent_claimants_wins(store, store_factory):
    # SQLite serializes writers; on Firestore, create-if-absent has one winner (a client per thread).
    n = 20 if isinstance(store, SqliteStore) else 8
    winners = race(store_factory, [f"claimant-{i}" for i in range(n)])
    assert len(winners) == 1
    assert store.get_claim(3, DAY, "v1").claimant == winners[0]


def test_exactly_one_wins_a_released_claim_under_contention(store, store_factory):
    # Re-claiming a released claim overwrites an existing record (on Firestore, a compare-and-set
    # on its update time), a different path from creating a fresh claim.
    claim(store, "first")
    store.release(3, DAY, "v1", "launch failed")
    n = 20 if isinstance(store, SqliteStore) else 12
    winners = race(store_factory, [f"retry-{i}" for i in range(n)])
    assert len(winners) == 1
    held = store.get_claim(3, DAY, "v1")
    assert (held.claimant, held.state, held.released_reason) == (winners[0], "claimed", None)


def test_release_frees_the_claim_for_the_next_claimant(store):
    claim(store, "cascade-sensor")
    assert store.release(3, DAY, "v1", "run failed", claimant="someone-else") is False  # not the holder
    assert store.release(3, DAY, "v1", "run failed") is True
    assert store.get_claim(3, DAY, "v1").released_reason == "run failed"
    assert store.release(3, DAY, "v1", "again") is False  # already released
    assert store.release(3, DAY, "v-unknown", "nothing there") is False

    retry = claim(store, "self-heal", now=T0 + timedelta(hours=1), trigger="self_heal")

    assert retry.won and retry.claim.claimant == "self-heal"
    assert not claim(store, "late").won


def test_launch_is_recorded_and_pending_claims_are_recent_and_active(store):
    claim(store, "a", "v1")
    store.mark_launched(3, DAY, "v1", "run-123")
    claim(store, "b", "v2", now=T0 + timedelta(minutes=1))
    claim(store, "c", "v3", now=T0 + timedelta(minutes=2))
    store.release(3, DAY, "v3", "launch failed")
    claim(store, "d", "v0", now=T0 - timedelta(days=2))  # too old to revisit

    pending = store.pending_claims(T0 + timedelta(hours=1), max_age=timedelta(days=1))

    assert [(c.upstream_version, c.state, c.run_id) for c in pending] == [
        ("v1", "launched", "run-123"),
        ("v2", "claimed", None),
    ]


def test_launching_a_missing_or_released_claim_is_an_error(store):
    with pytest.raises(LookupError):
        store.mark_launched(3, DAY, "v1", "run-1")
    claim(store, "a")
    store.release(3, DAY, "v1", "cancelled")
    with pytest.raises(ValueError, match="released"):
        store.mark_launched(3, DAY, "v1", "run-1")


def test_the_breaker_opens_on_the_fifth_failure_not_the_fourth(store):
    states = [store.record_failure(4, DAY, T0 + timedelta(minutes=i), "v1") for i in range(5)]
    assert [s.state for s in states] == [Breaker.CLOSED] * 4 + [Breaker.OPEN]
    assert states[-1].failures == 5 and states[-1].opened_at == T0 + timedelta(minutes=4)
    assert not store.breaker(4, DAY, T0 + timedelta(minutes=30), "v1").allows_run
    assert store.breaker(4, date(2024, 1, 16), T0, "v1").state is Breaker.CLOSED  # per date


def test_the_breaker_half_opens_after_an_hour_or_on_new_upstream_data(store):
    for _ in range(BREAKER_FAILURE_THRESHOLD):
        store.record_failure(4, DAY, T0, "v1")

    assert store.breaker(4, DAY, T0 + timedelta(minutes=59), "v1").state is Breaker.OPEN
    assert store.breaker(4, DAY, T0 + timedelta(minutes=60), "v1").state is Breaker.HALF_OPEN
    assert store.breaker(4, DAY, T0 + timedelta(minutes=1), "v2").state is Breaker.HALF_OPEN

    reopened = store.record_failure(4, DAY, T0 + timedelta(minutes=61), "v1")  # the trial run failed
    assert (reopened.state, reopened.opened_at) == (Breaker.OPEN, T0 + timedelta(minutes=61))
    assert store.breaker(4, DAY, T0 + timedelta(minutes=90), "v1").state is Breaker.OPEN

    closed = store.record_success(4, DAY, T0 + timedelta(minutes=125))
    assert (closed.state, closed.failures, closed.opened_at) == (Breaker.CLOSED, 0, None)
    assert store.record_failure(4, DAY, T0 + timedelta(minutes=126), "v1").state is Breaker.CLOSED


def test_concurrent_failures_are_all_counted(store, store_factory):
    barrier, n = threading.Barrier(8), 8

    def fail() -> None:
        handle = store_factory()
        barrier.wait()
        handle.record_failure(4, DAY, T0, "v1")

    threads = [threading.Thread(target=fail) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    state = store.breaker(4, DAY, T0, "v1")
    assert (state.failures, state.state) == (8, Breaker.OPEN)  # no read-modify-write was lost


def test_breaker_rules_are_one_pure_function():
    opened = BreakerRecord(5, T0, "v1", T0)
    assert breaker_transition(None, "check", T0, "v1") == (BreakerRecord(), Breaker.CLOSED)
    assert breaker_transition(BreakerRecord(4, None, None, T0), "failure", T0, "v1") == (opened, Breaker.OPEN)
    assert (
        breaker_transition(opened, "check", T0 + timedelta(minutes=59, seconds=59), "v1")[1] is Breaker.OPEN
    )
    assert breaker_transition(opened, "check", T0, "v2")[1] is Breaker.HALF_OPEN
    # a failure while open (a run already in flight) counts but keeps the original opening time
    assert breaker_transition(opened, "failure", T0 + timedelta(minutes=1), "v1")[0].opened_at == T0
    with pytest.raises(ValueError, match="unknown breaker event"):
        breaker_transition(opened, "explode", T0, "v1")


def test_a_message_is_processed_only_once(store):
    assert store.mark_processed("pubsub-1234", T0) is True
    assert store.mark_processed("pubsub-1234", T0 + timedelta(seconds=5)) is False
    assert store.mark_processed("pubsub/5678", T0) is True  # ids with "/" are fine in Firestore too


def test_the_wait_timer_keeps_the_first_start(store):
    first = store.wait_started(4, DAY, "same_day", datetime(2024, 1, 15, 10, 30, tzinfo=ET))
    later = store.wait_started(4, DAY, "same_day", datetime(2024, 1, 15, 11, 30, tzinfo=ET))
    other_mode = store.wait_started(4, DAY, "overnight", T0)

    assert first == later == datetime(2024, 1, 15, 15, 30, tzinfo=UTC)
    assert other_mode == T0


def test_purge_removes_only_records_older_than_the_cutoff(store):
    old, new = T0 - timedelta(days=8), T0
    for at, suffix in ((old, "old"), (new, "new")):
        store.record_completion(completion(f"proc_{suffix}", at=at))
        claim(store, f"claimant_{suffix}", f"v_{suffix}", now=at)
        store.record_failure(4, at.date(), at, "v1")
        store.mark_processed(f"msg_{suffix}", at)
        store.wait_started(4, at.date(), "overnight", at)

    counts = store.purge_older_than(T0 - timedelta(days=7))

    assert counts == {"completions": 1, "claims": 1, "breakers": 1, "processed_messages": 1, "waits": 1}
    assert [c.processor for c in store.completions(DAY, 2)] == ["proc_new"]
    assert store.get_claim(3, DAY, "v_old") is None and store.get_claim(3, DAY, "v_new") is not None
    assert store.mark_processed("msg_old", T0) is True and store.mark_processed("msg_new", T0) is False
    assert store.purge_older_than(T0 - timedelta(days=7)) == dict.fromkeys(counts, 0)


def test_reset_forgets_everything(store):
    claim(store, "a")
    store.mark_processed("m", T0)
    store.reset()
    assert store.get_claim(3, DAY, "v1") is None
    assert store.mark_processed("m", T0) is True


def test_naive_times_are_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.claim(3, DAY, "v1", "a", "overnight", "cascade", "c", datetime(2024, 1, 16, 6))
    with pytest.raises(ValueError, match="unknown trigger"):
        store.claim(3, DAY, "v1", "a", "overnight", "cron", "c", T0)


def _claim_in_child(path, barrier, results, name: str) -> None:
    store = SqliteStore(path)
    barrier.wait()
    results.put((name, claim(store, name).won))


def test_claims_from_other_processes_lose_too(tmp_path):
    path = tmp_path / "coordination.sqlite"
    # spawn, not fork: forking a process that holds gRPC threads (the Firestore tests) can hang
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    children = [ctx.Process(target=_claim_in_child, args=(path, barrier, results, f"p{i}")) for i in range(4)]
    for child in children:
        child.start()
    outcomes = dict(results.get(timeout=30) for _ in children)
    for child in children:
        child.join(timeout=30)

    assert sorted(outcomes.values()) == [False, False, False, True]
    winner = next(name for name, won in outcomes.items() if won)
    assert SqliteStore(path).get_claim(3, DAY, "v1").claimant == winner
    assert not claim(SqliteStore(path), "parent").won


def test_make_store_picks_the_implementation(tmp_path):
    local = make_store(tmp_path / "state", environ={})
    assert isinstance(local, SqliteStore) and local.path == tmp_path / "state" / "coordination.sqlite"

    emulated = make_store(tmp_path, environ={"FIRESTORE_EMULATOR_HOST": "127.0.0.1:8086"})
    assert isinstance(emulated, FirestoreStore)
    assert (emulated.project, emulated.emulator_host, emulated.allow_reset) == (
        "nba-local",
        "127.0.0.1:8086",
        True,
    )

    prod = make_store(tmp_path, project="nba-props-prod", environ={})
    assert isinstance(prod, FirestoreStore) and (prod.project, prod.emulator_host) == ("nba-props-prod", None)
    with pytest.raises(RuntimeError, match="only for tests"):
        prod.reset()


@pytest.mark.emulators
def test_make_store_reaches_the_emulator_named_in_the_mapping(tmp_path, firestore_emulator):
    # os.environ does not name the emulator: the mapping alone must route the client to it
    store = make_store(tmp_path, "nba-test", environ={"FIRESTORE_EMULATOR_HOST": firestore_emulator.host})
    assert claim(store, "a").won and not claim(store, "b").won


def test_importing_the_store_and_bus_loads_no_google_client():
    code = (
        "import sys, nba_pipeline.orchestration.store, nba_pipeline.orchestration.bus;"
        "print(sorted(m for m in sys.modules if m.startswith('google')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
