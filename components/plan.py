"""Resolve a validated spec into a plan: defaults applied, references followed, cross-field rules checked.

The plan is what builders read. It is immutable and fully resolved, so builders never look anything up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .builtin_runtimes import BUILTIN_RUNTIMES
from .engine_args import vllm_args
from .merge import locate
from .quantities import parse_quantity
from .source_yaml import SourceProblem, format_path
from .spec.base import version_tuple
from .spec.env import EnvVar
from .spec.gpu_pool import GpuPool
from .spec.model import Model
from .spec.runtime import ModelFormat, Runtime
from .spec.storage import Storage
from .stack_files import LoadedStack, SpecError

PART_OF_LABEL = ("app.kubernetes.io/part-of", "modelfleet")
ENVIRONMENT_LABEL = "modelfleet.io/environment"
HOST_LIMIT = 63
DEFAULT_VLLM_FORMATS = (ModelFormat.model_validate({"name": "vLLM", "autoSelect": True}),)
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class GpuPlacement:
    """GPUs of one replica and how to reach the pool's nodes."""

    resource_name: str
    count: int
    tolerations: tuple[dict, ...]
    node_selector: tuple[tuple[str, str], ...]


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
class ModelPlan:
    name: str
    spec: Model
    mode: str                          # Standard | Knative
    runtime_name: str                  # name of the (Cluster)ServingRuntime on the cluster
    runtime_version: str | None
    storage_uri: str | None
    storage_key: tuple[str, str] | None  # OpenShift AI data connection: (key, path)
    service_account_name: str | None
    image_pull_secret: str | None        # OCI model images from a private registry
    gpu: GpuPlacement | None
    args: tuple[str, ...]
    env: tuple[EnvVar, ...]
    min_replicas: int
    max_replicas: int
    url: str


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


