"""wildcard-toleration: `operator: Exists` with no key tolerates every taint, not only the GPU one."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.workloads import pods


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    for pod in pods(obj):
        for path, toleration in pod.tolerations():
            if not toleration.get("key") and toleration.get("operator") == "Exists":
                yield f"{path}: operator Exists without a key tolerates every taint"


POLICY = resource_policy(
    name="wildcard-toleration",
    description="Tolerations name the taint they tolerate instead of tolerating every taint.",
    level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    remediation="Give the toleration the GPU taint's key, e.g. {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}.",
    check=check,
)
