"""The data-source resource: which upstream the scrape phase talks to."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dagster as dg

from nba_pipeline.sources import SourceClient, make_source


class SourceResource(dg.ConfigurableResource):
    """`name` is sim, replay or nba; feeds in `disabled_feeds` are switched off (never fetched, never expected)."""

    name: str = "sim"
    seed: int = 20211019
    scenario: str = "none"
    replay_csv: str = ""
    state_dir: str = ""
    disabled_feeds: list[str] = []
    http_recordings: str = ""  # `nba`: answer from these recorded exchanges instead of the network
    http_record: str = ""  # `nba`: save every exchange here

    def client(self) -> SourceClient:
        return _client(
            self.name,
            self.seed,
            self.scenario,
            self.replay_csv,
            self.state_dir,
            self.http_recordings,
            self.http_record,
        )

    def active_feeds(self) -> frozenset[str]:
        """Feeds that are expected: provided by the source and not switched off (DOMAIN §4)."""
        return self.client().provides - set(self.disabled_feeds)

    def capabilities(self) -> frozenset[str]:
        """What downstream features may rely on: the active feeds and the box-score splits."""
        return self.active_feeds() | self.client().stat_splits


@lru_cache(maxsize=8)
def _client(
    name: str, seed: int, scenario: str, replay_csv: str, state_dir: str, recordings: str, record: str
) -> SourceClient:
    def path(value: str) -> Path | None:
        return Path(value) if value else None

    return make_source(
        name, seed, scenario, path(replay_csv), path(state_dir), path(recordings), path(record)
    )
