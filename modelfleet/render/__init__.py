"""Rendered output for a GitOps engine: files.py turns objects into one file each; write.py replaces the output
directory with the new trees of every environment in one atomic step."""
