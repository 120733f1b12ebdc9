"""The `nba-pipeline` command.

Exit status: 0 when every run finished (also when a check failed or a phase was held back, which the
output reports), 1 on an unexpected error, 2 on bad input. A person's mistake gets one line, never a
traceback (NBA_PIPELINE_DEBUG=1 adds the traceback of unexpected errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from datetime import date, datetime

from nba_pipeline.environment import ConfigError, Settings, load_settings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse would print the whole usage)
        raise ConfigError(message)


def _date(value: str) -> date:
    from nba_pipeline.partitions import parse_game_date

    return parse_game_date(value)


def _source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", help="sim (default) or replay")
    parser.add_argument("--replay-csv", help="a stats.nba.com LeagueGameLog CSV for --source replay")
    parser.add_argument("--scenario", help="a fault scenario of the simulated league (see README)")
    parser.add_argument("--through", type=int, default=None, help="run phases 1..N only")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="nba-pipeline", description="Run the NBA props pipeline through Dagster.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="materialize every phase for one game date")
    run.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    _source_options(run)
    run.set_defaults(func=cmd_run)

    backfill = commands.add_parser("backfill", help="materialize a date range: one run per phase")
    backfill.add_argument("--start", required=True, help="first ET game date, YYYY-MM-DD")
    backfill.add_argument("--end", required=True, help="last ET game date, YYYY-MM-DD")
    _source_options(backfill)
    backfill.set_defaults(func=cmd_backfill)

    check = commands.add_parser("check", help="decide whether a phase may run for a date, with the numbers")
    check.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    check.add_argument("--phase", required=True, type=int, help="the phase to check (3-6)")
    check.add_argument(
        "--mode", help="overnight, same_day, tomorrow, manual or backfill (default: by the date)"
    )
    check.add_argument("--source", help="sim (default) or replay: which feeds exist to be expected")
    check.add_argument("--replay-csv", help=argparse.SUPPRESS)
    check.add_argument("--json", action="store_true", help="print the result as one JSON object")
    check.set_defaults(func=cmd_check, scenario=None)

    trigger = commands.add_parser(
        "trigger", help="a person's trigger of a phase for a date: same claim, same readiness gate"
    )
    trigger.add_argument("--date", required=True, help="ET game date, YYYY-MM-DD")
    trigger.add_argument("--phase", required=True, type=int, help="the phase to run (3-6)")
    trigger.add_argument("--mode", help="overnight, same_day, tomorrow, manual (default) or backfill")
    trigger.add_argument("--force", action="store_true", help="a new version on purpose: run even if it ran")
    trigger.add_argument("--json", action="store_true", help="print the result as one JSON object")
    trigger.set_defaults(func=cmd_trigger, source=None, replay_csv=None, scenario=None)

    heal = commands.add_parser(
        "heal", help="self-heal now: re-trigger what should exist for today and yesterday"
    )
    heal.add_argument("--json", action="store_true", help="print the result as one JSON object")
    heal.set_defaults(func=cmd_heal, source=None, replay_csv=None, scenario=None)

    status = commands.add_parser(
        "status", help="where a date stands (--date) or the grid of the last N dates (--days)"
    )
    which = status.add_mutually_exclusive_group(required=True)
    which.add_argument("--date", help="ET game date, YYYY-MM-DD")
    which.add_argument("--days", type=int, help="the expected-outputs grid of the N dates up to today")
    status.add_argument("--json", action="store_true", help="print the result as one JSON object")
    status.set_defaults(func=cmd_status, source=None, replay_csv=None, scenario=None)

    retention = commands.add_parser(
        "retention", help="delete audit rows past the window and old coordination records"
    )
    retention.add_argument(
        "--days", help="the audit window in days (default NBA_PIPELINE_RETENTION_DAYS or 365)"
    )
    retention.add_argument("--json", action="store_true", help="print the result as one JSON object")
    retention.set_defaults(func=cmd_retention, source=None, replay_csv=None, scenario=None)

    dev = commands.add_parser("dev", help="open the Dagster UI (webserver + daemon) on this data directory")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--host", default="127.0.0.1")
    dev.set_defaults(func=cmd_dev)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    """Validated settings: nothing is written before every input has been checked."""
    settings = load_settings(source=args.source, replay_csv=args.replay_csv, scenario=args.scenario)
    if settings.source == "replay":
        from nba_pipeline.sources.replay import check_replay_csv

        check_replay_csv(settings.replay_csv)
    return settings


def _through(args: argparse.Namespace) -> int:
    from nba_pipeline.phases import PHASES

    last = PHASES[-1].number
    through = last if args.through is None else args.through
    if not 1 <= through <= last:
        raise ConfigError(f"--through {through} is not a phase: phases are 1..{last}")
    return through


def _execute(
    settings: Settings,
    start: date,
    end: date,
    through: int,
    mode: str,
    trigger: str,
    as_json: bool,
    history: bool = False,
) -> dict:
    """Run the phases with a progress bar. With `history`, first backfill phases 1-4 over the days a
    model for `start` learns from, when the warehouse does not have them yet."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from nba_pipeline.runner import MODEL_INPUTS_PHASE, ensure_instance, missing_history, run_phases
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

        def tracked(label: str, first: date, last: date, upto: int, run_mode: str, run_trigger: str) -> list:
            task = progress.add_task(f"{label} {first} → {last}", total=upto)

            def on_phase(phase) -> None:
                progress.update(
                    task,
                    description=f"{label} · phase {phase.number} · {phase.title} · {first} → {last}",
                    completed=phase.number - 1,
                )

            outcomes = run_phases(
                settings, first, last, upto, run_mode, run_trigger, correlation_id, on_phase=on_phase
            )
            progress.update(task, completed=upto)
            return outcomes

        if history and through > MODEL_INPUTS_PHASE:
            with ensure_instance(settings) as instance:
                gap = missing_history(settings, start, instance)
            if gap:  # the model for this date has nothing to learn from yet: build its history first
                outcomes = tracked("history", gap[0], gap[1], MODEL_INPUTS_PHASE, "backfill", "backfill")
                report["history"] = {
                    "start": gap[0].isoformat(),
                    "end": gap[1].isoformat(),
                    "phases": [o.to_json() for o in outcomes],
                }
        report["phases"] = [o.to_json() for o in tracked("run", start, end, through, mode, trigger)]
    return report


