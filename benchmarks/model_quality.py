"""Benchmark: the platform's weekly points model against the moving-average baseline, trained only on
the past, on both shared real seasons and on the simulated league.

Each case is a data directory the platform builds itself (phases 1-4 as one single-run backfill over
every season, then phase 5 over the test season: a model per Monday, each serving its week):

- real 2023-24, history 2021-22: the shared folder replayed as one history.
- real 2021-22, history 2023-24: the same two files with 2021-22 moved 156 weeks later (to
  2024-10-15 .. 2025-04-06) so that 2023-24 is the season before it. The order is swapped, so the
  carried rates know how players developed later: read it as "a previous season helps", not as a
  forecast. The shifted copy is written inside the case's data directory, never into the project.
- real 2021-22, no earlier season: the first home's own 2021-22 (the first season the data has).
- sim 2023-24, history 2022-23: two simulated seasons.

Printed per case, from March 1 to the season's end, on the player-games both systems predicted: MAE of
model and baseline and their ratio (goal <= 0.95); the share of game dates from the season's second
week with predictions of each system (goal >= 95 %); the Brier score of the model's P(OVER) (book
lines on the sim; on the real seasons, which have none, the line a book would set from the moving
average, n.5); the hit rate at edge >= 3 on the sim's lines (goal >= 53 %). Then what each modelling
choice bought on real 2023-24: the same weekly retraining with one choice undone at a time.

    python -m benchmarks.model_quality [--cases real,swapped,sim] [--homes DIR] [--no-ablations]

Heavy (each home is a multi-season backfill): `--homes DIR` keeps the built homes for the next run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from nba_pipeline.environment import REAL_SEASONS_DIR, Settings, load_settings
from nba_pipeline.partitions import week_of
from nba_pipeline.phases.analytics.tables import PLAYER_GAME_SUMMARY
from nba_pipeline.phases.precompute.features import FEATURE_NAMES, FEATURES
from nba_pipeline.phases.precompute.tables import FEATURE_STORE
from nba_pipeline.phases.predictions import calibration as cal
from nba_pipeline.phases.predictions.model import (
    BASELINE,
    SYSTEM_ID,
    TrainedModel,
    baseline_points,
    train,
    training_rows,
)
from nba_pipeline.phases.predictions.tables import ACCURACY, MODEL_REGISTRY, PREDICTIONS
from nba_pipeline.phases.raw.tables import SCHEDULE
from nba_pipeline.resources.warehouse import DuckDBWarehouse, read_dates
from nba_pipeline.runner import run_phases
from nba_pipeline.sources.sim.league import season_bounds

NOW = "2025-06-01T12:00:00-04:00"  # after every game of every case
SHIFT = timedelta(weeks=156)
REAL = {
    "2021-22": (date(2021, 10, 19), date(2022, 4, 10)),
    "2023-24": (date(2023, 10, 24), date(2024, 4, 14)),
}
GOALS = {"ratio": 0.95, "share": 0.95, "hit_rate": 0.53}
BUILT = ".model-quality-built"  # a home holding this marker is reused as it is


@dataclass(frozen=True)
class Case:
    name: str
    home: str
    season: tuple[date, date]  # the test season's first and last date
    lines: str  # real | proxy


def build(settings: Settings, history: tuple[date, date], seasons: list[tuple[date, date]], tag: str) -> None:
    """Phases 1-4 over every season, then phase 5 over each test season, as a person's backfills would."""
    marker = settings.home / BUILT
    if marker.exists():
        return
    print(f"building {tag}: phases 1-4 {history[0]}..{history[1]}, phase 5 {seasons}", file=sys.stderr)
    run_phases(settings, *history, 4, "backfill", "backfill", f"model-quality-{tag}")
    for season in seasons:
        run_phases(settings, *season, 5, "backfill", "backfill", f"model-quality-{tag}", first=5)
    marker.write_text(tag)


