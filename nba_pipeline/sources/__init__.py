"""Data sources: every one returns payloads in the upstream's real shape (ARCHITECTURE §3).

A source is chosen by configuration (`NBA_PIPELINE_SOURCE`): `sim`, the deterministic simulated
league (default), `replay`, a real season from a stats.nba.com LeagueGameLog CSV, or `nba`, the real
upstreams (NBA.com through nba_api, The Odds API, the injury report). All implement the same
`SourceClient` protocol: `make_source` is the seam.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol

# The four upstream feeds Phase 1 lands, in the order a slate's data arrives.
FEEDS = ("schedule", "boxscores", "injury_report", "prop_lines")


class SourceError(Exception):
    """A feed could not answer."""


class TransientSourceError(SourceError):
    """Worth retrying: a timeout, an HTTP 429/5xx."""


class PermanentSourceError(SourceError):
    """Not worth retrying: an HTTP 4xx, a payload that will never exist."""


@dataclass(frozen=True)
class Payload:
    """One upstream file: its name inside the feed's date folder and its JSON body."""

    name: str
    body: dict

    def to_bytes(self) -> bytes:
        return encode_json(self.body)


def encode_json(body: dict) -> bytes:
    """The one serialization of payloads: compact, key order as built, so equal bodies are equal bytes."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class SourceClient(Protocol):
    name: str
    provides: frozenset[str]  # the feeds this source has at all (the replay has no lines or injuries)
    stat_splits: frozenset[str]  # finer box-score splits it carries, e.g. "paint" points

    def fetch(self, feed: str, day: date, now: datetime) -> list[Payload]:
        """The feed's payloads for ET game date `day` as they stand at `now` (empty: nothing yet)."""
        ...


def fetch_with_retries(
    client: SourceClient,
    feed: str,
    day: date,
    now: datetime,
    attempts: int = 4,
    base_delay: float = 0.2,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[list[Payload], int]:
    """Fetch, retrying transient errors with exponential backoff and jitter; returns (payloads, retries)."""
    for attempt in range(attempts):
        try:
            return client.fetch(feed, day, now), attempt
        except TransientSourceError:
            if attempt == attempts - 1:
                raise
            sleep(base_delay * (2**attempt) * random.uniform(0.5, 1.5))
    raise AssertionError("unreachable")


def make_source(
    name: str,
    seed: int,
    scenario: str = "none",
    replay_csv: Path | None = None,
    state_dir: Path | None = None,
    http_recordings: Path | None = None,
    http_record: Path | None = None,
) -> SourceClient:
    """The configured source client (the seam where production clients plug in)."""
    if name == "sim":
        from nba_pipeline.sources.sim import SimSource

        return SimSource(seed=seed, scenario=scenario, state_dir=state_dir)
    if name == "replay":
        from nba_pipeline.sources.replay import ReplaySource

        return ReplaySource.from_csv(replay_csv)
    if name == "nba":
        from nba_pipeline.environment import odds_api_key
        from nba_pipeline.sources.http import SourceSession
        from nba_pipeline.sources.nba import NbaSource

        return NbaSource(SourceSession(recordings=http_recordings, record_to=http_record), odds_api_key())
    raise ValueError(f"unknown source {name!r}")


@lru_cache(maxsize=8)
def cached_source(
    name: str,
    seed: int,
    scenario: str,
    replay_csv: str,
    state_dir: str,
    http_recordings: str,
    http_record: str,
) -> SourceClient:
    """One client per configuration and process (SourceResource's, and the command line's)."""

    def path(value: str) -> Path | None:
        return Path(value) if value else None

    return make_source(
        name, seed, scenario, path(replay_csv), path(state_dir), path(http_recordings), path(http_record)
    )


def expected_feeds(client: SourceClient, disabled: Iterable[str]) -> frozenset[str]:
    """Feeds that are expected: provided by the source and not switched off (DOMAIN §4)."""
    return frozenset(client.provides - set(disabled))
