"""Book and injury-report names join NBA.com names through `player_lookup`: real hard cases, each
as the sportsbook (The Odds API), NBA.com and the injury report (Last, First) write it."""

from __future__ import annotations

import pytest

from nba_pipeline.identity import player_lookup

# (NBA.com, how a book or the injury report writes the same player)
SAME_PLAYER = [
    ("Scotty Pippen Jr.", "Scotty Pippen Jr"),
    ("GG Jackson", "G.G. Jackson"),
    ("GG Jackson", "Jackson, GG"),
    ("Bruce Brown", "Bruce Brown Jr"),
    ("Kevin Porter Jr.", "Kevin Porter Jr"),
    ("Jaren Jackson Jr.", "Jaren Jackson Jr"),
    ("Michael Porter Jr.", "Porter Jr., Michael"),
    ("Gary Payton II", "Payton II, Gary"),
    ("Jimmy Butler III", "Jimmy Butler"),
    ("Trey Murphy III", "Trey Murphy"),
    ("Marcus Morris Sr.", "Marcus Morris"),
    ("Nikola Jokić", "Nikola Jokic"),
    ("Luka Dončić", "Luka Doncic"),
    ("Dennis Schröder", "Dennis Schroder"),
    ("Kristaps Porziņģis", "Kristaps Porzingis"),
    ("Jonas Valančiūnas", "Jonas Valanciunas"),
    ("Vlatko Čančar", "Cancar, Vlatko"),
    ("T.J. McConnell", "TJ McConnell"),
    ("OG Anunoby", "O.G. Anunoby"),
    ("De'Aaron Fox", "De\u2019Aaron Fox"),
    ("Shai Gilgeous-Alexander", "Shai Gilgeous Alexander"),
    ("Karl-Anthony Towns", "Towns, Karl-Anthony"),
]


@pytest.mark.parametrize("nba, other", SAME_PLAYER)
def test_the_same_player_has_one_lookup(nba, other):
    assert player_lookup(nba) == player_lookup(other)


def test_the_lookups_themselves():
    assert [player_lookup(n) for n, _ in SAME_PLAYER[:4]] == [
        "scottypippen",
        "ggjackson",
        "ggjackson",
        "brucebrown",
    ]
    assert player_lookup("Nikola Jokić") == "nikolajokic" and player_lookup("Payton II, Gary") == "garypayton"


@pytest.mark.parametrize(
    "one, other",
    [
        ("Jalen Williams", "Jaylin Williams"),
        ("Jaren Jackson Jr.", "GG Jackson"),
        ("Marcus Morris Sr.", "Markieff Morris"),
    ],
)
def test_different_players_stay_apart(one, other):
    assert player_lookup(one) != player_lookup(other)
