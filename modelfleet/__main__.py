"""`python -m modelfleet`: the modelfleet command."""

import sys

from modelfleet.cli import main

sys.exit(main())
