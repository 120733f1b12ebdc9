"""DOMAIN §5 exactly: the worked examples in each mode, the rules, and the scores."""

from datetime import UTC, date, datetime, timedelta

import pytest

from nba_pipeline.modes import POLICIES, Mode, detect_mode, expected_processors
from nba_pipeline.readiness import Input, Verdict, decide, freshness, inputs, measure

PAST = date(2024, 1, 15)
NOW = datetime(2024, 1, 16, 11, tzinfo=UTC)  # 6 am ET the day after


DAY_OF = {Mode.SAME_DAY: date(2024, 1, 16), Mode.TOMORROW: date(2024, 1, 17)}  # the date each mode is about


def phase3(found: int, expected: int, mode: Mode, now: datetime = NOW):
    """Phase 3 inputs of the mode's date with `found` of `expected` games covered by the critical
    inputs beyond the schedule (box scores after the games, lines before them); optional inputs full."""
    day = DAY_OF.get(mode, PAST)
    return [
        measure(
            spec,
            expected,
            found if spec.critical and spec.table != "nbac_schedule" else expected,
            600.0,
            1.0,
            mode,
            day,
            now,
        )
        for spec in inputs(3, mode, day, now)
    ]


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [
        (Mode.OVERNIGHT, Verdict.WAIT),
        (Mode.SAME_DAY, Verdict.PROCEED_DEGRADED),
        (Mode.TOMORROW, Verdict.PROCEED_DEGRADED),
        (Mode.MANUAL, Verdict.PROCEED_DEGRADED),
        (Mode.BACKFILL, Verdict.FAIL),
    ],
)
def test_eight_of_eleven_games(mode, verdict):
    """8 of 11 games (72.7 %), every optional input present, fresh and valid: quality 0.89."""
    d = decide(3, PAST, mode, phase3(8, 11, mode), NOW)
    assert (d.decision, d.completeness, d.quality) == (verdict, 0.7273, pytest.approx(0.891, abs=1e-3))


def test_eight_of_eleven_overnight_fails_with_an_alert_once_six_hours_have_passed():
    tables = phase3(8, 11, Mode.OVERNIGHT)
    first = decide(3, PAST, Mode.OVERNIGHT, tables, NOW)
    assert (first.decision, first.recheck_at, first.give_up_at) == (
        Verdict.WAIT,
        NOW + timedelta(minutes=10),
        NOW + timedelta(hours=6),
    )
    assert first.alert is None
    still = decide(3, PAST, Mode.OVERNIGHT, tables, NOW + timedelta(hours=5, minutes=59), waiting_since=NOW)
    assert still.decision is Verdict.WAIT
    late = decide(3, PAST, Mode.OVERNIGHT, tables, NOW + timedelta(hours=6), waiting_since=NOW)
    assert (late.decision, late.alert) == (Verdict.FAIL, "error")
    assert late.reasons[0].startswith("overnight needs 100% complete, quality 0.95 and 60% optional coverage")
    assert "gave up waiting after 6:00:00" in late.reasons[1]


def test_two_of_eleven_same_day_waits_with_a_warning_then_fails_after_two_hours():
    today = DAY_OF[Mode.SAME_DAY]
    tables = phase3(2, 11, Mode.SAME_DAY)  # lines published for 2 of 11 games
    wait = decide(3, today, Mode.SAME_DAY, tables, NOW)
    assert (wait.decision, wait.alert, wait.completeness) == (Verdict.WAIT, "warning", 0.1818)
    assert wait.recheck_at == NOW + timedelta(minutes=5)
    late = decide(3, today, Mode.SAME_DAY, tables, NOW + timedelta(hours=2), waiting_since=NOW)
    assert (late.decision, late.alert) == (Verdict.FAIL, "error")


@pytest.mark.parametrize("mode", list(Mode))
def test_eleven_of_eleven_proceeds_in_every_mode(mode):
    d = decide(3, PAST, mode, phase3(11, 11, mode), NOW)
    assert (d.decision, d.completeness, d.quality) == (Verdict.PROCEED, 1.0, 1.0)


@pytest.mark.parametrize(
    ("mode", "verdict"),
    [(Mode.OVERNIGHT, Verdict.WAIT), (Mode.BACKFILL, Verdict.FAIL), (Mode.MANUAL, Verdict.FAIL)],
)
def test_three_of_nine_box_scores_on_a_past_date(mode, verdict):
    """DOMAIN §8 item 1: partial data never counts as complete."""
    d = decide(3, PAST, mode, phase3(3, 9, mode), NOW)
    assert (d.decision, d.completeness) == (verdict, 0.3333)
    assert d.short == ["nbac_gamebook_player_stats", "nbac_team_boxscore"]
    assert any("3/9 games covered" in r for r in d.reasons)


