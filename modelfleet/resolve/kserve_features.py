"""Resolve a model's KServe serving features: the rules KServe's webhook and agent enforce (or silently ignore) and
the CRD schema does not hold, each reported at the field to change and naming the mode or version that can."""

from __future__ import annotations

from modelfleet.plan.kserve_features import CANARY_LIST, CANARY_TRAFFIC_PERCENT, KNATIVE_TRAFFIC, NO_KSERVE_FEATURES, STABLE_TAG, CanaryPlan, KserveFeaturesPlan, LoggerPlan
from modelfleet.plan.metadata_keys import AUTH_ANNOTATION, AUTH_LABEL, METRIC_AGGREGATION_ANNOTATION, PROMETHEUS_ANNOTATION
from modelfleet.resolve.engine_args import checkpoint_quantization_problem, vllm_args, vllm_option_problems
from modelfleet.resolve.free_form import argument_problems, env_problems
from modelfleet.resolve.model import HOST_LIMIT, References, _kserve_source, _vllm_runtime_version, canary_engine_container
from modelfleet.resolve.pod import component_probes
from modelfleet.resolve.problems import Problems, unknown
from modelfleet.quantities import parse_quantity
from modelfleet.spec.base import version_tuple
from modelfleet.spec.kserve_features import Canary
from modelfleet.spec.model import Model
from modelfleet.spec.runtime import Runtime

CANARY_LIST_SINCE = (0, 20)
LOGGER_METADATA_HEADERS_SINCE = (0, 14)
LOGGER_STORAGE_SINCE = (0, 16)   # logger.storage and logger.metadataAnnotations
KSERVE_ONLY = (("transformer", "transformer"), ("explainer", "explainer"), ("logger", "logger"), ("batcher", "batcher"), ("auth", "auth"), ("metrics", "metrics"))
CANARY_BACKENDS = ("kserve", "knative")
CANARY_FIELDS = ("runtime_version", "storage", "storage_uri", "engine", "args", "env")
CANARY_CHANGES = {"kserve": "runtimeVersion, storage or storageUri, engine, args or env", "knative": "storage or storageUri, engine or env"}


def _release(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version[:2]))


def _knative_canary_problems(model: Model, canary: Canary, namespace: str, at: tuple, problems: Problems) -> None:
    """Backend knative: the runtime's image runs as declared, and each traffic tag gets a URL host."""
    if canary.runtime_version is not None:
        problems.add(at + ("runtimeVersion",), "runtimeVersion retags the image of a KServe runtime; backend knative runs the runtime's image as declared: remove runtimeVersion (a new engine image is a new runtime)")
    if canary.name == STABLE_TAG:
        problems.add(at + ("name",), f"the stable revision's traffic tag is {STABLE_TAG}, and Knative refuses two traffic targets with one tag; name the canary otherwise (default canary)")
    for tag, where in ((canary.name, at + ("name",)), (STABLE_TAG, at)):
        host = f"{tag}-{model.name}-{namespace}"
        if len(host) > HOST_LIMIT:
            problems.add(where, f"the host of the traffic tag {tag}, '{host}', has {len(host)} characters, over {HOST_LIMIT}; shorten the tag (canary.name), the model name or the namespace")


