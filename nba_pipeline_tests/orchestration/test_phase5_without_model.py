"""Phase 5 never waits for a model that cannot be trained (DOMAIN §5): the cascade trains the week's
model first, once; a path that does not train (fallback schedules, self-heal), or a training that
failed, launches Phase 5 anyway and the baseline predicts."""

import shutil
from datetime import date

import pytest

from nba_pipeline.automation.triggering import request_phase
from nba_pipeline.environment import load_settings
from nba_pipeline.modes import Mode
from nba_pipeline.orchestration import claims
from nba_pipeline.runner import cli_coordination, ensure_instance, run_phases

DAY = date(2024, 1, 3)  # the home's third date: features, and nothing before the week to train on
NOW = "2024-01-04T06:00:00-05:00"


@pytest.fixture(scope="module")
def three_days_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("three") / "nba"
    run_phases(
        load_settings(environ={}, home=str(home), now=NOW),
        date(2024, 1, 1),
        DAY,
        4,
        "backfill",
        "backfill",
        "t",
    )
    return home


@pytest.fixture
def three_days(three_days_home, tmp_path):
    """A copy per test: each starts with no Phase 5 claims."""
    shutil.copytree(three_days_home, tmp_path / "nba3")
    return load_settings(environ={}, home=str(tmp_path / "nba3"), now=NOW)


def trigger_context(settings, instance):
    return cli_coordination(settings, instance, "overnight", "self_heal", "t").trigger


@pytest.mark.slow
def test_a_path_that_does_not_train_launches_phase5_without_the_weeks_model(three_days):
    with ensure_instance(three_days) as instance:
        outcome = request_phase(
            trigger_context(three_days, instance), 5, DAY, Mode.OVERNIGHT, "self_heal", train_model=False
        )
    assert (outcome.status, outcome.job_name, outcome.partition_key) == (
        "launched",
        "phase5_predictions_job",
        "2024-01-03",
    )


@pytest.mark.slow
def test_the_cascade_trains_the_model_once_then_phase5_goes_ahead_without_it(three_days):
    with ensure_instance(three_days) as instance:
        ctx = trigger_context(three_days, instance)
        first = request_phase(ctx, 5, DAY, Mode.OVERNIGHT, "cascade")
        assert (first.status, first.job_name, first.partition_key) == (
            "launched",
            "points_model_job",
            "2024-01-01",
        )
        again = request_phase(ctx, 5, DAY, Mode.OVERNIGHT, "cascade")  # its run has not finished yet
        assert again.status == "held" and again.reason.startswith(
            "training the model of the week of 2024-01-01"
        )
        # the training run failed (its claim released): Phase 5 goes ahead rather than asking again
        key = claims.claim_key(claims.MODEL_TARGET, date(2024, 1, 1), "points_model")
        assert claims.release(ctx.store, key, first.claim.attempt, "run r1 failed", ctx.wall()) is not None
        after = request_phase(ctx, 5, DAY, Mode.OVERNIGHT, "cascade")
    assert (after.status, after.job_name) == ("launched", "phase5_predictions_job")
