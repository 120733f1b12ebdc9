"""The production stack on this machine: local stand-ins for every service `NBA_PIPELINE_ENV=prod`
talks to, each on a free port in its own process group.

- `bigquery`: bqemulator (pure Python over DuckDB 1.5, in its own virtualenv `.venv-emulators`,
  so the project's DuckDB stays free; its HOME holds the DuckDB spatial extension it insists on);
- `storage`: gcp-storage-emulator (same virtualenv), with the landing bucket created;
- `postgres`: a private PostgreSQL cluster (initdb in a temporary folder; run as the `postgres`
  user when we are root) for the Dagster instance;
- `pubsub`, `firestore`: the gcloud emulators (`emulators.py`).
Each service says which variables its clients need (`Service.env`). `up`/`down` of the CLI keep
the services' process groups in a state file so another process can stop them.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path

from nba_pipeline.environment import REPO_ROOT
from nba_pipeline.orchestration import emulators

BIGQUERY, STORAGE, POSTGRES = "bigquery", "storage", "postgres"
KINDS = (BIGQUERY, STORAGE, POSTGRES, emulators.PUBSUB, emulators.FIRESTORE)
EMULATOR_VENV = REPO_ROOT / ".venv-emulators"
PROJECT = "nba-local"
BUCKET = "nba-landing"
PG_USER, PG_PASSWORD, PG_DB = "nba", "nba", "dagster"
_LOCALHOST = "127.0.0.1"


@dataclass
class Service:
    kind: str
    pgid: int
    port: int
    log_path: str
    env: dict[str, str]  # what a client of this service needs, e.g. BIGQUERY_EMULATOR_HOST
    seconds_to_ready: float = 0.0
    scratch: str = ""  # a folder of ours to delete when stopped (the Postgres cluster)
    process: subprocess.Popen | None = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "process"}

    def stop(self, grace_s: float = 10.0) -> None:
        emulators.stop_group(self.pgid, grace_s, self.process)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def unavailable_reason(kind: str) -> str | None:
    """None when `kind` can be started here, else why not (one line)."""
    if kind in (BIGQUERY, STORAGE):
        tool = "bqemulator" if kind == BIGQUERY else "gcp-storage-emulator"
        if not (EMULATOR_VENV / "bin" / tool).exists():
            return f"{EMULATOR_VENV / 'bin' / tool} is missing (run `make emulators-install`)"
        return None
    if kind == POSTGRES:
        return (
            None
            if _postgres_bin()
            else "PostgreSQL server binaries are not installed (apt-get install postgresql)"
        )
    if kind in emulators.KINDS:
        return emulators.unavailable_reason()
    return f"unknown service {kind!r}; known: {', '.join(KINDS)}"


def _as_postgres(command: list[str]) -> list[str]:
    """Postgres refuses to run as root: run it as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _init_postgres(scratch: Path) -> None:
    bindir = _postgres_bin()
    if os.geteuid() == 0:
        shutil.chown(scratch, "postgres")
    subprocess.run(
        _as_postgres(
            [str(bindir / "initdb"), "-D", str(scratch / "data"), "-U", PG_USER, "--auth=trust", "-E", "UTF8"]
            + ["--no-sync"]
        ),
        check=True,
        capture_output=True,
    )


def _command(kind: str, port: int, folder: Path) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    if kind == BIGQUERY:
        env["HOME"] = str(EMULATOR_VENV / "home")  # where its DuckDB finds the spatial extension
        return [
            str(EMULATOR_VENV / "bin" / "bqemulator"),
            "start",
            f"--rest-port={port}",
            "--grpc-port=0",
            f"--project={PROJECT}",
            "--log-level=warning",
            "--log-format=console",
        ], env
    if kind == STORAGE:
        return [
            str(EMULATOR_VENV / "bin" / "gcp-storage-emulator"),
            "start",
            f"--port={port}",
            f"--host={_LOCALHOST}",
            f"--default-bucket={BUCKET}",
            "--in-memory",
        ], env
    bindir = _postgres_bin()
    return _as_postgres(
        [str(bindir / "postgres"), "-D", str(folder / "data"), "-p", str(port), "-k", str(folder)]
        + ["-c", f"listen_addresses={_LOCALHOST}", "-c", "fsync=off", "-c", "max_connections=200"]
    ), env


