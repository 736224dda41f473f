"""The labels and annotations the compiler writes itself: the builders set them, resolve refuses them in the
free-form labels and annotations of a stack (a user value would silently bypass the checks behind them)."""

from __future__ import annotations

from modelfleet.plan.autoscaling import KNATIVE_AUTOSCALING

PART_OF_LABEL = ("app.kubernetes.io/part-of", "modelfleet")
ENVIRONMENT_LABEL = "modelfleet.io/environment"
MODEL_LABEL = "modelfleet.io/model"

DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
AUTOSCALER_CLASS_ANNOTATION = "serving.kserve.io/autoscalerClass"
PATCH_ANNOTATION = "modelfleet.io/patch"
"""Marks an object that patches one another installer owns (Pulumi registers it as a server-side apply patch)."""
KV_TOKENS_ANNOTATION = "modelfleet.io/kv-cache-tokens"
MAX_CONCURRENCY_ANNOTATION = "modelfleet.io/max-concurrency"

AUTH_ANNOTATION = "security.opendatahub.io/enable-auth"         # OpenShift AI, Knative mode (models[].auth)
AUTH_LABEL = "security.openshift.io/enable-authentication"      # OpenShift AI, Standard mode (models[].auth)
PROMETHEUS_ANNOTATION = "serving.kserve.io/enable-prometheus-scraping"  # models[].metrics
METRIC_AGGREGATION_ANNOTATION = "serving.kserve.io/enable-metric-aggregation"

MANAGED_LABELS = frozenset({PART_OF_LABEL[0], ENVIRONMENT_LABEL, MODEL_LABEL, AUTH_LABEL})
MANAGED_ANNOTATIONS = frozenset({DEPLOYMENT_MODE_ANNOTATION, AUTOSCALER_CLASS_ANNOTATION, PATCH_ANNOTATION, KV_TOKENS_ANNOTATION, MAX_CONCURRENCY_ANNOTATION,
                                 AUTH_ANNOTATION, PROMETHEUS_ANNOTATION, METRIC_AGGREGATION_ANNOTATION})
MANAGED_ANNOTATION_PREFIXES = (f"{KNATIVE_AUTOSCALING}/",)
"""Keys under these prefixes are compiled from models[].scaling."""


def managed_key(key: str, annotation: bool) -> bool:
    if annotation:
        return key in MANAGED_ANNOTATIONS or key.startswith(MANAGED_ANNOTATION_PREFIXES)
    return key in MANAGED_LABELS
