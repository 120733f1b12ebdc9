"""The platform running itself on the real clock (issue 15 item 2): `nba-pipeline dev --loader on` on an
empty data directory, nothing else — the simulated league plays the season that contains today, the
live loader loads yesterday, today and tomorrow (ET) as it publishes them, and the cascade takes
each date on from there. Exact counts: one load per date while the source has nothing new, each
load's Phase 2 once, yesterday's Phase 3 built by one cascade run."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg
import pytest

from nba_pipeline.automation.loader import POLL, loader_dates
from nba_pipeline.orchestration import claims
from nba_pipeline.sources.sim import SimSource
from nba_pipeline_tests.live.harness import Live, builds, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]


def loader_runs(instance: dg.DagsterInstance, phase: int) -> dict[str, list[dg.DagsterRun]]:
    runs = instance.get_runs(dg.RunsFilter(tags={"nba/phase": str(phase), "nba/trigger": "loader"}))
    out: dict[str, list[dg.DagsterRun]] = {}
    for run in runs:
        out.setdefault(run.tags["dagster/partition"], []).append(run)
    return out


def step_failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return sorted(e.step_key for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE))


def test_dev_with_the_loader_feeds_itself_on_the_real_clock(tmp_path):
    began = datetime.now(UTC)
    days = loader_dates(began)
    live = Live.at(tmp_path / "nba")
    try:
        live.start_dev(loader="on")

        def loaded_and_followed():
            with live.instance() as instance:
                one, two = loader_runs(instance, 1), loader_runs(instance, 2)
            finished = all(
                iso in one and all(r.is_finished for r in one[iso]) and iso in two for iso in map(str, days)
            )
            return finished and all(r.is_finished for runs in two.values() for r in runs)

        wait_for("each date's phase 1 and phase 2 from the loader", loaded_and_followed, timeout=300, every=2)
        sim = SimSource(seed=live.settings.seed)
        yesterday_has_games = bool(sim.games(days[0]))
        if yesterday_has_games:

            def yesterday_built():
                with live.instance() as instance:
                    return (3, days[0]) in builds(instance, range(3, 4))

            wait_for("yesterday's phase 3 by the cascade", yesterday_built, timeout=240, every=2)
        live.quiet(timeout=300)
        if datetime.now(UTC) - began >= POLL or loader_dates(datetime.now(UTC)) != days:
            pytest.skip("the test ran past a poll or an ET midnight: a second load would be legitimate")

        with live.instance() as instance:
            one, two = loader_runs(instance, 1), loader_runs(instance, 2)
            built = builds(instance, range(3, 4))
            modes = {iso: {r.tags["nba/mode"] for r in runs} for iso, runs in one.items()}
            assert instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])) == []
        isos = [d.isoformat() for d in days]
        assert sorted(one) == isos and sorted(two) == isos
        assert {iso: len(runs) for iso, runs in one.items()} == dict.fromkeys(isos, 1)
        assert {iso: len(runs) for iso, runs in two.items()} == dict.fromkeys(isos, 1)
        assert {r.status for runs in [*one.values(), two[isos[0]], two[isos[1]]] for r in runs} == {
            dg.DagsterRunStatus.SUCCESS
        }
        # Tomorrow's lines open at noon ET the day before: loaded earlier, its Phase 2 fails on the
        # critical lines' completeness check (0 of N games), and the loader loads it again when they open.
        with live.instance() as instance:
            loaded_at = datetime.fromtimestamp(
                instance.get_run_record_by_id(one[isos[2]][0].run_id).start_time, UTC
            )
            failures = step_failures(instance, two[isos[2]][0].run_id)
        lines_out = bool(sim.fetch("prop_lines", days[2], loaded_at))
        assert two[isos[2]][0].status == (
            dg.DagsterRunStatus.SUCCESS if lines_out else dg.DagsterRunStatus.FAILURE
        )
        assert failures == ([] if lines_out else ["nba_raw__odds_api_player_points_props"])
        assert modes == {isos[0]: {"overnight"}, isos[1]: {"same_day"}, isos[2]: {"tomorrow"}}
        # each load carries one correlation id through its Phase 2
        assert all(
            one[iso][0].tags["nba/correlation_id"] == two[iso][0].tags["nba/correlation_id"] for iso in isos
        )
        if yesterday_has_games:
            assert len(built[(3, days[0])]) == 1
        assert live.store().claims(states=claims.ACTIVE) == []
    finally:
        live.stop()
