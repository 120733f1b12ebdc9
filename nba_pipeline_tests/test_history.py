"""A `run` builds its model's history only where it is missing: a second run builds nothing again."""

from datetime import date, timedelta

from nba_pipeline.runner import HISTORY_DAYS, missing_history


class Instance:
    def __init__(self, done):
        self.done = {d.isoformat() for d in done}

    def get_materialized_partitions(self, key):
        return self.done


DAY = date(2024, 1, 15)
WINDOW = [DAY - timedelta(days=n) for n in range(HISTORY_DAYS, 0, -1)]


def test_nothing_built_is_the_whole_window():
    assert missing_history(None, DAY, Instance([])) == [(WINDOW[0], WINDOW[-1])]


def test_a_fully_built_window_backfills_nothing():
    assert missing_history(None, DAY, Instance(WINDOW)) == []


def test_only_the_unbuilt_dates_are_built_again_not_everything_after_them():
    held = {date(2023, 10, 24), date(2023, 10, 25), date(2024, 1, 14)}  # held or failed last time
    assert missing_history(None, DAY, Instance([d for d in WINDOW if d not in held])) == [
        (date(2023, 10, 24), date(2023, 10, 25)),
        (date(2024, 1, 14), date(2024, 1, 14)),
    ]
