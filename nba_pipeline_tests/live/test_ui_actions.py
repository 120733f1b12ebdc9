"""What a person does on the UI, with the real thing: `nba-pipeline dev` (webserver and daemon) on a
temporary instance, through the GraphQL calls its buttons make.

Stopping a run while its phase 1 is in flight (`slow_source` on its date: every feed takes 5 s):
- Cancel on a command-line backfill's page (`cancelPartitionBackfill`),
- Terminate on the page of a command's run (`terminateRun`), or
- Terminate on the page of a run the daemon launched for a UI backfill.
The run in flight stops at its next step and ends CANCELED (a phase asset's retry policy does not
re-run the step instead), a command runs no further phase and says so (exit 3), the backfill record
ends canceled, nothing is claimed or in flight, nothing is built past the stop.

Test Sensor on a cascade sensor (`sensorDryRun`): its claims are taken and nothing launches; the
sensor's next real tick launches the same attempt, once."""

from __future__ import annotations

import json
from datetime import date

import dagster as dg
import pytest

from nba_pipeline.orchestration import claims
from nba_pipeline.orchestration.backfills import BACKFILL_ID_TAG
from nba_pipeline_tests.live.harness import Live, builds, wait_for

pytestmark = [pytest.mark.live, pytest.mark.slow]

START, END = date(2024, 2, 19), date(2024, 2, 20)  # the backfill canceled
RUN_DATE = date(2024, 2, 27)  # the `run` terminated
UI_DATE = date(2024, 3, 5)  # the UI backfill's run terminated
CANCEL = """mutation Cancel($id: String!) {
  cancelPartitionBackfill(backfillId: $id) {
    __typename
    ... on CancelBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
TEST_DAY = date(2024, 3, 12)  # phase 3 requested by a Test Sensor
SENSOR = "phase3_analytics_sensor"
TERMINATE = """mutation Terminate($id: String!) {
  terminateRun(runId: $id) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    platform = Live.at(
        tmp_path_factory.mktemp("cancel") / "nba",
        NBA_PIPELINE_SCENARIO=",".join(f"slow_source@{d}" for d in (END, RUN_DATE, UI_DATE)),
    )
    platform.start_dev()
    yield platform
    platform.stop()


def _phase1_in_flight(ui: Live, backfill: bool):
    def started():
        with ui.instance() as instance:
            runs = instance.get_runs(
                dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], tags={"nba/phase": "1"})
            )
        return next((r for r in runs if (BACKFILL_ID_TAG in r.tags) == backfill), None)

    return wait_for("the command's phase 1 run to start", started, timeout=300, every=0.2)


def _nothing_built_or_held(ui: Live, first: date, last: date) -> None:
    ui.quiet(timeout=300)
    with ui.instance() as instance:
        built = builds(instance, range(1, 7))
    assert {key: runs for key, runs in built.items() if first <= key[1] <= last} == {}
    assert ui.store().claims(states=claims.ACTIVE) == []


def _stopped(ui: Live, proc, first: date, last: date) -> dict:
    """The command's report once it exited 3, after the platform came to rest."""
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 3, err[-2000:]
    _nothing_built_or_held(ui, first, last)
    return json.loads(out)


def test_a_backfill_canceled_on_the_ui_stops_its_run_and_runs_no_further_phase(ui):
    proc = ui.spawn(
        "backfill", "--start", START.isoformat(), "--end", END.isoformat(), "--through", "4", "--json"
    )
    running = _phase1_in_flight(ui, backfill=True)
    backfill_id = running.tags[BACKFILL_ID_TAG]
    answer = ui.graphql(CANCEL, {"id": backfill_id})["cancelPartitionBackfill"]
    assert answer == {"__typename": "CancelBackfillSuccess", "backfillId": backfill_id}

    report = _stopped(ui, proc, START, END)
    assert [(p["phase"], p["status"]) for p in report["phases"]] == [(1, "canceled")]

    def record():
        with ui.instance() as instance:
            return instance.get_backfill(backfill_id).status.value

    # The daemon concludes it once no run of it is in flight (its loop: every 30 s).
    wait_for("the backfill record to be canceled", lambda: record() == "CANCELED", timeout=120, seen=record)
    with ui.instance() as instance:
        ours = instance.get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    assert [(r.run_id, r.status.value) for r in ours] == [(running.run_id, "CANCELED")]


def test_terminate_on_the_ui_stops_a_command_lines_run(ui):
    proc = ui.spawn("run", "--date", RUN_DATE.isoformat(), "--history", "off", "--through", "2", "--json")
    running = _phase1_in_flight(ui, backfill=False)
    answer = ui.graphql(TERMINATE, {"id": running.run_id})["terminateRun"]
    assert answer == {"__typename": "TerminateRunSuccess"}  # not "Unable to terminate run"

    report = _stopped(ui, proc, RUN_DATE, RUN_DATE)
    assert [(p["phase"], p["status"]) for p in report["phases"]] == [(1, "canceled")]
    with ui.instance() as instance:
        assert instance.get_run_by_id(running.run_id).status == dg.DagsterRunStatus.CANCELED


