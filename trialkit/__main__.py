"""``python -m trialkit``: the same command as ``trialkit``."""

import sys

from trialkit.cli import main

sys.exit(main())
