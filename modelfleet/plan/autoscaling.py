"""The resolved autoscaling of one model: which platform scales it, with what autoscaler, range and metric.

resolve/autoscaling.py makes it from models[].scaling; the builders read it per platform.
"""

from __future__ import annotations

from dataclasses import dataclass

KNATIVE_AUTOSCALING = "autoscaling.knative.dev"
KPA_CLASS = "kpa.autoscaling.knative.dev"
HPA_CLASS = "hpa.autoscaling.knative.dev"
KPA_METRICS = ("concurrency", "rps")
RESOURCE_METRICS = ("cpu", "memory")

KNATIVE, STANDARD, DEPLOYMENT, RAY, MULTI_NODE = "Knative", "Standard", "Deployment", "Ray", "multi-node"
"""Platforms: where the model's replicas are scaled."""


@dataclass(frozen=True)
class AutoscalingPlan:
    platform: str
    autoscaler: str                # kpa | hpa | keda | none | ray
    min_replicas: int
    max_replicas: int
    initial_replicas: int | None
    metric: str | None
    target: int | None
    knative_annotations: tuple[tuple[str, str], ...]  # autoscaling.knative.dev/* for the revision template

    @property
    def scales(self) -> bool:
        return self.max_replicas > self.min_replicas and self.autoscaler != "none"
