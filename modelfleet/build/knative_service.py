"""A Knative Service (serving.knative.dev/v1) running the engine directly (seed 004's shape).

Autoscaling goes on spec.template.metadata.annotations: Knative reads it per revision and rejects
autoscaling annotations on the Service's own metadata.

The template is a named revision, `<model>-<hash of the template>`: an unchanged model keeps its revision, and the
revision of the model's own settings has a name the compiler knows. A canary makes the template its own and sends
trafficPercent to it (the latest revision, tag canary.name) and the rest to that known revision (tag stable), which the
Service ran before the canary was declared.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from modelfleet.plan.kserve_features import REVISION_HASH_LENGTH, STABLE_TAG
from modelfleet.plan.metadata_keys import MODEL_LABEL
from modelfleet.plan import EnvironmentPlan, ModelPlan
from modelfleet.build.engine_container import engine_pod_spec
from modelfleet.build.metadata import capacity_annotations, object_metadata


def _named(name: str, template: dict) -> dict:
    """The template as the revision `<name>-<hash>` of its content (Knative wants the Service's name as the prefix)."""
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:REVISION_HASH_LENGTH]
    return {**template, "metadata": {"name": f"{name}-{digest}", **template["metadata"]}}


def _template(model: ModelPlan, labels: dict) -> dict:
    spec = model.spec
    container, pod = engine_pod_spec(model, named_port=False)
    template_spec: dict = {}
    if spec.container_concurrency is not None:
        template_spec["containerConcurrency"] = spec.container_concurrency
    if spec.timeout_seconds is not None:
        template_spec["timeoutSeconds"] = spec.timeout_seconds
    template_spec.update(pod)
    template_spec["containers"] = [container]
    return _named(model.name, {
        "metadata": {
            "labels": dict(sorted(labels.items())),
            "annotations": dict(model.autoscaling.knative_annotations),
        },
        "spec": template_spec,
    })


def build_knative_service(model: ModelPlan, env: EnvironmentPlan) -> dict:
    labels = {**dict(model.spec.labels), MODEL_LABEL: model.name}
    template = _template(model, labels)
    spec: dict = {"template": template}
    canary = model.features.canary
    if canary is not None:
        spec["template"] = _template(replace(model, container=canary.container), labels)
        spec["traffic"] = [
            {"tag": STABLE_TAG, "revisionName": template["metadata"]["name"], "percent": 100 - canary.traffic_percent},
            {"tag": canary.name, "latestRevision": True, "percent": canary.traffic_percent},
        ]
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": object_metadata(env, model.name, labels=labels.items(), annotations=[*model.spec.annotations.items(), *capacity_annotations(model)]),
        "spec": spec,
    }
