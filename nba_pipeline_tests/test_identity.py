from datetime import date

import pytest

from nba_pipeline.identity import TEAMS, game_id, parse_game_id, player_lookup, team_by_full_name


@pytest.mark.parametrize(
    ("name", "lookup"),
    [
        ("Luka Dončić", "lukadoncic"),
        ("Nikola Jokić", "nikolajokic"),
        ("Vlatko Čančar", "vlatkocancar"),
        ("Alperen Şengün", "alperensengun"),
        ("Kristaps Porziņģis", "kristapsporzingis"),
        ("Scotty Pippen Jr.", "scottypippen"),
        ("Scotty Pippen Jr", "scottypippen"),
        ("G.G. Jackson", "ggjackson"),
        ("GG Jackson", "ggjackson"),
        ("Shai Gilgeous-Alexander", "shaigilgeousalexander"),
        ("De'Andre Hunter", "deandrehunter"),
        ("Payton II, Gary", "garypayton"),
        ("Duke Jr., David", "davidduke"),
        ("Marvin Bagley III", "marvinbagley"),
    ],
)
def test_player_lookup_folds_accents_suffixes_and_punctuation(name, lookup):
    assert player_lookup(name) == lookup


def test_thirty_teams_six_divisions_of_five():
    assert len(TEAMS) == 30
    divisions = {}
    for team in TEAMS.values():
        divisions.setdefault((team.conference, team.division), []).append(team.abbr)
    assert sorted(len(v) for v in divisions.values()) == [5] * 6


def test_canonical_game_id_round_trips_and_full_names_resolve():
    gid = game_id(date(2024, 1, 15), "LAL", "DEN")
    assert gid == "20240115_LAL_DEN"
    assert parse_game_id(gid) == (date(2024, 1, 15), "LAL", "DEN")
    assert team_by_full_name("Los Angeles Clippers").abbr == "LAC"
    assert team_by_full_name("LA Clippers").abbr == "LAC"
    with pytest.raises(ValueError):
        parse_game_id("0022300601")
