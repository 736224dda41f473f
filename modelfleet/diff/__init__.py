"""`modelfleet diff`: what a change does to each environment's objects, serving capacity and policy results."""
