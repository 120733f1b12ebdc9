"""Keys of identity: teams, the canonical game id, and `player_lookup`.

One canonical `game_id` everywhere, `YYYYMMDD_AWAY_HOME` with the ET date: every source can derive it
(The Odds API has no NBA id), so no join ever depends on which feed a row came from. The NBA's own
10-digit id is kept beside it as `nba_game_id` wherever a feed carries it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Team:
    abbr: str
    team_id: int
    city: str
    name: str
    conference: str
    division: str
    utc_offset_hours: int  # standard-time offset of the home arena, for tip-off times

    @property
    def full_name(self) -> str:
        return f"{self.city} {self.name}"


_TEAMS = [
    # East — Atlantic, Central, Southeast
    ("BOS", 1610612738, "Boston", "Celtics", "East", "Atlantic", -5),
    ("BKN", 1610612751, "Brooklyn", "Nets", "East", "Atlantic", -5),
    ("NYK", 1610612752, "New York", "Knicks", "East", "Atlantic", -5),
    ("PHI", 1610612755, "Philadelphia", "76ers", "East", "Atlantic", -5),
    ("TOR", 1610612761, "Toronto", "Raptors", "East", "Atlantic", -5),
    ("CHI", 1610612741, "Chicago", "Bulls", "East", "Central", -6),
    ("CLE", 1610612739, "Cleveland", "Cavaliers", "East", "Central", -5),
    ("DET", 1610612765, "Detroit", "Pistons", "East", "Central", -5),
    ("IND", 1610612754, "Indiana", "Pacers", "East", "Central", -5),
    ("MIL", 1610612749, "Milwaukee", "Bucks", "East", "Central", -6),
    ("ATL", 1610612737, "Atlanta", "Hawks", "East", "Southeast", -5),
    ("CHA", 1610612766, "Charlotte", "Hornets", "East", "Southeast", -5),
    ("MIA", 1610612748, "Miami", "Heat", "East", "Southeast", -5),
    ("ORL", 1610612753, "Orlando", "Magic", "East", "Southeast", -5),
    ("WAS", 1610612764, "Washington", "Wizards", "East", "Southeast", -5),
    # West — Northwest, Pacific, Southwest
    ("DEN", 1610612743, "Denver", "Nuggets", "West", "Northwest", -7),
    ("MIN", 1610612750, "Minnesota", "Timberwolves", "West", "Northwest", -6),
    ("OKC", 1610612760, "Oklahoma City", "Thunder", "West", "Northwest", -6),
    ("POR", 1610612757, "Portland", "Trail Blazers", "West", "Northwest", -8),
    ("UTA", 1610612762, "Utah", "Jazz", "West", "Northwest", -7),
    ("GSW", 1610612744, "Golden State", "Warriors", "West", "Pacific", -8),
    ("LAC", 1610612746, "Los Angeles", "Clippers", "West", "Pacific", -8),
    ("LAL", 1610612747, "Los Angeles", "Lakers", "West", "Pacific", -8),
    ("PHX", 1610612756, "Phoenix", "Suns", "West", "Pacific", -7),
    ("SAC", 1610612758, "Sacramento", "Kings", "West", "Pacific", -8),
    ("DAL", 1610612742, "Dallas", "Mavericks", "West", "Southwest", -6),
    ("HOU", 1610612745, "Houston", "Rockets", "West", "Southwest", -6),
    ("MEM", 1610612763, "Memphis", "Grizzlies", "West", "Southwest", -6),
    ("NOP", 1610612740, "New Orleans", "Pelicans", "West", "Southwest", -6),
    ("SAS", 1610612759, "San Antonio", "Spurs", "West", "Southwest", -6),
]

TEAMS: dict[str, Team] = {row[0]: Team(*row) for row in _TEAMS}
TEAM_BY_ID: dict[int, Team] = {t.team_id: t for t in TEAMS.values()}
# The Odds API and the injury report name teams in full ("Los Angeles Clippers", "LA Clippers").
TEAM_BY_FULL_NAME: dict[str, Team] = {t.full_name.lower(): t for t in TEAMS.values()} | {
    "la clippers": TEAMS["LAC"],
    "la lakers": TEAMS["LAL"],
}


def team_by_full_name(name: str) -> Team:
    try:
        return TEAM_BY_FULL_NAME[name.strip().lower()]
    except KeyError as exc:
        raise ValueError(f"unknown team name {name!r}") from exc


def game_id(game_date: date, away_abbr: str, home_abbr: str) -> str:
    """The canonical key: ET date plus tricodes, e.g. 20240115_LAL_DEN."""
    return f"{game_date:%Y%m%d}_{away_abbr}_{home_abbr}"


def parse_game_id(value: str) -> tuple[date, str, str]:
    match = re.fullmatch(r"(\d{8})_([A-Z]{3})_([A-Z]{3})", value)
    if not match:
        raise ValueError(f"not a canonical game id: {value!r}")
    day, away, home = match.groups()
    return date(int(day[:4]), int(day[4:6]), int(day[6:])), away, home


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v"}


def display_name(name: str) -> str:
    """'Payton II, Gary' (the injury report's Last, First) -> 'Gary Payton II'."""
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return f"{first} {last}".strip()
    return name.strip()


@lru_cache(maxsize=65536)  # names repeat on every row of a season: normalize each once
def player_lookup(name: str) -> str:
    """Lower-case ASCII letters and digits, accents folded, generational suffixes dropped.

    'Luka Dončić' -> 'lukadoncic'; 'Scotty Pippen Jr.' and 'Scotty Pippen Jr' -> 'scottypippen';
    'G.G. Jackson' and 'GG Jackson' -> 'ggjackson'; 'Payton II, Gary' -> 'garypayton'.
    """
    folded = unicodedata.normalize("NFKD", display_name(name))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii").casefold()
    tokens = [re.sub(r"[^a-z0-9]", "", token) for token in re.split(r"[\s\-]+", ascii_only)]
    tokens = [t for t in tokens if t]
    while len(tokens) > 1 and tokens[-1] in _SUFFIXES:
        tokens.pop()
    return "".join(tokens)


_MATCHUP = re.compile(r"\s*([A-Z]{3})\s+(@|vs\.)\s+([A-Z]{3})\s*")


def matchup_sides(matchup: str) -> tuple[str, str]:
    """(away, home) as a LeagueGameLog MATCHUP reads: 'BOS @ LAL' and 'LAL vs. BOS' -> ('BOS', 'LAL')."""
    match = _MATCHUP.fullmatch(str(matchup))
    if not match:
        raise ValueError(f"unreadable MATCHUP {matchup!r}: expected 'AAA @ BBB' or 'AAA vs. BBB'")
    first, sep, second = match.groups()
    return (first, second) if sep == "@" else (second, first)


def game_sides(log: pd.DataFrame) -> pd.DataFrame:
    """One row per GAME_ID of a LeagueGameLog frame: `away`, `home`, `neutral`.

    Any one row's MATCHUP names both teams, so a game with rows of one team only still has both. At a
    neutral site (Mexico City, Paris, the NBA Cup in Las Vegas) both teams' rows read '@', each naming
    the other as host: the text has no home team, but the canonical id needs one, so the tricodes in
    alphabetical order are taken as away @ home — the same answer from either team's rows.
    """
    pairs = pd.DataFrame([matchup_sides(m) for m in log["MATCHUP"]], columns=["away", "home"])
    readings = pairs.assign(GAME_ID=log["GAME_ID"].to_numpy()).drop_duplicates()
    named = pd.concat(
        [readings[["GAME_ID", side]].set_axis(["GAME_ID", "team"], axis=1) for side in ("away", "home")]
    )
    teams = named.groupby("GAME_ID", sort=True).team.agg(lambda s: sorted(set(s)))
    bad = teams[teams.map(len) != 2]
    if not bad.empty:
        raise ValueError(f"game {bad.index[0]}: its MATCHUP rows name the teams {bad.iloc[0]}")
    first = readings.drop_duplicates("GAME_ID").set_index("GAME_ID").reindex(teams.index)
    neutral = readings.groupby("GAME_ID").size().reindex(teams.index) > 1  # the rows disagree on the host
    return pd.DataFrame(
        {
            "GAME_ID": teams.index,
            "away": np.where(neutral, teams.str[0], first.away),
            "home": np.where(neutral, teams.str[1], first.home),
            "neutral": neutral.to_numpy(),
        }
    )
