"""min-replicas: serving workloads keep warm replicas instead of scaling to zero (a cold LLM start takes minutes)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.workloads import pods

CONFIG = {
    "minReplicas": {
        "type": "integer",
        "minimum": 1,
        "default": 1,
        "description": "Fewest replicas a serving workload may scale down to.",
    },
}


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    floor = config["minReplicas"]
    for pod in pods(obj):
        scale = pod.scale
        if scale is None or scale.minimum >= floor:
            continue
        found = f"is not set ({scale.default})" if scale.default else f"is {scale.minimum}"
        yield f"{scale.field}: {found}, below the minimum of {floor}"


POLICY = resource_policy(
    name="min-replicas",
    description="Serving workloads (InferenceService components, Knative Services, Deployments, StatefulSets) do not scale below a minimum.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Raise the minimum: spec.predictor.minReplicas (InferenceService), the autoscaling.knative.dev/min-scale "
        "annotation (Knative Service) or spec.replicas (in modelfleet: the model's scaling.minReplicas)."
    ),
    check=check,
    config=CONFIG,
)
