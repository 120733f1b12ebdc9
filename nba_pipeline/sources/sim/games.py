"""One simulated game: who is available, the pre-game minutes plan, and the final box score.

The plan (availability and expected minutes/points) exists before tip-off and drives the injury
report and the bookmakers' lines; the box score samples from the same plan, so a line sits near
each player's true mean. Totals are consistent by construction: team points are the sum of player
points, minutes sum to 240, plus-minus sums to five times the margin, and there are no ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from nba_pipeline.sources.sim.league import Game, Player, Season, rng_for, unit

TEAM_MINUTES = 240
MIN_PLAYED, MAX_PLAYED = 8, 13
HOME_EDGE = 1.015


@dataclass(frozen=True)
class Availability:
    status: str | None  # injury-report status: Out, Doubtful, Questionable, Probable, or None
    reason: str | None
    plays: bool  # dresses and is available to play (not inactive)


def availability(season: Season, player: Player, day: date) -> Availability:
    """The player's injury-report status for `day` and whether he is active."""
    for spell in season.spells.get(player.player_id, []):
        if spell.start <= day < spell.end:
            return Availability("Out", spell.reason, False)
        if day == spell.end:
            plays = unit(season.seed, player.player_id, day, "return") < 0.7
            return Availability("Questionable", spell.reason, plays)
    roll, decides = (
        unit(season.seed, player.player_id, day, "daily"),
        unit(season.seed, player.player_id, day, "plays"),
    )
    if player.two_way and roll < 0.6:
        return Availability("Out", "G League - Two-Way", False)
    if roll < 0.015:
        return Availability("Doubtful", "Injury/Illness - Illness", decides < 0.15)
    if roll < 0.04:
        return Availability("Questionable", "Injury/Illness - Left Knee; Soreness", decides < 0.55)
    if roll < 0.07:
        return Availability("Probable", "Injury/Illness - Right Ankle; Soreness", True)
    return Availability(None, None, True)


@dataclass(frozen=True)
class PlayerPlan:
    player: Player
    availability: Availability
    plays: bool  # gets on the floor (active and in the rotation tonight)
    expected_minutes: float
    expected_points: float

    @property
    def status(self) -> str:
        if not self.availability.plays:
            return "inactive"
        return "active" if self.plays else "dnp"


@lru_cache(maxsize=4096)
def team_plan(season: Season, game: Game, team: str) -> tuple[PlayerPlan, ...]:
    opponent = game.away if team == game.home else game.home
    rng = rng_for(season.seed, game.nba_game_id, team, "plan")
    roster = season.rosters[team]
    avail = {p.player_id: availability(season, p, game.day) for p in roster}
    active = [p for p in roster if avail[p.player_id].plays]
    playing = [p for p in active if p.slot <= 11]
    deep = [p for p in active if p.slot > 11]
    playing += [p for p in deep if rng.random() < 0.3]
    playing.sort(key=lambda p: p.slot)
    extra = [p for p in deep if p not in playing]
    while len(playing) < MIN_PLAYED and extra:
        playing.append(extra.pop(0))
    playing = playing[:MAX_PLAYED]

    # Minutes of the missing go to the rest: scale healthy minutes to the team's 240, capped at 40.
    weights = np.array([p.mpg for p in playing])
    scale = TEAM_MINUTES / weights.sum()
    minutes = np.minimum(weights * scale, 40.0)
    minutes *= TEAM_MINUTES / minutes.sum()
    _, defense, pace = season.team_factors[opponent]
    context = defense * (pace + season.team_factors[team][2]) / 2 * (HOME_EDGE if team == game.home else 1.0)
    planned = {
        p.player_id: (float(m), float(m * p.ppm * context)) for p, m in zip(playing, minutes, strict=True)
    }
    return tuple(
        PlayerPlan(p, avail[p.player_id], p.player_id in planned, *planned.get(p.player_id, (0.0, 0.0)))
        for p in roster
    )


@dataclass(frozen=True)
class PlayerLine:
    """A player's final stat line (all zeros for DNP and inactive players)."""

    plan: PlayerPlan
    starter: bool
    seconds: int
    fgm: int
    fga: int
    fg3m: int
    fg3a: int
    ftm: int
    fta: int
    oreb: int
    dreb: int
    ast: int
    stl: int
    blk: int
    tov: int
    pf: int
    plus_minus: int
    paint_points: int

    @property
    def points(self) -> int:
        return 2 * (self.fgm - self.fg3m) + 3 * self.fg3m + self.ftm


@dataclass(frozen=True)
class BoxScore:
    game: Game
    home: tuple[PlayerLine, ...]
    away: tuple[PlayerLine, ...]

    @staticmethod
    def total(lines: tuple[PlayerLine, ...]) -> int:
        return sum(line.points for line in lines)

    @property
    def home_points(self) -> int:
        return self.total(self.home)

    @property
    def away_points(self) -> int:
        return self.total(self.away)


