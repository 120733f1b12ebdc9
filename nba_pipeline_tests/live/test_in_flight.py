"""A run genuinely in flight, seen from another process: a command-line load whose upstream is slow
(`slow_source`: every feed takes 5 s for the date) is running while `status` asks about it. The status
view calls it running, and its start is on the injected clock the ETAs are computed on (a frozen
clock in 2024), not the wall clock; once it finished, nothing is in flight."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

import dagster as dg
import pytest

from nba_pipeline.observability.status import running_by_date
from nba_pipeline_tests.live.harness import Live, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]

DAY = date(2024, 1, 15)
NOW = "2024-01-16T12:00:00-05:00"


def phase_states(live: Live) -> dict[int, str]:
    asked = live.cli("status", "--date", DAY.isoformat(), "--json")
    assert asked.returncode == 0, asked.stderr[-2000:]
    return {p["phase"]: p["state"] for p in json.loads(asked.stdout)["phases"]}


def test_a_load_in_flight_is_running_for_another_process_on_the_injected_clock(tmp_path):
    live = Live.at(tmp_path / "nba", NBA_PIPELINE_NOW=NOW, NBA_PIPELINE_SCENARIO=f"slow_source@{DAY}")
    now = datetime.fromisoformat(NOW)
    launched = time.monotonic()
    load = live.spawn("backfill", "--start", DAY.isoformat(), "--end", DAY.isoformat(), "--through", "1")

    def started_run():
        with live.instance() as instance:
            runs = instance.get_runs(
                dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags={"nba/phase": "1"})
            )
        return runs[0] if runs else None

    run = wait_for("the load's phase 1 run to start", started_run, timeout=120, every=0.2)
    states = phase_states(live)  # another process, while the run is in flight
    with live.instance() as instance:
        running = running_by_date(instance, live.store(), now)
    elapsed = time.monotonic() - launched
    assert load.poll() is None, "the load finished before it was looked at: the scenario is too fast"
    assert states[1] == "running"
    assert list(running) == [(1, DAY)]
    started = running[(1, DAY)]
    assert now - timedelta(seconds=elapsed) <= started <= now  # on the injected clock, seconds ago

    _, err = load.communicate(timeout=300)
    assert load.returncode == 0, err[-2000:]
    with live.instance() as instance:
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.SUCCESS
        assert running_by_date(instance, live.store(), now) == {}
    assert phase_states(live)[1] == "done"
