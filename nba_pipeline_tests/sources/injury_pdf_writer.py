"""Write injury-report PDFs in the official layout (positioned Helvetica text, landscape A4), so the
parser is tested on real PDF bytes with wrapped rows, page breaks and unsubmitted teams.

The column starts and row spacing are those of the real report of 2024-01-04 12:30 PM; the parser
was checked against that file, whose 14 records it reproduces (not committed: it is not ours).
"""

from __future__ import annotations

from nba_pipeline.sources.nba.injury_pdf import DEFAULT_STARTS

WIDTH, HEIGHT = 841.95, 595.35
HEADERS = {
    "date": "Game Date",
    "gametime": "Game Time",
    "matchup": "Matchup",
    "team": "Team",
    "player": "Player Name",
    "status": "Current Status",
    "reason": "Reason",
}
ROW = 22.0  # points between two rows
WRAP = 7.0  # a wrapped cell's lines sit this far above and below the row's baseline


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_bytes(pages: list[list[tuple[float, float, str]]]) -> bytes:
    """A PDF whose pages hold text at (top, x, text), top measured from the page's top edge."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        None,
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for cells in pages:
        stream = "".join(
            f"BT /F1 8 Tf {x:.1f} {HEIGHT - top - 6:.1f} Td ({_escape(text)}) Tj ET\n"
            for top, x, text in cells
        ).encode("latin-1")
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream.decode('latin-1')}endstream")
        content = len(objects)
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content} 0 R >>"
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def report_pdf(title: str, pages: list[list[dict]]) -> bytes:
    """Each row a dict of the columns it writes (values carry down, as in the real report); a list
    value is a wrapped cell, its lines around the row's baseline."""
    laid = []
    for number, rows in enumerate(pages):
        cells = [(45.5, 289.1, title), (538.1, 398.5, f"Page {number + 1} of {len(pages)}")]
        top = 107.7 if number == 0 else 83.6
        if number == 0:
            cells += [(top, DEFAULT_STARTS[col], text) for col, text in HEADERS.items()]
            top += ROW
        for row in rows:
            for col, value in row.items():
                lines = value if isinstance(value, list) else [value]
                first = top - WRAP * (len(lines) - 1)
                cells += [
                    (first + 2 * WRAP * i, DEFAULT_STARTS[col] + 1, line) for i, line in enumerate(lines)
                ]
            top += ROW + (WRAP if any(isinstance(v, list) for v in row.values()) else 0)
        laid.append(cells)
    return pdf_bytes(laid)
