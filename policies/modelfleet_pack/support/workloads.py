"""Every place a pod template hides in the kinds this pack knows, with its containers and scale.

Paths are written as in the manifest (`spec.template.spec.containers[0]`), so messages point at the
field to change. KServe's model spec (`spec.predictor.model`) and the legacy framework specs
(`spec.predictor.sklearn`, ...) are containers of the predictor pod: KServe merges them into it.
An LLMInferenceService's pod specs are `spec.template` / `spec.worker` (decode), `spec.prefill.template` /
`spec.prefill.worker` and `spec.router.scheduler.template`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from .objects import KubeObject, items, mapping, per_object, whole_number
from .quantities import quantity

GPU_RESOURCE = re.compile(r"^(nvidia\.com/gpu|nvidia\.com/mig-.+|amd\.com/gpu|intel\.com/gpu|habana\.ai/gaudi)$")
GPU_RESOURCE_NAMES = "nvidia.com/gpu, nvidia.com/mig-*, amd.com/gpu, intel.com/gpu, habana.ai/gaudi"

KSERVE = "serving.kserve.io"
KNATIVE = "serving.knative.dev"
RAY = "ray.io"
# Container-shaped specs of an InferenceService component that KServe turns into its serving container.
SERVING_SPECS = ("model", "huggingface", "lightgbm", "onnx", "paddle", "pmml", "pytorch", "sklearn", "tensorflow", "triton", "xgboost", "art")
KNATIVE_MIN_SCALE = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")
KNATIVE_MAX_SCALE = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")


@dataclass(frozen=True)
class Container:
    path: str
    spec: dict
    init: bool = False  # init containers run before the serving containers, not beside them

    @property
    def label(self) -> str:
        name = self.spec.get("name")
        return f"'{name}'" if isinstance(name, str) and name else self.path

    def resources(self, section: str) -> dict:
        return mapping(mapping(self.spec.get("resources")).get(section))

    def gpus(self) -> dict[str, Decimal]:
        """GPU extended resources and their amount (the limit, else the request)."""
        found: dict[str, Decimal] = {}
        for section in ("requests", "limits"):
            for name, value in self.resources(section).items():
                amount = quantity(value)
                if GPU_RESOURCE.match(name) and amount is not None and amount > 0:
                    found[name] = amount
        return found


@dataclass(frozen=True)
class Scale:
    """The lowest replica count of a serving workload, and where it is (or would be) set."""

    field: str
    minimum: int
    default: str | None  # how the minimum was found when the field is not set, e.g. "KServe default 1"


@dataclass(frozen=True)
class Pod:
    path: str  # where the pod's spec fields (tolerations, containers) live
    spec: dict
    containers: tuple[Container, ...]
    pods_at_max_scale: int
    scale: Scale | None = None  # serving workloads with a replica minimum
    template: bool = False  # a ServingRuntime: runs only as part of the InferenceServices that select it

    def tolerations(self) -> list[tuple[str, dict]]:
        """(path, toleration) of each toleration of the pod."""
        return [(f"{self.path}.tolerations[{index}]", item) for index, item in enumerate(items(self.spec.get("tolerations"))) if isinstance(item, dict)]

    def gpus(self) -> Decimal:
        """GPUs one pod holds: the serving containers together, or the largest init container."""
        running = sum((sum(c.gpus().values(), Decimal(0)) for c in self.containers if not c.init), Decimal(0))
        starting = max((sum(c.gpus().values(), Decimal(0)) for c in self.containers if c.init), default=Decimal(0))
        return max(running, starting)


def _scale(field: str, value: int | None, default: int, note: str) -> Scale:
    return Scale(field, default, note) if value is None else Scale(field, value, None)


def _containers(spec: dict, path: str) -> tuple[Container, ...]:
    found = []
    for key, init in (("initContainers", True), ("containers", False)):
        found += [Container(f"{path}.{key}[{index}]", item, init) for index, item in enumerate(items(spec.get(key))) if isinstance(item, dict)]
    return tuple(found)


def _isvc_components(obj: KubeObject) -> Iterator[tuple[str, object]]:
    """(path, spec) of the predictor, transformer, explainer and each canary predictor (KServe 0.20 spec.canary[])."""
    for component in ("predictor", "transformer", "explainer"):
        yield f"spec.{component}", obj.spec.get(component)
    for index, canary in enumerate(items(obj.spec.get("canary"))):
        if isinstance(canary, dict):
            yield f"spec.canary[{index}].predictor", canary.get("predictor")


def _isvc_pods(obj: KubeObject) -> Iterator[Pod]:
    for path, spec in _isvc_components(obj):
        if not isinstance(spec, dict):
            continue
        serving = tuple(Container(f"{path}.{key}", spec[key]) for key in SERVING_SPECS if isinstance(spec.get(key), dict))
        scale = _scale(f"{path}.minReplicas", whole_number(spec.get("minReplicas")), 1, "KServe default 1")
        maximum = whole_number(spec.get("maxReplicas")) or max(scale.minimum, 1)
        yield Pod(path, spec, serving + _containers(spec, path), maximum, scale)
        worker = spec.get("workerSpec")
        if isinstance(worker, dict):
            # pipelineParallelSize counts the head (the predictor pod) and its workers.
            workers = max((whole_number(worker.get("pipelineParallelSize")) or 2) - 1, 1)
            worker_path = f"{path}.workerSpec"
            yield Pod(worker_path, worker, _containers(worker, worker_path), maximum * workers)


def _runtime_pods(obj: KubeObject) -> Iterator[Pod]:
    yield Pod("spec", obj.spec, _containers(obj.spec, "spec"), 0, template=True)
    worker = obj.spec.get("workerSpec")
    if isinstance(worker, dict):
        yield Pod("spec.workerSpec", worker, _containers(worker, "spec.workerSpec"), 0, template=True)


def _knative_pods(obj: KubeObject) -> Iterator[Pod]:
    template = mapping(obj.spec.get("template"))
    annotations = mapping(mapping(template.get("metadata")).get("annotations"))
    field = f"spec.template.metadata.annotations.{KNATIVE_MIN_SCALE[0]}"
    minimum = next((whole_number(annotations[key]) for key in KNATIVE_MIN_SCALE if key in annotations), None)
    scale = _scale(field, minimum, 0, "Knative default 0: scales to zero")
    maximum = next((whole_number(annotations[key]) for key in KNATIVE_MAX_SCALE if key in annotations), None)
    spec = mapping(template.get("spec"))
    yield Pod("spec.template.spec", spec, _containers(spec, "spec.template.spec"), maximum or max(scale.minimum, 1), scale)


def _ray_pods(cluster: dict, base: str) -> Iterator[Pod]:
    head = mapping(mapping(cluster.get("headGroupSpec")).get("template"))
    path = f"{base}.headGroupSpec.template.spec"
    yield Pod(path, mapping(head.get("spec")), _containers(mapping(head.get("spec")), path), 1)
    for index, group in enumerate(items(cluster.get("workerGroupSpecs"))):
        group = mapping(group)
        spec = mapping(mapping(group.get("template")).get("spec"))
        path = f"{base}.workerGroupSpecs[{index}].template.spec"
        replicas = whole_number(group.get("maxReplicas")) or whole_number(group.get("replicas")) or 1
        hosts = whole_number(group.get("numOfHosts")) or 1
        yield Pod(path, spec, _containers(spec, path), replicas * hosts)


def _llm_workload_pods(workload: dict, base: str) -> Iterator[Pod]:
    """The pods of one LLMInferenceService workload (the main/decode one at `spec`, or `spec.prefill`): a pod per
    replica from `template`, and with `worker` a LeaderWorkerSet of data / dataLocal (or pipeline) pods per replica."""
    scaling = mapping(workload.get("scaling"))
    if scaling:
        scale = _scale(f"{base}.scaling.minReplicas", whole_number(scaling.get("minReplicas")), 1, "KServe default 1")
        maximum = whole_number(scaling.get("maxReplicas")) or scale.minimum
    else:
        scale = _scale(f"{base}.replicas", whole_number(workload.get("replicas")), 1, "Kubernetes default 1")
        maximum = scale.minimum
    parallelism = mapping(workload.get("parallelism"))
    data, local = whole_number(parallelism.get("data")), whole_number(parallelism.get("dataLocal"))
    size = max((data or 1) // max(local or 1, 1), 1) if data or local else whole_number(parallelism.get("pipeline")) or 1
    for key, count in (("template", maximum), ("worker", maximum * max(size - 1, 1))):
        spec = workload.get(key)
        if isinstance(spec, dict):
            path = f"{base}.{key}"
            yield Pod(path, spec, _containers(spec, path), count, scale if key == "template" else None)


def _llmisvc_pods(obj: KubeObject) -> Iterator[Pod]:
    yield from _llm_workload_pods(obj.spec, "spec")
    prefill = obj.spec.get("prefill")
    if isinstance(prefill, dict):
        yield from _llm_workload_pods(prefill, "spec.prefill")
    scheduler = mapping(mapping(obj.spec.get("router")).get("scheduler"))
    if isinstance(scheduler.get("template"), dict):
        path = "spec.router.scheduler.template"
        yield Pod(path, scheduler["template"], _containers(scheduler["template"], path), whole_number(scheduler.get("replicas")) or 1)


def _template_pod(obj: KubeObject, base: str, count: int, scale: Scale | None = None) -> Pod:
    spec = obj.spec
    for key in base.split(".")[1:]:
        spec = mapping(spec.get(key))
    return Pod(base, spec, _containers(spec, base), count, scale)


def _pods(obj: KubeObject) -> Iterator[Pod]:
    if obj.is_a(KSERVE, "InferenceService"):
        yield from _isvc_pods(obj)
    elif obj.is_a(KSERVE, "LLMInferenceService"):
        yield from _llmisvc_pods(obj)
    elif obj.is_a(KSERVE, "LLMInferenceServiceConfig"):  # a preset: runs only inside the services that use it
        yield from (replace(pod, pods_at_max_scale=0, scale=None, template=True) for pod in _llmisvc_pods(obj))
    elif obj.is_a(KSERVE, "ServingRuntime", "ClusterServingRuntime"):
        yield from _runtime_pods(obj)
    elif obj.is_a(KNATIVE, "Service"):
        yield from _knative_pods(obj)
    elif obj.is_a(RAY, "RayCluster"):
        yield from _ray_pods(obj.spec, "spec")
    elif obj.is_a(RAY, "RayService"):
        yield from _ray_pods(mapping(obj.spec.get("rayClusterConfig")), "spec.rayClusterConfig")
    elif obj.is_a(RAY, "RayJob"):
        yield from _ray_pods(mapping(obj.spec.get("rayClusterSpec")), "spec.rayClusterSpec")
    elif obj.is_a("apps", "Deployment", "StatefulSet", "ReplicaSet"):
        scale = _scale("spec.replicas", whole_number(obj.spec.get("replicas")), 1, "Kubernetes default 1")
        yield _template_pod(obj, "spec.template.spec", scale.minimum, scale)
    elif obj.is_a("apps", "DaemonSet"):
        yield _template_pod(obj, "spec.template.spec", 1)
    elif obj.is_a("batch", "Job"):
        yield _template_pod(obj, "spec.template.spec", whole_number(obj.spec.get("parallelism")) or 1)
    elif obj.is_a("batch", "CronJob"):
        job = mapping(mapping(obj.spec.get("jobTemplate")).get("spec"))
        yield _template_pod(obj, "spec.jobTemplate.spec.template.spec", whole_number(job.get("parallelism")) or 1)
    elif obj.is_a("", "Pod"):
        yield _template_pod(obj, "spec", 1)


@per_object
def pods(obj: KubeObject) -> tuple[Pod, ...]:
    """Every pod (or pod template) the object runs, in manifest order."""
    return tuple(_pods(obj))


@per_object
def containers(obj: KubeObject) -> tuple[Container, ...]:
    return tuple(container for pod in pods(obj) for container in pod.containers)