def _canary(model: Model, canary: Canary, runtime: Runtime, refs: References, mode: str, multi_node: bool,
            at: tuple, problems: Problems) -> CanaryPlan | None:
    """The new revision, checked like a model: its runtimeVersion, model source and engine options."""
    model_at, at = at, at + ("canary",)
    before = len(problems.items)
    on_kserve = model.backend == "kserve"
    if not on_kserve:
        style = KNATIVE_TRAFFIC
        _knative_canary_problems(model, canary, refs.environment.namespace, at, problems)
    elif mode == "Knative":
        style = CANARY_TRAFFIC_PERCENT
    elif (kserve := version_tuple(refs.environment.platform.kserve)) >= CANARY_LIST_SINCE:
        style = CANARY_LIST
    else:
        problems.add(at, f"a canary in Standard mode is KServe's spec.canary, new in KServe 0.20, and the cluster runs KServe {_release(kserve)}; set deploymentMode: Knative (canaryTrafficPercent) or upgrade KServe (environment.platform.kserve)")
        style = None
    if multi_node:
        problems.add(at, "KServe runs no canary of a multi-node model (workerSpec); remove canary, or roll out by replacing the model")
    if model.scaling.min_replicas == 0 and on_kserve:  # Knative scales each revision on its own traffic
        problems.add(at, "a canary splits requests between two running revisions, and scaling.minReplicas 0 scales them to zero; set scaling.minReplicas to 1 or more, or remove canary")
    if all(getattr(canary, field) in (None, getattr(model, field)) for field in CANARY_FIELDS):
        problems.add(at, f"the canary changes nothing; set what the new revision runs differently: {CANARY_CHANGES[model.backend]}")

    runtime_version = model.runtime_version
    if runtime.vllm is not None and on_kserve:
        runtime_version = _vllm_runtime_version(runtime, canary.runtime_version, at, problems, refs.built_images)
    elif runtime.builtin is not None:
        runtime_version = canary.runtime_version or model.runtime_version or runtime.version

    storage_uri, storage_key, service_account, pull_secret = canary.storage_uri, None, None, None
    if canary.storage is not None and on_kserve:  # backend knative: canary_engine_container reads the source
        found = refs.storages.get(canary.storage.name)
        if found is None:
            problems.add(at + ("storage", "name"), unknown("storage", canary.storage.name, refs.storages))
        else:
            storage_uri, storage_key = _kserve_source(found[1], canary.storage.path)
            service_account = model.service_account_name or found[1].service_account_name
            pull_secret = found[1].spec.oci.image_pull_secret_name if found[1].spec.oci else None

    engine = canary.engine if canary.engine is not None else model.engine
    if canary.engine is not None and runtime.vllm is None:
        problems.add(at + ("engine",), f"engine options are for vLLM runtimes; runtime '{runtime.name}' is not one: use args")
    elif canary.engine is not None:
        for path, message in vllm_option_problems(canary.engine, runtime.vllm.version):
            problems.add(at + ("engine", *path), message)
        mismatch = checkpoint_quantization_problem(model.checkpoint_quantization, canary.engine.quantization)
        if mismatch is not None:
            problems.add(at + ("engine", "quantization"), mismatch)
        argument_problems(canary.engine.extra_args, at + ("engine", "extraArgs"), problems)
    if canary.args is not None and runtime.builtin is None:
        problems.add(at + ("args",), "a vLLM model takes typed engine options; move these to canary.engine.extraArgs")
    elif canary.args is not None:
        argument_problems(canary.args, at + ("args",), problems)
    if canary.env is not None:
        env_problems(canary.env, at + ("env",), problems)
    container = None if on_kserve else canary_engine_container(model, canary, runtime, refs, model_at, problems)
    if len(problems.items) != before or style is None:
        return None

    if runtime.vllm is not None and engine is not None:
        args = tuple(vllm_args(engine, runtime.vllm.version))
    else:
        args = tuple(canary.args if canary.args is not None else model.args)
    env = tuple(canary.env if canary.env is not None else model.env)
    return CanaryPlan(canary.name, canary.traffic_percent, style, runtime_version, storage_uri, storage_key, service_account, pull_secret, args, env, container)


def _logger(model: Model, refs: References, kserve: tuple[int, ...], at: tuple, problems: Problems) -> LoggerPlan | None:
    logger = model.logger
    at = at + ("logger",)
    before = len(problems.items)
    for field, since, values in (("metadataHeaders", LOGGER_METADATA_HEADERS_SINCE, logger.metadata_headers),
                                 ("metadataAnnotations", LOGGER_STORAGE_SINCE, logger.metadata_annotations),
                                 ("storage", LOGGER_STORAGE_SINCE, logger.storage)):
        if values and kserve < since:
            problems.add(at + (field,), f"logger.{field} is new in KServe {_release(since)}, and the cluster runs KServe {_release(kserve)}; remove it or upgrade KServe (environment.platform.kserve)")
    for index, key in enumerate(logger.metadata_annotations):
        if key not in model.annotations:
            problems.add(at + ("metadataAnnotations", index), f"the InferenceService has no annotation {key} to copy into the records; add it to annotations or remove it here")
    storage = None
    if logger.storage is not None and kserve >= LOGGER_STORAGE_SINCE:
        found = refs.storages.get(logger.storage.name)
        if found is None:
            problems.add(at + ("storage", "name"), unknown("storage", logger.storage.name, refs.storages))
        elif found[1].spec.s3 is None or found[1].service_account_name is None:
            problems.add(at + ("storage", "name"), f"the logger writes to S3 with a ServiceAccount's credentials; storage '{logger.storage.name}' is not an s3 storage with one (data connections have none): use such a storage or url")
        else:
            s3 = found[1].spec.s3
            storage = {"path": logger.storage.path, "key": found[1].name,
                       "parameters": {"type": "s3", "bucket": s3.bucket, "format": logger.storage.format},
                       "serviceAccountName": found[1].service_account_name}
    if len(problems.items) != before:
        return None
    return LoggerPlan(logger.mode, logger.url, tuple(logger.metadata_headers), tuple(logger.metadata_annotations), storage)


