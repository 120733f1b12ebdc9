"""`make screenshots`: the `ui` test's pages as PNGs in docs/screenshots/, from a temporary instance.

python -m nba_pipeline_tests.ui.screenshots [OUT_DIR]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from nba_pipeline.environment import REPO_ROOT
from nba_pipeline_tests.ui import pages as ui


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else REPO_ROOT / "docs" / "screenshots"
    missing = ui.chromium_missing()
    if missing:
        print(f"cannot take screenshots: {missing}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nba-ui-") as tmp:
        live = ui.build(Path(tmp) / "nba")
        with ui.webserver(live), ui.browser() as context:
            for page in ui.pages():
                target = out / f"{page.name}.png"
                ui.visit(context, live.port, page, screenshot=target)
                print(f"{target.relative_to(REPO_ROOT) if target.is_relative_to(REPO_ROOT) else target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
