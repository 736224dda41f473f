"""The parts of an InferenceService that KServe's serving features add (modelfleet/plan/kserve_features.py):
the canary (canaryTrafficPercent in Knative mode, spec.canary[] in Standard mode), the transformer and explainer
components (with the model's pod settings but the GPU pool's, and probes of their own), and the logger and batcher
of the predictor."""

from __future__ import annotations

from dataclasses import replace

from modelfleet.build.metadata import env_vars
from modelfleet.build.pod import container_probes, container_resources, container_security, home_env, pod_fields, pod_volumes
from modelfleet.plan import SERVING_PORT, ModelPlan
from modelfleet.plan.kserve_features import CANARY_LIST, CanaryPlan, KserveFeaturesPlan
from modelfleet.plan.pod import PodPlan
from modelfleet.spec.kserve_features import Explainer, Transformer

COMPONENT_CONTAINER = "kserve-container"
FIXED_REPLICA_FIELDS = ("minReplicas", "maxReplicas", "scaleMetric", "scaleTarget", "autoScaling", "workerSpec")
"""What a spec.canary[] predictor must not set: KServe runs a canary with fixed replicas and no workers."""


def _drop_empty(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in (None, [], {})}


def _canary_model(model_spec: dict, canary: CanaryPlan) -> dict:
    """The predictor's model spec with the new revision's settings."""
    changed = dict(model_spec)
    if canary.runtime_version is not None:
        changed["runtimeVersion"] = canary.runtime_version
    if canary.storage_key is not None:
        changed.pop("storageUri", None)
        changed["storage"] = {"key": canary.storage_key[0], "path": canary.storage_key[1]}
    elif canary.storage_uri is not None:
        changed.pop("storage", None)
        changed["storageUri"] = canary.storage_uri
    changed["args"] = list(canary.args)
    changed["env"] = env_vars(canary.env)
    return _drop_empty(changed)


def _canary_predictor(predictor: dict, canary: CanaryPlan) -> dict:
    """The predictor serving the new revision: the stable one's pod with the canary's model and credentials."""
    changed = {key: value for key, value in predictor.items() if key not in FIXED_REPLICA_FIELDS}
    changed["model"] = _canary_model(predictor["model"], canary)
    if canary.service_account_name is not None:
        changed["serviceAccountName"] = canary.service_account_name
    if canary.image_pull_secret is not None:
        changed["imagePullSecrets"] = [{"name": canary.image_pull_secret}]
    return changed


def _container(component: Transformer | Explainer, settings: PodPlan, mounts: list[dict]) -> dict:
    env = env_vars(component.env)
    return _drop_empty({
        "name": COMPONENT_CONTAINER,
        "image": component.image,
        "command": list(component.command),
        "args": list(component.args),
        "env": env + home_env(settings, env),
        "resources": container_resources(component.resources, None),
        "volumeMounts": mounts,
        "securityContext": container_security(settings),
        **container_probes(settings, SERVING_PORT),
    })


def _component(component: Transformer | Explainer, settings: PodPlan) -> dict:
    """A transformer or explainer: its container, and the model's pod settings off the GPU pool with its own probes."""
    scaling = component.scaling
    built: dict = {"minReplicas": scaling.min_replicas, "maxReplicas": scaling.max_replicas or max(scaling.min_replicas, 1)}
    built.update(pod_fields(None, settings))
    volumes, mounts = pod_volumes(None, None, settings)
    if volumes:
        built["volumes"] = volumes
    art = getattr(component, "art", None)
    if art is not None:
        container = _container(component, settings, mounts)
        del container["name"]
        built["art"] = {"type": art.type, **({"config": dict(sorted(art.config.items()))} if art.config else {}), **container}
    else:
        built["containers"] = [_container(component, settings, mounts)]
    return built


def _extensions(features: KserveFeaturesPlan) -> dict:
    """logger and batcher of a predictor."""
    extensions: dict = {}
    logger = features.logger
    if logger is not None:
        extensions["logger"] = _drop_empty({
            "mode": logger.mode,
            "url": logger.url,
            "metadataHeaders": list(logger.metadata_headers),
            "metadataAnnotations": list(logger.metadata_annotations),
            "storage": logger.storage,
        })
    batcher = features.batcher
    if batcher is not None:
        extensions["batcher"] = _drop_empty({"maxBatchSize": batcher.max_batch_size, "maxLatency": batcher.max_latency, "timeout": batcher.timeout})
    return extensions


def attach_features(model: ModelPlan, predictor: dict) -> dict:
    """The InferenceService spec: the predictor with its logger, batcher and canary, and the other components."""
    features = model.features
    predictor.update(_extensions(features))
    spec: dict = {"predictor": predictor}
    canary = features.canary
    if canary is not None and canary.style == CANARY_LIST:
        candidate = _canary_predictor(predictor, canary)
        candidate["model"] = {"name": COMPONENT_CONTAINER, **candidate["model"]}  # a canary's model container must be named
        spec["canary"] = [{"trafficPercent": canary.traffic_percent, "predictor": {"name": canary.name, **candidate}}]
    elif canary is not None:  # Knative mode: the predictor is the new revision; KServe keeps the last ready one for the rest
        predictor.update(_canary_predictor(predictor, canary))
        predictor["canaryTrafficPercent"] = canary.traffic_percent
    if features.transformer is not None:
        spec["transformer"] = _component(features.transformer, replace(model.pod, probes=features.transformer_probes))
    if features.explainer is not None:
        spec["explainer"] = _component(features.explainer, replace(model.pod, probes=features.explainer_probes))
    return spec
