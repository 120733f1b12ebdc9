"""The simulated league's structure for one season: calendar, schedule, rosters, injuries.

Everything is a pure function of (seed, season start year), built once per process and cached.
Seeds are derived with crc32, never Python's `hash()`, so two processes build the same league.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np

from nba_pipeline.identity import TEAMS, player_lookup
from nba_pipeline.partitions import ET

GAMES_PER_SEASON = 1230
MAX_GAMES_PER_DATE = 15
TEAM_ORDER = list(TEAMS)  # divisions are contiguous blocks of five within each conference

FIRST_NAMES = [
    "Aaron",
    "Alex",
    "Andre",
    "Anthony",
    "Bam",
    "Ben",
    "Bojan",
    "Brandon",
    "Cade",
    "Caleb",
    "Cam",
    "Chris",
    "Christian",
    "Cole",
    "Collin",
    "Damian",
    "Darius",
    "De'Andre",
    "Derrick",
    "Devin",
    "Dillon",
    "Donovan",
    "Dario",
    "Evan",
    "Franz",
    "Gary",
    "Goran",
    "Grant",
    "Ivica",
    "Jaden",
    "Jalen",
    "Jamal",
    "Jarrett",
    "Jaylen",
    "Jeremy",
    "Joel",
    "Jonas",
    "Jordan",
    "Josh",
    "Julius",
    "Jusuf",
    "Karl",
    "Keegan",
    "Kelly",
    "Kevin",
    "Kristaps",
    "Kyle",
    "Lauri",
    "Luka",
    "Malik",
    "Marcus",
    "Mikal",
    "Myles",
    "Nikola",
    "Norman",
    "O.G.",
    "P.J.",
    "Paolo",
    "Pascal",
    "RJ",
    "Rudy",
    "Scottie",
    "Shai",
    "Spencer",
    "Stephen",
    "T.J.",
    "Terry",
    "Tre",
    "Trey",
    "Tyrese",
    "Tyler",
    "Victor",
    "Walker",
    "Zach",
    "Alperen",
    "Dennis",
    "Moritz",
    "Jonas",
    "Bogdan",
    "Nickeil",
]
LAST_NAMES = [
    "Adams",
    "Allen",
    "Anderson",
    "Bagley",
    "Barnes",
    "Beasley",
    "Bogdanović",
    "Bridges",
    "Brooks",
    "Brown",
    "Bryant",
    "Butler",
    "Caldwell",
    "Carter",
    "Collins",
    "Conley",
    "Craig",
    "Cunningham",
    "Davis",
    "Dončić",
    "Dragić",
    "Duren",
    "Edwards",
    "Fox",
    "Gafford",
    "Gordon",
    "Grant",
    "Green",
    "Hardaway",
    "Harris",
    "Hayes",
    "Holiday",
    "Horford",
    "Hunter",
    "Ingram",
    "Jackson",
    "James",
    "Johnson",
    "Jokić",
    "Jones",
    "Kennard",
    "Kuzma",
    "LaVine",
    "Lopez",
    "Markkanen",
    "Martin",
    "Mathurin",
    "McCollum",
    "Middleton",
    "Mitchell",
    "Morris",
    "Murray",
    "Nembhard",
    "Nurkić",
    "Okoro",
    "Oubre",
    "Payton",
    "Poole",
    "Porziņģis",
    "Powell",
    "Randle",
    "Reaves",
    "Robinson",
    "Rozier",
    "Šarić",
    "Schröder",
    "Şengün",
    "Simons",
    "Smart",
    "Smith",
    "Strus",
    "Thompson",
    "Turner",
    "Valančiūnas",
    "VanVleet",
    "Vučević",
    "Wagner",
    "Walker",
    "Wallace",
    "Washington",
    "White",
    "Wiggins",
    "Williams",
    "Wright",
    "Young",
    "Zubac",
    "Dieng",
    "Hachimura",
    "Kispert",
]
INJURY_REASONS = [
    "Injury/Illness - Left Ankle; Sprain",
    "Injury/Illness - Right Ankle; Sprain",
    "Injury/Illness - Left Hamstring; Strain",
    "Injury/Illness - Right Knee; Soreness",
    "Injury/Illness - Lower Back; Spasms",
    "Injury/Illness - Illness",
    "Injury/Illness - Right Foot; Plantar Fasciitis",
    "Injury/Illness - Left Calf; Tightness",
    "Concussion Protocol",
]
POSITIONS = ["G", "G", "F", "F", "C", "G", "F", "C", "G", "F", "G", "F", "C", "G", "F", "C", "G"]


def stable_seed(*parts: object) -> list[int]:
    """A numpy seed sequence from any parts; identical in every process (crc32, not hash())."""
    return [zlib.crc32(str(p).encode("utf-8")) for p in parts]


def rng_for(*parts: object) -> np.random.Generator:
    return np.random.default_rng(stable_seed(*parts))


def unit(*parts: object) -> float:
    """One deterministic draw in [0, 1) from the parts: cheaper than a generator for a single coin."""
    return zlib.crc32("|".join(map(str, parts)).encode("utf-8")) / 2**32


@dataclass(frozen=True)
class Player:
    player_id: int
    name: str
    team: str
    slot: int  # depth-chart slot: 0 star, 1–4 starters, 5–8 bench, 9–11 fringe, 12+ deep bench
    position: str
    mpg: float  # minutes per game when healthy, before the team's minutes are scaled to 240
    ppm: float  # points per minute
    three_share: float  # share of field-goal attempts from three
    p2: float
    p3: float
    pft: float
    ft_share: float  # share of points from free throws
    oreb_pm: float
    dreb_pm: float
    ast_pm: float
    two_way: bool  # a two-way contract player, often inactive with the G League

    @property
    def lookup(self) -> str:
        return player_lookup(self.name)

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]

    @property
    def family_name(self) -> str:
        return self.name.split(" ", 1)[1]


@dataclass(frozen=True)
class Game:
    season: int
    seq: int  # 1..1230 in chronological order
    day: date
    home: str
    away: str
    tip: datetime  # scheduled tip-off, aware, ET

    @property
    def nba_game_id(self) -> str:
        return f"002{self.season % 100:02d}{self.seq:05d}"

    @property
    def actual_start(self) -> datetime:
        return self.tip + timedelta(minutes=10)

    @property
    def duration_minutes(self) -> int:
        return 125 + zlib.crc32(self.nba_game_id.encode()) % 26

    @property
    def final_at(self) -> datetime:
        return self.actual_start + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class InjurySpell:
    start: date  # first day out
    end: date  # return day (listed Questionable); out on start <= d < end
    reason: str


@dataclass(eq=False)  # identity-hashed: a built season is cached and used as a cache key
class Season:
    seed: int
    year: int  # the season starts in October of `year`
    dates: list[date]
    games: list[Game]
    rosters: dict[str, list[Player]]
    team_factors: dict[str, tuple[float, float, float]]  # (offense, defense allowed, pace)
    spells: dict[int, list[InjurySpell]]
    games_by_date: dict[date, list[Game]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for game in self.games:
            self.games_by_date.setdefault(game.day, []).append(game)

    @property
    def label(self) -> str:
        return f"{self.year}-{(self.year + 1) % 100:02d}"

    def players(self) -> list[Player]:
        return [p for roster in self.rosters.values() for p in roster]


def season_bounds(year: int) -> tuple[date, date]:
    """Opening night (the Tuesday on or after Oct 18) and the last day (the Sunday on or after Apr 9)."""
    opener = date(year, 10, 18)
    opener += timedelta(days=(1 - opener.weekday()) % 7)
    last = date(year + 1, 4, 9)
    last += timedelta(days=(6 - last.weekday()) % 7)
    return opener, last


def season_year_of(day: date) -> int | None:
    """The season whose regular season contains `day`, or None in the off-season."""
    year = day.year if day.month >= 7 else day.year - 1
    opener, last = season_bounds(year)
    return year if opener <= day <= last else None


def _off_days(year: int) -> set[date]:
    thanksgiving = date(year, 11, 1)
    thanksgiving += timedelta(days=(3 - thanksgiving.weekday()) % 7 + 21)
    all_star_sunday = date(year + 1, 2, 15)
    all_star_sunday += timedelta(days=(6 - all_star_sunday.weekday()) % 7)
    break_days = {all_star_sunday + timedelta(days=d) for d in range(-2, 4)}
    return {thanksgiving, date(year, 12, 24)} | break_days


def _calendar(year: int) -> list[date]:
    opener, last = season_bounds(year)
    off = _off_days(year)
    days, day = [], opener
    while day <= last:
        if day not in off:
            days.append(day)
        day += timedelta(days=1)
    return days


def _pairings() -> list[tuple[str, str]]:
    """The 1,230 (home, away) games: 4 vs division, 4 or 3 vs the conference, 2 vs the other one."""
    games: list[tuple[str, str]] = []
    conferences = [TEAM_ORDER[:15], TEAM_ORDER[15:]]
    for conf in conferences:
        for i in range(15):
            for j in range(i + 1, 15):
                a, b = conf[i], conf[j]
                if i // 5 == j // 5 or (j - i) % 15 not in (5, 6, 9, 10):
                    games += [(a, b), (a, b), (b, a), (b, a)]
                elif (j - i) % 15 in (5, 6):  # a hosts twice in this three-game series
                    games += [(a, b), (a, b), (b, a)]
                else:
                    games += [(b, a), (b, a), (a, b)]
    for a in conferences[0]:
        for b in conferences[1]:
            games += [(a, b), (b, a)]
    return games


_WEEKDAY_WEIGHT = [0.95, 0.8, 1.5, 0.45, 1.45, 1.05, 0.85]  # Mon..Sun


def _assign_dates(seed: int, year: int, days: list[date]) -> list[tuple[date, str, str]]:
    """Greedy slate builder: balanced team pace, one game a team a day, never three days in a row."""
    rng = rng_for(seed, year, "schedule")
    pool = _pairings()
    rng.shuffle(pool)
    remaining = {t: 0 for t in TEAM_ORDER}
    for home, away in pool:
        remaining[home] += 1
        remaining[away] += 1
    played_on: dict[str, set[int]] = {t: set() for t in TEAM_ORDER}
    weights = [_WEEKDAY_WEIGHT[d.weekday()] * float(rng.uniform(0.45, 1.7)) for d in days]
    scheduled: list[tuple[date, str, str]] = []

    def tired(team: str, i: int) -> bool:
        return (i - 1) in played_on[team] and (i - 2) in played_on[team]

    for i, day in enumerate(days):
        left = len(pool)
        target = 2 if i == 0 else round(left * weights[i] / sum(weights[i:]))
        target = max(1, min(MAX_GAMES_PER_DATE, target, left))
        noise = rng.random(len(pool)) * 3.0
        scored = []
        for k, (home, away) in enumerate(pool):
            if tired(home, i) or tired(away, i):
                continue
            back_to_back = ((i - 1) in played_on[home]) + ((i - 1) in played_on[away])
            scored.append((remaining[home] + remaining[away] + noise[k] - 4.0 * back_to_back, k))
        scored.sort(reverse=True)
        busy: set[str] = set()
        taken: list[int] = []
        for _, k in scored:
            home, away = pool[k]
            if home in busy or away in busy:
                continue
            busy |= {home, away}
            taken.append(k)
            if len(taken) == target:
                break
        for k in sorted(taken, reverse=True):
            home, away = pool.pop(k)
            scheduled.append((day, home, away))
            remaining[home] -= 1
            remaining[away] -= 1
            played_on[home].add(i)
            played_on[away].add(i)

    # Whatever the greedy pass could not place goes on the latest date with room for both teams.
    def free(team: str, i: int) -> bool:
        days_played = played_on[team] | {i}
        return i not in played_on[team] and not any(
            {j, j + 1, j + 2} <= days_played for j in (i - 2, i - 1, i)
        )

    count_on = {i: sum(1 for d, _, _ in scheduled if d == day) for i, day in enumerate(days)}
    for home, away in pool:
        for i in range(len(days) - 1, -1, -1):
            if free(home, i) and free(away, i) and count_on[i] < MAX_GAMES_PER_DATE:
                scheduled.append((days[i], home, away))
                played_on[home].add(i)
                played_on[away].add(i)
                count_on[i] += 1
                break
        else:
            raise RuntimeError(f"could not schedule {away}@{home} in season {year}")
    return scheduled


def _tip_time(day: date, home: str, index_on_day: int) -> datetime:
    """Tip-offs by the home arena's time zone: 7–7:30 pm ET in the east, 10–10:30 pm ET on the coast."""
    offset = TEAMS[home].utc_offset_hours
    if day.month == 12 and day.day == 25:
        hour, minute = [(12, 0), (14, 30), (17, 0), (20, 0), (22, 30)][index_on_day % 5]
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ET)
    base = {-5: (19, 0), -6: (20, 0), -7: (21, 0), -8: (22, 0)}[offset]
    if day.weekday() == 6:  # Sunday slates start in the afternoon
        base = {-5: (15, 30), -6: (18, 0), -7: (20, 0), -8: (21, 0)}[offset]
    late = timedelta(minutes=30 * (index_on_day % 2))
    return datetime(day.year, day.month, day.day, *base, tzinfo=ET) + late


