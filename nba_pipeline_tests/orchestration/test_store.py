"""The coordination store's contract, run against SQLite and the Firestore emulator alike.

The store only persists; the rules of claims and breakers have their own tests (test_claims, and
the breaker tests below go through `orchestration.breaker`, the one place its rules live)."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from nba_pipeline.orchestration import breaker, claims
from nba_pipeline.orchestration.breaker import Breaker
from nba_pipeline.orchestration.store import make_store
from nba_pipeline.orchestration.store.firestore import FirestoreStore
from nba_pipeline.orchestration.store.records import Beat, BreakerRecord, Completion
from nba_pipeline.orchestration.store.sqlite import SqliteStore

DAY = date(2024, 1, 15)
T0 = datetime(2024, 1, 16, 6, 0, tzinfo=UTC)
ET = timezone(timedelta(hours=-5))


def completion(processor: str, phase: int = 2, rows: int = 10, at: datetime = T0) -> Completion:
    return Completion(
        DAY, phase, processor, "success", rows, "corr-1", f"exec-{processor}", "v1", "overnight", at
    )


def take(store, holder: str = "cascade-sensor", version: str = "v1", wall: datetime = T0, **kw):
    args = {"mode": "overnight", "trigger": "cascade", "correlation_id": f"corr-{holder}"} | kw
    return claims.take(
        store, "3", DAY, version, holder, args["mode"], args["trigger"], args["correlation_id"], wall
    )


def race(open_store, holders: list[str], version: str = "v1") -> list[str]:
    """Every holder claims at the same instant from its own thread and store handle; the winners."""
    barrier, winners = threading.Barrier(len(holders)), []

    def attempt(name: str) -> None:
        handle = open_store()
        barrier.wait()
        if take(handle, name, version).won:
            winners.append(name)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return winners


KEY = claims.claim_key("3", DAY, "v1")


def test_completions_are_one_record_per_processor_and_upsert(store):
    store.record_completions(
        [completion("player_game_summary", rows=10), completion("team_offense", rows=30)]
    )
    store.record_completions([completion("upcoming_context", phase=3)])
    store.record_completions([completion("player_game_summary", rows=12, at=T0 + timedelta(minutes=5))])

    found = store.completions(DAY, 2)

    assert [(c.processor, c.rows) for c in found] == [("player_game_summary", 12), ("team_offense", 30)]
    assert found[0] == completion("player_game_summary", rows=12, at=T0 + timedelta(minutes=5))
    assert [c.processor for c in store.completions(DAY, 3)] == ["upcoming_context"]
    assert store.completions(date(2024, 1, 16), 2) == []


def test_a_claim_round_trips_with_every_field(store):
    won = take(store, "cascade-sensor", mode="same_day")
    stored = store.get_claim(KEY)
    assert stored == won.claim
    assert (stored.target, stored.attempt, stored.state, stored.holder, stored.mode) == (
        "3",
        1,
        "claimed",
        "cascade-sensor",
        "same_day",
    )
    assert (stored.claimed_at, stored.lease_until) == (T0, T0 + claims.LAUNCH_LEASE)


def test_exactly_one_of_many_concurrent_claimants_wins(store, store_factory):
    # SQLite serializes writers; on Firestore, create-if-absent has one winner (a client per thread).
    n = 20 if isinstance(store, SqliteStore) else 8
    winners = race(store_factory, [f"holder-{i}" for i in range(n)])
    assert len(winners) == 1
    assert store.get_claim(KEY).holder == winners[0]


def test_exactly_one_wins_a_released_claim_under_contention(store, store_factory):
    # Re-claiming a released claim overwrites an existing record (on Firestore, a compare-and-set
    # on its update time), a different path from creating a fresh claim.
    first = take(store, "first").claim
    claims.release(store, first.key, first.attempt, "launch failed", T0)
    n = 20 if isinstance(store, SqliteStore) else 12
    winners = race(store_factory, [f"retry-{i}" for i in range(n)])
    assert len(winners) == 1
    held = store.get_claim(KEY)
    assert (held.holder, held.state, held.attempt, held.released_reason) == (winners[0], "claimed", 2, None)


def test_claims_are_found_by_state_run_and_date(store):
    a = take(store, "a", "v1").claim
    claims.bind(store, a, "run-123", T0)
    take(store, "b", "v2", wall=T0 + timedelta(minutes=1))
    c = take(store, "c", "v3").claim
    claims.release(store, c.key, c.attempt, "launch failed", T0)
    claims.take(store, "4", date(2024, 1, 16), "v9", "d", "overnight", "cascade", "x", T0)

    active = store.claims(states=claims.ACTIVE)
    assert [(x.target, x.upstream_version, x.state, x.run_id) for x in active] == [
        ("3", "v1", "launched", "run-123"),
        ("3", "v2", "claimed", None),
        ("4", "v9", "claimed", None),
    ]
    assert [x.upstream_version for x in store.claims(run_id="run-123")] == ["v1"]
    assert sorted(x.upstream_version for x in store.claims(game_date=DAY)) == ["v1", "v2", "v3"]
    assert store.claims(run_id="run-none") == []


def test_the_breaker_opens_on_the_fifth_failure_not_the_fourth(store):
    states = [
        breaker.record_failure(store, "4", DAY, T0 + timedelta(minutes=i), "v1", f"run-{i}") for i in range(5)
    ]
    assert [s.state for s in states] == [Breaker.CLOSED] * 4 + [Breaker.OPEN]
    assert states[-1].failures == 5 and states[-1].opened_at == T0 + timedelta(minutes=4)
    assert not breaker.state_of(store, "4", DAY, T0 + timedelta(minutes=30), "v1").allows_run
    assert breaker.state_of(store, "4", date(2024, 1, 16), T0, "v1").state is Breaker.CLOSED  # per date
    assert breaker.state_of(store, "model", DAY, T0, "v1").state is Breaker.CLOSED  # per target


def test_a_runs_failure_counts_once_however_often_it_is_settled(store):
    for _ in range(3):
        state = breaker.record_failure(store, "4", DAY, T0, "v1", "run-a")
    assert state.failures == 1
    assert breaker.record_failure(store, "4", DAY, T0, "v1", "run-b").failures == 2


def test_the_breaker_half_opens_after_an_hour_or_on_new_upstream_data(store):
    for i in range(breaker.FAILURE_THRESHOLD):
        breaker.record_failure(store, "4", DAY, T0, "v1", f"run-{i}")

    assert breaker.state_of(store, "4", DAY, T0 + timedelta(minutes=59), "v1").state is Breaker.OPEN
    assert breaker.state_of(store, "4", DAY, T0 + timedelta(minutes=60), "v1").state is Breaker.HALF_OPEN
    assert breaker.state_of(store, "4", DAY, T0 + timedelta(minutes=1), "v2").state is Breaker.HALF_OPEN

    reopened = breaker.record_failure(store, "4", DAY, T0 + timedelta(minutes=61), "v1", "run-trial")
    assert (reopened.state, reopened.opened_at) == (Breaker.OPEN, T0 + timedelta(minutes=61))
    assert breaker.state_of(store, "4", DAY, T0 + timedelta(minutes=90), "v1").state is Breaker.OPEN

    closed = breaker.record_success(store, "4", DAY, T0 + timedelta(minutes=125))
    assert (closed.state, closed.failures, closed.opened_at) == (Breaker.CLOSED, 0, None)
    assert breaker.record_failure(store, "4", DAY, T0, "v1", "run-new").state is Breaker.CLOSED


def test_concurrent_failures_are_all_counted(store, store_factory):
    barrier, n = threading.Barrier(8), 8

    def fail(i: int) -> None:
        handle = store_factory()
        barrier.wait()
        breaker.record_failure(handle, "4", DAY, T0, "v1", f"run-{i}")

    threads = [threading.Thread(target=fail, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    state = breaker.state_of(store, "4", DAY, T0, "v1")
    assert (state.failures, state.state) == (8, Breaker.OPEN)  # no read-modify-write was lost


def test_breaker_rules_are_one_pure_function():
    opened = BreakerRecord(5, T0, "v1", T0, "r5")
    assert breaker.transition(None, "check", T0, "v1") == (BreakerRecord(), Breaker.CLOSED)
    four = BreakerRecord(4, None, None, T0, "")
    assert breaker.transition(four, "failure", T0, "v1", "r5") == (opened, Breaker.OPEN)
    assert (
        breaker.transition(opened, "check", T0 + timedelta(minutes=59, seconds=59), "v1")[1] is Breaker.OPEN
    )
    assert breaker.transition(opened, "check", T0, "v2")[1] is Breaker.HALF_OPEN
    # a failure while open (a run already in flight) counts but keeps the original opening time
    assert breaker.transition(opened, "failure", T0 + timedelta(minutes=1), "v1", "r6")[0].opened_at == T0
    assert breaker.transition(opened, "failure", T0, "v1", "r5") == (opened, Breaker.OPEN)  # counted before
    with pytest.raises(ValueError, match="unknown breaker event"):
        breaker.transition(opened, "explode", T0, "v1")


def test_a_message_is_processed_only_once(store):
    assert store.mark_processed("pubsub-1234", T0) is True
    assert store.mark_processed("pubsub-1234", T0 + timedelta(seconds=5)) is False
    assert store.mark_processed("pubsub/5678", T0) is True  # ids with "/" are fine in Firestore too
    assert store.processed_among(["pubsub-1234", "pubsub/5678", "never"]) == {"pubsub-1234", "pubsub/5678"}


def test_the_wait_timer_keeps_the_first_start(store):
    first = store.wait_started("4|2024-01-15|same_day|v1", datetime(2024, 1, 15, 10, 30, tzinfo=ET))
    later = store.wait_started("4|2024-01-15|same_day|v1", datetime(2024, 1, 15, 11, 30, tzinfo=ET))
    new_version = store.wait_started("4|2024-01-15|same_day|v2", T0)

    assert first == later == datetime(2024, 1, 15, 15, 30, tzinfo=UTC)
    assert new_version == T0  # new upstream data waits afresh


def test_heartbeats_keep_the_latest_beat_per_run(store):
    store.beat(Beat("run-1", "111@host", T0))
    store.beat(Beat("run-1", "111@host", T0 + timedelta(seconds=10)))
    store.beat(Beat("run-2", "222@host", T0))
    found = store.beats(["run-1", "run-2", "run-3", "run-1"])
    assert found == {
        "run-1": Beat("run-1", "111@host", T0 + timedelta(seconds=10)),
        "run-2": Beat("run-2", "222@host", T0),
    }
    assert store.beats([]) == {}


def test_purge_removes_old_records_and_never_a_live_claim(store):
    old, new = T0 - timedelta(days=8), T0
    for at, suffix in ((old, "old"), (new, "new")):
        store.record_completions([completion(f"proc_{suffix}", at=at)])
        finished = take(store, f"done_{suffix}", f"v_done_{suffix}", wall=at).claim
        claims.close(store, finished, f"run-{suffix}", True, "", at)
        take(store, f"live_{suffix}", f"v_live_{suffix}", wall=at)
        breaker.record_failure(store, "4", at.date(), at, "v1", f"run-{suffix}")
        store.mark_processed(f"msg_{suffix}", at)
        store.wait_started(f"4|{at.date()}|overnight|v1", at)
        store.beat(Beat(f"run-{suffix}", "1@h", at))

    cutoff = T0 - timedelta(days=7)
    counts = store.purge(
        dict.fromkeys(
            ("completions", "claims", "breakers", "processed_messages", "waits", "heartbeats"), cutoff
        )
    )

    assert counts == {
        "completions": 1,
        "claims": 1,
        "breakers": 1,
        "processed_messages": 1,
        "waits": 1,
        "heartbeats": 1,
    }
    assert [c.processor for c in store.completions(DAY, 2)] == ["proc_new"]
    assert store.get_claim(claims.claim_key("3", DAY, "v_done_old")) is None
    assert store.get_claim(claims.claim_key("3", DAY, "v_live_old")).state == "claimed"  # live: kept
    assert store.mark_processed("msg_old", T0) is True and store.mark_processed("msg_new", T0) is False
    assert set(store.beats(["run-old", "run-new"])) == {"run-new"}
    assert store.purge(dict.fromkeys(counts, cutoff)) == dict.fromkeys(counts, 0)


def test_reset_forgets_everything(store):
    take(store, "a")
    store.mark_processed("m", T0)
    store.reset()
    assert store.get_claim(KEY) is None
    assert store.mark_processed("m", T0) is True


def test_naive_times_and_unknown_triggers_are_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        take(store, wall=datetime(2024, 1, 16, 6))
    with pytest.raises(ValueError, match="unknown trigger"):
        take(store, trigger="cron")


def _claim_in_child(path, barrier, results, name: str) -> None:
    store = SqliteStore(path)
    barrier.wait()
    results.put((name, take(store, name).won))


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
    assert SqliteStore(path).get_claim(KEY).holder == winner
    assert not take(SqliteStore(path), "parent").won


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
    assert take(store, "a").won and not take(store, "b").won


def test_importing_the_store_and_bus_loads_no_google_client():
    code = (
        "import sys, nba_pipeline.orchestration.store.sqlite, nba_pipeline.orchestration.claims,"
        " nba_pipeline.orchestration.bus;"
        "print(sorted(m for m in sys.modules if m.startswith('google')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_claims_moved_since_a_time(store):
    a = take(store, "a", "v1", wall=T0).claim
    claims.release(store, a.key, a.attempt, "run failed", T0 + timedelta(hours=1))
    take(store, "b", "v2", wall=T0 + timedelta(hours=2))
    take(store, "c", "v3", wall=T0)
    recent = store.claims(moved_since=T0 + timedelta(minutes=30))
    assert sorted(c.upstream_version for c in recent) == ["v1", "v2"]
    released = store.claims(states=("released",), moved_since=T0 + timedelta(minutes=30))
    assert [c.upstream_version for c in released] == ["v1"]


def test_a_corrupt_claim_record_is_left_out_of_listings_and_fails_alone(tmp_path):
    store = SqliteStore(tmp_path / "coordination.sqlite")
    good = take(store, "a", "v1").claim
    import sqlite3

    with sqlite3.connect(store.path) as con:
        con.execute(
            "INSERT INTO claims_v2 (key, target, game_date, upstream_version, attempt, state, holder, mode,"
            " trigger, correlation_id, claimed_at) VALUES ('3|bad|v', '3', 'not-a-date', 'v', 1, 'claimed',"
            " 'x', 'overnight', 'cascade', 'c', '2024-01-17T11:00:00+00:00')"
        )
    assert store.claims(states=claims.ACTIVE) == [good]
    with pytest.raises(ValueError, match="not-a-date"):
        store.get_claim("3|bad|v")
