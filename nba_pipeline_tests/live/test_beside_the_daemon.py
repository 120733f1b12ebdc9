"""DOMAIN §8 items 17-18 with the real thing: a Dagster daemon running the cascade on the wall clock,
and a person's command line beside it — a backfill, a backfill killed half-way and run again.

One daemon for the module, on one data directory; each test works on dates of its own. Exact counts:
runs per (phase, date), claims held, runs left STARTED.
"""

from __future__ import annotations

import json
import signal
from datetime import date, timedelta

import dagster as dg
import pytest

from nba_pipeline.orchestration import claims
from nba_pipeline.partitions import date_range
from nba_pipeline_tests.live.harness import Live, builds, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    platform = Live.at(tmp_path_factory.mktemp("live") / "nba")
    platform.start_daemon()
    yield platform
    platform.stop()


def test_a_backfill_beside_the_daemon_builds_every_phase_and_date_exactly_once(live):
    start, end = date(2024, 1, 8), date(2024, 1, 14)
    done = live.cli("backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    live.quiet(timeout=900)

    with live.instance() as instance:
        built = builds(instance)
        mine = {k: v for k, v in built.items() if start <= k[1] <= end}
        assert {len(runs) for runs in mine.values()} == {1}  # never twice, whoever built it
        for phase in (1, 2, 3, 4):
            assert [d for d in date_range(start, end) if (phase, d) not in mine] == []
        started = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert started == []
    assert live.store().claims(states=claims.ACTIVE) == []
    assert [p["failed"] for p in report["phases"]] == [{}] * 6


def test_a_backfill_killed_mid_phase_leaves_nothing_held_and_its_rerun_finishes(live):
    # Two weeks: phase 3 of a few dates can finish in about a second on a quiet machine.
    start, end = date(2024, 2, 5), date(2024, 2, 18)
    proc = live.spawn("backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--through", "4")

    def phase3_started():
        with live.instance() as instance:
            runs = instance.get_runs(
                dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.STARTED], tags={"nba/phase": "3", "nba/trigger": "backfill"}
                )
            )
        return runs[0] if runs else None

    # Killed the moment its phase 3 run is seen started: its claims are held and its run is writing.
    killed = wait_for("the backfill's phase 3 run to start", phase3_started, timeout=300, every=0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    ours = live.store().claims(run_id=killed.run_id)
    # The run's claims were launched (or already released by the daemon's sweep), none done; the
    # daemon's cascade may hold the dates it took first (once phase 2 landed), each date one claim
    # whoever holds it.
    assert ours and {c.state for c in ours} <= {claims.LAUNCHED, claims.RELEASED}, [
        (c.game_date, c.state) for c in ours
    ]
    phase3 = [c for c in live.store().claims(states=claims.ACTIVE) if c.target == "3"]
    assert len({c.game_date for c in phase3}) == len(phase3)

    # The daemon's sweep sees the process is gone: the run is failed and the backfill's claims
    # released. (The cascade may then take those dates itself, phase after phase: its claims are its
    # own runs', counted once everything is quiet.)
    def left():
        with live.instance() as instance:
            status = instance.get_run_by_id(killed.run_id).status
        held = [
            (c.target, c.game_date.isoformat(), c.state, c.run_id)
            for c in live.store().claims(states=claims.ACTIVE)
            if c.trigger == "backfill" or c.run_id == killed.run_id
        ]
        return status, held

    def cleaned():
        status, held = left()
        return status == dg.DagsterRunStatus.FAILURE and not held

    wait_for("the killed run to be failed and its claims released", cleaned, timeout=120, seen=left)
    again = live.cli(
        "backfill", "--start", start.isoformat(), "--end", end.isoformat(), "--through", "4", "--json"
    )
    assert again.returncode == 0, again.stderr[-2000:]
    live.quiet(timeout=900)

    with live.instance() as instance:
        assert instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []
        built = builds(instance, range(1, 5))
    assert live.store().claims(states=claims.ACTIVE) == []
    for phase in (1, 2, 3, 4):
        assert [d for d in date_range(start, end) if (phase, d) not in built] == []
    status = live.cli("status", "--date", (start + timedelta(days=1)).isoformat(), "--json")
    states = {p["phase"]: p["state"] for p in json.loads(status.stdout)["phases"]}
    assert "running" not in states.values()
