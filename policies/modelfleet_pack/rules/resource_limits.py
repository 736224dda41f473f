"""resource-limits: serving containers cap their CPU and memory, so one model cannot starve its node."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.workloads import pods

CONFIG = {
    "resources": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "default": ["cpu", "memory"],
        "description": "Resources every serving container must limit.",
    },
}


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    required = list(config["resources"])
    for pod in pods(obj):
        if pod.template:  # a ServingRuntime's container takes the InferenceService's model resources
            continue
        for container in pod.containers:
            missing = [name for name in required if name not in container.resources("limits")]
            if missing and not container.init:
                yield f"{container.path}.resources.limits: no {' or '.join(missing)} limit"


POLICY = resource_policy(
    name="resource-limits",
    description="Serving containers set CPU and memory limits.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation="Set resources.limits.cpu and resources.limits.memory on the container (in modelfleet: the model's resources.limits).",
    check=check,
    config=CONFIG,
)
