"""The modelfleet policy pack's code: rules/ (one policy per module) and support/ (what the rules share)."""
