"""The KServe InferenceService (v1beta1) of one model on the kserve backend."""

from __future__ import annotations

import copy

from modelfleet.plan.metadata_keys import AUTOSCALER_CLASS_ANNOTATION, DEPLOYMENT_MODE_ANNOTATION
from modelfleet.plan.autoscaling import KNATIVE, MULTI_NODE, STANDARD
from modelfleet.plan import EnvironmentPlan, ModelPlan
from modelfleet.build.inference_service_parts import attach_features
from modelfleet.build.metadata import capacity_annotations, env_vars, object_metadata
from modelfleet.plan import SERVING_PORT
from modelfleet.build.pod import (container_probes, container_resources, container_security, home_env, pod_fields, pod_volumes, rolling_update)

CURRENT_MODE_NAMES_SINCE = (0, 16)  # KServe renamed RawDeployment/Serverless to Standard/Knative
LEGACY_MODE_NAMES = {"Standard": "RawDeployment", "Knative": "Serverless"}
WORKER_CONTAINER = "worker-container"
KSERVE_DERIVED_KNATIVE_KEYS = ("class", "metric", "target", "min-scale", "max-scale")
"""Knative annotations KServe writes itself from minReplicas/maxReplicas/scaleMetric/scaleTarget."""


def deployment_mode_value(mode: str, kserve_version: tuple[int, ...]) -> str:
    """The annotation value the target KServe understands."""
    return mode if kserve_version >= CURRENT_MODE_NAMES_SINCE else LEGACY_MODE_NAMES[mode]


def _autoscaling(model: ModelPlan, predictor: dict, annotations: dict) -> None:
    scaling = model.autoscaling
    predictor["minReplicas"] = scaling.min_replicas
    predictor["maxReplicas"] = scaling.max_replicas
    if scaling.platform == KNATIVE:
        for key, value in scaling.knative_annotations:
            derived = key.rsplit("/", 1)[1] in KSERVE_DERIVED_KNATIVE_KEYS
            if not derived or (key.endswith("/class") and scaling.autoscaler == "hpa"):
                annotations[key] = value
    elif scaling.platform == MULTI_NODE or scaling.autoscaler in ("none", "keda"):
        annotations[AUTOSCALER_CLASS_ANNOTATION] = scaling.autoscaler
    if scaling.metric is None:
        return
    if scaling.platform == STANDARD and scaling.autoscaler == "keda":
        predictor["autoScaling"] = {"metrics": [{
            "type": "Resource",
            "resource": {"name": scaling.metric, "target": {"type": "Utilization", "averageUtilization": scaling.target}},
        }]}
    else:
        predictor["scaleMetric"] = scaling.metric
        predictor["scaleTarget"] = scaling.target


def build_inference_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    spec = model.spec
    annotations = {DEPLOYMENT_MODE_ANNOTATION: deployment_mode_value(model.mode, env.kserve_version)}
    if spec.display_name:
        annotations["openshift.io/display-name"] = spec.display_name

    model_format: dict = {"name": spec.format}
    if spec.format_version is not None:
        model_format["version"] = spec.format_version
    model_spec: dict = {"modelFormat": model_format, "runtime": model.runtime_name}
    if model.runtime_version is not None:
        model_spec["runtimeVersion"] = model.runtime_version
    if spec.protocol_version is not None:
        model_spec["protocolVersion"] = spec.protocol_version
    if model.storage_key is not None:
        model_spec["storage"] = {"key": model.storage_key[0], "path": model.storage_key[1]}
    else:
        model_spec["storageUri"] = model.storage_uri
    if model.args:
        model_spec["args"] = list(model.args)
    settings = model.pod
    container_env = env_vars(model.env)
    container_env += home_env(settings, container_env)
    if container_env:
        model_spec["env"] = container_env
    resources = container_resources(spec.resources, model.gpu)
    if resources:
        model_spec["resources"] = resources
    volumes, mounts = pod_volumes(model.shared_memory, None, settings)
    if mounts:
        model_spec["volumeMounts"] = mounts
    security = container_security(settings)
    if security:
        model_spec["securityContext"] = security
    model_spec.update(container_probes(settings, SERVING_PORT))  # over the runtime's engine defaults
    pod = pod_fields(model.gpu, settings, model.image_pull_secret)
    if volumes:
        pod["volumes"] = volumes

    predictor: dict = {}
    _autoscaling(model, predictor, annotations)
    if settings.rollout is not None:
        predictor["deploymentStrategy"] = rolling_update(settings.rollout)
    annotations.update(spec.annotations)
    annotations.update(model.features.annotations)
    if spec.container_concurrency is not None:
        predictor["containerConcurrency"] = spec.container_concurrency
    if spec.timeout_seconds is not None:
        predictor["timeout"] = spec.timeout_seconds
    if model.service_account_name is not None:
        predictor["serviceAccountName"] = model.service_account_name
    predictor.update(pod)
    if model.multi_node is not None:
        tensor, pipeline = model.multi_node
        worker = {"name": WORKER_CONTAINER, "resources": container_resources(spec.resources, model.gpu)}
        if home_env(settings, []):
            worker["env"] = home_env(settings, [])
        if mounts:
            worker["volumeMounts"] = mounts
        if security:
            worker["securityContext"] = security
        predictor["workerSpec"] = {"tensorParallelSize": tensor, "pipelineParallelSize": pipeline, "containers": [worker], **copy.deepcopy(pod)}
    predictor["model"] = model_spec
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": object_metadata(env, model.name, labels=sorted({**spec.labels, **dict(model.features.labels)}.items()), annotations=[*annotations.items(), *capacity_annotations(model)]),
        "spec": attach_features(model, predictor),
    }
