"""The phases, in order: each is an asset group, and a run never spans two phases."""

from __future__ import annotations

from dataclasses import dataclass

import dagster as dg


@dataclass(frozen=True)
class Phase:
    number: int
    group: str
    title: str


PHASES = (
    Phase(1, "phase1_scrape", "scrape"),
    Phase(2, "phase2_raw", "raw"),
    Phase(3, "phase3_analytics", "analytics"),
    Phase(4, "phase4_precompute", "precompute"),
    Phase(5, "phase5_predictions", "predictions"),
    Phase(6, "phase6_export", "export"),
)
PHASE_BY_NUMBER = {p.number: p for p in PHASES}
PHASE_OF_GROUP = {p.group: p.number for p in PHASES}

# Every partitioned asset materializes a range in one run (ARCHITECTURE §7).
SINGLE_RUN = dg.BackfillPolicy.single_run()
OWNERS = ["team:data-eng"]
