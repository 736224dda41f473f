"""Models: what each environment serves and how."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelfleet.spec.architecture import ArchitectureRef
from modelfleet.spec.base import Dns1035Label, Duration, Quantity, SpecModel, Version, duration_seconds
from modelfleet.spec.engine import EngineOptions, TgiOptions
from modelfleet.spec.env import EnvVar
from modelfleet.spec.environment import DeploymentMode, normalise_deployment_mode
from modelfleet.spec.deployment import DeploymentOptions
from modelfleet.spec.pod import PodSettings
from modelfleet.spec.ray_serve import ServeApplication

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
    """GPUs for one replica, and how they spread over pods when a replica spans several nodes."""

    pool: Dns1035Label = Field(description="Name of an entry in gpuPools.")
    count: int = Field(1, ge=1, description="GPUs per replica, over all its pods (requests equal limits).")
    per_pod: int | None = Field(
        None,
        ge=1,
        description="GPUs per pod when one replica spans several pods (KServe multi-node or Ray workers); "
        "default count (one pod). count must be a multiple of it.",
    )


class ResourceList(SpecModel):
    """CPU and memory amounts."""

    cpu: Quantity | None = Field(None, description="CPU, e.g. '8' or '500m'.")
    memory: Quantity | None = Field(None, description="Memory, e.g. 24Gi.")


class Resources(SpecModel):
    """CPU and memory requests and limits of the serving container (GPUs come from gpu)."""

    requests: ResourceList = Field(default_factory=ResourceList, description="Guaranteed amounts.")
    limits: ResourceList = Field(default_factory=ResourceList, description="Upper bounds.")


def _whole_seconds_within(value: str | None, low: float, high: float) -> str | None:
    if value is not None:
        seconds = duration_seconds(value)
        if seconds != int(seconds):
            raise ValueError(f"{value} is not a whole number of seconds; Knative rounds nothing, write e.g. '{int(seconds)}s'")
        if not low <= seconds <= high:
            raise ValueError(f"{value} is outside Knative's range; use a duration from {_span(low)} to {_span(high)}")
    return value


def _span(seconds: float) -> str:
    return f"{int(seconds) // 3600}h" if seconds >= 3600 and seconds % 3600 == 0 else f"{int(seconds)}s"


KPA_FIELDS = (
    "target_utilization", "stable_window", "scale_down_delay", "panic_window_percentage",
    "panic_threshold", "target_burst_capacity", "scale_to_zero_retention",
)  # fmt: skip
"""Scaling fields only Knative's KPA reads."""


