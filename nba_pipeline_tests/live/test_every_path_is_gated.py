"""DOMAIN §8 item 19 and issue 11 item 4 with the real thing: `dagster dev` (webserver and daemon) on a
temporary instance, and launches that bypass the platform's sensors — a backfill launched from the
UI (GraphQL `launchPartitionBackfill`, what "Materialize" does) and `dagster asset materialize`.

Whatever launched it, a phase 3-6 asset builds only dates whose readiness lets them run and whose
claim its run holds; an unloaded schedule is unknown, never "no games"."""

from __future__ import annotations

import json
from datetime import date

import dagster as dg
import pytest

from nba_pipeline.orchestration import claims
from nba_pipeline.partitions import date_range
from nba_pipeline.phases.catalog import TABLES
from nba_pipeline.resources.warehouse import DuckDBWarehouse, read_dates
from nba_pipeline_tests.live.harness import Live, builds, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]

LOADED = (date(2024, 1, 12), date(2024, 1, 13))  # phases 1-2 loaded
WEEK = (date(2024, 1, 1), date(2024, 1, 7))  # phases 1-3 backfilled by the command line
UNLOADED = date(2024, 1, 20)  # nothing of it was ever loaded
PHASE3 = "group:phase3_analytics"
PLAYER_SUMMARY = "player_game_summary"


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    platform = Live.at(tmp_path_factory.mktemp("ui") / "nba")
    loaded = platform.cli(
        "backfill", "--start", LOADED[0].isoformat(), "--end", LOADED[1].isoformat(), "--through", "2"
    )
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    week = platform.cli(
        "backfill", "--start", WEEK[0].isoformat(), "--end", WEEK[1].isoformat(), "--through", "3"
    )
    assert week.returncode == 0, week.stderr[-2000:]
    platform.start_dev()
    yield platform
    platform.stop()


def rows_on(live: Live, table: str, day: date) -> int:
    """The table's rows on the date (a table never written has none)."""
    return len(read_dates(DuckDBWarehouse(live.settings.warehouse_path), TABLES[table], day, day))


def materialized(live: Live, key: dg.AssetKey) -> set[str]:
    with live.instance() as instance:
        return set(instance.get_materialized_partitions(key))


def test_dagster_asset_materialize_of_an_unloaded_date_writes_nothing_and_says_why(ui):
    held = ui.dagster(
        "asset",
        "materialize",
        "-m",
        "nba_pipeline.definitions",
        "--select",
        PHASE3,
        "--partition",
        UNLOADED.isoformat(),
    )
    assert held.returncode != 0
    out = held.stdout + held.stderr
    assert f"held, nothing built — {UNLOADED}: FAIL" in out
    assert "the schedule for this date has not been loaded: what to expect cannot be measured" in out
    assert rows_on(ui, PLAYER_SUMMARY, UNLOADED) == 0
    assert UNLOADED.isoformat() not in materialized(ui, dg.AssetKey(["nba_analytics", "player_game_summary"]))
    assert [c for c in ui.store().claims(game_date=UNLOADED)] == []  # nothing was claimed for it


def test_dagster_asset_materialize_of_a_loaded_date_builds_it_under_a_claim(ui):
    day = LOADED[1]
    built = ui.dagster(
        "asset",
        "materialize",
        "-m",
        "nba_pipeline.definitions",
        "--select",
        PHASE3,
        "--partition",
        day.isoformat(),
    )
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    assert rows_on(ui, PLAYER_SUMMARY, day) > 0
    ui.quiet(timeout=300)  # the daemon settles the run: its claim is done, never left held
    [claim] = [c for c in ui.store().claims(game_date=day) if c.target == "3"]
    assert (claim.state, claim.trigger, claim.mode) == ("done", "manual", "manual")
    assert claim.holder.startswith("run:")


