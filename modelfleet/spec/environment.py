"""The environment block: where and how one stack deploys."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from modelfleet.spec.base import Dns1035Label, Dns1123Label, SpecModel, Version, version_tuple
from modelfleet.spec.pod import PodSettings

DeploymentMode = Literal["Standard", "Knative", "RawDeployment", "Serverless"]

LEGACY_DEPLOYMENT_MODES = {"RawDeployment": "Standard", "Serverless": "Knative"}


def normalise_deployment_mode(mode: str | None) -> str | None:
    """Map KServe's legacy mode names to the current ones (RawDeployment -> Standard, Serverless -> Knative)."""
    return LEGACY_DEPLOYMENT_MODES.get(mode, mode) if mode is not None else None


SUPPORTED_PLATFORMS = {"kserve": ((0, 11), (0, 20)), "knative": ((1, 10), (1, 23)), "kuberay": ((1, 1), (1, 7))}
"""The platform releases whose behaviour the compiler knows, oldest and newest (major, minor); the newest are those
of the vendored schemas (modelfleet/schemas/vendored/provenance.json)."""


class PlatformVersions(SpecModel):
    """Versions of the serving platforms installed on the target cluster; the compiler emits what they accept."""

    kserve: Version = Field("0.20", description="KServe version on the cluster (e.g. '0.20'). Decides the deployment-mode names emitted.")
    knative: Version | None = Field(None, description="Knative Serving version, when Knative is installed.")
    kuberay: Version | None = Field(None, description="KubeRay operator version, when KubeRay is installed.")
    openshift_ai: bool = Field(
        False,
        description="The cluster runs OpenShift AI (Open Data Hub): models may ask for auth: token, which its "
        "controller enforces.",
    )
    manage_knative_features: bool = Field(
        False,
        description="Own the Knative feature flags this environment needs (tolerations, node selectors, PVC "
        "volumes on Knative pods) by applying them to knative-serving/config-features. Off: they are listed "
        "as a warning for the cluster admin. Only one stack per cluster should own them.",
    )

    @field_validator("kserve", "knative", "kuberay")
    @classmethod
    def _supported(cls, value: str | None, info: ValidationInfo) -> str | None:
        """A version whose behaviour the compiler knows (deployment-mode names, CRD fields, webhook rules)."""
        if value is None:
            return value
        low, high = SUPPORTED_PLATFORMS[info.field_name]
        if not low <= version_tuple(value)[:2] <= high:
            supported = " to ".join(".".join(map(str, release)) for release in (low, high))
            raise ValueError(f"{info.field_name} {value} is not a version modelfleet compiles for; it supports {supported}: set the version the cluster runs")
        return value


class GpuFit(SpecModel):
    """How the GPU-fit and KV-cache estimate of vLLM and TGI models reports (README 'GPU fit and KV-cache capacity')."""

    min_concurrency: float = Field(
        4,
        ge=0,
        description="Warn when fewer full-length sequences (maxModelLen, or TGI maxTotalTokens) than this fit in "
        "the KV cache of one replica; 0 turns the warning off. Fewer than one is always an error.",
    )
    missing_architecture: Literal["warn", "error"] = Field(
        "warn", description="A vLLM or TGI model without architecture: warn (it is not checked) or error."
    )


class Environment(SpecModel):
    """One deployment environment (dev, staging, prod): its namespace, common metadata and platform."""

    name: Dns1035Label | None = Field(None, description="Environment name; defaults to the Pulumi stack name.")
    namespace: Dns1123Label = Field(description="Namespace all namespaced objects of this environment go to.")
    create_namespace: bool = Field(False, description="Also create (and own) the Namespace object.")
    labels: dict[str, str] = Field(default_factory=dict, description="Labels added to every object of the environment.")
    annotations: dict[str, str] = Field(
        default_factory=dict, description="Annotations added to every object of the environment."
    )
    platform: PlatformVersions = Field(
        default_factory=PlatformVersions, description="Versions of KServe, Knative and KubeRay on the cluster."
    )
    deployment_mode: DeploymentMode = Field(
        "Knative",
        description="Default KServe deployment mode of the models: Standard or Knative "
        "(the legacy names RawDeployment and Serverless are accepted and normalised).",
    )
    cluster_domain: str = Field("cluster.local", description="Cluster DNS domain, used for the in-cluster URLs.")
    gpu_fit: GpuFit = Field(default_factory=GpuFit, description="Concurrency floor and missing-architecture policy of the GPU-fit check.")
    pod: PodSettings = Field(
        default_factory=PodSettings,
        description="Pod settings every model and Ray cluster starts from; a model's own pod settings win (README 'Pod settings').",
    )

    @field_validator("deployment_mode")
    @classmethod
    def _normalise_mode(cls, mode: str) -> str:
        return normalise_deployment_mode(mode)