def test_terminate_on_the_ui_stops_a_run_the_daemon_launched(ui):
    nodes = ui.graphql("{ assetNodes { assetKey { path } groupName } }")["assetNodes"]
    phase1 = [{"path": n["assetKey"]["path"]} for n in nodes if n["groupName"] == "phase1_scrape"]
    launched = ui.graphql(
        """mutation($params: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $params) {
             __typename ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }""",
        {"params": {"partitionNames": [UI_DATE.isoformat()], "assetSelection": phase1}},
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched

    def started():
        with ui.instance() as instance:
            runs = instance.get_runs(
                dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.STARTED], tags={BACKFILL_ID_TAG: launched["backfillId"]}
                )
            )
        return runs[0] if runs else None

    running = wait_for("the UI backfill's run to start", started, timeout=300, every=0.2)
    answer = ui.graphql(TERMINATE, {"id": running.run_id})["terminateRun"]
    assert answer == {"__typename": "TerminateRunSuccess"}

    def ended():
        with ui.instance() as instance:
            run = instance.get_run_by_id(running.run_id)
        return run.status.value if run.is_finished else None

    # Four feeds of 5 s: uninterrupted (the interrupted step retried), it would end SUCCESS.
    assert wait_for("the terminated run to end", ended, timeout=120, every=0.5) == "CANCELED"
    _nothing_built_or_held(ui, UI_DATE, UI_DATE)


SENSOR_STATE = """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) { __typename ... on Sensor {
  jobOriginId sensorState { selectorId status typeSpecificData { ... on SensorData { lastCursor } } } } } }"""
STOP_SENSOR = """mutation($origin: String, $selector: String) {
  stopSensor(jobOriginId: $origin, jobSelectorId: $selector) { __typename } }"""
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename } }"""
DRY_RUN = """mutation($s: SensorSelector!, $cursor: String) { sensorDryRun(selectorData: $s, cursor: $cursor) {
  __typename ... on DryRunInstigationTick { evaluationResult { runRequests { runKey } skipReason
  error { message } } } ... on PythonError { message } } }"""


def _selector(ui: Live, sensor: str) -> dict:
    repos = ui.graphql(
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
    )["repositoriesOrError"]["nodes"]
    [repo] = repos
    return {
        "repositoryName": repo["name"],
        "repositoryLocationName": repo["location"]["name"],
        "sensorName": sensor,
    }


def test_test_sensor_on_the_ui_takes_claims_and_the_next_tick_launches_that_attempt(ui):
    selector = _selector(ui, SENSOR)
    sensor = ui.graphql(SENSOR_STATE, {"s": selector})["sensorOrError"]
    stopped = ui.graphql(
        STOP_SENSOR, {"origin": sensor["jobOriginId"], "selector": sensor["sensorState"]["selectorId"]}
    )["stopSensor"]
    assert stopped["__typename"] == "StopSensorMutationResult", stopped
    try:  # phase 2 lands while the sensor is stopped: nothing of phase 3 is asked for
        done = ui.cli(
            "backfill", "--start", TEST_DAY.isoformat(), "--end", TEST_DAY.isoformat(), "--through", "2"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        cursor = ui.graphql(SENSOR_STATE, {"s": selector})["sensorOrError"]["sensorState"]["typeSpecificData"]
        tested = ui.graphql(DRY_RUN, {"s": selector, "cursor": cursor["lastCursor"]})["sensorDryRun"]
        assert tested["__typename"] == "DryRunInstigationTick", tested
        shown = tested["evaluationResult"]
        assert shown["error"] is None, shown
        [request] = [r for r in shown["runRequests"] if f"-{TEST_DAY}-" in r["runKey"]]
        assert request["runKey"].endswith("-a1")
        [waiting] = [
            c for c in ui.store().claims(states=claims.ACTIVE) if (c.target, c.game_date) == ("3", TEST_DAY)
        ]
        assert (waiting.state, waiting.attempt, waiting.run_id) == (claims.CLAIMED, 1, None)
    finally:
        started = ui.graphql(START_SENSOR, {"s": selector})["startSensor"]
    assert started["__typename"] == "Sensor", started

    def launched():
        with ui.instance() as instance:
            runs = instance.get_runs(dg.RunsFilter(tags={"nba/claim": waiting.key}))
        return runs or None

    # Within the two-minute launch lease the old code only answered "taken", then took attempt 2.
    [run] = wait_for("the phase 3 run of the tested date", launched, timeout=110, every=1)
    assert (run.tags["nba/claim_attempt"], run.tags["dagster/run_key"]) == ("1", request["runKey"])
    ui.quiet(timeout=300)
    with ui.instance() as instance:
        assert builds(instance, range(3, 4))[(3, TEST_DAY)] == {run.run_id}
    assert ui.store().get_claim(waiting.key).state == claims.DONE
