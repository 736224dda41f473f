"""The plan: what builders read. Immutable and fully resolved (modelfleet/resolve/environment.py makes it from the spec),
so builders never look anything up."""

from __future__ import annotations

from dataclasses import dataclass

from modelfleet.plan.autoscaling import AutoscalingPlan
from modelfleet.plan.engine_container import MODEL_DIR, SERVING_PORT, EngineContainer  # noqa: F401 (the plan's names)
from modelfleet.plan.kserve_features import NO_KSERVE_FEATURES, KserveFeaturesPlan
from modelfleet.plan.pod import NO_POD_SETTINGS, PodPlan
from modelfleet.spec.env import EnvVar
from modelfleet.spec.llm import LlmOptions, LlmPreset, LlmRouter
from modelfleet.spec.model import Model, Resources
from modelfleet.spec.ray_serve import ServeApplication
from modelfleet.spec.runtime import ModelFormat, Runtime
from modelfleet.spec.storage import Storage


@dataclass(frozen=True)
class GpuPlacement:
    """GPUs of one replica (count, spread over pods of per_pod GPUs) and how to reach the pool's nodes."""

    resource_name: str
    count: int
    per_pod: int
    tolerations: tuple[dict, ...]
    node_selector: tuple[tuple[str, str], ...]

    @property
    def pods_per_replica(self) -> int:
        return self.count // self.per_pod


@dataclass(frozen=True)
class StoragePlan:
    name: str
    spec: Storage
    service_account_name: str | None   # S3 connections (not data connections) get a ServiceAccount
    claim_name: str | None             # pvc / newPvc
    volume_name: str | None            # newPvc bound to a static PV


@dataclass(frozen=True)
class RuntimePlan:
    """A ServingRuntime or ClusterServingRuntime compiled from a vLLM engine."""

    name: str
    kind: str
    spec: Runtime
    model_formats: tuple[ModelFormat, ...]


@dataclass(frozen=True)
class RayWorkerGroupPlan:
    name: str
    gpu: GpuPlacement                  # count and per_pod: the GPUs of one worker pod
    replicas: int
    min_replicas: int
    max_replicas: int
    resources: Resources
    shared_memory: str | None


@dataclass(frozen=True)
class RayClusterPlan:
    name: str
    image: str
    ray_version: str
    head_resources: Resources
    worker_groups: tuple[RayWorkerGroupPlan, ...]
    autoscaling: bool
    worker_env: tuple[EnvVar, ...] = ()
    model_claim: str | None = None
    head_gpu: GpuPlacement | None = None   # a head that runs GPU work too
    pod: PodPlan = NO_POD_SETTINGS         # pod settings of head and workers


@dataclass(frozen=True)
class RayServePlan:
    """Ray Serve application(s) of a model on the ray backend: the built-in Ray Serve LLM one, or the user's own."""

    model_id: str                      # the served model name clients send
    model_source: str                  # path under MODEL_DIR or a hub id
    engine_kwargs: tuple[tuple[str, object], ...]
    upgrade_strategy: str
    cluster: RayClusterPlan
    applications: tuple[ServeApplication, ...] = ()  # the user's own, instead of Ray Serve LLM


@dataclass(frozen=True)
class CapacityPlan:
    """GPU memory fit and KV-cache capacity of one engine of a vLLM or TGI model (modelfleet/resolve/gpu_fit.py)."""

    engine: str                        # vLLM | TGI
    architecture: str                  # catalog name, or "inline"
    pool: str
    memory_per_gpu: str                # as the pool declares it, e.g. 80Gi
    gpus_per_engine: int               # tensor x pipeline parallel
    weights_per_gpu: int               # bytes
    overhead_per_gpu: int              # bytes: activations, CUDA context, CUDA graphs, LoRA slots
    kv_budget_per_gpu: int             # bytes
    kv_tokens: int                     # KV cache capacity of one engine
    sequence_length: int               # maxModelLen (TGI maxTotalTokens) the engine runs with
    max_concurrency: float             # kv_tokens / sequence_length, 2 decimals (vLLM's "Maximum concurrency")


