"""`python -m modelfleet`: the modelfleet command."""

from modelfleet.cli import run

run()