class _Problems:
    """Collects (path, message) pairs; located against the sources at the end."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []

    def add(self, path: tuple, message: str) -> None:
        self.items.append((path, message))


def _by_name(items: list) -> dict[str, tuple[int, object]]:
    """Entries by name with their index (names are unique: the loader reports repeated ones)."""
    return {item.name: (index, item) for index, item in enumerate(items)}


def _unknown(kind: str, name: str, known: dict) -> str:
    listed = ", ".join(sorted(known)) or "none"
    return f"unknown {kind} '{name}'; defined: {listed}"


def _gpu_placement(pool: GpuPool, count: int) -> GpuPlacement:
    vendor = pool.resource_name.split("/")[0]
    tolerations = pool.tolerations
    if tolerations is None:
        default_key = "nvidia.com/gpu" if vendor == "nvidia.com" else pool.resource_name
        rendered = ({"key": default_key, "operator": "Exists", "effect": "NoSchedule"},)
    else:
        rendered = tuple(toleration.model_dump(by_alias=True, exclude_none=True) for toleration in tolerations)
    selector = dict(pool.node_selector)
    if pool.gpu_model and vendor == "nvidia.com":
        selector.setdefault("nvidia.com/gpu.product", pool.gpu_model)
    return GpuPlacement(pool.resource_name, count, rendered, tuple(sorted(selector.items())))


def _storage_plan(storage: Storage, namespace: str) -> StoragePlan:
    service_account = None
    if storage.s3 is not None and not storage.s3.data_connection:
        service_account = storage.s3.service_account_name or f"{storage.name}-sa"
    claim = volume = None
    if storage.pvc is not None:
        claim = storage.pvc.claim_name
    if storage.new_pvc is not None:
        claim = storage.new_pvc.claim_name or storage.name
        # PersistentVolumes are cluster-wide: prefix the namespace so environments sharing a cluster don't clash
        volume = f"{namespace}-{claim}"[:253] if storage.new_pvc.volume is not None else None
    return StoragePlan(storage.name, storage, service_account, claim, volume)


def _model_source(storage: StoragePlan, path: str) -> tuple[str | None, tuple[str, str] | None]:
    spec = storage.spec
    path = path.lstrip("/")
    if spec.s3 is not None:
        if spec.s3.data_connection:
            return None, (spec.s3.secret_name, path)
        return f"s3://{spec.s3.bucket}/{path}", None
    if spec.hugging_face is not None:
        return f"hf://{path}", None
    if spec.oci is not None:
        return f"oci://{spec.oci.registry.rstrip('/')}/{path}", None
    return f"pvc://{storage.claim_name}/{path}", None


def image_tag(image: str) -> str | None:
    """The tag of an image reference without digest ('repo:v1' -> 'v1'), else None."""
    if "@" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def _vllm_runtime_version(runtime: Runtime, requested: str | None, at: tuple, problems: _Problems) -> str | None:
    """runtimeVersion for a model on a compiled vLLM runtime.

    KServe rewrites the runtime image's trailing ':<tag>' to ':<runtimeVersion>'. On a digest-pinned image
    that corrupts the digest; on a tagged image any other tag runs an engine the flags were not compiled for.
    So the only safe value is the image's own tag, which is also the default.
    """
    image = runtime.vllm.image
    tag = image_tag(image)
    if requested is None:
        return tag
    if _DIGEST.search(image):
        problems.add(at + ("runtimeVersion",), f"runtime '{runtime.name}' pins its image by digest; KServe would replace the digest with runtimeVersion and break the image; remove runtimeVersion (the digest already pins the engine)")
    elif requested != tag:
        problems.add(at + ("runtimeVersion",), f"runtime '{runtime.name}' runs {image} (vLLM {runtime.vllm.version}); runtimeVersion {requested} would run another engine than the flags are compiled for; remove runtimeVersion or declare a runtime with that image")
    return requested


def _check_resources(model: Model, at: tuple, problems: _Problems) -> None:
    for resource in ("cpu", "memory"):
        request = getattr(model.resources.requests, resource)
        limit = getattr(model.resources.limits, resource)
        if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
            problems.add(at + ("resources", "requests", resource), f"request {request} is above the limit {limit}; lower the request or raise the limit")


def _resolve_model(index: int, model: Model, env_mode: str, namespace: str, domain: str,
                   runtimes: dict, storages: dict, pools: dict, problems: _Problems) -> ModelPlan | None:
    at = ("models", index)
    before = len(problems.items)
    host = f"{model.name}-predictor-{namespace}"
    if len(host) > HOST_LIMIT:
        problems.add(at + ("name",), f"the generated host '{host}' has {len(host)} characters, over {HOST_LIMIT}; shorten the model name or the namespace")
    mode = model.mode or env_mode

    runtime: Runtime | None = runtimes.get(model.runtime, (None, None))[1]
    runtime_name = model.runtime
    if runtime is None:
        problems.add(at + ("runtime",), _unknown("runtime", model.runtime, runtimes))
    elif runtime.builtin is not None:
        info = BUILTIN_RUNTIMES[runtime.builtin]
        runtime_name = info.runtime_name
        if model.format.lower() not in info.formats:
            problems.add(at + ("format",), f"runtime '{runtime.name}' ({info.runtime_name}) serves {', '.join(info.formats)}, not '{model.format}'; change format or runtime")
        if model.engine is not None:
            problems.add(at + ("engine",), f"engine options are for vLLM runtimes; runtime '{runtime.name}' is KServe's {runtime.builtin} runtime: use args")
    else:
        formats = runtime.model_formats or DEFAULT_VLLM_FORMATS
        if model.format.lower() not in {fmt.name.lower() for fmt in formats}:
            problems.add(at + ("format",), f"runtime '{runtime.name}' serves {', '.join(fmt.name for fmt in formats)}, not '{model.format}'; change format or runtime")
        if model.args:
            problems.add(at + ("args",), "a vLLM model takes engine options; move these to engine.extraArgs")

    runtime_version = model.runtime_version
    if runtime is not None and runtime.builtin is not None:
        runtime_version = runtime_version or runtime.version
    elif runtime is not None:
        runtime_version = _vllm_runtime_version(runtime, model.runtime_version, at, problems)

    storage_uri, storage_key, storage_sa, pull_secret = model.storage_uri, None, None, None
    if model.storage is not None:
        found = storages.get(model.storage.name)
        if found is None:
            problems.add(at + ("storage", "name"), _unknown("storage", model.storage.name, storages))
        else:
            storage_uri, storage_key = _model_source(found[1], model.storage.path)
            storage_sa = found[1].service_account_name
            pull_secret = found[1].spec.oci.image_pull_secret_name if found[1].spec.oci else None

    env = list(model.env)
    if model.storage is not None and model.storage.name in storages:
        hub = storages[model.storage.name][1].spec.hugging_face
        if hub is not None and hub.token_secret_name and not any(var.name == "HF_TOKEN" for var in env):
            env.append(EnvVar.model_validate({"name": "HF_TOKEN", "secretKeyRef": {"name": hub.token_secret_name, "key": hub.token_secret_key}}))

    gpu = None
    if model.gpu is not None:
        pool = pools.get(model.gpu.pool, (None, None))[1]
        if pool is None:
            problems.add(at + ("gpu", "pool"), _unknown("GPU pool", model.gpu.pool, pools))
        else:
            gpu = _gpu_placement(pool, model.gpu.count)
            if pool.gpus_per_node is not None and model.gpu.count > pool.gpus_per_node:
                problems.add(at + ("gpu", "count"), f"{model.gpu.count} GPUs per replica, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower gpu.count or use a multi-node backend")

    args: list[str] = list(model.args)
    if model.engine is not None and runtime is not None and runtime.vllm is not None:
        tp = model.engine.tensor_parallel_size
        gpus = model.gpu.count if model.gpu is not None else 0
        if tp is not None and (gpus < tp or gpus % tp):
            problems.add(at + ("engine", "tensorParallelSize"), f"tensorParallelSize {tp} does not divide the {gpus} GPU(s) of a replica; set gpu.count to a multiple of {tp}")
        args = vllm_args(model.engine, runtime.vllm.version)

    scaling = model.scaling
    if scaling.min_replicas == 0 and mode != "Knative":
        problems.add(at + ("scaling", "minReplicas"), f"scale to zero needs Knative mode, this model runs in {mode} mode; set minReplicas to 1 or deploymentMode: Knative")
    if scaling.metric in ("concurrency", "rps") and mode != "Knative":
        problems.add(at + ("scaling", "metric"), f"metric '{scaling.metric}' is a Knative (KPA) metric, this model runs in {mode} mode; use cpu or memory, or deploymentMode: Knative")
    if scaling.metric in ("cpu", "memory") and mode == "Knative":
        problems.add(at + ("scaling", "metric"), f"metric '{scaling.metric}' needs the HPA of Standard mode; use concurrency or rps in Knative mode, or deploymentMode: Standard")
    _check_resources(model, at, problems)

    if len(problems.items) != before:
        return None
    url_host = model.name if mode == "Knative" else f"{model.name}-predictor"
    return ModelPlan(
        name=model.name,
        spec=model,
        mode=mode,
        runtime_name=runtime_name,
        runtime_version=runtime_version,
        storage_uri=storage_uri,
        storage_key=storage_key,
        service_account_name=model.service_account_name or storage_sa,
        image_pull_secret=pull_secret,
        gpu=gpu,
        args=tuple(args),
        env=tuple(env),
        min_replicas=scaling.min_replicas,
        max_replicas=scaling.max_replicas or max(scaling.min_replicas, 1),
        url=f"http://{url_host}.{namespace}.svc.{domain}",
    )


def resolve(loaded: LoadedStack) -> EnvironmentPlan:
    """The plan of one environment; raises SpecError listing every cross-reference problem, located."""
    spec = loaded.spec
    problems = _Problems()
    environment = spec.environment
    pools = _by_name(spec.gpu_pools)
    storages_by_name = _by_name(spec.storage)
    runtimes = _by_name(spec.runtimes)
    storage_plans = {name: (index, _storage_plan(storage, environment.namespace)) for name, (index, storage) in storages_by_name.items()}

    models = []
    for index, model in enumerate(spec.models):
        if model.enabled:
            plan = _resolve_model(index, model, environment.deployment_mode, environment.namespace,
                                  environment.cluster_domain, runtimes, storage_plans, pools, problems)
            if plan is not None:
                models.append(plan)
    if problems.items:
        raise SpecError([SourceProblem(locate(loaded.provenance, path), format_path(path), message) for path, message in problems.items])

    runtime_plans = tuple(
        RuntimePlan(runtime.name, "ClusterServingRuntime" if runtime.scope == "Cluster" else "ServingRuntime",
                    runtime, tuple(runtime.model_formats or DEFAULT_VLLM_FORMATS))
        for runtime in spec.runtimes if runtime.vllm is not None
    )
    name = environment.name or loaded.env
    labels = dict(environment.labels)
    labels.update({PART_OF_LABEL[0]: PART_OF_LABEL[1], ENVIRONMENT_LABEL: name})
    return EnvironmentPlan(
        name=name,
        namespace=environment.namespace,
        create_namespace=environment.create_namespace,
        labels=tuple(sorted(labels.items())),
        annotations=tuple(sorted(environment.annotations.items())),
        kserve_version=version_tuple(environment.platform.kserve),
        storages=tuple(plan for _, plan in storage_plans.values()),
        runtimes=runtime_plans,
        models=tuple(models),
    )
