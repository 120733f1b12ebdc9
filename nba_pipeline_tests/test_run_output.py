"""What `nba-pipeline run` prints: an off day in words, no export line short of phase 6, a partial
history explained (the dates held and why)."""

from nba_pipeline.cli.render import print_report


def phase(number, status="success", held=None, failed=None):
    return {
        "phase": number,
        "title": f"p{number}",
        "run_id": "abcdef12",
        "run_ids": ["abcdef12"],
        "status": status,
        "seconds": 1.0,
        "assets": [],
        "errors": [],
        "decisions": {},
        "held": held or {},
        "failed": failed or {},
    }


def report(**extra):
    return {
        "date": "2024-07-15",
        "source": "sim",
        "scenario": "none",
        "mode": "manual",
        "dagster_home": "/tmp/x",
        "phases": [phase(1), phase(2)],
        **extra,
    }


def test_an_off_day_says_there_are_no_games_and_prints_no_export(capsys):
    print_report(report(games=0), "nba-pipeline run 2024-07-15", as_json=False)
    out = capsys.readouterr().out
    assert "No games on 2024-07-15: the schedule is loaded and has none (an off day or the off-season)" in out
    assert "Export" not in out


def test_a_day_with_games_or_an_unknown_schedule_says_nothing_about_games(capsys):
    print_report(report(games=None), "h", as_json=False)
    print_report(report(games=3), "h", as_json=False)
    assert "No games" not in capsys.readouterr().out


def test_a_partial_history_names_its_held_dates_and_why(capsys):
    held = {"2023-10-24": ["a season opener has no history yet"], "2023-10-25": ["same reason"]}
    history = {
        "start": "2023-10-24",
        "end": "2024-01-14",
        "spans": [{"start": "2023-10-24", "end": "2023-10-25"}, {"start": "2024-01-14", "end": "2024-01-14"}],
        "phases": [phase(1), phase(4, "partial", held), phase(1), phase(4, "success")],
    }
    print_report(report(history=history), "h", as_json=False)
    out = capsys.readouterr().out
    assert "backfilled 2023-10-24 → 2023-10-25, 2024-01-14 in 4 s (1 success, 4 partial)" in out
    assert (
        "partial phase 4: 2 dates held, not built (2023-10-24: a season opener has no history yet; "
        "2023-10-25: same reason)"
    ) in out


def test_a_failed_check_alert_is_explained_in_words_from_its_metadata():
    from nba_pipeline.observability.alerts import Alert, explain

    def alert(**metadata):
        return Alert(
            "asset_check_failed", "warning", "Check complete failed on t", "k", details={"metadata": metadata}
        )

    short = alert(games_expected="11", games_covered="3", required="1.0", mode="backfill")
    assert explain(short) == " — 3 of 11 expected games covered, 100% needed"
    excused = alert(games_expected="11", games_covered="3", required="1.0", reason="a season's first days")
    assert (
        explain(excused)
        == " — 3 of 11 expected games covered, 100% needed; the 8 missing excused: a season's first days"
    )
    assert explain(alert(rows="40", invalid_rows="2")) == " — 2 of 40 rows invalid"
    assert explain(alert()) == ""