def shifted_folder(folder: Path) -> Path:
    """2023-24 as it is and 2021-22 moved 156 weeks later (same weekdays), as one replay folder."""
    folder.mkdir(parents=True, exist_ok=True)
    later = folder / "player_logs_2021-22_as_2024-25.csv"
    if not later.exists():
        rows = pd.read_csv(REAL_SEASONS_DIR / "player_logs_2021-22.csv", dtype={"GAME_ID": str})
        rows["GAME_DATE"] = (pd.to_datetime(rows.GAME_DATE) + SHIFT).dt.strftime("%Y-%m-%d")
        rows.to_csv(later, index=False)
        pd.read_csv(REAL_SEASONS_DIR / "player_logs_2023-24.csv", dtype={"GAME_ID": str}).to_csv(
            folder / "player_logs_2023-24.csv", index=False
        )
    return folder


def cases(wanted: set[str], homes: Path) -> list[Case]:
    out = []
    if {"real", "swapped"} & wanted and not REAL_SEASONS_DIR.exists():
        print(f"skipping real seasons: {REAL_SEASONS_DIR} is absent", file=sys.stderr)
        wanted = wanted - {"real", "swapped"}
    if "real" in wanted:
        settings = load_settings(
            environ={}, home=str(homes / "real"), source="replay", replay_csv=str(REAL_SEASONS_DIR), now=NOW
        )
        build(settings, (REAL["2021-22"][0], REAL["2023-24"][1]), list(REAL.values()), "real")
        out += [
            Case("real 2023-24, history 2021-22", str(settings.home), REAL["2023-24"], "proxy"),
            Case("real 2021-22, no earlier season", str(settings.home), REAL["2021-22"], "proxy"),
        ]
    if "swapped" in wanted:
        home = homes / "swapped"
        folder = shifted_folder(home / "replay")
        settings = load_settings(environ={}, home=str(home), source="replay", replay_csv=str(folder), now=NOW)
        season = (REAL["2021-22"][0] + SHIFT, REAL["2021-22"][1] + SHIFT)
        build(settings, (REAL["2023-24"][0], season[1]), [season], "swapped")
        out.append(Case("real 2021-22, history 2023-24 (swapped)", str(home), season, "proxy"))
    if "sim" in wanted:
        settings = load_settings(environ={}, home=str(homes / "sim"), now=NOW)
        (first, _), season = season_bounds(2022), season_bounds(2023)
        build(settings, (first, season[1]), [season], "sim")
        out.append(Case("sim 2023-24, history 2022-23", str(settings.home), season, "real"))
    return out


def test_window(season: tuple[date, date]) -> tuple[date, date]:
    """March 1 (of the season's calendar; shifted seasons keep their weekdays) to the last date."""
    march = date(season[1].year, 3, 1)
    return march, season[1]


def _models(warehouse: DuckDBWarehouse, home: str, versions) -> dict[str, TrainedModel]:
    registry = read_dates(warehouse, MODEL_REGISTRY, date(2000, 1, 1), date(2100, 1, 1))
    folder = Path(home) / "models" / "points_model"
    return {
        v: TrainedModel.from_bytes((folder / f"{v}.json").read_bytes())
        for v in set(versions) & set(registry.model_version)
    }


