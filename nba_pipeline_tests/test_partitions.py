from datetime import UTC, date, datetime, timedelta

import pytest

from nba_pipeline.environment import ConfigError
from nba_pipeline.partitions import (
    ET,
    GAME_DATE_PARTITIONS,
    et_date,
    parse_game_date,
    require_partition,
    utc_naive,
)


def test_partitions_are_daily_et_from_the_first_backfill_date_with_tomorrow():
    assert GAME_DATE_PARTITIONS.get_first_partition_key() == "2021-10-19"
    assert str(GAME_DATE_PARTITIONS.timezone) == "America/New_York"
    today_et = datetime.now(tz=UTC).astimezone(ET).date()
    assert GAME_DATE_PARTITIONS.get_last_partition_key() == (today_et + timedelta(days=1)).isoformat()


def test_a_10pm_et_tipoff_belongs_to_its_et_date_not_the_utc_date():
    tip_utc = datetime(2024, 1, 16, 3, 0, tzinfo=UTC)  # 10 pm ET on Jan 15 (EST, UTC-5)
    assert tip_utc.date() == date(2024, 1, 16)
    assert et_date(tip_utc) == date(2024, 1, 15)
    summer = datetime(2024, 4, 15, 2, 30, tzinfo=UTC)  # 10:30 pm EDT (UTC-4) on Apr 14
    assert et_date(summer) == date(2024, 4, 14)


def test_et_date_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="naive"):
        et_date(datetime(2024, 1, 15, 22))  # noqa: DTZ001


def test_utc_naive_is_how_instants_are_stored():
    assert utc_naive(datetime(2024, 1, 15, 22, tzinfo=ET)) == datetime(2024, 1, 16, 3)  # noqa: DTZ001


@pytest.mark.parametrize("value", ["2024-13-01", "2024-1-5", "15/01/2024", "", "tomorrow"])
def test_malformed_dates_are_config_errors(value):
    with pytest.raises(ConfigError, match="expected YYYY-MM-DD"):
        parse_game_date(value)


def test_dates_outside_the_partitions_are_config_errors():
    assert require_partition(date(2021, 10, 19)) == "2021-10-19"
    with pytest.raises(ConfigError, match="outside the game-date partitions"):
        require_partition(date(2021, 10, 18))
    with pytest.raises(ConfigError, match="outside the game-date partitions"):
        require_partition(date.today() + timedelta(days=30))


@pytest.mark.parametrize(
    "wall",
    [
        datetime(2024, 1, 16, 4, 59, tzinfo=UTC),  # 11:59 pm ET on Jan 15
        datetime(2024, 1, 16, 5, 0, tzinfo=UTC),  # midnight ET: Jan 16
        datetime(2024, 7, 1, 3, 59, tzinfo=UTC),  # 11:59 pm EDT on Jun 30
        datetime(2024, 3, 10, 7, 30, tzinfo=UTC),  # the morning clocks go forward
    ],
)
def test_the_last_partition_computed_without_dagster_is_dagsters(wall):
    """`require_partition` (the commands' date check) bounds dates without building the partitions."""
    from dagster._core.definitions.partitions.context import partition_loading_context

    from nba_pipeline.partitions import last_partition_day

    with partition_loading_context(effective_dt=wall):
        dagsters = GAME_DATE_PARTITIONS.get_last_partition_key()
    assert last_partition_day(wall).isoformat() == dagsters
