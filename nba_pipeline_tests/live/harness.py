"""The platform as users run it: a real Dagster daemon on a temporary instance, on the wall clock,
beside command-line processes of its own. Runs are genuinely in flight, processes can be killed, and
what the tests assert is read back from the instance and the coordination store afterwards.

Each process is started in its own process group and stopped by it (playbook §10-11); nothing is
ever stopped by name.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

from nba_pipeline.automation.jobs import phase_assets
from nba_pipeline.environment import REPO_ROOT, load_settings
from nba_pipeline.orchestration import claims
from nba_pipeline.orchestration.store.sqlite import SqliteStore
from nba_pipeline.runner import ensure_instance

BIN = Path(sys.executable).parent
CASCADE = (
    "phase3_analytics_sensor",
    "phase4_precompute_sensor",
    "phase5_predictions_sensor",
    "phase6_export_sensor",
)
IN_FLIGHT = (
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
)


def wait_for(
    what: str,
    check: Callable[[], object],
    timeout: float,
    every: float = 1.0,
    seen: Callable[[], object] | None = None,
):
    """Poll until `check()` is truthy (and return it), or fail saying what never happened (and, with
    `seen`, what there was instead)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            instead = f"; instead: {seen()}" if seen else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{instead}")
        time.sleep(every)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left after the grace period."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


