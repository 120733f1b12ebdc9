"""Benchmark: the intake sensor's throughput — what `signal_intake_sensor` does per tick, timed.

N Phase 2 completion envelopes from an outside loader (5 processors × N/5 dates), 1 % of them
malformed, published on `nba-phase2-raw-complete`; then `take_in` (pull in bounded batches,
validate, runless materialization in a Dagster instance, completion record, ledger, ack) until the
subscription is empty. Printed: messages per second, and that nothing is lost — every published
message is recorded or dead-lettered. Against a floor measured in the same run on the same bus and
the same kind of Dagster instance (SQLite, as the daemon's): pull and ack every message and report
each valid one's runless materialization, nothing else — what Dagster and the bus cost per message
(issue 16 goal: ≥ 1,000 msg/s, or at most 1.3 × that floor's time). Runs on the Pub/Sub + Firestore
emulators and on the embedded SQLite default; the emulator part is skipped, with the reason,
without gcloud.

    python -m benchmarks.intake_throughput [--messages 2000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from nba_pipeline.automation.intake import take_in
from nba_pipeline.orchestration import emulators
from nba_pipeline.orchestration.bus import PubSubBus, SqliteBus, dead_letter_topic, subscription_for
from nba_pipeline.orchestration.envelopes import Envelope, topic_of
from nba_pipeline.orchestration.store.firestore import FirestoreStore
from nba_pipeline.orchestration.store.sqlite import SqliteStore

PROCESSORS = (
    "nbac_gamebook_player_stats",
    "nbac_injury_report",
    "nbac_schedule",
    "nbac_team_boxscore",
    "odds_api_player_points_props",
)
GOAL = 1000  # msg/s
GOAL_FLOOR_RATIO = 1.3
NOW = datetime(2024, 1, 17, 11, tzinfo=UTC)


def messages(n: int) -> list[tuple[bytes, dict]]:
    out = []
    for i in range(n):
        if i % 100 == 99:  # malformed: must be dead-lettered, not lost, not crash the batch
            out.append((b'{"processor": "nbac_schedule", "phase": 2, "rows": -1}', {}))
            continue
        e = Envelope(
            processor=PROCESSORS[i % 5],
            phase=2,
            game_date=date(2023, 10, 24) + timedelta(days=i // 5),
            status="success",
            rows=100 + i % 7,
            correlation_id=f"bench-{i // 5}",
            execution_id=f"loader-{i // 5}",
            duration_seconds=1.0,
            mode="overnight",
            published_at=NOW,
            source="external",
        )
        out.append((e.to_bytes(), e.attributes()))
    return out


def floor(bus, n: int, instance_dir: Path) -> float:
    """Seconds to pull, ack and materialize n messages with nothing of the platform's own."""
    topic = topic_of(2)
    subscription = subscription_for(topic)
    bus.ensure(topic, subscription)
    bus.publish_many(topic, messages(n))
    key = dg.AssetKey(["nba_raw", "floor"])
    instance_dir.mkdir(parents=True)
    with dg.DagsterInstance.local_temp(str(instance_dir)) as instance:
        began, seen = time.monotonic(), 0
        while seen < n:
            batch = bus.pull(subscription, 500, timeout_s=0.5)
            if not batch:
                break
            for message in batch:
                if b'"rows": -1' not in message.data:
                    instance.report_runless_asset_event(
                        dg.AssetMaterialization(asset_key=key, partition="2024-01-01")
                    )
            bus.ack(subscription, [m.ack_id for m in batch])
            seen += len(batch)
        return time.monotonic() - began


def measure(bus, store, n: int, instance_dir: Path) -> dict:
    topic = topic_of(2)
    bus.ensure(topic, subscription_for(topic))
    bus.publish_many(topic, messages(n))
    instance_dir.mkdir(parents=True)
    with dg.DagsterInstance.local_temp(str(instance_dir)) as instance:
        began, recorded, dead, duplicates, ticks = time.monotonic(), 0, 0, 0, 0
        while True:
            report = take_in(bus, store, instance, NOW)
            ticks += 1
            recorded, dead, duplicates = (
                recorded + report.recorded,
                dead + len(report.dead_lettered),
                duplicates + report.duplicates,
            )
            if report.handled == 0 and not report.retry:
                break
        seconds = time.monotonic() - began
    dlq = dead_letter_topic(topic)
    in_dlq = len(bus.pull(subscription_for(dlq), max_messages=1000)) if dead else 0
    return {
        "published": n,
        "recorded": recorded,
        "dead_lettered": dead,
        "in_dead_letter_topic": in_dlq,
        "duplicates": duplicates,
        "lost": n - recorded - dead,
        "ticks": ticks,
        "seconds": round(seconds, 2),
        "messages_per_second": round(n / seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        results["sqlite"] = measure(
            SqliteBus(tmp / "signals.sqlite"),
            SqliteStore(tmp / "coordination.sqlite"),
            args.messages,
            tmp / "i1",
        )
        results["sqlite"]["floor_seconds"] = round(
            floor(SqliteBus(tmp / "floor.sqlite"), args.messages, tmp / "f1"), 2
        )
        reason = emulators.unavailable_reason()
        if reason:
            results["emulators"] = {"skipped": reason}
        else:
            with emulators.running(log_dir=tmp, project="nba-bench") as started:
                bus = PubSubBus("nba-bench", emulator_host=started[emulators.PUBSUB].host)
                store = FirestoreStore("nba-bench", emulator_host=started[emulators.FIRESTORE].host)
                results["emulators"] = measure(bus, store, args.messages, tmp / "i2")
                results["emulators"]["floor_seconds"] = round(floor(bus, args.messages, tmp / "f2"), 2)
    for r in results.values():
        if "messages_per_second" in r:
            r["ratio_to_floor"] = round(r["seconds"] / r["floor_seconds"], 2)
    out = Path(__file__).parent / "results" / "intake_throughput.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    for name, r in results.items():
        if "messages_per_second" in r:
            met = r["messages_per_second"] >= GOAL or r["ratio_to_floor"] <= GOAL_FLOOR_RATIO
            print(
                f"intake on {name}: {r['messages_per_second']} msg/s (goal {GOAL}), "
                f"{r['ratio_to_floor']} x the per-event floor (goal {GOAL_FLOOR_RATIO}): {'met' if met else 'not met'}"
            )


if __name__ == "__main__":
    main()
