"""OVER / UNDER probabilities from the model's own out-of-sample errors, and how well they are calibrated.

The predictive distribution of a player's points is the model's prediction plus a residual drawn from
the errors it made on games it had not seen (the validation weeks before its cutoff), binned by the
size of the prediction: a 25-point scorer misses by more than a 5-point one. P(OVER line) is the
share of those residuals that would have put him above the line. Calibration is measured with the
Brier score and a reliability table by decile of the predicted probability.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

BINS = 10  # prediction deciles
PROBS = np.linspace(0.01, 0.99, 99)  # residual quantiles kept per bin
EDGE_GRID = tuple(
    2.0 + 0.5 * i for i in range(9)
)  # 2.0 .. 6.0 points: never under DOMAIN §3's default of 2.0
BREAK_EVEN = 0.524  # the hit rate that pays at -110 on both sides
MIN_BETS = 30  # fewer calls than this say nothing about a threshold


@dataclass(frozen=True)
class ResidualDistribution:
    edges: list[float]  # inner bin edges on the predicted points
    quantiles: list[list[float]]  # per bin: residual (actual - predicted) at PROBS

    @classmethod
    def fit(cls, predicted, actual) -> ResidualDistribution:
        predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
        edges = np.unique(np.quantile(predicted, np.linspace(0, 1, BINS + 1)[1:-1]))
        bins = np.searchsorted(edges, predicted, side="right")
        residual = actual - predicted
        quantiles = [np.quantile(residual[bins == b], PROBS).round(3).tolist() for b in range(len(edges) + 1)]
        return cls(edges.round(3).tolist(), quantiles)

    def p_over(self, predicted, line) -> np.ndarray:
        """P(points > line) for each prediction; NaN where there is no line."""
        predicted, line = np.asarray(predicted, dtype=float), np.asarray(line, dtype=float)
        bins = np.searchsorted(np.asarray(self.edges), predicted, side="right")
        out = np.full(len(predicted), np.nan)
        for b, q in enumerate(self.quantiles):
            rows = (bins == b) & ~np.isnan(line)
            below = np.interp(line[rows] - predicted[rows], q, PROBS, left=0.0, right=1.0)
            out[rows] = np.clip(1 - below, 0.005, 0.995)
        return out

    def to_json(self) -> dict:
        return asdict(self)


def outcomes(actual, line) -> np.ndarray:
    """1 when the player went over, 0 under, NaN for a push or no line."""
    actual, line = np.asarray(actual, dtype=float), np.asarray(line, dtype=float)
    return np.where(actual > line, 1.0, np.where(actual < line, 0.0, np.nan))


def brier(p_over, outcome) -> float | None:
    p, o = np.asarray(p_over, dtype=float), np.asarray(outcome, dtype=float)
    graded = ~np.isnan(p) & ~np.isnan(o)
    return round(float(np.mean((p[graded] - o[graded]) ** 2)), 4) if graded.any() else None


def reliability(p_over, outcome) -> pd.DataFrame:
    """By decile of P(OVER): how many, the mean predicted probability and the share that went over."""
    frame = pd.DataFrame(
        {"p": np.asarray(p_over, dtype=float), "o": np.asarray(outcome, dtype=float)}
    ).dropna()
    if frame.empty:
        return pd.DataFrame(columns=["decile", "n", "mean_p_over", "share_over"])
    frame["decile"] = np.minimum((frame.p * 10).astype(int), 9)
    table = frame.groupby("decile").agg(n=("o", "size"), mean_p_over=("p", "mean"), share_over=("o", "mean"))
    return table.round(3).reset_index()


def hit_rate(edge, outcome, at_least: float) -> tuple[int, float | None]:
    """Calls with |edge| >= at_least (OVER when the edge is positive): how many, and the share won."""
    edge, o = np.asarray(edge, dtype=float), np.asarray(outcome, dtype=float)
    bets = (np.abs(edge) >= at_least) & ~np.isnan(o)
    won = np.where(edge > 0, o == 1.0, o == 0.0)[bets]
    return int(bets.sum()), (round(float(won.mean()), 4) if bets.any() else None)


def choose_edge_threshold(edge, outcome) -> tuple[float, str]:
    """The smallest edge (points) whose calls broke even on past games, with the reason; the largest
    of the grid when none did or too few calls had a line to tell."""
    for threshold in EDGE_GRID:
        n, rate = hit_rate(edge, outcome, threshold)
        if n >= MIN_BETS and rate >= BREAK_EVEN:
            return float(threshold), f"{n} past calls at edge >= {threshold} hit {rate:.1%}"
    n, rate = hit_rate(edge, outcome, EDGE_GRID[0])
    if n < MIN_BETS:
        return float(EDGE_GRID[0]), f"only {n} past calls with a line: the default {EDGE_GRID[0]} stands"
    return float(
        EDGE_GRID[-1]
    ), f"no edge threshold broke even on past games (edge >= {EDGE_GRID[0]}: {rate:.1%})"
