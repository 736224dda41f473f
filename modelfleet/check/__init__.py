"""`modelfleet check`: the policy pack in policies/, driven offline over Pulumi's Analyzer protocol."""
