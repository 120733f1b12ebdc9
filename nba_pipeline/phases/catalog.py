"""Every table the phases write, by name."""

from nba_pipeline.phases.analytics.tables import ANALYTICS_TABLES
from nba_pipeline.phases.precompute.tables import PRECOMPUTE_TABLES
from nba_pipeline.phases.predictions.tables import PREDICTION_TABLES
from nba_pipeline.phases.raw.tables import RAW_TABLES
from nba_pipeline.resources.warehouse import Table

TABLES: dict[str, Table] = {
    t.name: t for t in (*RAW_TABLES, *ANALYTICS_TABLES, *PRECOMPUTE_TABLES, *PREDICTION_TABLES)
}