def _client_env(kind: str, port: int) -> dict[str, str]:
    host = f"{_LOCALHOST}:{port}"
    if kind == BIGQUERY:
        return {"BIGQUERY_EMULATOR_HOST": host}
    if kind == STORAGE:
        return {"STORAGE_EMULATOR_HOST": f"http://{host}"}
    return {
        "DAGSTER_PG_HOST": _LOCALHOST,
        "DAGSTER_PG_PORT": str(port),
        "DAGSTER_PG_USER": PG_USER,
        "DAGSTER_PG_PASSWORD": PG_PASSWORD,
        "DAGSTER_PG_DB": PG_DB,
    }


def _answers(kind: str, port: int) -> bool:
    if kind in emulators.KINDS:
        return emulators.answers(f"http://{_LOCALHOST}:{port}")
    if kind == POSTGRES:
        ready = subprocess.run(
            [str(_postgres_bin() / "pg_isready"), "-q", "-h", _LOCALHOST, "-p", str(port)], check=False
        )
        return ready.returncode == 0
    path = f"/bigquery/v2/projects/{PROJECT}/datasets" if kind == BIGQUERY else "/"
    try:
        with urllib.request.urlopen(f"http://{_LOCALHOST}:{port}{path}", timeout=1.0) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(path: str, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def spawn(kind: str, log_dir: Path) -> Service:
    """Launch one service on a free port in its own process group; `wait_ready` before use."""
    reason = unavailable_reason(kind)
    if reason:
        raise RuntimeError(reason)
    began = time.monotonic()
    if kind in emulators.KINDS:
        emulator = emulators.spawn(kind, log_dir, PROJECT)
        port = int(emulator.host.rsplit(":", 1)[1])
        return Service(
            kind,
            emulator.process.pid,
            port,
            str(emulator.log_path),
            {emulator.env_var: emulator.host},
            -began,
            process=emulator.process,
        )
    scratch = Path(tempfile.mkdtemp(prefix="nba-postgres-")) if kind == POSTGRES else None
    if scratch is not None:
        _init_postgres(scratch)
    port = emulators.free_port()
    log_path = log_dir / f"{kind}-{port}.log"
    command, env = _command(kind, port, scratch or log_dir)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    return Service(
        kind, process.pid, port, str(log_path), _client_env(kind, port), -began, str(scratch or ""), process
    )


def _create_database(service: Service) -> None:
    createdb = _postgres_bin() / "createdb"
    subprocess.run(
        [str(createdb), "-h", _LOCALHOST, "-p", str(service.port), "-U", PG_USER, PG_DB],
        check=True,
        capture_output=True,
    )


def wait_ready(service: Service, timeout_s: float = 90.0) -> Service:
    """Block until the service answers (then `seconds_to_ready` is its start time); stop it and
    raise with its log's tail if it died or did not answer in time."""
    began = -service.seconds_to_ready
    deadline = time.monotonic() + timeout_s
    while not _answers(service.kind, service.port):
        died = service.process is not None and service.process.poll() is not None
        if died or time.monotonic() > deadline:
            service.stop(grace_s=1.0)
            raise RuntimeError(f"the {service.kind} service did not start:\n{_log_tail(service.log_path)}")
        time.sleep(0.1)
    if service.kind == POSTGRES:
        _create_database(service)
    service.seconds_to_ready = round(time.monotonic() - began, 2)
    return service


def start(kinds: tuple[str, ...], log_dir: Path) -> list[Service]:
    """The services, launched side by side (their start-ups overlap), each ready on return. If one
    fails, those already started are stopped."""
    log_dir.mkdir(parents=True, exist_ok=True)
    started: list[Service] = []
    try:
        for kind in kinds:
            started.append(spawn(kind, log_dir))
        for service in started:
            wait_ready(service)
    except BaseException:
        for service in started:
            service.stop(grace_s=1.0)
        raise
    return started


@contextmanager
def running(kinds: tuple[str, ...], log_dir: Path) -> Iterator[dict[str, Service]]:
    """For tests: the services while the block runs, stopped by process group at its end."""
    with ExitStack() as stack:
        services = start(kinds, log_dir)
        for service in services:
            stack.callback(service.stop)
        yield {s.kind: s for s in services}


def client_env(services: list[Service]) -> dict[str, str]:
    return {k: v for s in services for k, v in s.env.items()}


def save(path: Path, services: list[Service]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([s.to_json() for s in services], indent=2))


def load(path: Path) -> list[Service]:
    if not path.exists():
        return []
    return [Service(**row) for row in json.loads(path.read_text())]


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".env").unlink(missing_ok=True)
