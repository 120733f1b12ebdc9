"""The Dagster instance of a data directory, the feeds its source provides and the command line's
coordination (claims, sweeps, settlement): what the CLI's questions (`check`, `trigger`, `status`)
need, without importing the runner or building Definitions (nba_pipeline.runner re-exports them).

Dagster itself is imported only when an instance is opened."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from nba_pipeline.environment import REPO_ROOT, Settings

if TYPE_CHECKING:
    import dagster as dg


def ensure_instance(settings: Settings) -> dg.DagsterInstance:
    """The Dagster instance inside the data directory, with the repo's instance settings."""
    import dagster as dg

    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    target = settings.dagster_home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(REPO_ROOT / "dagster.yaml", target)
    return dg.DagsterInstance.from_config(str(settings.dagster_home))


class InstanceOnDemand:
    """The data directory's Dagster instance, opened the first time it is asked something and closed
    with the block. A readiness check asks it only about a date with no schedule rows and about phase
    6's check results, so `check` usually never imports Dagster (about 2 s of a process's start-up)."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._instance: dg.DagsterInstance | None = None

    def __enter__(self) -> InstanceOnDemand:
        return self

    def __exit__(self, *exc) -> None:
        if self._instance is not None:
            self._instance.dispose()

    def __getattr__(self, name: str):
        if self._instance is None:
            self._instance = ensure_instance(self._settings)
        return getattr(self._instance, name)


def active_feeds(settings: Settings) -> frozenset[str]:
    """Feeds the configured source provides and that are not switched off (what may be expected)."""
    from nba_pipeline.resources import feeds_of

    return feeds_of(settings)


@dataclass
class Coordination:
    """The command line's runs in the coordination store: the same claims the sensors take (bound at
    once to the run about to execute them), dead runs and expired launches swept first, and every
    finished run settled (completion records, envelopes on the phase topics, claims closed)."""

    trigger: object  # automation.triggering.TriggerContext
    bus: object  # orchestration.bus.SignalBus
    mode: str
    trigger_name: str
    correlation_id: str
    force: bool = False  # rebuild what was already built for the same inputs (a new version on purpose)

    def tidy(self) -> None:
        from nba_pipeline.orchestration.settle import tidy

        ctx = self.trigger
        tidy(ctx.instance, ctx.store, self.bus, ctx.now, ctx.warehouse, ctx.wall())

    def claim(self, target: str, days: list[date], run_id: str) -> tuple[dict, dict[date, str]]:
        from nba_pipeline.automation.triggering import claim_dates

        return claim_dates(
            self.trigger, target, days, self.mode, self.trigger_name, self.correlation_id, run_id, self.force
        )

    def release(self, held: list, reason: str) -> None:
        from nba_pipeline.orchestration import claims

        for claim in held:
            claims.release(self.trigger.store, claim.key, claim.attempt, reason, self.trigger.wall())

    def settle(self, run_id: str) -> None:
        from nba_pipeline.orchestration.settle import settle_run

        ctx = self.trigger
        settle_run(ctx.instance, run_id, ctx.store, self.bus, ctx.now, ctx.warehouse, ctx.wall())


def cli_coordination(
    settings: Settings,
    instance: dg.DagsterInstance,
    mode: str,
    trigger: str,
    correlation_id: str,
    force: bool = False,
) -> Coordination:
    from nba_pipeline.automation.triggering import TriggerContext
    from nba_pipeline.orchestration.claims import holder_id
    from nba_pipeline.resources import clock_for, coordination_for, warehouse_for

    coordination = coordination_for(settings)
    context = TriggerContext(
        instance=instance,
        warehouse=warehouse_for(settings),
        store=coordination.store(),
        feeds=active_feeds(settings),
        now=clock_for(settings).now(),
        wall=clock_for(settings).wall_now,
        claimant=f"cli:{trigger}@{holder_id()}",
        extra_tags={"source": settings.source, "scenario": settings.scenario},
    )
    return Coordination(context, coordination.bus(), mode, trigger, correlation_id, force)