def _name(rng: np.random.Generator) -> str:
    first = FIRST_NAMES[rng.integers(len(FIRST_NAMES))]
    last = LAST_NAMES[rng.integers(len(LAST_NAMES))]
    roll = rng.random()
    suffix = " Jr." if roll < 0.04 else " III" if roll < 0.055 else " II" if roll < 0.07 else ""
    return f"{first} {last}{suffix}"


def _roster(seed: int, year: int, team_index: int, team: str, taken: set[str]) -> list[Player]:
    rng = rng_for(seed, year, "roster", team)
    size = 15 + int(rng.integers(0, 3))
    players = []
    for slot in range(size):
        name = _name(rng)
        while player_lookup(name) in taken:
            name = _name(rng)
        taken.add(player_lookup(name))
        if slot == 0:
            mpg, ppm = rng.uniform(33, 37), rng.uniform(0.68, 0.85)
        elif slot <= 4:
            mpg, ppm = rng.uniform(27, 34), rng.uniform(0.36, 0.60)
        elif slot <= 8:
            mpg, ppm = rng.uniform(16, 25), rng.uniform(0.30, 0.52)
        elif slot <= 11:
            mpg, ppm = rng.uniform(4, 10), rng.uniform(0.25, 0.45)
        else:
            mpg, ppm = rng.uniform(2, 6), rng.uniform(0.20, 0.40)
        position = POSITIONS[slot]
        big = position == "C"
        players.append(
            Player(
                player_id=1_600_000 + (year % 100) * 1000 + team_index * 20 + slot,
                name=name,
                team=team,
                slot=slot,
                position=position,
                mpg=round(float(mpg), 2),
                ppm=round(float(ppm), 3),
                three_share=float(rng.uniform(0.02, 0.2) if big else rng.uniform(0.25, 0.55)),
                p2=float(rng.uniform(0.52, 0.64) if big else rng.uniform(0.46, 0.56)),
                p3=float(rng.uniform(0.30, 0.40)),
                pft=float(rng.uniform(0.62, 0.78) if big else rng.uniform(0.74, 0.92)),
                ft_share=float(rng.uniform(0.10, 0.28)),
                oreb_pm=0.09 if big else 0.045 if position == "F" else 0.025,
                dreb_pm=0.22 if big else 0.15 if position == "F" else 0.10,
                ast_pm=0.07 if big else 0.08 if position == "F" else 0.17,
                two_way=slot >= 14,
            )
        )
    return players


