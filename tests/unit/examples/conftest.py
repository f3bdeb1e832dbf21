"""The examples are scripts whose modules sit beside each other: put their folders on the path,
as running a script does."""

import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[3] / "examples"

for folder in ("service", "cron", "spark_style", "storm_style"):
    sys.path.insert(0, str(EXAMPLES / folder))
