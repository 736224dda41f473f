"""A Knative Service (serving.knative.dev/v1) running the engine directly (seed 004's shape).

Autoscaling goes on spec.template.metadata.annotations: Knative reads it per revision and rejects
autoscaling annotations on the Service's own metadata.
"""

from __future__ import annotations

from modelfleet.plan.metadata_keys import MODEL_LABEL
from modelfleet.plan import EnvironmentPlan, ModelPlan
from modelfleet.build.engine_container import engine_pod_spec
from modelfleet.build.metadata import capacity_annotations, object_metadata



def build_knative_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    spec = model.spec
    container, pod = engine_pod_spec(model, named_port=False)
    template_spec: dict = {}
    if spec.container_concurrency is not None:
        template_spec["containerConcurrency"] = spec.container_concurrency
    if spec.timeout_seconds is not None:
        template_spec["timeoutSeconds"] = spec.timeout_seconds
    template_spec.update(pod)
    template_spec["containers"] = [container]
    labels = {**dict(spec.labels), MODEL_LABEL: model.name}
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": object_metadata(env, model.name, labels=labels.items(), annotations=[*spec.annotations.items(), *capacity_annotations(model)]),
        "spec": {
            "template": {
                "metadata": {
                    "labels": dict(sorted(labels.items())),
                    "annotations": dict(model.autoscaling.knative_annotations),
                },
                "spec": template_spec,
            },
        },
    }