def _spells(seed: int, year: int, players: list[Player], days: list[date]) -> dict[int, list[InjurySpell]]:
    spells: dict[int, list[InjurySpell]] = {}
    for player in players:
        rng = rng_for(seed, year, "injuries", player.player_id)
        for _ in range(int(rng.poisson(1.1))):
            start = days[int(rng.integers(len(days)))]
            length = 1 + min(int(rng.geometric(0.2)), 25)
            reason = INJURY_REASONS[int(rng.integers(len(INJURY_REASONS)))]
            spells.setdefault(player.player_id, []).append(
                InjurySpell(start, start + timedelta(days=length), reason)
            )
    return spells


@lru_cache(maxsize=8)
def build_season(seed: int, year: int) -> Season:
    days = _calendar(year)
    slate = sorted(_assign_dates(seed, year, days), key=lambda g: (g[0], g[1]))
    games, seq = [], 0
    by_day: dict[date, list[tuple[str, str]]] = {}
    for day, home, away in slate:
        by_day.setdefault(day, []).append((home, away))
    for day in sorted(by_day):
        timed = [(_tip_time(day, home, i), home, away) for i, (home, away) in enumerate(by_day[day])]
        for tip, home, away in sorted(timed):
            seq += 1
            games.append(Game(year, seq, day, home, away, tip))
    taken: set[str] = set()
    rosters = {team: _roster(seed, year, i, team, taken) for i, team in enumerate(TEAM_ORDER)}
    factor_rng = rng_for(seed, year, "team_factors")
    factors = {
        team: tuple(float(x) for x in factor_rng.uniform([0.965, 0.965, 0.97], [1.035, 1.035, 1.03]))
        for team in TEAM_ORDER
    }
    all_players = [p for r in rosters.values() for p in r]
    return Season(seed, year, days, games, rosters, factors, _spells(seed, year, all_players, days))