def _print(report: dict, heading: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 150)  # piped: wide tables, not 80 columns
    console.print(
        f"[bold]{heading}[/bold] · source {report['source']} · scenario {report['scenario']} · mode {report['mode']}"
    )
    for phase in report["phases"]:
        style = {"success": "green", "partial": "yellow", "held": "cyan"}.get(phase["status"], "red")
        runs = (
            f"{len(phase['run_ids'])} runs"
            if len(phase["run_ids"]) > 1
            else f"run {phase['run_id'][:8]}"
            if phase["run_id"]
            else "no run"
        )
        verdicts = sorted(set(phase.get("decisions", {}).values()))
        decided = f" · readiness {'/'.join(verdicts)}" if verdicts else ""
        table = Table(
            title=f"Phase {phase['phase']} · {phase['title']} · {runs}{decided} · [{style}]{phase['status']}[/{style}] in {phase['seconds']:.1f} s",
            title_justify="left",
        )
        for column in ("asset", "rows", "checks passed", "checks failed"):
            table.add_column(column, justify="left" if column == "asset" else "right")
        for asset in phase["assets"]:
            rows = "—" if asset["rows"] is None else f"{asset['rows']:,}"
            errors = asset["checks_failed"] - asset["checks_warned"]
            failed = f"[red]{errors}[/red]" if errors else "0"
            if asset["checks_warned"]:
                failed += f" [yellow](+{asset['checks_warned']} warn)[/yellow]"
            table.add_row(asset["asset"], rows, str(asset["checks_passed"]), failed)
        console.print(table)
        for error in phase.get("errors", []):
            console.print(f"  [red]✗[/red] {error}")
        held = phase.get("held", {})
        for day, reasons in list(held.items())[:5]:
            console.print(
                f"  [cyan]held[/cyan] {day}: {reasons[0]}" + (f" ({reasons[-1]})" if len(reasons) > 1 else "")
            )
        if len(held) > 5:
            console.print(f"  [cyan]held[/cyan] … and {len(held) - 5} more dates")
    if "history" in report:
        h = report["history"]
        seconds = sum(p["seconds"] for p in h["phases"])
        states = ", ".join(f"{p['phase']} {p['status']}" for p in h["phases"])
        console.print(
            f"History for the model: phases 1-{len(h['phases'])} backfilled {h['start']} → {h['end']} in {seconds:.0f} s ({states})"
        )
    for system, calls in report.get("predictions", {}).items():
        console.print(f"Predictions · {system}: " + ", ".join(f"{n} {call}" for call, n in calls.items()))
    for name, path in report.get("exports", {}).items():
        console.print(f"Export · {name}: {path}")
    console.print(f"Runs are recorded in {report['dagster_home']} — `make dev` shows them in the Dagster UI.")


