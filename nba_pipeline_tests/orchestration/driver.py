"""The daemon's part, in-process: tick sensors and schedules, launch what they request once per run key
(as the daemon dedups), settle finished runs. The clock is whatever the test sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import dagster as dg

from nba_pipeline.definitions import build_definitions
from nba_pipeline.environment import Settings
from nba_pipeline.resources import build_resources
from nba_pipeline.resources.clock import ClockResource
from nba_pipeline.runner import QUIET

CASCADE = (
    "phase3_analytics_sensor",
    "phase4_precompute_sensor",
    "phase5_predictions_sensor",
    "phase6_export_sensor",
)


@dataclass
class Driver:
    settings: Settings
    instance: dg.DagsterInstance
    now: datetime
    wall_offset_seconds: float = 0.0
    cursors: dict[str, str | None] = field(default_factory=dict)
    run_keys: set[str] = field(default_factory=set)
    launched: list[dg.RunRequest] = field(default_factory=list)
    skips: dict[str, str] = field(default_factory=dict)
    launch: bool = True  # False: requests are dropped, as a launch that failed

    def __post_init__(self) -> None:
        self.defs = build_definitions(self.settings)

    def resources(self) -> dict:
        clock = ClockResource(fixed_now=self.now.isoformat(), wall_offset_seconds=self.wall_offset_seconds)
        return build_resources(self.settings) | {"clock": clock}

    def tick(self, name: str) -> list[dg.RunRequest]:
        sensor = self.defs.resolve_sensor_def(name)
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(name), resources=self.resources()
        ) as context:
            result = sensor(context)
        self.cursors[name] = result.cursor if result.cursor is not None else self.cursors.get(name)
        self.skips[name] = result.skip_reason.skip_message if result.skip_reason else ""
        return self._launch(result.run_requests or [])

    def dry_run(self, name: str) -> list[dg.RunRequest]:
        """The UI's Test Sensor: the sensor evaluated, its requests shown, nothing launched or kept."""
        sensor = self.defs.resolve_sensor_def(name)
        with dg.build_sensor_context(
            instance=self.instance, cursor=self.cursors.get(name), resources=self.resources()
        ) as context:
            return list(sensor(context).run_requests or [])

    def schedule(self, name: str, at: datetime) -> list[dg.RunRequest] | str:
        schedule = self.defs.resolve_schedule_def(name)
        with dg.build_schedule_context(
            instance=self.instance,
            scheduled_execution_time=at,
            resources=self.resources(),
            repository_def=self.defs.get_repository_def(),
        ) as context:
            data = schedule.evaluate_tick(context)
        if data.skip_message:
            return data.skip_message
        return self._launch(list(data.run_requests or []), job=schedule.job_name)

    def _launch(self, requests: list[dg.RunRequest], job: str | None = None) -> list[dg.RunRequest]:
        fresh = [r for r in requests if r.run_key not in self.run_keys]
        for request in fresh:
            self.run_keys.add(request.run_key)
            self.launched.append(request)
            if self.launch:
                self.execute(request, job)
        return fresh

    def execute(self, request: dg.RunRequest, job: str | None = None) -> dg.ExecuteInProcessResult:
        # The run sees the same clock as the sensor that asked for it.
        defs = build_definitions(self.settings.with_overrides(now=self.now))
        job_def = defs.resolve_job_def(request.job_name or job)
        return job_def.execute_in_process(
            run_config=QUIET,
            instance=self.instance,
            partition_key=request.partition_key,
            asset_selection=request.asset_selection,
            tags=request.tags,
            raise_on_error=False,
        )

    def cascade(self, rounds: int = 12) -> list[dg.RunRequest]:
        """Intake, settle and every cascade sensor, round after round, until nothing new is requested."""
        started = len(self.launched)
        for _ in range(rounds):
            before = len(self.launched)
            self.tick("signal_intake_sensor")
            for name in CASCADE:
                self.tick(name)
                self.tick("run_settlement_sensor")
            if len(self.launched) == before:
                break
        return self.launched[started:]
