"""`nba-pipeline status`: one date's view and the expected-outputs grid, as JSON and in the terminal."""

from __future__ import annotations

import json

import pytest

from nba_pipeline import cli
from nba_pipeline_tests.conftest import DEMO_DATE, DEMO_NOW


@pytest.fixture
def status(season_copy, capsys, monkeypatch):
    monkeypatch.setenv("NBA_PIPELINE_HOME", str(season_copy))
    monkeypatch.setenv("NBA_PIPELINE_NOW", DEMO_NOW)

    def _status(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        code = cli.main(["status", *argv])
        return code, capsys.readouterr().out

    return _status


def test_a_dates_status_as_json(status):
    code, out = status("--date", DEMO_DATE.isoformat(), "--json")
    report = json.loads(out)
    assert code == 0
    assert set(report) >= {"date", "mode", "phases", "eta", "slo", "alerts"}
    assert (report["date"], report["mode"]) == ("2024-01-15", "manual")  # the demo was a person's run
    phases = {p["phase"]: p for p in report["phases"]}
    assert [(p["done"], p["expected"], p["state"]) for p in phases.values()] == [
        (4, 4, "done"),
        (5, 5, "done"),
        (5, 5, "done"),
        (5, 5, "done"),
        (3, 3, "done"),
        (4, 4, "done"),
    ]
    # A person's run: the loaders have no gate, phases 3-6 the command's own readiness check.
    assert [(p["decision"], p["quality"] is None) for p in phases.values()] == [
        ("LOAD", True),
        ("LOAD", True),
        ("PROCEED", False),
        ("PROCEED", False),
        ("PROCEED", False),
        ("PROCEED", False),
    ]
    assert all(p["why"] and p["seconds"] > 0 for p in phases.values())
    # Exported: when, and no ETA beside it.
    assert report["exported_at"] == phases[6]["completed_at"] and report["eta"] is None
    assert report["eta_late"] is False
    slo = {s["name"]: s for s in report["slo"]}
    assert all(s["value"] is not None for s in slo.values())  # a row has its value, or is not shown
    # A manual date has neither end-to-end SLO: both are listed as not measured, never as "ok".
    assert {"same_day_end_to_end_minutes", "overnight_end_to_end_minutes"} <= set(report["slo_not_measured"])
    assert not set(slo) & set(report["slo_not_measured"])
    assert slo["duplicate_triggers"] == {"name": "duplicate_triggers", "target": 0, "value": 0.0, "ok": True}


def test_the_grid_shows_every_date_and_phase(status):
    code, out = status("--days", "3", "--json")
    rows = json.loads(out)["grid"]
    assert code == 0 and [r["date"] for r in rows] == ["2024-01-14", "2024-01-15", "2024-01-16"]
    assert [p["state"] for p in rows[1]["phases"]] == ["done"] * 6
    assert [p["state"] for p in rows[2]["phases"]] == ["missing"] * 6  # nothing ran for the 16th yet
    assert [p["state"] for p in rows[0]["phases"]][:4] == ["done"] * 4  # history through phase 4


def test_the_terminal_view_and_bad_input(status):
    code, out = status("--date", DEMO_DATE.isoformat())
    assert code == 0 and "duplicate_triggers" in out
    assert "2024-01-15 · manual · " in out and " · exported at 2024-01-" in out and "ETA" not in out
    assert "not measured for this date: same_day_end_to_end_minutes, overnight_end_to_end_minutes" in out
    code, out = status("--days", "2")
    assert code == 0 and "expected outputs" in out
    assert status("--date", "2024-02-30")[0] == 2
    assert status("--days", "0")[0] == 2


def test_the_status_asset_written_with_the_export_says_exported_not_an_eta(season_copy):
    """The status asset is materialized inside the export's run, before settlement records the
    export: it must count that export (it once showed no export time and an ETA on the wall clock)."""
    import dagster as dg

    key = dg.AssetKey(["nba_orchestration", "pipeline_status"])
    with dg.DagsterInstance.from_config(str(season_copy / "dagster")) as instance:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[DEMO_DATE.isoformat()]), limit=1
        ).records
    metadata = records[0].asset_materialization.metadata
    assert metadata["eta"].value == ""
    assert metadata["exported_at"].value.startswith(DEMO_NOW[:19])
