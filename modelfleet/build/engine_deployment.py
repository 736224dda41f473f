"""The deployment backend: an apps/v1 Deployment running vLLM or TGI, its Service, and an HPA when it scales."""

from __future__ import annotations

from modelfleet.plan import EnvironmentPlan, ModelPlan
from modelfleet.build.engine_container import engine_pod_spec
from modelfleet.plan.metadata_keys import MODEL_LABEL
from modelfleet.build.metadata import capacity_annotations, object_metadata
from modelfleet.build.pod import rolling_update


def build_deployment(model: ModelPlan, env: EnvironmentPlan) -> dict:
    spec = model.spec
    container, pod = engine_pod_spec(model, named_port=True)
    selector = {MODEL_LABEL: model.name}
    template_labels = {**dict(env.labels), **dict(spec.labels), **selector}
    deployment_spec: dict = {"replicas": model.autoscaling.min_replicas, "selector": {"matchLabels": selector}}
    rollout = model.pod.rollout
    if rollout is not None:
        deployment_spec["strategy"] = rolling_update(rollout)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_metadata(env, model.name, labels=[*spec.labels.items(), *selector.items()], annotations=[*spec.annotations.items(), *capacity_annotations(model)]),
        "spec": {
            **deployment_spec,
            "template": {
                "metadata": {"labels": dict(sorted(template_labels.items()))},
                "spec": {**pod, "containers": [container]},
            },
        },
    }


def build_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    name, port = model.service
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_metadata(env, name, labels=[(MODEL_LABEL, model.name)]),
        "spec": {
            "type": "ClusterIP",
            "selector": {MODEL_LABEL: model.name},
            "ports": [{"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def build_autoscaler(model: ModelPlan, env: EnvironmentPlan) -> dict:
    scaling = model.autoscaling
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_metadata(env, model.name),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": model.name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [{
                "type": "Resource",
                "resource": {"name": scaling.metric, "target": {"type": "Utilization", "averageUtilization": scaling.target}},
            }],
        },
    }


def build_engine_deployment(model: ModelPlan, env: EnvironmentPlan) -> list[dict]:
    objects = [build_deployment(model, env), build_service(model, env)]
    if model.autoscaling.scales:
        objects.append(build_autoscaler(model, env))
    return objects