def evaluate(case: Case) -> dict:
    warehouse = DuckDBWarehouse(Path(case.home) / "warehouse.duckdb")
    first, last = test_window(case.season)
    graded = read_dates(warehouse, ACCURACY, first, last)
    both = graded[graded.groupby(["game_id", "player_lookup"]).system_id.transform("nunique") == 2]
    mae = both.groupby("system_id").abs_error.mean()
    # share of game dates with predictions, from the season's second week
    schedule = read_dates(
        warehouse, SCHEDULE, case.season[0] + timedelta(days=7), case.season[1], ["game_date"]
    )
    predicted = read_dates(warehouse, PREDICTIONS, case.season[0], case.season[1], ["game_date", "system_id"])
    game_dates = set(schedule.game_date)
    share = {
        s: len(game_dates & set(predicted[predicted.system_id == s].game_date)) / len(game_dates)
        for s in (SYSTEM_ID, BASELINE)
    }
    model_rows = both[both.system_id == SYSTEM_ID].set_index(["game_id", "player_lookup"])
    actual = model_rows.actual_points.astype(float).to_numpy()
    if case.lines == "real":
        line, p_over = model_rows.line.astype(float).to_numpy(), model_rows.p_over.astype(float).to_numpy()
    else:  # no book lines: the line a book would set from the moving average, and the model's own P(OVER)
        base = both[both.system_id == BASELINE].set_index(["game_id", "player_lookup"]).predicted_points
        line = (np.floor(base.reindex(model_rows.index).astype(float)) + 0.5).to_numpy()
        models = _models(warehouse, case.home, model_rows.model_version.unique())
        p_over = np.full(len(model_rows), np.nan)
        for version, model in models.items():
            rows = (model_rows.model_version == version).to_numpy()
            p_over[rows] = model.p_over(model_rows.predicted_points.to_numpy(dtype=float)[rows], line[rows])
    outcome = cal.outcomes(actual, line)
    bets, hit = (
        cal.hit_rate(model_rows.predicted_points.to_numpy(dtype=float) - line, outcome, 3.0)
        if case.lines == "real"
        else (0, None)
    )
    return {
        "case": case.name,
        "test": f"{first}..{last}",
        "rows": int(len(model_rows)),
        "mae_model": round(float(mae.get(SYSTEM_ID, np.nan)), 3),
        "mae_baseline": round(float(mae.get(BASELINE, np.nan)), 3),
        "ratio": round(float(mae.get(SYSTEM_ID, np.nan) / mae.get(BASELINE, np.nan)), 4),
        "share_model": round(share[SYSTEM_ID], 4),
        "share_baseline": round(share[BASELINE], 4),
        "brier": cal.brier(p_over, outcome),
        "brier_lines": case.lines,
        "reliability": cal.reliability(p_over, outcome).to_dict("records"),
        "bets_edge_3": bets,
        "hit_rate_edge_3": hit,
    }


NEW_FEATURES = {
    "carried": {f.name for f in FEATURES if f.kind == "carry"}
    | {"points_avg_blend", "minutes_avg_blend", "ppm_blend", "exp_points_blend"},
    "rotation": {"team_games_before", "games_missed_streak", "apps_last_10_team", "app_share_season"},
    "half_lives": {
        *(f"ewm_{v}_{h}" for v in ("points", "minutes") for h in ("short", "mid", "long")),
        "ewm_ppm_mid",
        "ewm_ppm_long",
        "exp_points_long_rate",
        "exp_points_mid_rate",
    },
    "teammates": {
        "team_active_points",
        "team_recent_out_points",
        "team_recent_out_minutes",
        "team_just_out_points",
        "points_share_available",
        "points_rank_available",
        "team_active_players",
    },
}
OLD_TREES = {"num_leaves": 7, "min_data_in_leaf": 200}
ABLATIONS = (  # (what changes, keyword arguments of train, feature names left out, this season's rows only)
    ("none: the platform's model", {}, set(), False),
    ("learn sqrt(points), not points", {"root": True}, set(), False),
    ("L2 objective (a mean, not a median)", {"params": {"objective": "l2"}}, set(), False),
    ("without the carried-over features", {}, NEW_FEATURES["carried"], False),
    ("without the rotation features", {}, NEW_FEATURES["rotation"], False),
    ("without the earlier season's rows", {}, set(), True),
    ("learn the gap to exp_points_blend", {"offset": "exp_points_blend"}, set(), False),
    ("without the multi-half-life averages", {}, NEW_FEATURES["half_lives"], False),
    ("without the teammates-available features", {}, NEW_FEATURES["teammates"], False),
    ("trees of 7 leaves, 200 rows a leaf", {"params": OLD_TREES}, set(), False),
    (
        "the 63 features and trees before those",
        {"params": OLD_TREES},
        NEW_FEATURES["half_lives"] | NEW_FEATURES["teammates"],
        False,
    ),
    (
        "the original 50 features only",
        {"root": False, "params": OLD_TREES},
        NEW_FEATURES["carried"]
        | NEW_FEATURES["rotation"]
        | NEW_FEATURES["half_lives"]
        | NEW_FEATURES["teammates"],
        False,
    ),
)


