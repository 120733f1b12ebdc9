"""Named fault scenarios of the simulated league (DOMAIN §8 reproductions).

`NBA_PIPELINE_SCENARIO` is `none` or a comma-separated list of scenario names, each optionally
limited to one game date with `@YYYY-MM-DD` (e.g. `late_boxscores@2024-01-15,source_off`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from nba_pipeline.environment import ConfigError

SLOW_SOURCE_S = 5.0

SCENARIOS = {
    "none": "no faults",
    "late_boxscores": "a third of the day's games have box scores 9 hours after the final buzzer",
    "partial_boxscores": "only 3 of the day's games ever have box scores",
    "lines_not_published": "no player-points prop lines are published",
    "source_off": "the injury-report feed is switched off (publishes nothing)",
    "source_errors": "the box-score feed fails with transient errors twice per date before answering",
    "corrupt_payload": "the date's box-score payloads are permanently malformed (no teams, no players)",
    "slow_source": f"every feed takes {SLOW_SOURCE_S:g} s to answer for the date (a slow upstream: its runs stay in flight)",
}

LATE_BOXSCORE_DELAY_HOURS = 9
PARTIAL_BOXSCORE_GAMES = 3
TRANSIENT_FAILURES = 2


@dataclass(frozen=True)
class Scenarios:
    """Which faults apply on which dates (a fault without a date applies to every date)."""

    active: tuple[tuple[str, date | None], ...] = ()

    def on(self, name: str, day: date) -> bool:
        return any(n == name and (d is None or d == day) for n, d in self.active)


def parse_scenarios(value: str | None) -> Scenarios:
    active = []
    for part in (value or "none").split(","):
        part = part.strip()
        if not part or part == "none":
            continue
        name, _, day = part.partition("@")
        if name not in SCENARIOS:
            raise ConfigError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
        try:
            active.append((name, date.fromisoformat(day) if day else None))
        except ValueError as exc:
            raise ConfigError(f"scenario {part!r}: {day!r} is not a YYYY-MM-DD date") from exc
    return Scenarios(tuple(active))
