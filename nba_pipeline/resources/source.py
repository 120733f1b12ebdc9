"""The data-source resource: which upstream the scrape phase talks to."""

from __future__ import annotations

import dagster as dg

from nba_pipeline.sources import SourceClient, cached_source, expected_feeds


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
        return cached_source(
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
        return expected_feeds(self.client(), self.disabled_feeds)

    def capabilities(self) -> frozenset[str]:
        """What downstream features may rely on: the active feeds and the box-score splits."""
        return self.active_feeds() | self.client().stat_splits
