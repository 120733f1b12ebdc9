"""Everything the command prints: run reports, readiness checks, the status view and the grid
(rich tables for people, one JSON object with --json)."""

from __future__ import annotations

import json
import sys
from datetime import datetime

from rich.console import Console
from rich.table import Table

STYLE = {"done": "green", "degraded": "yellow", "missing": "red", "running": "cyan", "not_expected": "dim"}
MARK = {"done": "●", "degraded": "◐", "missing": "✗", "running": "▶", "not_expected": "·"}


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 150)  # piped: wide tables, not 80 columns


def print_status(status: dict) -> None:
    from nba_pipeline.observability.status import headline, slo_cells
    from nba_pipeline.text import human_seconds

    console = _console()
    console.print(headline(status, bold="[bold]{}[/bold]", late=" [red](late)[/red]"))
    if status["games"] == 0:
        console.print("no games on this date: nothing from Phase 3 on is expected")
    table = Table("phase", "done", "quality", "state", "decision", "why", "started", "took")
    for p in status["phases"]:
        table.add_row(
            str(p["phase"]),
            f"{p['done']}/{p['expected']} ({p['completeness']:.0%})",
            "—" if p["quality"] is None else f"{p['quality']:.2f}",
            f"[{STYLE[p['state']]}]{p['state']}[/]",
            p["decision"] or "—",
            p["why"] or "—",
            (p["started_at"] or "—")[:19],
            human_seconds(p["seconds"]),
        )
    console.print(table)
    slo = Table("SLO", "target", "value", "ok")
    for s in status["slo"]:
        target, value = slo_cells(s)
        slo.add_row(s["name"], target, value, "[green]ok[/]" if s["ok"] else "[red]missed[/]")
    console.print(slo)
    if status["slo_not_measured"]:
        console.print(f"[dim]not measured for this date: {', '.join(status['slo_not_measured'])}[/dim]")
    for a in status["alerts"]:
        console.print(f"[red]{a['severity']}[/red] {a['summary']}")


def print_grid(grid: dict) -> None:
    table = Table("date", *(f"P{n}" for n in range(1, 7)), title="expected outputs")
    for row in grid["grid"]:
        table.add_row(
            row["date"], *(f"[{STYLE[p['state']]}]{MARK[p['state']]} {p['state']}[/]" for p in row["phases"])
        )
    _console().print(table)


def print_report(report: dict, heading: str, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    console = _console()
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
        for day, why in phase.get("failed", {}).items():
            console.print(f"  [red]failed[/red] {day}: {why}")
        held = phase.get("held", {})
        for day, reasons in list(held.items())[:5]:
            console.print(
                f"  [cyan]held[/cyan] {day}: {reasons[0]}" + (f" ({reasons[-1]})" if len(reasons) > 1 else "")
            )
        if len(held) > 5:
            console.print(f"  [cyan]held[/cyan] … and {len(held) - 5} more dates")
    if "history" in report:
        print_history(console, report["history"])
    if report.get("games") == 0:
        console.print(
            f"No games on {report['date']}: the schedule is loaded and has none (an off day or the off-season)"
        )
    for system, calls in report.get("predictions", {}).items():
        console.print(f"Predictions · {system}: " + ", ".join(f"{n} {call}" for call, n in calls.items()))
    for name, path in report.get("exports", {}).items():
        console.print(f"Export · {name}: {path}")
    console.print(f"Runs are recorded in {report['dagster_home']} — `make dev` shows them in the Dagster UI.")


WORST = ("canceled", "failed", "partial", "held", "success")  # a phase's state over several spans: its worst


def print_history(console: Console, h: dict) -> None:
    """The history a `run` built first: which dates, how long, each phase's state, and in words why a
    phase is partial (the dates it held, with the reason) or failed."""
    seconds = sum(p["seconds"] for p in h["phases"])
    by_phase: dict[int, list[dict]] = {}
    for p in h["phases"]:
        by_phase.setdefault(p["phase"], []).append(p)
    states = ", ".join(
        f"{n} {min((p['status'] for p in ps), key=WORST.index)}" for n, ps in sorted(by_phase.items())
    )
    spans = h.get("spans") or [{"start": h["start"], "end": h["end"]}]
    dates = ", ".join(s["start"] if s["start"] == s["end"] else f"{s['start']} → {s['end']}" for s in spans)
    console.print(
        f"History for the model: phases 1-{max(by_phase)} backfilled {dates} in {seconds:.0f} s ({states})"
    )
    for n, ps in sorted(by_phase.items()):
        held = {day: why for p in ps for day, why in p.get("held", {}).items()}
        failed = {day: why for p in ps for day, why in p.get("failed", {}).items()}
        for day, why in failed.items():
            console.print(f"  [red]failed[/red] phase {n} {day}: {why}")
        if held:
            first = list(held.items())[:3]
            more = f"; … and {len(held) - 3} more" if len(held) > 3 else ""
            said = "; ".join(f"{day}: {why[0]}" for day, why in first)
            console.print(
                f"  [yellow]partial[/yellow] phase {n}: {len(held)} date{'s' * (len(held) > 1)} held, not built ({said}{more})"
            )


def et_iso(moment: datetime | None) -> str | None:
    from nba_pipeline.partitions import ET

    return moment.astimezone(ET).isoformat() if moment else None


def print_check(decision, as_json: bool) -> None:
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
        "recheck_at": et_iso(decision.recheck_at),
        "give_up_at": et_iso(decision.give_up_at),
        "alert": decision.alert,
    }
    if as_json:
        print_json(report)
        return
    style = {"PROCEED": "green", "PROCEED_DEGRADED": "yellow", "WAIT": "cyan", "FAIL": "red"}[
        report["decision"]
    ]
    console = _console()
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