def test_a_ui_backfill_of_an_unloaded_date_is_held_and_nothing_cascades_from_it(ui):
    launched = ui.graphql(
        """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"partitionNames": [UNLOADED.isoformat()], "assetSelection": _phase3_keys(ui)}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill = launched["backfillId"]

    def finished():
        with ui.instance() as instance:
            found = instance.get_backfill(backfill)
        return found if found.status.value not in ("REQUESTED", "CANCELING", "FAILING") else None

    wait_for("the UI backfill to finish", finished, timeout=600, every=2)
    ui.quiet(timeout=300)
    assert rows_on(ui, PLAYER_SUMMARY, UNLOADED) == 0
    for key in ("player_game_summary", "upcoming_player_game_context", "upcoming_team_game_context"):
        assert UNLOADED.isoformat() not in materialized(ui, dg.AssetKey(["nba_analytics", key]))
    with ui.instance() as instance:
        later = instance.get_runs(dg.RunsFilter(tags={"nba/phase": "4"}))
    assert [r for r in later if r.tags.get("dagster/partition") == UNLOADED.isoformat()] == []
    exported = ui.home / "exports" / "predictions" / f"{UNLOADED}.json"
    assert not exported.exists()  # never "no_games" for a date whose schedule is unknown
    assert ui.store().claims(states=claims.ACTIVE) == []


def test_a_ui_backfill_builds_the_upcoming_contexts_for_the_dates_it_was_asked_for(ui):
    launched = ui.graphql(
        """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"partitionNames": [LOADED[0].isoformat()], "assetSelection": _phase3_keys(ui)}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    def finished():
        with ui.instance() as instance:
            found = instance.get_backfill(launched["backfillId"])
        return found.status.value not in ("REQUESTED", "CANCELING", "FAILING")

    wait_for("the UI backfill to finish", finished, timeout=600, every=2)
    for key in ("upcoming_player_game_context", "upcoming_team_game_context", "player_game_summary"):
        assert LOADED[0].isoformat() in materialized(ui, dg.AssetKey(["nba_analytics", key]))
    tomorrow = date(2024, 1, 13).isoformat()
    with ui.instance() as instance:
        runs = instance.get_runs(dg.RunsFilter(tags={"dagster/backfill": launched["backfillId"]}))
    partitions = sorted(
        {r.tags.get("dagster/partition") or r.tags.get("dagster/asset_partition_range_start") for r in runs}
    )
    assert partitions == [LOADED[0].isoformat()]  # not the day after
    assert tomorrow not in {r.tags.get("dagster/partition") for r in runs}


