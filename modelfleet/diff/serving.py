"""What each serving workload of an environment costs and runs, read from its manifests.

Read from the rendered objects rather than the plan, so both sides of any diff (a git revision compiled by
its own compiler, or rendered directories) are summarised the same way. A workload is an
InferenceService, an LLMInferenceService, a Knative Service, a Deployment, a RayService or a RayCluster; per workload: GPUs at
min and at max scale, replicas, the runtime and the image that really runs, engine options, autoscaling
settings, where the model comes from, and the KV-cache capacity the compiler estimated (recorded as annotations
on the serving object, because a diff reads manifests only).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from modelfleet.plan.metadata_keys import AUTOSCALER_CLASS_ANNOTATION, KV_TOKENS_ANNOTATION, MANAGED_ANNOTATION_PREFIXES, MAX_CONCURRENCY_ANNOTATION
from modelfleet.resolve.engine_args import is_flag
from modelfleet.resolve.engine_image import ENGINE_CONFIG_ENV
from modelfleet.quantities import parse_quantity
from modelfleet.diff.object_diff import ObjectKey

_SERVE_CONFIG_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # every RayService's Serve config, on both sides: libyaml's speed
GPU_RESOURCE = re.compile(r"^(nvidia\.com/(gpu|mig-.+)|amd\.com/gpu|intel\.com/gpu|habana\.ai/gaudi)$")
KNATIVE_MIN = ("autoscaling.knative.dev/min-scale", "autoscaling.knative.dev/minScale")
KNATIVE_MAX = ("autoscaling.knative.dev/max-scale", "autoscaling.knative.dev/maxScale")
_DIGEST_OR_TAG = re.compile(r"(@sha256:[0-9a-f]+|:[\w][\w.-]*)$")


@dataclass(frozen=True)
class Serving:
    """One workload. None for a maximum means unbounded (a Knative Service without max-scale)."""

    key: ObjectKey
    backend: str                         # kserve | knative | deployment | ray | ray-cluster | llm
    gpus_min: int
    gpus_max: int | None
    replicas_min: int
    replicas_max: int | None
    runtime: str | None                  # KServe: the (Cluster)ServingRuntime selected
    runtime_version: str | None
    image: str | None                    # the engine image that runs (KServe's runtimeVersion applied)
    engine_options: tuple[tuple[str, str], ...]
    autoscaling: tuple[tuple[str, str], ...]
    storage: str | None
    kv_tokens: int | None = None         # estimated KV-cache capacity of one replica (modelfleet.io/kv-cache-tokens)
    max_concurrency: str | None = None   # full-length sequences it holds (modelfleet.io/max-concurrency)
    traffic: tuple[tuple[str, str], ...] = ()  # KServe canary: ("canary" or "canary <name>", "<percent>%"); Knative: ("traffic <tag>", "<percent>%")


def _map(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _count(value: Any, default: int | None) -> int | None:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default


def _gpus(containers: list) -> int:
    """GPUs the containers hold together: each container's limit (else its request) of GPU resources."""
    total = Decimal(0)
    for container in containers:
        resources = _map(_map(container).get("resources"))
        amounts: dict[str, Decimal] = {}
        for section in ("requests", "limits"):
            for name, value in _map(resources.get(section)).items():
                if GPU_RESOURCE.match(str(name)):
                    try:
                        amounts[name] = parse_quantity(str(value))
                    except (InvalidOperation, ValueError):
                        continue
        total += sum(amounts.values(), Decimal(0))
    return int(total)


def _times(count: int, replicas: int | None) -> int | None:
    return None if replicas is None else count * replicas


def _flags(tokens: list) -> list[tuple[str, str]]:
    """`--name=value`, `--name value` and `--switch` as (name, value) pairs; tokens before the first flag
    (the program) are not options."""
    options: list[tuple[str, str]] = []
    words = [str(token) for token in tokens]
    index = next((i for i, word in enumerate(words) if is_flag(word)), len(words))
    while index < len(words):
        word = words[index]
        if is_flag(word) and "=" in word:
            options.append(tuple(word.split("=", 1)))
        elif is_flag(word) and index + 1 < len(words) and not is_flag(words[index + 1]):
            options.append((word, words[index + 1]))
            index += 1
        else:
            options.append((word, "true") if is_flag(word) else ("(argument)", word))
        index += 1
    return options