def print_json(report: dict) -> None:
    print(json.dumps(report, default=str))


def print_trigger(report: dict, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    run = report.get("run")
    done = ""
    if run:
        done = " → run {} {}".format(
            run["run_id"], "succeeded" if run["success"] else "failed: " + "; ".join(run["errors"])
        )
    print(
        f"phase {report['phase']} {report['date']} ({report['mode']}): {report['status']} — {report['reason']}{done}"
    )


def print_heal(report: dict, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    for run in report["healed"]:
        outcome = "succeeded" if run["success"] else "failed"
        print(f"healed phase {run['phase']} {run['date']}: run {run['run_id']} {outcome}")
    for line in report["held"]:
        print(f"not healed: {line}")
    if not report["healed"] and not report["held"]:
        print("nothing to heal")


def print_retention(days: int, deleted: dict[str, int], as_json: bool) -> None:
    if as_json:
        print_json({"days": days, "deleted": deleted})
        return
    for name, n in deleted.items():
        print(f"{name}: {n} deleted")


def print_claims(rows: list[dict], day, as_json: bool) -> None:
    if as_json:
        print_json({"date": day.isoformat() if day else None, "claims": rows})
        return
    console = _console()
    if not rows:
        console.print(f"no claims for {day}" if day else "no active claims")
        return
    table = Table("target", "date", "version", "attempt", "state", "holder", "run", "run status", "lease")
    for r in rows:
        table.add_row(
            "model" if r["target"] == "model" else f"phase {r['target']}",
            r["game_date"],
            r["version"][:16],
            str(r["attempt"]),
            r["state"],
            r["holder"],
            (r["run_id"] or "—")[:8],
            r["run_status"] or "—",
            r["lease"] if r["state"] != "released" else f"released: {r['released_reason']}",
        )
    console.print(table)


def print_released(key: str, released, as_json: bool) -> None:
    if as_json:
        print_json(
            {"key": key, "released": released is not None, "attempt": released.attempt if released else None}
        )
        return
    if released is None:
        print(f"nba-pipeline: error: no active claim {key} to release", file=sys.stderr)
    else:
        print(f"released {key} attempt {released.attempt} (held by {released.holder})")


def print_stack(services, then: str) -> None:
    """One line per service of the local production stack (on stderr: stdout is the command's)."""
    for s in services:
        where = ", ".join(f"{k}={v}" for k, v in s.env.items() if k.endswith(("_HOST", "_PORT")))
        print(
            f"{s.kind:<9} ready in {s.seconds_to_ready:>5.2f} s  {where}  (process group {s.pgid})",
            file=sys.stderr,
        )
    print(then, file=sys.stderr)


def print_doctor(problems: list[str], as_json: bool) -> None:
    if as_json:
        print_json({"ok": not problems, "problems": problems})
        return
    for line in problems:
        print(f"problem: {line}")
    if not problems:
        print("ok: the production configuration is complete")


def print_health(report: dict, as_json: bool) -> None:
    if as_json:
        print_json(report)
        return
    style = {"ok": "green", "fail": "red", "off": "dim"}
    table = Table("check", "status", "latency (ms)", "detail", title=f"health · source {report['source']}")
    for c in report["checks"]:
        table.add_row(
            c["name"], f"[{style[c['status']]}]{c['status']}[/]", f"{c['latency_ms']:g}", c["detail"]
        )
    console = _console()
    console.print(table)
    console.print(
        "[green]healthy[/green]" if report["healthy"] else "[red]unhealthy[/red]: see the failed rows"
    )