@dataclass
class Live:
    home: Path
    env: dict[str, str]
    daemon: subprocess.Popen | None = None
    started: list[subprocess.Popen] = field(default_factory=list)
    port: int | None = None

    @classmethod
    def at(cls, home: Path, **env: str) -> Live:
        base = {
            k: v for k, v in os.environ.items() if not k.startswith("NBA_PIPELINE_") and k != "DAGSTER_HOME"
        }
        environ = (
            base
            | {
                "NBA_PIPELINE_HOME": str(home),
                "DAGSTER_HOME": str(home / "dagster"),
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
            }
            | env
        )
        live = cls(home, environ)
        ensure_instance(live.settings).dispose()  # the repo's dagster.yaml in the instance
        return live

    @property
    def settings(self):
        return load_settings(environ=self.env)

    def store(self) -> SqliteStore:
        return SqliteStore(self.home / "state" / "coordination.sqlite")

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home / "dagster"))

    # processes ---------------------------------------------------------------------------------
    def _launch(self, argv: list[str], log_name: str) -> subprocess.Popen:
        """A long-lived process in its own session (stopped by its group), its output in the home."""
        with open(self.home / log_name, "ab") as log:  # the child keeps its own copy of the file
            return subprocess.Popen(
                argv,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def _wait_for_cascade(self) -> None:
        with self.instance() as instance:
            wait_for(
                "every cascade sensor's first tick", lambda: self._ticked(instance, CASCADE), timeout=180
            )

    def start_daemon(self) -> None:
        self.daemon = self._launch(
            [str(BIN / "dagster-daemon"), "run", "-w", str(REPO_ROOT / "workspace.yaml")], "daemon.log"
        )
        self._wait_for_cascade()

    @staticmethod
    def _ticked(instance: dg.DagsterInstance, names: tuple[str, ...]) -> bool:
        from dagster._core.scheduler.instigation import InstigatorType

        for name in names:
            states = [
                s
                for s in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR)
                if s.name == name
            ]
            if not states or not instance.get_ticks(
                states[0].instigator_origin_id, states[0].selector_id, limit=1
            ):
                return False
        return True

    def _serve(self, argv: Callable[[int], list[str]], log_name: str) -> subprocess.Popen:
        """A process serving the UI on a free port, once it answers and the code location loaded."""
        self.port = free_port()
        proc = self._launch(argv(self.port), log_name)
        wait_for("the webserver", lambda: proc.poll() is None and self._answers("/server_info"), 180)
        wait_for("the code location", self._location_loaded, timeout=180)
        return proc

    def start_dev(self, loader: str = "off") -> None:
        """`nba-pipeline dev` on a free port: what `make dev` runs (dagster-daemon and dagster-webserver).
        The live loader is off unless asked for and no history is built first: these tests load their own
        dates, on the real clock."""
        self.daemon = self._serve(
            lambda port: [
                str(BIN / "nba-pipeline"),
                "dev",
                "--port",
                str(port),
                "--loader",
                loader,
                "--history",
                "off",
            ],
            "dev.log",
        )
        self._wait_for_cascade()

    def start_webserver(self) -> subprocess.Popen:
        """The UI alone, as `nba-pipeline dev` starts it, without the daemon: nothing changes the
        instance while its pages are read."""
        from nba_pipeline.cli.dev import dev_commands

        workspace = str(REPO_ROOT / "workspace.yaml")
        proc = self._serve(lambda port: dev_commands(workspace, "127.0.0.1", port)[1], "webserver.log")
        self.started.append(proc)
        return proc

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as reply:
                return reply.status == 200
        except OSError:
            return False

    def _location_loaded(self) -> bool:
        found = self.graphql(
            "{ workspaceOrError { ... on Workspace { locationEntries { loadStatus"
            " locationOrLoadError { __typename } } } } }"
        )
        entries = found["workspaceOrError"]["locationEntries"]
        return bool(entries) and all(
            e["loadStatus"] == "LOADED" and e["locationOrLoadError"]["__typename"] == "RepositoryLocation"
            for e in entries
        )

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                answer = json.loads(reply.read())
        except urllib.error.HTTPError as exc:  # the server's own words, not only its status
            raise AssertionError(f"GraphQL HTTP {exc.code}: {exc.read().decode()[:2000]}") from None
        if answer.get("errors"):
            raise AssertionError(f"GraphQL errors: {answer['errors']}")
        return answer["data"]

    def cli(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "nba-pipeline"), *args],
            cwd=self.home.parent,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def dagster(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
        """The `dagster` command line on this instance: the twin of a launch from the UI."""
        return subprocess.run(
            [str(BIN / "dagster"), *args],
            cwd=REPO_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [str(BIN / "nba-pipeline"), *args],
            cwd=self.home.parent,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.started:
            stop_group(proc)
        if self.daemon is not None:
            stop_group(self.daemon)

    # what happened -------------------------------------------------------------------------------
    def quiet(self, timeout: float = 600, settle: float = 12.0) -> None:
        """Wait until nothing runs, nothing is claimed and every finished phase run is settled — and
        stays so for `settle` seconds (a sensor may still be about to launch)."""

        def calm() -> bool:
            with self.instance() as instance:
                flying = instance.get_run_records(dg.RunsFilter(statuses=list(IN_FLIGHT)))
                finished = [
                    r.dagster_run.run_id
                    for r in instance.get_run_records(
                        dg.RunsFilter(
                            statuses=[
                                dg.DagsterRunStatus.SUCCESS,
                                dg.DagsterRunStatus.FAILURE,
                                dg.DagsterRunStatus.CANCELED,
                            ]
                        )
                    )
                    if "nba/phase" in r.dagster_run.tags
                ]
            store = self.store()
            unsettled = set(finished) - {k[4:] for k in store.processed_among([f"run:{r}" for r in finished])}
            return not flying and not store.claims(states=claims.ACTIVE) and not unsettled

        quiet_since = None
        deadline = time.monotonic() + timeout
        while True:
            if calm():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return
            else:
                quiet_since = None
            if time.monotonic() > deadline:
                raise AssertionError(f"the platform did not come to rest within {timeout:.0f} s")
            time.sleep(1.0)


def builds(instance: dg.DagsterInstance, phases: range = range(1, 7)) -> dict[tuple[int, date], set[str]]:
    """(phase, date) -> the runs that materialized any of the phase's assets for the date."""
    out: dict[tuple[int, date], set[str]] = {}
    for phase in phases:
        for key in phase_assets(phase).values():
            cursor = None
            while True:
                page = instance.fetch_materializations(dg.AssetRecordsFilter(key), limit=1000, cursor=cursor)
                for record in page.records:
                    partition = record.partition_key
                    if partition and record.run_id:
                        out.setdefault((phase, date.fromisoformat(partition)), set()).add(record.run_id)
                if not page.has_more:
                    break
                cursor = page.cursor
    return out
