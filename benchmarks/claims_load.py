"""Benchmark: exactly-once trigger claims under load, and Pub/Sub intake.

1. 1,000 claims for one (phase, date, version) at once, from several processes with many threads
   each, on SQLite and on the Firestore emulator: exactly one must win, both for a key nobody holds
   ("fresh") and for a key whose earlier claim was released after a failed run ("released").
2. Intake: publish N messages, pull them in bounded batches (at most 1,000) and ack, on the Pub/Sub
   emulator (and SQLite for comparison): received must equal published; the target is >= 500 msg/s.

The emulator parts are skipped, with the reason, when gcloud or Java is absent.

    python -m benchmarks.claims_load [--claims 1000] [--processes 4] [--threads 25] [--messages 5000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path

from nba_pipeline.orchestration import claims as lifecycle
from nba_pipeline.orchestration import emulators
from nba_pipeline.orchestration.bus import PubSubBus, SqliteBus, subscription_for
from nba_pipeline.orchestration.store.firestore import FirestoreStore
from nba_pipeline.orchestration.store.sqlite import SqliteStore

PROJECT = "nba-bench"
FRESH_KEY = ("3", date(2024, 1, 15), "upstream-v1")  # nobody holds it: create-if-absent
RELEASED_KEY = ("3", date(2024, 1, 15), "upstream-v2")  # held, then released: the retry path
TOPIC = "nba-phase2-raw-complete"
INTAKE_TARGET = 500  # msg/s


def open_store(target: tuple[str, str]):
    kind, where = target
    return SqliteStore(Path(where)) if kind == "sqlite" else FirestoreStore(PROJECT, emulator_host=where)


def claim_worker(target, key, process_no: int, threads: int, per_thread: int, barrier, results) -> None:
    """One process: `threads` threads, each with its own store handle, each making `per_thread` claims."""
    wins, errors, ended = [], [], []

    def claimant(thread_no: int) -> None:
        store = open_store(target)  # its own connection or Firestore client, opened before the start
        ready.wait()
        for i in range(per_thread):
            name = f"p{process_no}-t{thread_no}-c{i}"
            try:
                if lifecycle.take(store, *key, name, "overnight", "cascade", name, datetime.now(UTC)).won:
                    wins.append(name)
            except Exception as exc:  # counted and reported: an error is not a silent loss
                errors.append(repr(exc))
        ended.append(time.monotonic())

    ready = threading.Event()
    pool = [threading.Thread(target=claimant, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()  # every process released together
    started = time.monotonic()
    ready.set()
    for t in pool:
        t.join()
    results.put({"wins": wins, "errors": errors, "started": started, "ended": max(ended)})


def run_claims(target, claims: int, processes: int, threads: int, released: bool = False) -> dict:
    key = RELEASED_KEY if released else FRESH_KEY
    if released:
        first = lifecycle.take(
            open_store(target), *key, "first-run", "overnight", "cascade", "c0", datetime.now(UTC)
        ).claim
        lifecycle.release(
            open_store(target), first.key, first.attempt, "the first run failed", datetime.now(UTC)
        )
    per_thread = max(1, claims // (processes * threads))
    # spawn: each process starts clean (no inherited gRPC state), as separate Dagster processes do
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [
        ctx.Process(target=claim_worker, args=(target, key, p, threads, per_thread, barrier, results))
        for p in range(processes)
    ]
    for w in workers:
        w.start()
    reports = [results.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    winners = [name for r in reports for name in r["wins"]]
    errors = [e for r in reports for e in r["errors"]]
    holder = open_store(target).get_claim(lifecycle.claim_key(*key))
    return {
        "attempts": per_thread * threads * processes,
        "fan_in": f"{processes} proc x {threads} thr",
        "winners": len(winners),
        "holder_is_winner": holder is not None and [holder.holder] == winners,
        "errors": len(errors),
        "seconds": max(r["ended"] for r in reports) - min(r["started"] for r in reports),
    }


def run_intake(bus, messages: int, batch: int = 1000) -> dict:
    sub = subscription_for(TOPIC)
    bus.ensure(TOPIC, sub)
    began = time.monotonic()
    published = bus.publish_many(
        TOPIC, [(json.dumps({"n": i}).encode(), {"game_date": "2024-01-15"}) for i in range(messages)]
    )
    published_at = time.monotonic()
    received: set[str] = set()
    deadline = published_at + 120
    while len(received) < messages and time.monotonic() < deadline:
        pulled = bus.pull(sub, max_messages=batch, timeout_s=5.0)
        bus.ack(sub, [m.ack_id for m in pulled])
        received.update(m.message_id for m in pulled)
    ended = time.monotonic()
    return {
        "published": len(published),
        "received": len(received),
        "complete": received == set(published),
        "publish_per_s": len(published) / (published_at - began),
        "pull_ack_per_s": len(received) / (ended - published_at),
        "end_to_end_per_s": len(received) / (ended - began),
        "seconds": ended - began,
    }


def table(title: str, rows: dict[str, dict], columns: tuple[str, ...]) -> None:
    widths = [max(len(c), 12) for c in columns]
    print(f"\n{title:24}" + "".join(f" {c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for name, r in rows.items():
        cells = [
            f"{r[c]:.2f}" if c == "seconds" else f"{r[c]:.0f}" if isinstance(r[c], float) else str(r[c])
            for c in columns
        ]
        print(f"{name:24}" + "".join(f" {v:>{w}}" for v, w in zip(cells, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=25, help="threads per process")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    claims, intake = {}, {}
    shape = (args.claims, args.processes, args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = ("sqlite", f"{tmp}/coordination.sqlite")
        claims["sqlite fresh"] = run_claims(sqlite, *shape)
        claims["sqlite released"] = run_claims(sqlite, *shape, released=True)
        intake["sqlite"] = run_intake(SqliteBus(Path(tmp) / "signals.sqlite"), args.messages)
        reason = emulators.unavailable_reason()
        if reason:
            print(f"skipping the Firestore and Pub/Sub emulator parts: {reason}", file=sys.stderr)
        else:
            with emulators.running(log_dir=Path(tmp) / "emulators", project=PROJECT) as emus:
                firestore = ("firestore", emus[emulators.FIRESTORE].host)
                claims["firestore-emu fresh"] = run_claims(firestore, *shape)
                claims["firestore-emu released"] = run_claims(firestore, *shape, released=True)
                pubsub = PubSubBus(PROJECT, emulator_host=emus[emulators.PUBSUB].host)
                intake["pubsub-emulator"] = run_intake(pubsub, args.messages)

    table("claims on one key", claims, ("fan_in", "attempts", "winners", "errors", "seconds"))
    table("intake", intake, ("published", "received", "publish_per_s", "pull_ack_per_s", "end_to_end_per_s"))
    claims_ok = all(r["winners"] == 1 and r["holder_is_winner"] and not r["errors"] for r in claims.values())
    intake_ok = all(r["complete"] and r["end_to_end_per_s"] >= INTAKE_TARGET for r in intake.values())
    verdict = "OK" if claims_ok and intake_ok else "FAILED"
    print(
        f"\n{verdict}: one winner per backend; received == published at >= {INTAKE_TARGET} msg/s end to end"
    )
    if args.json:
        args.json.write_text(json.dumps({"claims": claims, "intake": intake}, indent=2))
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
