"""One source per data directory (DOMAIN §2's "two directories never share state", the other way round:
one directory never mixes two sources).

The first process that builds anything in `NBA_PIPELINE_HOME` records which source it was built
from — the simulated league and its seed, or the replay and its season files — in `source.json`.
Every later command, and the code location the daemon and the UI load, compares its own settings
with that record and refuses a different source with one line that says how to use another
directory. A fault scenario is not part of the identity: it injects faults into the same league.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from nba_pipeline.environment import ConfigError, Settings

IDENTITY_FILE = "source.json"


def identity(settings: Settings) -> dict:
    """What makes the data of a home: its source and what feeds it."""
    if settings.source == "sim":
        return {"source": "sim", "seed": settings.seed}
    if settings.source == "replay":
        return {"source": "replay", "replay": str(settings.replay_csv) if settings.replay_csv else None}
    return {"source": settings.source}


def _describe(found: dict) -> str:
    extra = ", ".join(f"{k} {v}" for k, v in found.items() if k != "source")
    return f"source {found.get('source')}" + (f" ({extra})" if extra else "")


def check_home(settings: Settings, record: bool = True) -> None:
    """Refuse a home built from another source; record this one's the first time (`record`)."""
    if settings.env != "local":
        return  # a production deployment has one configured source: nothing to mix
    path = Path(settings.home) / IDENTITY_FILE
    mine = identity(settings)
    if path.exists():
        try:
            found = json.loads(path.read_text())
        except (OSError, ValueError):
            raise ConfigError(
                f"{path} is unreadable; delete it if this home holds only {_describe(mine)}"
            ) from None
        if found != mine:
            raise ConfigError(
                f"{settings.home} holds data built from {_describe(found)}, not {_describe(mine)}:"
                f" use another data directory for it, e.g. NBA_PIPELINE_HOME={settings.home}-{mine['source']}"
            )
        return
    if record:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(mine, indent=2) + "\n")
        os.replace(tmp, path)  # atomic: two first commands at once both write the same record