def cmd_run(args: argparse.Namespace) -> int:
    from nba_pipeline.partitions import require_partition

    day = _date(args.date)
    require_partition(day)
    settings, through = _settings(args), _through(args)
    report = {
        "date": day.isoformat(),
        **_execute(settings, day, day, through, "manual", "manual", args.json, history=True),
    }
    from nba_pipeline.runner import export_paths, predictions_summary

    if through >= 5:
        report["predictions"] = predictions_summary(settings, day)
    report["exports"] = export_paths(settings, day)
    _print(report, f"nba-pipeline run {day}", args.json)
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    from nba_pipeline.partitions import require_partition

    start, end = _date(args.start), _date(args.end)
    require_partition(start)
    require_partition(end)
    if end < start:
        raise ConfigError(f"--end {end} is before --start {start}")
    settings, through = _settings(args), _through(args)
    report = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        **_execute(settings, start, end, through, "backfill", "backfill", args.json),
    }
    _print(report, f"nba-pipeline backfill {start} → {end}", args.json)
    return 0


def _gated_date(args: argparse.Namespace, why: str) -> date:
    """The --date of a command about a gated phase (3-6), both checked before anything is read."""
    from nba_pipeline.partitions import require_partition

    day = _date(args.date)
    require_partition(day)
    if args.phase not in (3, 4, 5, 6):
        raise ConfigError(f"--phase {args.phase}: {why}")
    return day


def cmd_check(args: argparse.Namespace) -> int:
    from nba_pipeline.modes import date_mode, parse_mode

    day = _gated_date(args, "readiness is checked for phases 3-6")
    mode = parse_mode(args.mode) if args.mode else None
    settings = _settings(args)
    from nba_pipeline.orchestration.dependency import check
    from nba_pipeline.resources import coordination_for
    from nba_pipeline.resources.warehouse import DuckDBWarehouse
    from nba_pipeline.runner import active_feeds, ensure_instance
    from nba_pipeline.tags import new_correlation_id

    now = _now(settings)
    mode = mode or date_mode(day, now)
    with ensure_instance(settings) as instance:
        decision = check(
            DuckDBWarehouse(settings.warehouse_path),
            coordination_for(settings).store(),
            args.phase,
            [day],
            mode,
            now,
            active_feeds(settings),
            new_correlation_id(),
            instance,
        )[day]
    _print_check(decision, args.json)
    return 0


def cmd_trigger(args: argparse.Namespace) -> int:
    import getpass

    from nba_pipeline.automation.manual import trigger
    from nba_pipeline.modes import Mode, parse_mode
    from nba_pipeline.runner import ensure_instance

    day = _gated_date(args, "phases 3-6 are triggered (1-2 load with `run`)")
    mode = parse_mode(args.mode) if args.mode else Mode.MANUAL
    settings = _settings(args)
    with ensure_instance(settings) as instance:
        report = trigger(settings, instance, args.phase, day, mode, args.force, getpass.getuser())
    if args.json:
        print(json.dumps(report))
    else:
        run = report.get("run")
        done = (
            f" → run {run['run_id']} {'succeeded' if run['success'] else 'failed: ' + '; '.join(run['errors'])}"
            if run
            else ""
        )
        print(f"phase {args.phase} {day} ({mode.value}): {report['status']} — {report['reason']}{done}")
    return 0


def cmd_heal(args: argparse.Namespace) -> int:
    import getpass

    from nba_pipeline.automation.manual import heal_now
    from nba_pipeline.runner import ensure_instance

    settings = _settings(args)
    with ensure_instance(settings) as instance:
        report = heal_now(settings, instance, getpass.getuser())
    if args.json:
        print(json.dumps(report))
    else:
        for run in report["healed"]:
            print(
                f"healed phase {run['phase']} {run['date']}: run {run['run_id']} {'succeeded' if run['success'] else 'failed'}"
            )
        for line in report["held"]:
            print(f"not healed: {line}")
        if not report["healed"] and not report["held"]:
            print("nothing to heal")
    return 0


def _now(settings: Settings) -> datetime:
    from nba_pipeline.resources import clock_for

    return clock_for(settings).now()


