"""The modelfleet policy pack: assembles the rules (one per module under rules/); holds no logic."""

from pulumi_policy import EnforcementLevel, PolicyPack

from modelfleet_pack.rules import (
    gpu_budget,
    gpu_requests_equal_limits,
    gpu_toleration,
    min_replicas,
    no_latest_image,
    no_plaintext_secrets,
    pinned_image,
    pinned_runtime_version,
    resource_limits,
    trust_remote_code,
    wildcard_toleration,
)

PolicyPack(
    name="modelfleet",
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Model-serving guard rails for KServe, Knative, KubeRay and plain Kubernetes workloads.",
    policies=[
        gpu_toleration.POLICY,
        wildcard_toleration.POLICY,
        pinned_runtime_version.POLICY,
        pinned_image.POLICY,
        no_latest_image.POLICY,
        gpu_requests_equal_limits.POLICY,
        resource_limits.POLICY,
        trust_remote_code.POLICY,
        no_plaintext_secrets.POLICY,
        min_replicas.POLICY,
        gpu_budget.POLICY,
    ],
)
