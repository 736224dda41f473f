"""gpu-budget (stack policy): the GPUs a stack holds at maximum scale stay within the environment's budget."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from modelfleet_pack.support.objects import KubeObject
from modelfleet_pack.support.policy import stack_policy
from modelfleet_pack.support.workloads import pods

CONFIG = {
    "maxGpus": {
        "type": "number",
        "minimum": 0,
        "default": 8,
        "description": "GPUs the whole stack may hold when every workload runs at its maximum scale.",
    },
}
TOP = 3


def gpus_at_max_scale(obj: KubeObject) -> Decimal:
    return sum((pod.gpus() * pod.pods_at_max_scale for pod in pods(obj)), Decimal(0))


def check(objects: list[tuple[str, KubeObject]], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    budget = Decimal(str(config["maxGpus"]))
    consumers = [(gpus_at_max_scale(obj), obj.display()) for _, obj in objects]
    consumers = sorted(((gpus, name) for gpus, name in consumers if gpus), key=lambda item: (-item[0], item[1]))
    total = sum((gpus for gpus, _ in consumers), Decimal(0))
    if total > budget:
        top = ", ".join(f"{name} {gpus}" for gpus, name in consumers[:TOP])
        yield f"the stack holds {total} GPUs at maximum scale, over the budget of {budget}; largest: {top}", None


POLICY = stack_policy(
    name="gpu-budget",
    description="GPUs held at maximum scale (GPUs per pod x maximum replicas, summed over the stack) stay within the budget.",
    level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Lower maxReplicas or GPUs per replica of the largest consumers, or raise gpu-budget.maxGpus in "
        "policies/config/<env>.json after agreeing on the capacity."
    ),
    check=check,
    config=CONFIG,
)