class Scaling(SpecModel):
    """Replica bounds and autoscaling intent; compiled to KPA annotations, InferenceService fields, an HPA or Ray Serve."""

    min_replicas: int = Field(1, ge=0, description="Minimum replicas; 0 scales to zero (Knative KPA or Ray Serve).")
    max_replicas: int | None = Field(None, ge=1, description="Maximum replicas; default minReplicas (at least 1).")
    initial_replicas: int | None = Field(
        None, ge=0, description="Replicas a new revision starts with (Knative initial-scale)."
    )
    metric: Literal["concurrency", "rps", "cpu", "memory"] | None = Field(
        None,
        description="Scale metric: concurrency or rps (Knative KPA; concurrency also on Ray Serve), "
        "cpu or memory (HPA/KEDA in Standard mode and Deployments, or Knative's HPA class).",
    )
    target: int | None = Field(
        None, ge=1, description="Target value of the metric per replica (requests, or percent for cpu/memory)."
    )
    autoscaler: Literal["kpa", "hpa", "keda", "none"] | None = Field(
        None,
        description="Autoscaler class. Knative: kpa (default) or hpa. Standard InferenceServices: hpa (default), "
        "keda or none. Deployments: hpa or none.",
    )
    target_utilization: int | None = Field(
        None, ge=1, le=100, description="KPA: percent of the target to aim for (target-utilization-percentage)."
    )
    stable_window: Duration | None = Field(None, description="KPA: stable window, 6s..1h in whole seconds (window).")
    scale_down_delay: Duration | None = Field(
        None, description="KPA: wait before scaling down, 0s..1h in whole seconds (scale-down-delay)."
    )
    panic_window_percentage: int | None = Field(
        None, ge=1, le=100, description="KPA: panic window as a percent of the stable window (panic-window-percentage)."
    )
    panic_threshold: int | None = Field(
        None, ge=110, le=1000, description="KPA: percent of the target that triggers panic mode, 110..1000 (panic-threshold-percentage)."
    )
    target_burst_capacity: int | None = Field(
        None, ge=-1, description="KPA: spare request capacity before the activator leaves the path; -1 always keeps it."
    )
    scale_to_zero_retention: Duration | None = Field(
        None, description="KPA: keep the last pod this long after scaling to zero is decided (scale-to-zero-pod-retention-period)."
    )

    @field_validator("stable_window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        return _whole_seconds_within(value, 6, 3600)

    @field_validator("scale_down_delay")
    @classmethod
    def _delay(cls, value: str | None) -> str | None:
        return _whole_seconds_within(value, 0, 3600)

    @field_validator("scale_to_zero_retention")
    @classmethod
    def _retention(cls, value: str | None) -> str | None:
        return _whole_seconds_within(value, 0, 3600)

    @model_validator(mode="after")
    def _bounds(self) -> "Scaling":
        if self.max_replicas is not None and self.max_replicas < self.min_replicas:
            raise ValueError(
                f"maxReplicas {self.max_replicas} is below minReplicas {self.min_replicas}; "
                "raise maxReplicas or lower minReplicas"
            )
        if self.initial_replicas is not None and self.max_replicas is not None and self.initial_replicas > self.max_replicas:
            raise ValueError(f"initialReplicas {self.initial_replicas} is above maxReplicas {self.max_replicas}; lower it")
        if (self.metric is None) != (self.target is None):
            raise ValueError("metric and target go together; set both or neither")
        return self

    def kpa_settings(self) -> list[str]:
        """The KPA-only settings this declares, by field name."""
        return [name for name in KPA_FIELDS if getattr(self, name) is not None]


def default_ray_head_resources() -> Resources:
    """A Ray head that schedules no model work: 2 CPUs and 8Gi, requests equal to limits."""
    return Resources.model_validate({"requests": {"cpu": "2", "memory": "8Gi"}, "limits": {"cpu": "2", "memory": "8Gi"}})


class RayOptions(SpecModel):
    """The Ray cluster of a model on the ray backend (a RayService running Ray Serve LLM)."""

    head_resources: "Resources" = Field(
        default_factory=default_ray_head_resources,
        description="CPU and memory of the head pod (it runs no GPU work).",
    )
    upgrade_strategy: Literal["NewCluster", "None"] = Field(
        "NewCluster",
        description="NewCluster starts a second cluster for an upgrade and switches traffic when it is ready: "
        "zero downtime, but twice the GPUs while it runs. None upgrades in place, with downtime.",
    )
    target_ongoing_requests: int | None = Field(
        None, ge=1, description="Ray Serve target_ongoing_requests; default scaling.target when metric is concurrency."
    )
    applications: list[ServeApplication] = Field(
        default_factory=list,
        description="Your own Ray Serve applications (import_path, runtime_env, deployments) instead of the built-in "
        "Ray Serve LLM application; engine options do not apply to them (pass settings in userConfig or args).",
    )


Backend = Literal["kserve", "knative", "deployment", "ray", "llm"]


class Model(SpecModel):
    """One served model: a KServe InferenceService, a Knative Service, a Deployment or a Ray Serve RayService."""

    name: Dns1035Label = Field(description="Name of the serving object (InferenceService, Service, Deployment or RayService).")
    enabled: bool = Field(True, description="false leaves the model out of this environment.")
    backend: Backend = Field(
        "kserve",
        description="kserve: an InferenceService on a runtime; knative: a Knative Service running the engine; "
        "deployment: an apps/v1 Deployment + Service; ray: a RayService (Ray Serve LLM on a KubeRay cluster); "
        "llm: a KServe LLMInferenceService (llm-d: scheduler, prefill/decode split, multi-node workers).",
    )
    display_name: str | None = Field(None, description="Display name (openshift.io/display-name).")
    format: str | None = Field(None, description="Model format, e.g. vLLM, sklearn, onnx, huggingface (kserve backend).")
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
    checkpoint_quantization: str | None = Field(
        None,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        description="How the stored checkpoint is quantized: its config.json quantization_config.quant_method "
        "(awq, gptq, fp8, ...), or none. Checked against engine.quantization: AWQ kernels (awq, awq_marlin) "
        "load AWQ checkpoints only, GPTQ kernels (gptq, gptq_marlin, gptq_marlin_24, marlin, gptq_bitblas) GPTQ "
        "checkpoints only; other pairings are left to the engine.",
    )
    quantization_bits: Literal[4, 8] | None = Field(
        None,
        description="Bits per weight of a checkpoint quantized with an integer method whose width the method name does "
        "not say (gptq, awq, compressed-tensors, bitsandbytes, ...); default 4. Read by the GPU-fit estimate only.",
    )
    architecture: ArchitectureRef | None = Field(
        None,
        description="What the model is, for the GPU-fit and KV-cache estimate: a catalog name (e.g. llama-3.1-8b; "
        "see README 'GPU fit and KV-cache capacity') or the facts from its config.json inline. vLLM and TGI models "
        "without it are not checked (a warning, or an error under environment.gpuFit.missingArchitecture: error).",
    )
    engine: EngineOptions | None = Field(None, description="vLLM engine options (vLLM runtimes only).")
    tgi: TgiOptions | None = Field(None, description="TGI launcher options (TGI runtimes only).")
    shared_memory: Quantity | None = Field(
        None,
        description="Size of the in-memory /dev/shm volume; required when a pod runs tensor or pipeline "
        "parallel workers (NCCL needs more than the container default of 64Mi), e.g. 16Gi.",
    )
    container_concurrency: int | None = Field(
        None, ge=0, description="Hard limit of requests in flight per pod (Knative containerConcurrency); 0 is unlimited."
    )
    timeout_seconds: int | None = Field(None, ge=1, description="Request timeout in seconds (Knative and KServe).")
    ray: RayOptions = Field(default_factory=RayOptions, description="Head pod and upgrades of the ray backend.")
    llm: LlmOptions | None = Field(None, description="Prefill/decode pools, router, presets, LoRA and KV offloading of the llm backend.")
    args: list[str] = Field(default_factory=list, description="Arguments for non-vLLM runtimes' containers.")
    env: list[EnvVar] = Field(default_factory=list, description="Extra environment of the serving container.")
    pod: PodSettings = Field(
        default_factory=PodSettings,
        description="Scheduling, pull secrets, volumes, security, probes and rollout of the pods, over environment.pod "
        "(README 'Pod settings').",
    )
    deployment: DeploymentOptions | None = Field(
        None, description="Service name and port, container port and model mount path (backend deployment)."
    )
    scaling: Scaling = Field(default_factory=Scaling, description="Replicas and autoscaling.")
    deployment_mode: DeploymentMode | None = Field(None, description="Override of environment.deploymentMode.")
    protocol_version: Literal["v1", "v2", "grpc-v1", "grpc-v2"] | None = Field(
        None, description="Inference protocol (KServe protocolVersion)."
    )
    service_account_name: Dns1035Label | None = Field(
        None, description="ServiceAccount of the predictor; default the S3 storage's ServiceAccount."
    )
    canary: Canary | None = Field(
        None, description="A new revision served to part of the traffic (kserve and knative backends); see README 'KServe serving features'."
    )
    transformer: Transformer | None = Field(None, description="Pre/post-processing component in front of the predictor (kserve backend).")
    explainer: Explainer | None = Field(None, description="Explainer component (kserve backend).")
    logger: RequestLogger | None = Field(None, description="Request/response logging to a sink (kserve backend).")
    batcher: Batcher | None = Field(None, description="Server-side request batching (kserve backend, v1 REST protocol).")
    auth: Auth | None = Field(
        None,
        description="token: clients must send a bearer token the platform checks (OpenShift AI; kserve backend). "
        "Upstream KServe has no per-service authentication: it is cluster-wide (Istio/Gateway policies).",
    )
    metrics: Metrics | None = Field(None, description="Per-service metrics (kserve backend); tracing is cluster-wide.")
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


from modelfleet.spec.llm import LlmOptions  # noqa: E402  (spec/llm.py builds on the classes above)
from modelfleet.spec.kserve_features import Auth, Batcher, Canary, Explainer, Metrics, RequestLogger, Transformer  # noqa: E402

Model.model_rebuild()
