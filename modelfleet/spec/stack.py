"""The whole stack spec of one environment, after shared definitions and the stack file are merged."""

from __future__ import annotations

from pydantic import Field

from modelfleet.spec.base import SpecModel
from modelfleet.spec.environment import Environment
from modelfleet.spec.gitops import GitOps
from modelfleet.spec.gpu_pool import GpuPool
from modelfleet.spec.image_build import ImageBuild
from modelfleet.spec.model import Model
from modelfleet.spec.llm import LlmPreset  # after model: spec/llm.py builds on spec/model.py
from modelfleet.spec.ray_cluster import RayCluster
from modelfleet.spec.runtime import Runtime
from modelfleet.spec.storage import Storage

CONFIG_NAMESPACE = "modelfleet"
"""Pulumi config namespace (the project name): keys are written modelfleet:<key>."""


class StackSpec(SpecModel):
    """Everything one environment declares. Each top-level field is one Pulumi config key modelfleet:<field>."""

    environment: Environment = Field(description="Namespace, labels, platform versions and default deployment mode.")
    gpu_pools: list[GpuPool] = Field(default_factory=list, description="GPU node pools models can request.")
    storage: list[Storage] = Field(default_factory=list, description="Storage connections holding model files.")
    runtimes: list[Runtime] = Field(default_factory=list, description="Serving runtimes.")
    image_build: ImageBuild | None = Field(
        None,
        description="Build the engine image in the stack with `pulumi up` (pulumi-docker-build) for runtimes whose "
        "vllm.imageLock is <context>/image.lock, instead of the image the runtime-image workflow pushed. Off by "
        "default: CI builds are the GitOps path.",
    )
    models: list[Model] = Field(default_factory=list, description="Served models.")
    ray_clusters: list[RayCluster] = Field(default_factory=list, description="Standalone KubeRay clusters.")
    llm_presets: list[LlmPreset] = Field(
        default_factory=list,
        description="LLMInferenceServiceConfig presets (router, tracing) that models on the llm backend list in llm.presets.",
    )
    gitops: GitOps | None = Field(
        None,
        description="Argo CD and/or Flux objects syncing this environment's rendered tree from the deploy branch, "
        "written to rendered/<env>/gitops/ by `modelfleet render` (never deployed by Pulumi).",
    )


CONFIG_KEYS = tuple(field.alias for field in StackSpec.model_fields.values())
