"""Transient errors retry with backoff; permanent ones fail at once (DOMAIN §6, §8 item 9)."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from nba_pipeline.phases.io import WAREHOUSE_RETRY, permanent_unless_transient

FAST = dg.RetryPolicy(max_retries=3, delay=0.01, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS)


def attempts_until(error: Exception, succeed_on: int | None) -> tuple[bool, int]:
    tries = []

    @dg.asset(retry_policy=FAST)
    def flaky():
        tries.append(1)
        with permanent_unless_transient("flaky"):
            if succeed_on is None or len(tries) < succeed_on:
                raise error
        return 1

    result = dg.materialize([flaky], raise_on_error=False)
    return result.success, len(tries)


def test_a_locked_warehouse_is_retried_until_it_answers():
    assert attempts_until(duckdb.IOException("Could not set lock on file"), succeed_on=3) == (True, 3)


def test_a_permanent_error_fails_at_once_without_retries():
    assert attempts_until(KeyError("points"), succeed_on=None) == (False, 1)


def test_transient_retries_are_bounded():
    assert attempts_until(ConnectionError("reset by peer"), succeed_on=None) == (False, 4)


def test_permanent_errors_say_what_failed():
    expected = r"player_game_summary: KeyError: 'usage_rate'"
    with (
        pytest.raises(dg.Failure, match=expected) as caught,
        permanent_unless_transient("player_game_summary"),
    ):
        raise KeyError("usage_rate")
    assert caught.value.allow_retries is False
    assert WAREHOUSE_RETRY.max_retries == 3 and WAREHOUSE_RETRY.backoff == dg.Backoff.EXPONENTIAL
