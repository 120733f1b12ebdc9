"""nba_pipeline: a Dagster platform that runs an NBA player-points props pipeline end to end."""

import warnings

# Dagster marks single-run backfill policies (beta) and partitioned check specs (preview); both are
# deliberate choices here (playbook §1, §13), so their notices would only be noise in every command.
warnings.filterwarnings("ignore", message=r".*is currently in (beta|preview).*")
