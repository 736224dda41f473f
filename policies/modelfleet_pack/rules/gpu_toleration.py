"""gpu-toleration: a pod that requests a GPU tolerates the GPU nodes' taint, or it never schedules there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import resource_policy
from modelfleet_pack.support.workloads import GPU_RESOURCE_NAMES, pods

CONFIG = {
    "taintKeys": {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
        "default": ["nvidia.com/gpu"],
        "description": "Keys of the taints on GPU nodes; tolerating any one of them is enough.",
    },
}


def tolerates(toleration: dict, keys: list[str]) -> bool:
    """Whether the toleration lets the pod onto a node tainted `<key>[=<any value>]:NoSchedule`."""
    if toleration.get("effect") not in (None, "", "NoSchedule"):
        return False
    operator = toleration.get("operator") or "Equal"
    key = toleration.get("key")
    if not key:
        return operator == "Exists"  # no key and Exists tolerates every taint
    return key in keys and operator in ("Exists", "Equal")


def check(obj: KubeObject, config: Mapping[str, Any]) -> Iterator[str]:
    keys = list(config["taintKeys"])
    for pod in pods(obj):
        asking = [container for container in pod.containers if container.gpus()]
        if not asking or any(tolerates(toleration, keys) for _, toleration in pod.tolerations()):
            continue
        resources = sorted({name for container in asking for name in container.gpus()})
        labels = ", ".join(container.label for container in asking)
        yield f"{pod.path}: requests {', '.join(resources)} ({labels}) but does not tolerate the GPU taint {' or '.join(keys)}"


POLICY = resource_policy(
    name="gpu-toleration",
    description=f"Workloads that request a GPU ({GPU_RESOURCE_NAMES}) tolerate the GPU node taint.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Add a toleration for the GPU taint to the pod spec that requests the GPU, e.g. "
        "tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}] "
        "(in modelfleet: the GPU pool's tolerations)."
    ),
    check=check,
    config=CONFIG,
)
