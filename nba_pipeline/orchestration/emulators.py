"""Start and stop the Pub/Sub and Firestore emulators that ship with gcloud, for tests and benchmarks.

Each emulator runs in its own process group (its launcher is a shell script that forks Java), so
stopping it means signalling the whole group: killing only the launcher leaves the JVM alive
(playbook §11). The direct launchers under the SDK start faster than `gcloud ... emulators start`
and write nothing under ~/.config; gcloud is the fallback when they are not where we expect.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

PUBSUB = "pubsub"
FIRESTORE = "firestore"
KINDS = (PUBSUB, FIRESTORE)
DEFAULT_PROJECT = "nba-local"
_LOCALHOST = "127.0.0.1"


def sdk_root() -> Path | None:
    """The Cloud SDK directory that holds `platform/` (gcloud on PATH is usually a symlink into it)."""
    gcloud = shutil.which("gcloud")
    return Path(gcloud).resolve().parent.parent if gcloud else None


def _direct_launcher(kind: str) -> Path | None:
    root = sdk_root()
    if root is None:
        return None
    relative = {
        PUBSUB: "platform/pubsub-emulator/bin/cloud-pubsub-emulator",
        FIRESTORE: "platform/cloud-firestore-emulator/cloud_firestore_emulator",
    }[kind]
    path = root / relative
    return path if path.is_file() else None


def unavailable_reason() -> str | None:
    """None when both emulators can be started here, else why not (one line)."""
    if shutil.which("gcloud") is None:
        return (
            "gcloud is not on PATH (install the Google Cloud SDK to run the Pub/Sub and Firestore emulators)"
        )
    if shutil.which("java") is None:
        return "java is not on PATH (the Pub/Sub and Firestore emulators need a JRE, 17 or newer)"
    return None


def _command(kind: str, port: int, project: str) -> list[str]:
    launcher = _direct_launcher(kind)
    if kind == PUBSUB:
        if launcher:
            return [str(launcher), f"--host={_LOCALHOST}", f"--port={port}"]
        return [
            "gcloud",
            "beta",
            "emulators",
            "pubsub",
            "start",
            f"--host-port={_LOCALHOST}:{port}",
            f"--project={project}",
        ]
    if launcher:
        return [
            str(launcher),
            "start",
            f"--host={_LOCALHOST}",
            f"--port={port}",
            "--database-mode=firestore-native",
        ]
    return ["gcloud", "emulators", "firestore", "start", f"--host-port={_LOCALHOST}:{port}"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_LOCALHOST, 0))
        return sock.getsockname()[1]


RESET_TIMEOUT_S = 60.0


def _http(method: str, url: str, timeout_s: float = 5.0) -> int:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return response.status


def answers(url: str) -> bool:
    """The emulator at `url` is up: its root answers 200."""
    try:
        return _http("GET", url + "/", timeout_s=1.0) == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Emulator:
    kind: str
    host: str  # "127.0.0.1:port", the value for PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    @property
    def env_var(self) -> str:
        return "PUBSUB_EMULATOR_HOST" if self.kind == PUBSUB else "FIRESTORE_EMULATOR_HOST"

    def answers(self) -> bool:
        return answers(self.url)

    def reset(self, project: str = DEFAULT_PROJECT) -> None:
        """Forget every topic, subscription and message, or every document of `project`. Patient: the
        emulator's JVM can pause for seconds on a loaded machine (a 5 s limit timed out in CI)."""
        if self.kind == PUBSUB:
            method, url = "POST", self.url + "/reset"
        else:
            method, url = "DELETE", f"{self.url}/emulator/v1/projects/{project}/databases/(default)/documents"
        try:
            _http(method, url, timeout_s=RESET_TIMEOUT_S)
        except OSError as error:  # URLError and TimeoutError are OSErrors
            raise RuntimeError(
                f"the {self.kind} emulator at {self.host} did not reset within {RESET_TIMEOUT_S:.0f} s"
                f" ({error}); its log ends:\n{self.log_tail()}"
            ) from error

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace_s: float = 5.0) -> None:
        # start_new_session=True made the launcher its group's leader
        stop_group(self.process.pid, grace_s, self.process)


def stop_group(pgid: int, grace_s: float = 5.0, leader: subprocess.Popen | None = None) -> None:
    """SIGTERM to the process group, SIGKILL to whatever is left after the grace period. `leader`:
    our own child that leads it (reaped here, or its zombie keeps the group "alive")."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline and group_alive(pgid, leader):
            time.sleep(0.05)
        if not group_alive(pgid, leader):
            break
    if leader is not None:
        leader.poll()


def group_alive(pgid: int, leader: subprocess.Popen | None = None) -> bool:
    if leader is not None:
        leader.poll()
    try:
        os.killpg(pgid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def spawn(kind: str, log_dir: Path | None = None, project: str = DEFAULT_PROJECT) -> Emulator:
    """Launch one emulator on a free port in its own process group; `wait_ready` before use."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    if kind not in KINDS:
        raise ValueError(f"unknown emulator {kind!r}; known: {', '.join(KINDS)}")
    log_dir = Path(log_dir or tempfile.mkdtemp(prefix="nba-emulators-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = log_dir / f"{kind}-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            _command(kind, port, project),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Emulator(kind, f"{_LOCALHOST}:{port}", process, log_path)


def wait_ready(emulator: Emulator, timeout_s: float = 60.0) -> Emulator:
    deadline = time.monotonic() + timeout_s
    while not emulator.answers():
        if emulator.process.poll() is not None or time.monotonic() > deadline:
            emulator.stop(grace_s=1.0)
            raise RuntimeError(
                f"the {emulator.kind} emulator did not start at {emulator.host}:\n{emulator.log_tail()}"
            )
        time.sleep(0.1)
    return emulator


def start(kind: str, log_dir: Path | None = None, project: str = DEFAULT_PROJECT) -> Emulator:
    """Start one emulator and return once its HTTP endpoint answers."""
    return wait_ready(spawn(kind, log_dir, project))


@contextmanager
def running(
    kinds: tuple[str, ...] = KINDS, log_dir: Path | None = None, project: str = DEFAULT_PROJECT
) -> Iterator[dict[str, Emulator]]:
    """The given emulators, launched side by side (their JVMs start in parallel), stopped on exit."""
    with ExitStack() as stack:
        started: dict[str, Emulator] = {}
        for kind in kinds:
            started[kind] = spawn(kind, log_dir, project)
            stack.callback(started[kind].stop)
        for emulator in started.values():
            wait_ready(emulator)
        yield started
