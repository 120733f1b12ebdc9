"""The official NBA injury report PDF, parsed into records (pure: bytes in, dict out).

The report is a table drawn as positioned text: Game Date, Game Time, Matchup, Team, Player Name,
Current Status, Reason. A cell is written only where its value changes (a game's date, time and
matchup once, a team's name on its first player), so values carry down the page and across pages;
a long reason or team name wraps onto lines above and below its row's baseline. So: text is cut
into cells by position (pdfminer.six, pure Python), each cell goes to the column whose header starts
left of it, rows are anchored where a player or a status stands, and every other cell joins the
nearest row — the multi-line rows that are the main hazard of this format.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import dataclass

from pdfminer.high_level import extract_pages
from pdfminer.layout import LAParams, LTChar, LTTextContainer, LTTextLine
from pdfminer.pdfparser import PDFSyntaxError

from nba_pipeline.identity import team_by_full_name

COLUMNS = {  # header text -> record field
    "Game Date": "date",
    "Game Time": "gametime",
    "Matchup": "matchup",
    "Team": "team",
    "Player Name": "player",
    "Current Status": "status",
    "Reason": "reason",
}
# Column starts (points from the left) of the official layout, used until a header is seen.
DEFAULT_STARTS = {
    "date": 23.1,
    "gametime": 119.6,
    "matchup": 200.0,
    "team": 264.2,
    "player": 425.0,
    "status": 585.7,
    "reason": 667.1,
}
STATUSES = ("Available", "Probable", "Questionable", "Doubtful", "Out")
NOT_SUBMITTED = "NOT YET SUBMITTED"
CELL_GAP = 10.0  # points of blank between two characters that makes them two cells
ROW_REACH = 16.0  # how far (points) a wrapped line may sit from its row's baseline
_NOISE = re.compile(r"^(Injury Report:.*|Page \d+ of \d+)$")


class InjuryReportError(ValueError):
    """The bytes are not an injury report this parser can read."""


@dataclass
class Cell:
    page: int
    top: float
    x0: float
    text: str


def _cells_of_line(page: int, height: float, line: LTTextLine) -> list[Cell]:
    cells, text, x0, last_x1 = [], "", None, None
    for char in line:
        if not isinstance(char, LTChar):
            text += char.get_text() if x0 is not None else ""
            continue
        if last_x1 is not None and char.x0 - last_x1 > CELL_GAP:
            cells.append(Cell(page, round(height - line.y1, 1), x0, text.strip()))
            text, x0 = "", None
        if x0 is None:
            x0 = char.x0
        text += char.get_text()
        last_x1 = char.x1
    if x0 is not None and text.strip():
        cells.append(Cell(page, round(height - line.y1, 1), x0, text.strip()))
    return cells


def cells_of(data: bytes) -> list[Cell]:
    try:
        pages = list(extract_pages(io.BytesIO(data), laparams=LAParams()))
    except (PDFSyntaxError, ValueError, TypeError) as exc:
        raise InjuryReportError(f"not a readable PDF: {exc}") from exc
    cells = []
    for number, page in enumerate(pages):
        for element in page:
            if isinstance(element, LTTextContainer):
                for line in element:
                    if isinstance(line, LTTextLine):
                        cells += _cells_of_line(number, page.height, line)
    return [c for c in cells if c.text and not _NOISE.match(c.text)]


def _column(x0: float, starts: dict[str, float]) -> str:
    left = [(start, name) for name, start in starts.items() if start <= x0 + 3]
    return max(left)[1] if left else "date"


def parse_injury_pdf(data: bytes) -> dict:
    """{"records": [{date, gametime, matchup, team (tricode), player, status, reason, confidence}],
    "not_submitted": [{matchup, team}], "parsing_stats": {...}} of one report."""
    cells = cells_of(data)
    starts = dict(DEFAULT_STARTS)
    headers = [c for c in cells if c.text in COLUMNS or c.text == "Current Status Reason"]
    for header in headers:
        if header.text in COLUMNS:
            starts[COLUMNS[header.text]] = header.x0
    cells = [c for c in cells if c not in headers]
    placed = [(c, _column(c.x0, starts)) for c in cells]
    anchors = sorted(
        {(c.page, c.top) for c, col in placed if col in ("player", "status") or c.text == NOT_SUBMITTED}
    )
    if not anchors:
        raise InjuryReportError(
            "no player rows found: not an injury report, or a layout this parser does not know"
        )
    rows: dict[tuple[int, float], dict[str, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    unplaced = []
    for cell, col in placed:
        same_page = [a for a in anchors if a[0] == cell.page]
        nearest = min(same_page, key=lambda a: abs(a[1] - cell.top), default=None)
        if nearest is None or abs(nearest[1] - cell.top) > ROW_REACH:
            unplaced.append(cell.text)
            continue
        rows[nearest][col].append(cell)
    state: dict[str, str] = {}
    records, not_submitted, merged, unknown_teams = [], [], 0, set()
    for anchor in anchors:
        row = {
            col: " ".join(c.text for c in sorted(group, key=lambda c: c.top))
            for col, group in rows[anchor].items()
        }
        wrapped = any(len(group) > 1 for group in rows[anchor].values())
        merged += wrapped
        for key in ("date", "gametime", "matchup", "team"):
            if key in row:
                state[key] = row[key]
        try:
            team = team_by_full_name(state.get("team", "")).abbr
        except ValueError:
            unknown_teams.add(state.get("team", ""))
            continue
        if row.get("reason") == NOT_SUBMITTED and "player" not in row:
            not_submitted.append({"matchup": state.get("matchup"), "team": team})
            continue
        if "player" not in row or row.get("status") not in STATUSES or "date" not in state:
            unplaced.append(" | ".join(row.values()))
            continue
        records.append(
            {
                "date": state["date"],
                "gametime": state.get("gametime"),
                "matchup": state.get("matchup"),
                "team": team,
                "player": row["player"],
                "status": row["status"],
                "reason": row.get("reason"),
                "confidence": 0.9 if wrapped else 1.0,  # a row rebuilt from wrapped lines is less certain
            }
        )
    counts = {s: sum(r["status"] == s for r in records) for s in STATUSES}
    return {
        "parsing_stats": {
            "total_records": len(records),
            "status_counts": counts,
            "merged_multiline": merged,
            "unparsed_count": len(unplaced),
            "unparsed_lines_sample": unplaced[:5],
            "unknown_teams": sorted(unknown_teams),
            "teams_not_submitted": len(not_submitted),
        },
        "records": records,
        "not_submitted": not_submitted,
    }
