import sys

from nba_pipeline.cli import main

sys.exit(main())
