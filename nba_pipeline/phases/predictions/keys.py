"""The points model's asset key, apart from the assets that build it: the triggers and jobs that name
it need not import the model code (scipy, about 0.5 s of a `trigger` process's start-up)."""

import dagster as dg

POINTS_MODEL = dg.AssetKey(["nba_predictions", "points_model"])