def _phase3_keys(ui: Live) -> list[dict]:
    nodes = ui.graphql("{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
    return [{"path": n["assetKey"]["path"]} for n in nodes if n["groupName"] == "phase3_analytics"]


def test_status_reads_the_unloaded_date_as_unknown_not_as_no_games(ui):
    report = json.loads(ui.cli("status", "--date", UNLOADED.isoformat(), "--json").stdout)
    assert {p["phase"]: p["state"] for p in report["phases"]}[3] == "missing"


CHECKS = """{ assetNodes { assetKey { path } assetChecksOrError { ... on AssetChecks { checks { name
  partitionStatuses { __typename
    ... on AssetCheckTimePartitionStatuses { ranges { startKey endKey status } }
    ... on AssetCheckDefaultPartitionStatuses { succeededPartitions failedPartitions skippedPartitions }
  } } } } } }"""


def test_after_a_weeks_backfill_every_check_reads_passed_or_failed_for_every_date(ui):
    statuses = {}
    for node in ui.graphql(CHECKS)["assetNodes"]:
        key = "/".join(node["assetKey"]["path"])
        for check in node["assetChecksOrError"].get("checks", []):
            statuses[(key, check["name"])] = check["partitionStatuses"]
    week = [f"2024-01-0{d}" for d in range(1, 8)]
    for key in ("nba_raw/nbac_gamebook_player_stats", "nba_analytics/player_game_summary"):
        for name in ("rows_written", "complete", "valid"):
            found = statuses[(key, name)]
            assert found["__typename"] == "AssetCheckTimePartitionStatuses", found
            per_date = {}
            for r in found["ranges"]:
                for day in week:
                    if r["startKey"] <= day <= r["endKey"]:
                        per_date[day] = r["status"]
            assert sorted(per_date) == week, (key, name, found)  # every date has a result
            assert set(per_date.values()) <= {"SUCCEEDED", "FAILED"}, (key, name, found)  # none skipped
    gamebook = statuses[("nba_raw/nbac_gamebook_player_stats", "rows_written")]["ranges"]
    assert {
        r["status"] for r in gamebook if r["startKey"] <= "2024-01-07" and r["endKey"] >= "2024-01-01"
    } == {"SUCCEEDED"}


BACKFILLS = """{ partitionBackfillsOrError(limit: 20) { ... on PartitionBackfills { results {
  id status title numPartitions runs(limit: 50) { runId jobName status } } } } }"""


def backfill_now(ui, backfill_id: str) -> dict:
    found = ui.graphql(BACKFILLS)["partitionBackfillsOrError"]["results"]
    return next(b for b in found if b["id"] == backfill_id)


def test_a_command_line_backfill_is_a_dagster_backfill_with_named_runs(ui):
    week = ("2024-01-22", "2024-01-24")
    done = ui.cli("backfill", "--start", week[0], "--end", week[1], "--through", "3")
    assert done.returncode == 0, done.stderr[-2000:]
    results = ui.graphql(BACKFILLS)["partitionBackfillsOrError"]["results"]
    mine = [b for b in results if b["title"] == f"nba-pipeline backfill {week[0]} → {week[1]}, phases 1-3"]
    assert len(mine) == 1, [b["title"] for b in results]
    backfill = mine[0]

    def completed():
        return backfill_now(ui, backfill["id"])["status"] == "COMPLETED_SUCCESS"

    wait_for("the backfill to read completed", completed, timeout=120, every=2)
    runs = sorted((r["jobName"], r["status"]) for r in backfill["runs"])
    # Phase 3 is the backfill's own unless the daemon's cascade sensor claimed the dates first, once
    # Phase 2 landed — all of them or some: whoever won a date, it is built by exactly one run.
    assert runs[:2] == [("phase1_scrape_job", "SUCCESS"), ("phase2_raw_job", "SUCCESS")]
    assert runs[2:] in ([], [("phase3_analytics_job", "SUCCESS")])
    own_phase3 = {r["runId"] for r in backfill["runs"] if r["jobName"] == "phase3_analytics_job"}
    ui.quiet(timeout=300)
    days = list(date_range(date.fromisoformat(week[0]), date.fromisoformat(week[1])))
    with ui.instance() as instance:
        built = builds(instance, range(3, 4))
        target = instance.get_backfill(backfill["id"]).asset_backfill_data.target_subset
    assert [len(built.get((3, d), ())) for d in days] == [1, 1, 1]
    ours = [d for d in days if built[(3, d)] <= own_phase3]  # the phase 3 dates the backfill's run built
    # The record's target is what the command attempted: phases 1-2 every date, phase 3 its own dates.
    counts = {key.to_user_string(): len(sub) for key, sub in target.partitions_subsets_by_asset_key.items()}
    assert {n for key, n in counts.items() if not key.startswith("nba_analytics/")} == {3}
    assert {n for key, n in counts.items() if key.startswith("nba_analytics/")} <= {len(ours)}
    # The UI's count is Dagster's: the partitions per asset when every asset has the same, else none.
    assert backfill_now(ui, backfill["id"])["numPartitions"] == (3 if len(ours) in (0, 3) else None)


REEXECUTE = """mutation($params: ReexecutionParams!) { launchPipelineReexecution(reexecutionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def test_re_executing_a_cascade_run_from_the_ui_builds_again_under_a_claim_of_its_own(ui):
    """The UI's Re-execute copies the parent's tags, its claim's among them: that claim is the
    parent's (done), and the re-execution must gate itself, as a launch from the UI. (A run a command
    executed in its own process has no code location to re-execute from: Dagster refuses it.)"""
    day = date(2024, 2, 12)
    done = ui.cli("backfill", "--start", day.isoformat(), "--end", day.isoformat(), "--through", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    ui.quiet(timeout=300)  # the daemon's cascade builds phase 3 from the backfill's phase 2
    with ui.instance() as instance:
        [parent] = builds(instance, range(3, 4))[(3, day)]
        assert instance.get_run_by_id(parent).tags["nba/trigger"] == "cascade"
    launched = ui.graphql(REEXECUTE, {"params": {"parentRunId": parent, "strategy": "ALL_STEPS"}})
    answer = launched["launchPipelineReexecution"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    child = answer["run"]["runId"]

    def ended():
        with ui.instance() as instance:
            run = instance.get_run_by_id(child)
        return run.status.value if run.is_finished else None

    assert wait_for("the re-execution to end", ended, timeout=300, every=1) == "SUCCESS"
    ui.quiet(timeout=300)
    with ui.instance() as instance:
        assert builds(instance, range(3, 4))[(3, day)] == {parent, child}
    store = ui.store()
    assert store.claims(states=claims.ACTIVE) == []
    [mine] = [c for c in store.claims(run_id=child) if c.target == "3"]
    assert (mine.game_date, mine.state, mine.holder) == (day, claims.DONE, f"run:{child}")
