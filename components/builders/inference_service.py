"""The KServe InferenceService (v1beta1) of one model."""

from __future__ import annotations

from ..plan import EnvironmentPlan, ModelPlan
from .metadata import env_vars, object_metadata

DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
CURRENT_MODE_NAMES_SINCE = (0, 16)  # KServe renamed RawDeployment/Serverless to Standard/Knative
LEGACY_MODE_NAMES = {"Standard": "RawDeployment", "Knative": "Serverless"}


def deployment_mode_value(mode: str, kserve_version: tuple[int, ...]) -> str:
    """The annotation value the target KServe understands."""
    return mode if kserve_version >= CURRENT_MODE_NAMES_SINCE else LEGACY_MODE_NAMES[mode]


def _resources(model: ModelPlan) -> dict:
    resources: dict = {}
    for section in ("requests", "limits"):
        amounts = getattr(model.spec.resources, section)
        values = {name: getattr(amounts, name) for name in ("cpu", "memory") if getattr(amounts, name) is not None}
        if model.gpu is not None:
            values[model.gpu.resource_name] = str(model.gpu.count)  # GPU requests always equal limits
        if values:
            resources[section] = values
    return resources


def build_inference_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    spec = model.spec
    annotations = {DEPLOYMENT_MODE_ANNOTATION: deployment_mode_value(model.mode, env.kserve_version)}
    if spec.display_name:
        annotations["openshift.io/display-name"] = spec.display_name
    annotations.update(spec.annotations)

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
    if model.env:
        model_spec["env"] = env_vars(model.env)
    resources = _resources(model)
    if resources:
        model_spec["resources"] = resources

    predictor: dict = {"minReplicas": model.min_replicas, "maxReplicas": model.max_replicas}
    if spec.scaling.metric is not None:
        predictor["scaleMetric"] = spec.scaling.metric
        predictor["scaleTarget"] = spec.scaling.target
    if model.service_account_name is not None:
        predictor["serviceAccountName"] = model.service_account_name
    if model.image_pull_secret is not None:
        predictor["imagePullSecrets"] = [{"name": model.image_pull_secret}]
    if model.gpu is not None:
        if model.gpu.node_selector:
            predictor["nodeSelector"] = dict(model.gpu.node_selector)
        if model.gpu.tolerations:
            predictor["tolerations"] = [dict(toleration) for toleration in model.gpu.tolerations]
    predictor["model"] = model_spec
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": object_metadata(env, model.name, labels=sorted(spec.labels.items()), annotations=annotations.items()),
        "spec": {"predictor": predictor},
    }
