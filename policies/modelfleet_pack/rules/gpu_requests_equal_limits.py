"""gpu-requests-equal-limits: GPUs cannot be overcommitted, so a GPU request must equal its limit."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.quantities import quantity
from modelfleet_pack.support.workloads import GPU_RESOURCE, GPU_RESOURCE_NAMES, containers


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    for container in containers(obj):
        requests, limits = container.resources("requests"), container.resources("limits")
        for name in sorted(requests):
            if not GPU_RESOURCE.match(name):
                continue
            if name not in limits:
                yield f"{container.path}.resources: requests {requests[name]} {name} but sets no limit for it"
            elif quantity(requests[name]) != quantity(limits[name]):
                yield f"{container.path}.resources: requests {requests[name]} {name} but limits it to {limits[name]}"


POLICY = resource_policy(
    name="gpu-requests-equal-limits",
    description=f"GPU requests ({GPU_RESOURCE_NAMES}) equal their limits.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Set resources.limits.<gpu> to the same amount as resources.requests.<gpu> "
        "(or set only the limit: Kubernetes then requests the same amount)."
    ),
    check=check,
)