def _batcher_problems(model: Model, runtime: Runtime, at: tuple, problems: Problems) -> None:
    """KServe's batcher collects v1 REST requests (`instances`) and splits the `predictions`: nothing else batches."""
    if model.protocol_version not in (None, "v1"):
        problems.add(at + ("batcher",), f"KServe's batcher batches v1 REST requests (instances -> predictions), and this model serves protocolVersion {model.protocol_version}; remove batcher or serve protocolVersion v1")
    elif runtime.vllm is not None:
        problems.add(at + ("batcher",), f"runtime '{runtime.name}' is vLLM, whose OpenAI API KServe's batcher cannot batch (vLLM batches requests continuously itself); remove batcher")


def _component_problems(model: Model, mode: str, at: tuple, problems: Problems) -> None:
    for field in ("transformer", "explainer"):
        component = getattr(model, field)
        if component is None:
            continue
        where = at + (field,)
        if component.scaling.min_replicas == 0 and mode != "Knative":
            problems.add(where + ("scaling", "minReplicas"), f"minReplicas 0 scales to zero in Knative mode only, and this model runs in {mode} mode; set minReplicas to 1 or more, or deploymentMode: Knative")
        argument_problems(component.args, where + ("args",), problems)
        env_problems(component.env, where + ("env",), problems)
        for resource in ("cpu", "memory"):
            request, limit = getattr(component.resources.requests, resource), getattr(component.resources.limits, resource)
            if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
                problems.add(where + ("resources", "requests", resource), f"request {request} is above the limit {limit}; lower the request or raise the limit")


def _metadata(model: Model, mode: str, openshift_ai: bool, at: tuple, problems: Problems) -> tuple[tuple, tuple]:
    """(labels, annotations) of auth and metrics."""
    labels, annotations = [], []
    if model.auth == "token":
        if not openshift_ai:
            problems.add(at + ("auth",), "upstream KServe has no per-InferenceService authentication (it is cluster-wide: Istio or Gateway API policies); auth: token is enforced by OpenShift AI: set environment.platform.openshiftAi: true on an OpenShift AI cluster, or remove auth")
        elif mode == "Knative":
            annotations.append((AUTH_ANNOTATION, "true"))   # Authorino behind the Knative ingress
        else:
            labels.append((AUTH_LABEL, "true"))             # an authenticating proxy beside the predictor
    if model.metrics is not None:
        annotations.append((PROMETHEUS_ANNOTATION, str(model.metrics.prometheus).lower()))
        if mode == "Knative" and model.metrics.prometheus:
            annotations.append((METRIC_AGGREGATION_ANNOTATION, "true"))
    return tuple(labels), tuple(annotations)


def resolve_kserve_features(index: int, model: Model, refs: References, problems: Problems) -> KserveFeaturesPlan | None:
    """The features of one enabled model (none for the other backends); None when one is wrong (its problems are recorded)."""
    at = ("models", index)
    before = len(problems.items)
    for field, name in KSERVE_ONLY:
        if getattr(model, field) is not None and model.backend != "kserve":
            problems.add(at + (name,), f"{name} is a feature of KServe's InferenceService, and this model uses backend {model.backend}; use backend kserve or remove {name}")
    if model.canary is not None and model.backend not in CANARY_BACKENDS:
        problems.add(at + ("canary",), f"canary is compiled for backends kserve and knative, and this model uses backend {model.backend}; use backend kserve or knative, or remove canary")
    runtime: Runtime | None = refs.runtimes.get(model.runtime, (None, None))[1]
    if len(problems.items) != before:
        return None
    if model.backend == "knative" and model.canary is not None and runtime is not None and runtime.builtin is None:
        canary = _canary(model, model.canary, runtime, refs, "Knative", False, at, problems)
        return None if canary is None else KserveFeaturesPlan(canary)
    if model.backend != "kserve" or runtime is None:  # an unknown or builtin runtime is reported by resolve_model
        return NO_KSERVE_FEATURES
    environment = refs.environment
    mode = model.mode or environment.deployment_mode
    kserve = version_tuple(environment.platform.kserve)
    multi_node = runtime.vllm is not None and runtime.vllm.multi_node
    canary = _canary(model, model.canary, runtime, refs, mode, multi_node, at, problems) if model.canary is not None else None
    logger = _logger(model, refs, kserve, at, problems) if model.logger is not None else None
    if model.batcher is not None:
        _batcher_problems(model, runtime, at, problems)
    _component_problems(model, mode, at, problems)
    labels, annotations = _metadata(model, mode, environment.platform.openshift_ai, at, problems)
    probes = {field: component_probes(getattr(model, field).probes, at + (field,), problems)
              for field in ("transformer", "explainer") if getattr(model, field) is not None}
    if len(problems.items) != before:
        return None
    return KserveFeaturesPlan(canary, model.transformer, model.explainer, logger, model.batcher, labels, annotations,
                              probes.get("transformer", ()), probes.get("explainer", ()))
