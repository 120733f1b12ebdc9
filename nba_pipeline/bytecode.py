"""`make install`'s last step: write the bytecode of the modules the platform's processes import.

Where PYTHONDONTWRITEBYTECODE is set (this machine, many CI images) Python never caches bytecode,
and every process would compile Dagster again (9 s for a command instead of 3). Compiling the whole
environment (uv's `--compile-bytecode`: about 9,700 files, tests and unused packages included) was
25 s of a 35 s install; importing what the commands, the webserver, the daemon, run workers and the
tests import, with bytecode writing on, compiles the 2,000-odd modules they use. A module imported
only elsewhere is compiled in memory when used, as before, never wrong.

    python -m nba_pipeline.bytecode
"""

from __future__ import annotations

import compileall
import importlib
import sys
from pathlib import Path

# What each kind of process imports first; lazily imported modules are named too.
ENTRY_POINTS = (
    "nba_pipeline.cli",
    *(
        f"nba_pipeline.cli.{name}"
        for name in ("check", "claims", "dev", "doctor", "health", "run", "status", "trigger")
    ),
    "nba_pipeline.definitions",
    "nba_pipeline.runner",
    "nba_pipeline.automation.manual",
    "nba_pipeline.orchestration.dependency",
    "nba_pipeline.phases.predictions.model",
    "nba_pipeline.sources.nba",
    "lightgbm",
    "scipy.stats",
    "matplotlib.pyplot",
    "dagster._cli",  # `dagster asset materialize`, and every run worker (`dagster api execute_run`)
    "dagster._daemon.cli",
    "dagster._grpc.server",
    "dagster_webserver.cli",
    "dagster_graphql.schema",
    "dagster_postgres",
    "google.cloud.pubsub_v1",
    "google.cloud.firestore",
    "google.cloud.bigquery",
    "google.cloud.storage",
    "pytest",
    "xdist.plugin",
    "playwright.sync_api",
)


def main() -> int:
    sys.dont_write_bytecode = False  # imports from here on write their .pyc
    missing = []
    for name in ENTRY_POINTS:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # an optional extra not installed: its modules stay uncompiled
            missing.append(f"{name} ({exc})")
    package = Path(__file__).parent
    for folder in (package, package.parent / "nba_pipeline_tests"):  # the tests: in a clone only
        if folder.is_dir():
            compileall.compile_dir(str(folder), quiet=1)
    if missing:
        print("bytecode: not installed, not compiled: " + "; ".join(missing), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
