"""The status view and the grid in the terminal (rich)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

STYLE = {"done": "green", "degraded": "yellow", "missing": "red", "running": "cyan", "not_expected": "dim"}
MARK = {"done": "●", "degraded": "◐", "missing": "✗", "running": "▶", "not_expected": "·"}


def _console() -> Console:
    return Console(width=None if sys.stdout.isatty() else 150)


def print_status(status: dict) -> None:
    console = _console()
    late = " [red](late)[/red]" if status["eta_late"] else ""
    console.print(
        f"[bold]{status['date']}[/bold] · {status['mode']} · ETA to export {status['eta'] or '—'}{late}"
    )
    table = Table(
        "phase", "done", "completeness", "quality", "state", "decision", "why", "started", "completed"
    )
    for p in status["phases"]:
        quality = f"{p['quality']:.2f}" if p["quality"] is not None else ""
        table.add_row(
            str(p["phase"]),
            f"{p['done']}/{p['expected']}",
            f"{p['completeness']:.0%}",
            quality,
            f"[{STYLE[p['state']]}]{p['state']}[/]",
            p["decision"] or "",
            p["why"] or "",
            (p["started_at"] or "")[:19],
            (p["completed_at"] or "")[:19],
        )
    console.print(table)
    slo = Table("SLO", "target", "value", "ok")
    for s in status["slo"]:
        value = "" if s["value"] is None else f"{s['value']:g}"
        slo.add_row(s["name"], f"{s['target']:g}", value, "[green]ok[/]" if s["ok"] else "[red]missed[/]")
    console.print(slo)
    for a in status["alerts"]:
        console.print(f"[red]{a['severity']}[/red] {a['summary']}")


def print_grid(grid: dict) -> None:
    table = Table("date", *(f"P{n}" for n in range(1, 7)), title="expected outputs")
    for row in grid["grid"]:
        table.add_row(
            row["date"], *(f"[{STYLE[p['state']]}]{MARK[p['state']]} {p['state']}[/]" for p in row["phases"])
        )
    _console().print(table)