def ablations(home: str, season: tuple[date, date], history_start: date) -> list[dict]:
    """The weekly retraining of the test window again, with one modelling choice undone at a time, on
    the player-games both the model and the baseline predict."""
    warehouse = DuckDBWarehouse(Path(home) / "warehouse.duckdb")
    first, last = test_window(season)
    rows = training_rows(
        read_dates(warehouse, FEATURE_STORE, history_start, last),
        read_dates(
            warehouse,
            PLAYER_GAME_SUMMARY,
            history_start,
            last,
            ["game_id", "game_date", "player_lookup", "points"],
        ),
    )
    days = pd.to_datetime(rows.game_date).dt.date
    available = [f for f in FEATURE_NAMES if rows[f].notna().any()]
    out = []
    for undone, kwargs, dropped, this_season_only in ABLATIONS:
        learn = rows[days >= season[0]] if this_season_only else rows
        features = [f for f in available if f not in dropped]
        errors_model, errors_base = [], []
        cutoff = week_of(first)
        while cutoff <= last:
            model = train(learn, cutoff, threads=2, features=features, **kwargs)
            week = rows[(days >= max(cutoff, first)) & (days < cutoff + timedelta(days=7)) & (days <= last)]
            base = baseline_points(week)
            scored = base.notna().to_numpy()
            errors_model.append(np.abs(week.points.to_numpy()[scored] - model.predict(week[scored])))
            errors_base.append(np.abs(week.points.to_numpy()[scored] - base.to_numpy()[scored]))
            cutoff += timedelta(days=7)
        m, b = float(np.concatenate(errors_model).mean()), float(np.concatenate(errors_base).mean())
        out.append(
            {
                "undone": undone,
                "features": len(features),
                "mae_model": round(m, 3),
                "mae_baseline": round(b, 3),
                "ratio": round(m / b, 4),
            }
        )
        print(
            f"  {undone:40} {len(features):>4} {m:>9.3f} {b:>9.3f} {m / b:>7.4f}", file=sys.stderr, flush=True
        )
    return out


def _fmt(value, pattern: str) -> str:
    return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else format(value, pattern)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="real,swapped,sim")
    parser.add_argument("--homes", help="where the cases' data directories are kept (built when missing)")
    parser.add_argument("--no-ablations", action="store_true")
    args = parser.parse_args(argv)
    homes = Path(args.homes or tempfile.mkdtemp(prefix="model-quality-"))
    results = [evaluate(case) for case in cases(set(args.cases.split(",")), homes)]
    print(
        f"{'case':42} {'test (March on)':22} {'rows':>6} {'model':>6} {'base':>6} {'ratio':>6} "
        f"{'share m/b':>11} {'Brier':>6} {'edge>=3 hit':>12}"
    )
    for r in results:
        hit = (
            f"{r['hit_rate_edge_3']:.1%} ({r['bets_edge_3']})"
            if r["hit_rate_edge_3"] is not None
            else "— no lines"
        )
        brier = f"{_fmt(r['brier'], '.4f')}{'' if r['brier_lines'] == 'real' else '*'}"
        print(
            f"{r['case']:42} {r['test']:22} {r['rows']:>6} {r['mae_model']:>6.3f} {r['mae_baseline']:>6.3f} "
            f"{r['ratio']:>6.4f} {r['share_model']:>5.1%}/{r['share_baseline']:>5.1%} {brier:>6} {hit:>12}"
        )
    print(
        f"goals: ratio <= {GOALS['ratio']}, share >= {GOALS['share']:.0%} (from the season's second week), "
        f"hit rate at edge >= 3 >= {GOALS['hit_rate']:.0%} on the sim's lines; * Brier against the moving average's n.5 (no book lines)"
    )
    report = {"cases": results, "goals": GOALS}
    if not args.no_ablations and "real" in args.cases and REAL_SEASONS_DIR.exists():
        print(
            "\nwhat each choice bought (real 2023-24, weekly models from March on; one choice undone at a time):"
        )
        print(f"  {'undone':40} {'feat':>4} {'model':>9} {'base':>9} {'ratio':>7}")
        report["ablations"] = ablations(str(homes / "real"), REAL["2023-24"], REAL["2021-22"][0])
        for a in report["ablations"]:
            print(
                f"  {a['undone']:40} {a['features']:>4} {a['mae_model']:>9.3f} {a['mae_baseline']:>9.3f} {a['ratio']:>7.4f}"
            )
    Path("benchmarks/results").mkdir(parents=True, exist_ok=True)
    Path("benchmarks/results/model_quality.json").write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
