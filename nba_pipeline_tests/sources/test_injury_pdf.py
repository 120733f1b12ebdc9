"""The injury-report PDF parser on PDF bytes in the official layout: carried-down cells, wrapped
reasons and team names, page breaks, teams that have not submitted."""

from __future__ import annotations

import pytest

from nba_pipeline.sources.nba.injury_pdf import InjuryReportError, parse_injury_pdf
from nba_pipeline_tests.sources.injury_pdf_writer import pdf_bytes, report_pdf

TITLE = "Injury Report: 03/15/25 05:30 PM"
PAGES = [
    [
        {
            "date": "03/15/2025",
            "gametime": "07:00 (ET)",
            "matchup": "IND@MIL",
            "team": "Indiana Pacers",
            "player": "Haliburton, Tyrese",
            "status": "Out",
            "reason": "Injury/Illness - Left Hip; Strain",
        },
        {
            "player": "Mathurin, Bennedict",
            "status": "Questionable",
            "reason": ["Injury/Illness - Right Ankle;", "Sprain"],
        },
        {"team": "Milwaukee Bucks", "reason": "NOT YET SUBMITTED"},
        {
            "gametime": "09:00 (ET)",
            "matchup": "WAS@DEN",
            "team": "Washington Wizards",
            "player": "Sarr, Alex",
            "status": "Probable",
            "reason": "Injury/Illness - Left Knee; Soreness",
        },
    ],
    [
        {
            "team": "Denver Nuggets",
            "player": "Porter Jr., Michael",
            "status": "Questionable",
            "reason": "Injury/Illness - Low Back; Soreness",
        },
        {
            "player": "Murray, Jamal",
            "status": "Available",
            "reason": "Injury/Illness - Left Hamstring; Soreness",
        },
        {
            "date": "03/16/2025",
            "gametime": "03:30 (ET)",
            "matchup": "POR@LAL",
            "team": ["Portland Trail", "Blazers"],
            "player": "Simons, Anfernee",
            "status": "Doubtful",
            "reason": "G League - On Assignment",
        },
    ],
]


def test_rows_carry_down_wrap_and_cross_pages():
    parsed = parse_injury_pdf(report_pdf(TITLE, PAGES))
    rows = [
        (r["date"], r["gametime"], r["matchup"], r["team"], r["player"], r["status"], r["reason"])
        for r in parsed["records"]
    ]
    assert rows == [
        (
            "03/15/2025",
            "07:00 (ET)",
            "IND@MIL",
            "IND",
            "Haliburton, Tyrese",
            "Out",
            "Injury/Illness - Left Hip; Strain",
        ),
        (
            "03/15/2025",
            "07:00 (ET)",
            "IND@MIL",
            "IND",
            "Mathurin, Bennedict",
            "Questionable",
            "Injury/Illness - Right Ankle; Sprain",
        ),
        (
            "03/15/2025",
            "09:00 (ET)",
            "WAS@DEN",
            "WAS",
            "Sarr, Alex",
            "Probable",
            "Injury/Illness - Left Knee; Soreness",
        ),
        (
            "03/15/2025",
            "09:00 (ET)",
            "WAS@DEN",
            "DEN",
            "Porter Jr., Michael",
            "Questionable",
            "Injury/Illness - Low Back; Soreness",
        ),
        (
            "03/15/2025",
            "09:00 (ET)",
            "WAS@DEN",
            "DEN",
            "Murray, Jamal",
            "Available",
            "Injury/Illness - Left Hamstring; Soreness",
        ),
        (
            "03/16/2025",
            "03:30 (ET)",
            "POR@LAL",
            "POR",
            "Simons, Anfernee",
            "Doubtful",
            "G League - On Assignment",
        ),
    ]
    assert [r["confidence"] for r in parsed["records"]] == [1.0, 0.9, 1.0, 1.0, 1.0, 0.9]
    assert parsed["not_submitted"] == [{"matchup": "IND@MIL", "team": "MIL"}]
    stats = parsed["parsing_stats"]
    assert (stats["total_records"], stats["merged_multiline"], stats["unparsed_count"]) == (6, 2, 0)
    assert stats["status_counts"] == {
        "Available": 1,
        "Probable": 1,
        "Questionable": 2,
        "Doubtful": 1,
        "Out": 1,
    }


def test_an_unknown_team_name_is_reported_not_guessed():
    pages = [
        [
            {
                "date": "03/15/2025",
                "gametime": "07:00 (ET)",
                "matchup": "IND@MIL",
                "team": "Indiana Pacerz",
                "player": "Haliburton, Tyrese",
                "status": "Out",
                "reason": "Rest",
            }
        ]
    ]
    parsed = parse_injury_pdf(report_pdf(TITLE, pages))
    assert parsed["records"] == [] and parsed["parsing_stats"]["unknown_teams"] == ["Indiana Pacerz"]


@pytest.mark.parametrize(
    "data, message",
    [(b"<html>Access Denied</html>", "not a readable PDF"), (None, "no player rows found")],
)
def test_what_is_not_a_report_says_so(data, message):
    data = data if data is not None else pdf_bytes([[(50.0, 100.0, "Hello, world")]])
    with pytest.raises(InjuryReportError, match=message):
        parse_injury_pdf(data)