def cmd_status(args: argparse.Namespace) -> int:
    from nba_pipeline.observability.render import print_grid, print_status
    from nba_pipeline.observability.status import date_status, grid
    from nba_pipeline.partitions import et_date, require_partition
    from nba_pipeline.resources.warehouse import DuckDBWarehouse
    from nba_pipeline.runner import ensure_instance

    if args.days is not None and not 1 <= args.days <= 3650:
        raise ConfigError(f"--days {args.days}: between 1 and 3650")
    day = _date(args.date) if args.date else None
    if day:
        require_partition(day)
    settings = _settings(args)
    now, warehouse = _now(settings), DuckDBWarehouse(settings.warehouse_path)
    with ensure_instance(settings) as instance:
        report = (
            date_status(instance, warehouse, day, now)
            if day
            else grid(instance, warehouse, et_date(now), args.days)
        )
    if args.json:
        print(json.dumps(report))
    else:
        (print_status if day else print_grid)(report)
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from nba_pipeline.observability.retention import purge, retention_days
    from nba_pipeline.resources import coordination_for
    from nba_pipeline.resources.warehouse import DuckDBWarehouse

    days = retention_days(args.days)
    settings = _settings(args)
    store = coordination_for(settings).store()
    deleted = purge(DuckDBWarehouse(settings.warehouse_path), store, _now(settings), days)
    if args.json:
        print(json.dumps({"days": days, "deleted": deleted}))
    else:
        for name, n in deleted.items():
            print(f"{name}: {n} deleted")
    return 0


def _et_iso(moment: datetime | None) -> str | None:
    from nba_pipeline.partitions import ET

    return moment.astimezone(ET).isoformat() if moment else None


def _print_check(decision, as_json: bool) -> None:
    tables = [
        {
            "table": t.table,
            "expected": t.expected,
            "found": t.found,
            "completeness": t.completeness,
            "freshness_seconds": t.freshness_seconds,
            "validity": t.validity,
            "quality": t.quality,
            "status": t.status,
            "critical": t.critical,
            "history": t.history,
            "issues": t.issues,
        }
        for t in decision.tables
    ]
    report = {
        "date": decision.game_date.isoformat(),
        "phase": decision.phase,
        "mode": decision.mode.value,
        "decision": decision.decision.value,
        "completeness": decision.completeness,
        "optional_coverage": decision.optional_coverage,
        "quality": decision.quality,
        "reasons": decision.reasons,
        "tables": tables,
        "recheck_at": _et_iso(decision.recheck_at),
        "give_up_at": _et_iso(decision.give_up_at),
        "alert": decision.alert,
    }
    if as_json:
        print(json.dumps(report, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    style = {"PROCEED": "green", "PROCEED_DEGRADED": "yellow", "WAIT": "cyan", "FAIL": "red"}[
        report["decision"]
    ]
    console = Console(width=None if sys.stdout.isatty() else 150)  # piped: wide tables, not 80 columns
    console.print(
        f"Phase {report['phase']} for {report['date']} · mode {report['mode']}: [bold {style}]{report['decision']}[/bold {style}]"
    )
    for reason in report["reasons"]:
        console.print(f"  {reason}")
    table = Table()
    for column in (
        "table",
        "role",
        "expected",
        "found",
        "complete",
        "fresh (s)",
        "valid",
        "quality",
        "status",
    ):
        table.add_column(column, justify="left" if column in ("table", "role", "status") else "right")
    for t in tables:
        role = ("critical" if t["critical"] else "optional") + (" · history" if t["history"] else "")
        age = "—" if t["freshness_seconds"] is None else f"{t['freshness_seconds']:.0f}"
        table.add_row(
            t["table"],
            role,
            str(t["expected"]),
            str(t["found"]),
            f"{t['completeness']:.0%}",
            age,
            f"{t['validity']:.0%}",
            f"{t['quality']:.2f}",
            t["status"],
        )
    console.print(table)
    if report["recheck_at"]:
        console.print(f"Re-check at {report['recheck_at']}; gives up at {report['give_up_at']}.")


def cmd_dev(args: argparse.Namespace) -> int:
    from nba_pipeline.environment import REPO_ROOT
    from nba_pipeline.runner import ensure_instance

    settings = load_settings()
    ensure_instance(settings).dispose()
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)  # the instance the CLI's runs are in
    os.chdir(REPO_ROOT)
    dagster = os.path.join(os.path.dirname(sys.executable), "dagster")
    os.execv(dagster, [dagster, "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)])
    return 0  # unreachable


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except ConfigError as exc:
        print(f"nba-pipeline: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nba-pipeline: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 — the one place that turns surprises into exit 1
        print(f"nba-pipeline: unexpected error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("NBA_PIPELINE_DEBUG"):
            traceback.print_exc()
        return 1


if __name__ == "__main__":
    sys.exit(main())
