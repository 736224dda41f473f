"""The environment's Namespace, when the stack owns it."""

from __future__ import annotations

from modelfleet.plan import EnvironmentPlan
from modelfleet.build.metadata import object_metadata


def build_namespace(env: EnvironmentPlan) -> dict:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": object_metadata(env, env.namespace, namespaced=False)}