@dataclass(frozen=True)
class LlmPoolPlan:
    """One workload of an LLMInferenceService: the main (decode) pool or the prefill pool."""

    gpu: GpuPlacement                  # count: GPUs of a replica; per_pod: of each pod (LeaderWorkerSet when fewer)
    resources: Resources
    tensor: int
    data: int | None                   # data parallel ranks over the pods of a replica (multi-node only)
    data_local: int | None
    data_rpc_port: int | None
    expert: bool
    autoscaling: AutoscalingPlan       # fixed replicas (autoscaler none) or a WVA range (hpa | keda)
    args: tuple[str, ...]              # engine arguments, shell-quoted: KServe's preset runs them through bash eval
    capacity: CapacityPlan | None = None


@dataclass(frozen=True)
class LlmPlan:
    """The LLMInferenceService of a model on the llm backend (modelfleet/resolve/llm.py)."""

    uri: str                           # spec.model.uri
    served_name: str                   # spec.model.name: the model name clients request
    image: str
    env: tuple[EnvVar, ...]
    decode: LlmPoolPlan
    prefill: LlmPoolPlan | None
    router: LlmRouter                  # what the object sets itself; unset fields come from its presets
    lora: tuple[tuple[str, str], ...]  # (adapter name, uri)
    options: LlmOptions


@dataclass(frozen=True)
class ModelPlan:
    name: str
    spec: Model
    backend: str                       # kserve | knative | deployment | ray | llm
    mode: str                          # KServe deployment mode: Standard | Knative
    runtime_name: str                  # name of the (Cluster)ServingRuntime on the cluster
    runtime_version: str | None
    storage_uri: str | None
    storage_key: tuple[str, str] | None  # OpenShift AI data connection: (key, path)
    service_account_name: str | None
    image_pull_secret: str | None        # OCI model images from a private registry
    gpu: GpuPlacement | None
    args: tuple[str, ...]
    env: tuple[EnvVar, ...]
    autoscaling: AutoscalingPlan
    shared_memory: str | None
    multi_node: tuple[int, int] | None   # KServe workerSpec (tensorParallelSize, pipelineParallelSize)
    container: EngineContainer | None    # knative and deployment backends
    ray: RayServePlan | None             # ray backend
    url: str
    capacity: CapacityPlan | None = None # vLLM and TGI models with architecture facts on a pool with memoryPerGpu
    llm: LlmPlan | None = None          # llm backend
    features: KserveFeaturesPlan = NO_KSERVE_FEATURES  # kserve backend: canary, transformer, explainer, logger, batcher, auth, metrics
    pod: PodPlan = NO_POD_SETTINGS      # pod settings (environment.pod under models[].pod)
    service: tuple[str, int] | None = None  # deployment backend: (Service name, port)

    @property
    def min_replicas(self) -> int:
        return self.autoscaling.min_replicas

    @property
    def max_replicas(self) -> int:
        return self.autoscaling.max_replicas


@dataclass(frozen=True)
class ImageBuildPlan:
    """The engine image `pulumi up` builds in the stack (modelfleet:imageBuild); paths relative to the project root."""

    context: str                       # build context directory, e.g. runtime-image
    dockerfile: str                    # <context>/Dockerfile
    tag: str                           # <repository>:<engineVersion>-<12 hex of the context's content digest>
    platforms: tuple[str, ...]
    push: bool
    engine_version: str                # from <context>/image.lock


@dataclass(frozen=True)
class EnvironmentPlan:
    name: str
    namespace: str
    create_namespace: bool
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]
    kserve_version: tuple[int, ...]
    storages: tuple[StoragePlan, ...]
    runtimes: tuple[RuntimePlan, ...]
    models: tuple[ModelPlan, ...]
    ray_clusters: tuple[RayClusterPlan, ...]
    manage_knative_features: bool
    domain: str
    notes: tuple[str, ...] = ()          # found while resolving, shown as warnings
    image_build: ImageBuildPlan | None = None  # the engine image built by `pulumi up`; its tag is in the manifests
    llm_presets: tuple[LlmPreset, ...] = ()  # LLMInferenceServiceConfig objects of the llm backend
