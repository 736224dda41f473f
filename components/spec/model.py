"""Models: what each environment serves and how."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Dns1035Label, Quantity, SpecModel, Version
from .engine import EngineOptions
from .env import EnvVar
from .environment import DeploymentMode, normalise_deployment_mode

STORAGE_URI_SCHEMES = ("s3://", "gs://", "hf://", "oci://", "pvc://", "https://", "http://", "hdfs://", "webhdfs://")


class StorageRef(SpecModel):
    """Model files inside a named storage connection."""

    name: Dns1035Label = Field(description="Name of an entry in storage.")
    path: str = Field(
        description="Path inside it: an S3 key prefix, a directory on the PVC, an org/model id on the hub, "
        "or repo:tag on the OCI registry.",
        min_length=1,
    )


class GpuRequest(SpecModel):
    """GPUs for one replica."""

    pool: Dns1035Label = Field(description="Name of an entry in gpuPools.")
    count: int = Field(1, ge=1, description="GPUs per replica (requests equal limits).")


class ResourceList(SpecModel):
    """CPU and memory amounts."""

    cpu: Quantity | None = Field(None, description="CPU, e.g. '8' or '500m'.")
    memory: Quantity | None = Field(None, description="Memory, e.g. 24Gi.")


class Resources(SpecModel):
    """CPU and memory requests and limits of the serving container (GPUs come from gpu)."""

    requests: ResourceList = Field(default_factory=ResourceList, description="Guaranteed amounts.")
    limits: ResourceList = Field(default_factory=ResourceList, description="Upper bounds.")


class Scaling(SpecModel):
    """Replica bounds and the autoscaling signal."""

    min_replicas: int = Field(1, ge=0, description="Minimum replicas; 0 scales to zero (Knative mode only).")
    max_replicas: int | None = Field(None, ge=1, description="Maximum replicas; default min_replicas (at least 1).")
    metric: Literal["concurrency", "rps", "cpu", "memory"] | None = Field(
        None, description="Scale metric: concurrency or rps (Knative mode), cpu or memory (Standard mode)."
    )
    target: int | None = Field(
        None, ge=1, description="Target value of the metric per replica (requests, or percent for cpu/memory)."
    )

    @model_validator(mode="after")
    def _bounds(self) -> "Scaling":
        if self.max_replicas is not None and self.max_replicas < self.min_replicas:
            raise ValueError(
                f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas}; "
                "raise maxReplicas or lower minReplicas"
            )
        if (self.metric is None) != (self.target is None):
            raise ValueError("metric and target go together; set both or neither")
        return self


class Model(SpecModel):
    """One served model, compiled to a KServe InferenceService."""

    name: Dns1035Label = Field(description="InferenceService name (a DNS-1035 label).")
    enabled: bool = Field(True, description="false leaves the model out of this environment.")
    display_name: str | None = Field(None, description="Display name (openshift.io/display-name).")
    format: str = Field(description="Model format, e.g. vLLM, sklearn, onnx, huggingface.")
    format_version: str | None = Field(None, description="Model format version.")
    runtime: Dns1035Label = Field(description="Name of an entry in runtimes.")
    runtime_version: Version | None = Field(
        None, description="runtimeVersion: the image tag KServe runs; default the runtime's version."
    )
    storage: StorageRef | None = Field(None, description="Model files in a named storage connection.")
    storage_uri: str | None = Field(
        None, description="Or a full KServe storageUri (s3://, gs://, hf://, oci://, pvc://, https://)."
    )
    gpu: GpuRequest | None = Field(None, description="GPUs per replica from a GPU pool.")
    resources: Resources = Field(default_factory=Resources, description="CPU and memory requests and limits.")
    engine: EngineOptions | None = Field(None, description="vLLM engine options (vLLM runtimes only).")
    args: list[str] = Field(default_factory=list, description="Arguments for non-vLLM runtimes' containers.")
    env: list[EnvVar] = Field(default_factory=list, description="Extra environment of the serving container.")
    scaling: Scaling = Field(default_factory=Scaling, description="Replicas and autoscaling.")
    deployment_mode: DeploymentMode | None = Field(None, description="Override of environment.deploymentMode.")
    protocol_version: Literal["v1", "v2", "grpc-v1", "grpc-v2"] | None = Field(
        None, description="Inference protocol (KServe protocolVersion)."
    )
    service_account_name: Dns1035Label | None = Field(
        None, description="ServiceAccount of the predictor; default the S3 storage's ServiceAccount."
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Labels of the InferenceService.")
    annotations: dict[str, str] = Field(default_factory=dict, description="Annotations of the InferenceService.")

    @model_validator(mode="after")
    def _source(self) -> "Model":
        if (self.storage is None) == (self.storage_uri is None):
            raise ValueError("set exactly one of storage (a named connection) or storageUri")
        if self.storage_uri is not None and not self.storage_uri.startswith(STORAGE_URI_SCHEMES):
            raise ValueError(f"storageUri must start with one of {', '.join(STORAGE_URI_SCHEMES)}")
        return self

    @property
    def mode(self) -> str | None:
        return normalise_deployment_mode(self.deployment_mode)