def _attempts(rng: np.random.Generator, mean: float) -> int:
    """Shot attempts vary less than a Poisson count: a player's role fixes most of his volume."""
    return max(0, round(rng.normal(mean, 0.3 * mean**0.5))) if mean > 0 else 0


def _shooting(rng: np.random.Generator, player: Player, expected_points: float) -> dict[str, int]:
    points_per_fga = 2 * (1 - player.three_share) * player.p2 + 3 * player.three_share * player.p3
    fga = _attempts(rng, (1 - player.ft_share) * expected_points / points_per_fga)
    fg3a = int(rng.binomial(fga, player.three_share))
    fg3m = int(rng.binomial(fg3a, player.p3))
    fg2m = int(rng.binomial(fga - fg3a, player.p2))
    fta = _attempts(rng, player.ft_share * expected_points / player.pft)
    return {
        "fga": fga,
        "fg3a": fg3a,
        "fg3m": fg3m,
        "fgm": fg2m + fg3m,
        "fta": fta,
        "ftm": int(rng.binomial(fta, player.pft)),
    }


def _team_lines(season: Season, game: Game, team: str, game_factor: float) -> list[dict]:
    rng = rng_for(season.seed, game.nba_game_id, team, "box")
    plans = team_plan(season, game, team)
    playing = [plan for plan in plans if plan.plays]
    minutes = np.array([plan.expected_minutes for plan in playing]) * np.exp(
        rng.normal(0, 0.15, len(playing))
    )
    seconds = np.maximum(np.round(minutes / minutes.sum() * TEAM_MINUTES * 60), 30).astype(int)
    seconds[0] += TEAM_MINUTES * 60 - seconds.sum()  # the star absorbs the rounding
    starters = {plan.player.player_id for plan in sorted(playing, key=lambda p: p.player.slot)[:5]}
    lines = []
    for plan in plans:
        stats = dict.fromkeys(
            [
                "seconds",
                "fgm",
                "fga",
                "fg3m",
                "fg3a",
                "ftm",
                "fta",
                "oreb",
                "dreb",
                "ast",
                "stl",
                "blk",
                "tov",
                "pf",
                "paint_points",
            ],
            0,
        )
        if plan.plays:
            i = playing.index(plan)
            mins = seconds[i] / 60
            p = plan.player
            expected = plan.expected_points * (mins / max(plan.expected_minutes, 1.0)) * game_factor
            stats |= _shooting(rng, p, expected)
            two_point_makes = stats["fgm"] - stats["fg3m"]
            stats |= {
                "seconds": int(seconds[i]),
                "oreb": int(rng.poisson(p.oreb_pm * mins)),
                "dreb": int(rng.poisson(p.dreb_pm * mins)),
                "ast": int(rng.poisson(p.ast_pm * mins)),
                "stl": int(rng.poisson(0.03 * mins)),
                "blk": int(rng.poisson((0.05 if p.position == "C" else 0.015) * mins)),
                "tov": int(rng.poisson(0.05 * mins)),
                "pf": min(6, int(rng.poisson(0.07 * mins))),
                "paint_points": 2 * int(rng.binomial(two_point_makes, 0.75 if p.position == "C" else 0.55)),
            }
        lines.append({"plan": plan, "starter": plan.player.player_id in starters, **stats})
    return lines


def _points(lines: list[dict]) -> int:
    return sum(2 * (x["fgm"] - x["fg3m"]) + 3 * x["fg3m"] + x["ftm"] for x in lines)


def _plus_minus(rng: np.random.Generator, lines: list[dict], margin: int) -> None:
    """Each player's on-court margin; over a team they sum to 5 × the final margin."""
    on = [x for x in lines if x["seconds"] > 0]
    raw = np.array([margin * x["seconds"] / 2880 + rng.normal(0, 4) for x in on])
    values = np.round(raw).astype(int)
    values[0] += 5 * margin - values.sum()
    for x, value in zip(on, values, strict=True):
        x["plus_minus"] = int(value)
    for x in lines:
        x.setdefault("plus_minus", 0)


@lru_cache(maxsize=2048)
def box_score(season: Season, game: Game) -> BoxScore:
    rng = rng_for(season.seed, game.nba_game_id, "game")
    game_factor = float(np.exp(rng.normal(0, 0.025)))
    home = _team_lines(season, game, game.home, game_factor)
    away = _team_lines(season, game, game.away, game_factor)
    if _points(home) == _points(away):  # no ties: the decider is a late made two by a coin-flip team's star
        winner = home if rng.random() < 0.5 else away
        star = next(x for x in winner if x["seconds"] > 0)
        star["fga"] += 1
        star["fgm"] += 1
    margin = _points(home) - _points(away)
    _plus_minus(rng, home, margin)
    _plus_minus(rng, away, -margin)
    return BoxScore(game, tuple(PlayerLine(**x) for x in home), tuple(PlayerLine(**x) for x in away))
