"""The Pulumi resource name of a built object: the components register it under this name, and `modelfleet check`
builds the same URNs from it (without importing the Pulumi SDK)."""

from __future__ import annotations


def resource_name(obj: dict) -> str:
    """Explicit, stable Pulumi resource name: <namespace>/<name>, or <name> for cluster-scoped objects."""
    metadata = obj["metadata"]
    return f"{metadata['namespace']}/{metadata['name']}" if metadata.get("namespace") else metadata["name"]
