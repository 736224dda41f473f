"""Autoscaling intent -> what each serving platform reads, with the rules of that platform checked.

One declaration (models[].scaling) drives four autoscalers: Knative's KPA or HPA class (Knative Services and
InferenceServices in Knative mode), Kubernetes' HPA or KEDA (InferenceServices in Standard mode, Deployments)
and Ray Serve's replica autoscaler (RayServices). A setting the chosen platform cannot honour is an error that
says which platform can.
"""

from __future__ import annotations

from modelfleet.plan.autoscaling import (
    DEPLOYMENT, HPA_CLASS, KNATIVE, KNATIVE_AUTOSCALING, KPA_CLASS, KPA_METRICS, MULTI_NODE, RAY, RESOURCE_METRICS,
    STANDARD, AutoscalingPlan,
)
from modelfleet.spec.model import Scaling

_PLATFORM_NAMES = {
    KNATIVE: "on Knative",
    STANDARD: "as a Standard-mode InferenceService",
    DEPLOYMENT: "as a Deployment",
    RAY: "on Ray Serve",
    MULTI_NODE: "as a KServe multi-node InferenceService",
}
_AUTOSCALERS = {KNATIVE: ("kpa", "hpa"), STANDARD: ("hpa", "keda", "none"), DEPLOYMENT: ("hpa", "none"), RAY: (), MULTI_NODE: ("none",)}

_KPA_ANNOTATIONS = (
    ("target_utilization", "target-utilization-percentage"),
    ("stable_window", "window"),
    ("scale_down_delay", "scale-down-delay"),
    ("panic_window_percentage", "panic-window-percentage"),
    ("panic_threshold", "panic-threshold-percentage"),
    ("target_burst_capacity", "target-burst-capacity"),
    ("scale_to_zero_retention", "scale-to-zero-pod-retention-period"),
)


def _metric_home(metric: str) -> str:
    if metric in KPA_METRICS:
        return "backend: knative, or deploymentMode: Knative" + (", or backend: ray" if metric == "concurrency" else "")
    return "backend: deployment, deploymentMode: Standard, or autoscaler: hpa on Knative"


def resolve_autoscaling(scaling: Scaling, platform: str, at: tuple, problems) -> AutoscalingPlan:
    """The autoscaling plan of one model; problems are added at their field path."""
    here = at + ("scaling",)
    where = _PLATFORM_NAMES[platform]
    allowed = _AUTOSCALERS[platform]
    autoscaler = scaling.autoscaler
    if autoscaler is not None and autoscaler not in allowed:
        usable = f"use {' or '.join(allowed)}" if allowed else "remove it (Ray Serve scales its own replicas)"
        problems.add(here + ("autoscaler",), f"autoscaler '{autoscaler}' is not available for a model served {where}; {usable}")
    if autoscaler is None:
        autoscaler = "ray" if platform == RAY else (allowed[0] if platform != KNATIVE or scaling.metric not in RESOURCE_METRICS else "hpa")
    max_replicas = scaling.max_replicas or max(scaling.min_replicas, 1)

    metric = scaling.metric
    if metric is not None:
        if platform == KNATIVE and metric in KPA_METRICS and autoscaler == "hpa":
            problems.add(here + ("metric",), f"metric '{metric}' is read by Knative's KPA class, not its HPA class; use autoscaler: kpa, or metric cpu or memory")
        elif platform == KNATIVE and metric in RESOURCE_METRICS and autoscaler == "kpa":
            problems.add(here + ("metric",), f"metric '{metric}' needs Knative's HPA class; set autoscaler: hpa, or use concurrency or rps")
        elif platform in (STANDARD, DEPLOYMENT) and metric in KPA_METRICS:
            problems.add(here + ("metric",), f"metric '{metric}' is a Knative KPA metric, and this model is served {where}; use cpu or memory, or {_metric_home(metric)}")
        elif platform == RAY and metric != "concurrency":
            problems.add(here + ("metric",), f"Ray Serve scales on ongoing requests only; use metric concurrency, or {_metric_home(metric)}")
        elif platform == MULTI_NODE:
            problems.add(here + ("metric",), "KServe multi-node InferenceServices do not autoscale; remove metric and target")
    if platform == MULTI_NODE and max_replicas != scaling.min_replicas:
        problems.add(here + ("maxReplicas",), f"KServe multi-node InferenceServices do not autoscale; set maxReplicas to minReplicas ({scaling.min_replicas})")
    if platform == DEPLOYMENT and autoscaler != "none" and max_replicas > scaling.min_replicas and metric is None:
        problems.add(here + ("metric",), f"replicas range {scaling.min_replicas}..{max_replicas} needs a metric for the HPA; set metric (cpu or memory) and target, or maxReplicas equal to minReplicas")

    if scaling.min_replicas == 0 and not (platform == RAY or (platform == KNATIVE and autoscaler == "kpa")):
        home = "Knative's HPA class keeps at least one pod; use autoscaler: kpa" if platform == KNATIVE else "use backend: knative, deploymentMode: Knative or backend: ray"
        problems.add(here + ("minReplicas",), f"scale to zero needs Knative's KPA or Ray Serve, and this model is served {where}; set minReplicas to 1, or {home}")

    kpa_fields = scaling.kpa_settings()
    if kpa_fields and not (platform == KNATIVE and autoscaler == "kpa"):
        for name in kpa_fields:
            field = "".join(part.capitalize() if index else part for index, part in enumerate(name.split("_")))
            problems.add(here + (field,), f"{field} is a Knative KPA setting, and this model is served {where}" + (" with the HPA class" if platform == KNATIVE else "") + "; remove it, or serve the model on Knative with the KPA")
    if scaling.initial_replicas is not None and platform != KNATIVE:
        problems.add(here + ("initialReplicas",), f"initialReplicas is a Knative setting, and this model is served {where}; remove it")

    annotations: dict[str, str] = {}
    if platform == KNATIVE:
        annotations["class"] = HPA_CLASS if autoscaler == "hpa" else KPA_CLASS
        if metric is not None:
            annotations["metric"] = metric
            annotations["target"] = str(scaling.target)
        annotations["min-scale"] = str(scaling.min_replicas)
        annotations["max-scale"] = str(max_replicas)
        if scaling.initial_replicas is not None:
            annotations["initial-scale"] = str(scaling.initial_replicas)
        for field, key in _KPA_ANNOTATIONS:
            value = getattr(scaling, field)
            if value is not None:
                annotations[key] = str(value)
    return AutoscalingPlan(
        platform=platform,
        autoscaler=autoscaler,
        min_replicas=scaling.min_replicas,
        max_replicas=max_replicas,
        initial_replicas=scaling.initial_replicas,
        metric=metric,
        target=scaling.target,
        knative_annotations=tuple(sorted((f"{KNATIVE_AUTOSCALING}/{key}", value) for key, value in annotations.items())),
    )