def _engine_options(containers: list) -> tuple[tuple[str, str], ...]:
    """Options of the engine container (the first one): its flags, and the entrypoint's JSON config."""
    container = _map(containers[0]) if containers else {}
    options = _flags(_list(container.get("command")) + _list(container.get("args")))
    for variable in _list(container.get("env")):
        if _map(variable).get("name") == ENGINE_CONFIG_ENV and isinstance(variable.get("value"), str):
            try:
                config = json.loads(variable["value"])
            except ValueError:
                continue
            options += [(f"{ENGINE_CONFIG_ENV}.{key}", json.dumps(value)) for key, value in sorted(_map(config).items())]
    return tuple(options)


def _annotation_settings(annotations: dict, skip: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return sorted((key, str(value)) for key, value in annotations.items() if (key.startswith(MANAGED_ANNOTATION_PREFIXES) or key == AUTOSCALER_CLASS_ANNOTATION) and key not in skip)


def _claims(pod: dict) -> str | None:
    claims = sorted(f"pvc://{_map(volume.get('persistentVolumeClaim')).get('claimName')}" for volume in map(_map, _list(pod.get("volumes"))) if "persistentVolumeClaim" in volume)
    return ", ".join(claims) or None


def _runtime_image(runtime: dict, version: str | None) -> str | None:
    containers = _list(_map(runtime.get("spec")).get("containers"))
    image = _map(containers[0]).get("image") if containers else None
    if image is None or version is None:
        return image
    # KServe replaces the image's tag with the InferenceService's runtimeVersion.
    return _DIGEST_OR_TAG.sub("", image) + f":{version}"


def _inference_service(obj: dict, key: ObjectKey, runtimes: dict[str, dict]) -> Serving:
    annotations = _map(_map(obj.get("metadata")).get("annotations"))
    predictor = _map(_map(obj.get("spec")).get("predictor"))
    model = _map(predictor.get("model"))
    mode = annotations.get("serving.kserve.io/deploymentMode", "Knative")
    minimum = _count(predictor.get("minReplicas"), 1)
    maximum = _count(predictor.get("maxReplicas"), 0)
    if annotations.get(AUTOSCALER_CLASS_ANNOTATION) == "none":
        maximum = minimum
    elif not maximum:
        maximum = None if mode in ("Knative", "Serverless") else minimum
    per_replica = _gpus([model, *_list(predictor.get("containers"))])
    worker = _map(predictor.get("workerSpec"))
    if worker:
        # pipelineParallelSize counts the nodes of a replica: the head (the predictor pod) and its workers.
        per_replica += _gpus(_list(worker.get("containers"))) * max((_count(worker.get("pipelineParallelSize"), 2) or 2) - 1, 1)
    runtime_name = model.get("runtime")
    runtime = runtimes.get(runtime_name, {}) if isinstance(runtime_name, str) else {}
    runtime_containers = _list(_map(runtime.get("spec")).get("containers"))
    engine = {**_map(runtime_containers[0] if runtime_containers else {})}
    engine["args"] = _list(engine.get("args")) + _list(model.get("args"))  # KServe appends the model's args
    engine["env"] = _list(engine.get("env")) + _list(model.get("env"))
    autoscaling = _annotation_settings(annotations)
    autoscaling += [(field, json.dumps(predictor[field], sort_keys=True) if isinstance(predictor[field], (dict, list)) else str(predictor[field])) for field in ("scaleMetric", "scaleTarget", "containerConcurrency", "autoScaling") if field in predictor]
    storage = model.get("storageUri") or (json.dumps(model["storage"], sort_keys=True) if "storage" in model else None)
    version = model.get("runtimeVersion")
    traffic, canary_gpus = _canary_traffic(obj, predictor)
    return Serving(
        key, "kserve", per_replica * minimum + canary_gpus, None if maximum is None else per_replica * maximum + canary_gpus,
        minimum, maximum, runtime_name, version, _runtime_image(runtime, version) if runtime else model.get("image"),
        _engine_options([engine]), tuple(sorted(autoscaling)), storage, traffic=traffic,
    )  # fmt: skip


def _canary_traffic(obj: dict, predictor: dict) -> tuple[tuple[tuple[str, str], ...], int]:
    """The canary's share of requests, and the GPUs of Standard mode's canary predictors (fixed replicas)."""
    traffic = [("canary", f"{predictor['canaryTrafficPercent']}%")] if "canaryTrafficPercent" in predictor else []
    gpus = 0
    for canary in map(_map, _list(_map(obj.get("spec")).get("canary"))):
        candidate = _map(canary.get("predictor"))
        traffic.append((f"canary {candidate.get('name')}", f"{canary.get('trafficPercent')}%"))
        gpus += _gpus([_map(candidate.get("model")), *_list(candidate.get("containers"))]) * (_count(candidate.get("minReplicas"), 1) or 1)
    return tuple(traffic), gpus


def _knative_service(obj: dict, key: ObjectKey) -> Serving:
    template = _map(_map(obj.get("spec")).get("template"))
    annotations = _map(_map(template.get("metadata")).get("annotations"))
    pod = _map(template.get("spec"))
    containers = _list(pod.get("containers"))
    minimum = next((_count(annotations[name], 0) for name in KNATIVE_MIN if name in annotations), 0) or 0
    maximum = next((_count(annotations[name], 0) for name in KNATIVE_MAX if name in annotations), 0) or None
    per_pod = _gpus(containers)
    autoscaling = _annotation_settings(annotations, KNATIVE_MIN + KNATIVE_MAX)
    if "containerConcurrency" in pod:
        autoscaling.append(("containerConcurrency", str(pod["containerConcurrency"])))
    image = _map(containers[0]).get("image") if containers else None
    targets = list(map(_map, _list(_map(obj.get("spec")).get("traffic"))))
    traffic = tuple((f"traffic {target.get('tag')}", f"{target.get('percent', 0)}%") for target in targets if "tag" in target)
    revisions = max(len(targets), 1)  # each routed revision keeps its min-scale (the stable one its own, assumed alike)
    return Serving(key, "knative", per_pod * minimum * revisions, _times(per_pod * revisions, maximum), minimum, maximum, None, None, image,
                   _engine_options(containers), tuple(sorted(autoscaling)), _claims(pod), traffic=traffic)


def _deployment(obj: dict, key: ObjectKey, scalers: dict[tuple[str, str], dict]) -> Serving:
    spec = _map(obj.get("spec"))
    pod = _map(_map(spec.get("template")).get("spec"))
    containers = _list(pod.get("containers"))
    scaler = _map(scalers.get((key.namespace, key.name)))
    autoscaling: list[tuple[str, str]] = []
    if scaler:
        minimum = _count(_map(scaler.get("spec")).get("minReplicas"), 1) or 0
        maximum = _count(_map(scaler.get("spec")).get("maxReplicas"), minimum)
        autoscaling = [(f"hpa.{field}", json.dumps(value, sort_keys=True)) for field, value in sorted(_map(scaler.get("spec")).items()) if field in ("metrics", "behavior")]
    else:
        minimum = maximum = _count(spec.get("replicas"), 1) or 0
    per_pod = _gpus(containers)
    image = _map(containers[0]).get("image") if containers else None
    return Serving(key, "deployment", per_pod * minimum, _times(per_pod, maximum), minimum, maximum, None, None, image, _engine_options(containers), tuple(autoscaling), _claims(pod))


def _ray_gpus(cluster: dict) -> tuple[int, int, int, int]:
    """(GPUs at min, GPUs at max, worker pods at min, worker pods at max) of a Ray cluster spec."""
    autoscaling = cluster.get("enableInTreeAutoscaling") is True
    head = _map(_map(_map(cluster.get("headGroupSpec")).get("template")).get("spec"))
    head_gpus = _gpus(_list(head.get("containers")))
    low = high = head_gpus
    pods_low = pods_high = 0
    for group in map(_map, _list(cluster.get("workerGroupSpecs"))):
        per_pod = _gpus(_list(_map(_map(group.get("template")).get("spec")).get("containers"))) * (_count(group.get("numOfHosts"), 1) or 1)
        replicas = _count(group.get("replicas"), 1) or 0
        group_low = _count(group.get("minReplicas"), 0) if autoscaling else replicas
        group_high = _count(group.get("maxReplicas"), replicas) if autoscaling else replicas
        low, high = low + per_pod * (group_low or 0), high + per_pod * (group_high or 0)
        pods_low, pods_high = pods_low + (group_low or 0), pods_high + (group_high or 0)
    return low, high, pods_low, pods_high


def _ray_image(cluster: dict) -> str | None:
    containers = _list(_map(_map(_map(cluster.get("headGroupSpec")).get("template")).get("spec")).get("containers"))
    return _map(containers[0]).get("image") if containers else None


def _ray_service(obj: dict, key: ObjectKey) -> Serving:
    spec = _map(obj.get("spec"))
    cluster = _map(spec.get("rayClusterConfig"))
    gpus_min, gpus_max, _, _ = _ray_gpus(cluster)
    try:
        serve = _map(yaml.load(spec.get("serveConfigV2") or "", Loader=_SERVE_CONFIG_LOADER) or {})
    except yaml.YAMLError:
        serve = {}
    llm = next((config for app in map(_map, _list(serve.get("applications"))) for config in map(_map, _list(_map(app.get("args")).get("llm_configs")))), {})
    deployment = _map(llm.get("deployment_config"))
    scaling = _map(deployment.get("autoscaling_config"))
    minimum = _count(scaling.get("min_replicas"), _count(deployment.get("num_replicas"), 1)) or 0
    maximum = _count(scaling.get("max_replicas"), minimum)
    options = tuple((key_, json.dumps(value, sort_keys=True)) for key_, value in sorted(_map(llm.get("engine_kwargs")).items()))
    autoscaling = [(f"serve.{name}", str(value)) for name, value in sorted(scaling.items()) if name not in ("min_replicas", "max_replicas")]
    autoscaling.append(("enableInTreeAutoscaling", str(cluster.get("enableInTreeAutoscaling") is True).lower()))
    source = _map(llm.get("model_loading_config")).get("model_source")
    return Serving(key, "ray", gpus_min, gpus_max, minimum, maximum, None, None, _ray_image(cluster), options, tuple(autoscaling), source)


def _ray_cluster(obj: dict, key: ObjectKey) -> Serving:
    cluster = _map(obj.get("spec"))
    gpus_min, gpus_max, pods_min, pods_max = _ray_gpus(cluster)
    autoscaling = (("enableInTreeAutoscaling", str(cluster.get("enableInTreeAutoscaling") is True).lower()),)
    return Serving(key, "ray-cluster", gpus_min, gpus_max, pods_min, pods_max, None, None, _ray_image(cluster), (), autoscaling, None)


def _llm_workload(workload: dict) -> tuple[int, int, int, int]:
    """(replicas at min, at max, GPUs per replica, pods per replica) of one LLMInferenceService workload."""
    scaling = _map(workload.get("scaling"))
    if scaling:
        minimum = _count(scaling.get("minReplicas"), 1) or 0
        maximum = _count(scaling.get("maxReplicas"), minimum) or 0
    else:
        minimum = maximum = _count(workload.get("replicas"), 1) or 0
    parallelism = _map(workload.get("parallelism"))
    data, local = _count(parallelism.get("data"), None), _count(parallelism.get("dataLocal"), None)
    pods = max((data or 1) // max(local or 1, 1), 1) if data or local else _count(parallelism.get("pipeline"), 1) or 1
    per_replica = _gpus(_list(_map(workload.get("template")).get("containers")))
    if "worker" in workload:  # a LeaderWorkerSet: the leader (template) and pods - 1 workers
        per_replica += _gpus(_list(_map(workload.get("worker")).get("containers"))) * max(pods - 1, 1)
    return minimum, maximum, per_replica, pods


def _llm_inference_service(obj: dict, key: ObjectKey) -> Serving:
    """The decode (main) workload's replicas; GPUs of both pools; the prefill pool and the router as settings."""
    spec = _map(obj.get("spec"))
    minimum, maximum, per_replica, _ = _llm_workload(spec)
    gpus_min, gpus_max = per_replica * minimum, per_replica * maximum
    settings = [(f"scaling.{name}", json.dumps(value, sort_keys=True)) for name, value in sorted(_map(_map(spec.get("scaling")).get("wva")).items())]
    prefill = _map(spec.get("prefill"))
    if prefill:
        low, high, per_prefill, _ = _llm_workload(prefill)
        gpus_min, gpus_max = gpus_min + per_prefill * low, gpus_max + per_prefill * high
        settings += [("prefill.replicas", str(low) if low == high else f"{low}..{high}"),
                     ("prefill.GPUs per replica", str(per_prefill))]
        settings += [(f"prefill.scaling.{name}", json.dumps(value, sort_keys=True)) for name, value in sorted(_map(_map(prefill.get("scaling")).get("wva")).items())]
    for field in ("router", "baseRefs", "kvCacheOffloading"):
        if field in spec:
            settings.append((field, json.dumps(spec[field], sort_keys=True)))
    containers = _list(_map(spec.get("template")).get("containers"))
    main = _map(containers[0]) if containers else {}
    try:  # KServe's preset passes the arguments through bash `eval`: compare them as the engine receives them
        main = {**main, "args": shlex.split(" ".join(map(str, _list(main.get("args")))))}
    except ValueError:
        pass
    return Serving(key, "llm", gpus_min, gpus_max, minimum, maximum, None, None, main.get("image"), _engine_options([main]),
                   tuple(settings), _map(spec.get("model")).get("uri"))


def serving_summaries(objects: list[dict]) -> dict[ObjectKey, Serving]:
    """Every serving workload of one environment's objects, by object key."""
    keyed = [(ObjectKey.of(obj), obj) for obj in objects]
    runtimes = {key.name: obj for key, obj in keyed if key.group == "serving.kserve.io" and key.kind in ("ServingRuntime", "ClusterServingRuntime")}
    scalers = {}
    for key, obj in keyed:
        target = _map(_map(obj.get("spec")).get("scaleTargetRef"))
        if key.kind == "HorizontalPodAutoscaler" and target.get("kind") == "Deployment":
            scalers[(key.namespace, str(target.get("name")))] = obj
    found: dict[ObjectKey, Serving] = {}
    for key, obj in keyed:
        if key.group == "serving.kserve.io" and key.kind == "InferenceService":
            found[key] = _inference_service(obj, key, runtimes)
        elif key.group == "serving.knative.dev" and key.kind == "Service":
            found[key] = _knative_service(obj, key)
        elif key.group == "apps" and key.kind == "Deployment":
            found[key] = _deployment(obj, key, scalers)
        elif key.group == "ray.io" and key.kind == "RayService":
            found[key] = _ray_service(obj, key)
        elif key.group == "serving.kserve.io" and key.kind == "LLMInferenceService":
            found[key] = _llm_inference_service(obj, key)
        elif key.group == "ray.io" and key.kind == "RayCluster":
            found[key] = _ray_cluster(obj, key)
        else:
            continue
        annotations = _map(_map(obj.get("metadata")).get("annotations"))
        tokens = _count(annotations.get(KV_TOKENS_ANNOTATION), None)
        concurrency = annotations.get(MAX_CONCURRENCY_ANNOTATION)
        found[key] = replace(found[key], kv_tokens=tokens, max_concurrency=concurrency if isinstance(concurrency, str) else None)
    return found