def test_critical_plus_a_majority_of_optional_inputs_proceeds_degraded_naming_the_missing():
    """DOMAIN §8 item 2: one missing optional Phase 4 input does not block Phase 4."""
    tables = [
        measure(
            spec,
            10,
            0 if spec.table == "team_defense_game_summary" else 10,
            60.0,
            1.0,
            Mode.OVERNIGHT,
            PAST,
            NOW,
        )
        for spec in inputs(4, Mode.OVERNIGHT, PAST, NOW)
    ]
    d = decide(4, PAST, Mode.OVERNIGHT, tables, NOW)
    assert (d.decision, d.optional_coverage, d.missing_optional) == (
        Verdict.PROCEED_DEGRADED,
        0.6667,
        ["team_defense_game_summary"],
    )
    assert "team_defense_game_summary" in d.reasons[0]


def test_scores_freshness_and_quality():
    assert [freshness(s, True) for s in (10, 3600, 5 * 3600, 11 * 3600, 13 * 3600, None)] == [
        1.0,
        0.8,
        0.8,
        0.5,
        0.3,
        0.3,
    ]
    assert freshness(48 * 3600, False) == 1.0  # a finished game date does not go stale
    t = measure(Input("nbac_schedule", True), 0, 0, None, 1.0, Mode.OVERNIGHT, PAST, NOW)
    assert (t.completeness, t.status) == (1.0, "COMPLETE")  # a day with no games is complete
    stale = measure(
        Input("odds_api_player_points_props", True),
        10,
        10,
        7 * 3600,
        0.9,
        Mode.SAME_DAY,
        date(2024, 1, 16),
        NOW,
    )
    assert (stale.freshness, stale.quality, stale.status) == (0.5, 0.78, "DEGRADED")  # 0.2 + 0.4 + 0.18
    failed = measure(
        Input("player_prop_predictions", True),
        10,
        10,
        60.0,
        1.0,
        Mode.OVERNIGHT,
        PAST,
        NOW,
        issues=["check predictions_valid failed"],
    )
    assert (failed.completeness, failed.status) == (0.0, "MISSING")


def test_mode_detection_precedence():
    today, yesterday, tomorrow = date(2024, 1, 16), PAST, date(2024, 1, 17)
    assert (
        detect_mode(yesterday, NOW, {"nba/mode": "same_day", "nba/trigger": "schedule"}) is Mode.SAME_DAY
    )  # explicit first
    assert detect_mode(yesterday, NOW, {"dagster/backfill": "abc", "nba/trigger": "cascade"}) is Mode.BACKFILL
    assert detect_mode(yesterday, NOW, {}) is Mode.MANUAL  # launched by a person (the UI, the CLI)
    for day, mode in ((yesterday, Mode.OVERNIGHT), (today, Mode.SAME_DAY), (tomorrow, Mode.TOMORROW)):
        assert detect_mode(day, NOW, {"nba/trigger": "cascade"}) is mode
    late_evening_et = datetime(
        2024, 1, 17, 4, 30, tzinfo=UTC
    )  # 11:30 pm ET on Jan 16: still "today" is the 16th
    assert detect_mode(today, late_evening_et, {"nba/trigger": "schedule"}) is Mode.SAME_DAY


def test_policies_and_expected_processors_are_data():
    assert (POLICIES[Mode.SAME_DAY].min_completeness, POLICIES[Mode.SAME_DAY].give_up_after) == (
        0.8,
        timedelta(hours=2),
    )
    assert not POLICIES[Mode.BACKFILL].waits and not POLICIES[Mode.MANUAL].waits
    overnight = expected_processors(3, Mode.OVERNIGHT, PAST, NOW)
    same_day = expected_processors(3, Mode.SAME_DAY, date(2024, 1, 16), NOW)
    assert len(overnight.expected) == 5 and set(overnight.critical) == {
        "player_game_summary",
        "upcoming_player_game_context",
    }
    assert same_day.expected == ("upcoming_player_game_context", "upcoming_team_game_context")
    assert same_day.critical == ("upcoming_player_game_context",)


@pytest.mark.parametrize("mode", list(Mode))
def test_phase5_needs_only_the_feature_store_in_every_mode(mode):
    """DOMAIN §5 as updated: the trained model is a prediction system, not an input — a date with
    features proceeds though no model was trained before it (the baseline predicts)."""
    day = DAY_OF.get(mode, PAST)
    assert inputs(5, mode, day, NOW) == [Input("ml_feature_store", True)]
    tables = [measure(spec, 9, 9, 600.0, 1.0, mode, day, NOW) for spec in inputs(5, mode, day, NOW)]
    assert decide(5, day, mode, tables, NOW).decision is Verdict.PROCEED
