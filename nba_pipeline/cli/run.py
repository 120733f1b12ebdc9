"""`run` (every phase for one date, after the history its model needs) and `backfill` (a range)."""

from __future__ import annotations

import argparse
from datetime import date

from nba_pipeline.cli.common import now_of, partition_date, settings_of, source_options, through_of
from nba_pipeline.cli.render import print_report
from nba_pipeline.environment import ConfigError, Settings


def register(commands) -> None:
    run = commands.add_parser("run", help="materialize every phase for one game date")
    run.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    run.add_argument(
        "--history",
        choices=("auto", "off"),
        default="auto",
        help="auto: first build phases 1-4 of the 90 days before the date where missing (the model's and "
        "the features' history); off: the date alone (its later phases proceed degraded, as readiness decides)",
    )
    source_options(run)
    run.set_defaults(func=cmd_run)

    backfill = commands.add_parser("backfill", help="materialize a date range: one run per phase")
    backfill.add_argument("--start", required=True, help="first ET game date, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last ET game date, YYYY-MM-DD")
    source_options(backfill)
    backfill.set_defaults(func=cmd_backfill)


def execute(
    settings: Settings,
    start: date,
    end: date,
    through: int,
    mode: str,
    trigger: str,
    as_json: bool,
    history: bool = False,
    force: bool = False,
) -> dict:
    """Run the phases with a progress bar. With `history`, first backfill phases 1-4 over the days a
    model for `start` learns from, when the warehouse does not have them yet."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nba_pipeline.runner import MODEL_INPUTS_PHASE, run_phases
    from nba_pipeline.tags import new_correlation_id

    correlation_id = new_correlation_id()
    console = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} phases"),
        TimeElapsedColumn(),
    )
    report = {
        "source": settings.source,
        "scenario": settings.scenario,
        "mode": mode,
        "correlation_id": correlation_id,
        "dagster_home": str(settings.dagster_home),
    }
    with Progress(
        *columns, console=console, transient=True, disable=as_json and not console.is_terminal
    ) as progress:

        def tracked(
            label: str, first: date, last: date, upto: int, run_mode: str, run_trigger: str, used: Settings
        ) -> list:
            task = progress.add_task(f"{label} {first} → {last}", total=upto)

            def on_phase(phase) -> None:
                progress.update(
                    task,
                    description=f"{label} · phase {phase.number} · {phase.title} · {first} → {last}",
                    completed=phase.number - 1,
                )

            outcomes = run_phases(
                used,
                first,
                last,
                upto,
                run_mode,
                run_trigger,
                correlation_id,
                on_phase=on_phase,
                force=force and label == "run",  # history is built only where missing
            )
            progress.update(task, completed=upto)
            return outcomes

        if history and through > MODEL_INPUTS_PHASE:
            spans = history_spans(settings, start)
            built = []  # the model for this date has nothing to learn from yet: build what is missing
            for first, last in spans:
                outcomes = tracked(
                    "history",
                    first,
                    last,
                    MODEL_INPUTS_PHASE,
                    "backfill",
                    "backfill",
                    history_settings(settings),
                )
                built.append(
                    {
                        "start": first.isoformat(),
                        "end": last.isoformat(),
                        "phases": [o.to_json() for o in outcomes],
                    }
                )
            if built:
                report["history"] = {
                    "start": built[0]["start"],
                    "end": built[-1]["end"],
                    "spans": [{"start": b["start"], "end": b["end"]} for b in built],
                    "phases": [p for b in built for p in b["phases"]],
                }
        report["phases"] = [o.to_json() for o in tracked("run", start, end, through, mode, trigger, settings)]
    return report


def history_spans(settings: Settings, day: date) -> list[tuple[date, date]]:
    """The spans of the days a model for `day` learns from that are not built yet (runner.missing_history)."""
    from nba_pipeline.runner import ensure_instance, missing_history

    with ensure_instance(settings) as instance:
        return missing_history(settings, day, instance)


def history_settings(settings: Settings) -> Settings:
    """The real Odds API serves odds only for games still to come, so past dates have no lines to
    fetch: `--source nba` builds them — a model's history, a backfill of the past — without
    expecting any (lines landed on the day itself stay in the landing store and are still read)."""
    if settings.source != "nba":
        return settings
    return settings.with_overrides(disabled_feeds=settings.disabled_feeds | {"prop_lines"})


def cmd_run(args: argparse.Namespace) -> int:
    day = partition_date(args.date)
    settings, through = settings_of(args), through_of(args)
    report = {
        "date": day.isoformat(),
        **execute(
            settings,
            day,
            day,
            through,
            "manual",
            "manual",
            args.json,
            history=args.history == "auto",
            force=args.force,
        ),
    }
    from nba_pipeline.runner import export_paths, games_on, predictions_summary

    report["games"] = games_on(settings, day)
    if through >= 5:
        report["predictions"] = predictions_summary(settings, day)
    if through >= EXPORT_PHASE:  # a shorter run exported nothing (an earlier run's files are not its own)
        report["exports"] = export_paths(settings, day)
    print_report(report, f"nba-pipeline run {day}", args.json)
    return exit_status(report)


def cmd_backfill(args: argparse.Namespace) -> int:
    start, end = partition_date(args.start), partition_date(args.end)
    if end < start:
        raise ConfigError(f"--end {end} is before --start {start}")
    settings, through = settings_of(args), through_of(args)
    from nba_pipeline.partitions import et_date

    if end < et_date(now_of(settings)):  # every date is past: there are no live odds to fetch for it
        settings = history_settings(settings)
    report = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        **execute(settings, start, end, through, "backfill", "backfill", args.json, force=args.force),
    }
    print_report(report, f"nba-pipeline backfill {start} → {end}", args.json)
    return exit_status(report)


EXPORT_PHASE = 6

SOME_DATES_FAILED = 3  # every run finished, and a run failed for some dates: the output names them


def exit_status(report: dict) -> int:
    """0 when every run finished and built what it was asked to (held dates are decisions, reported),
    3 when a run failed for some dates or the backfill was canceled (also the history a `run` builds)."""
    phases = report["phases"] + report.get("history", {}).get("phases", [])
    return SOME_DATES_FAILED if any(p["status"] in ("failed", "canceled") for p in phases) else 0
