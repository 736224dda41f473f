"""Warnings about an environment that are not errors: what the cluster must allow, and what upgrades cost."""

from __future__ import annotations

from modelfleet.build.knative_features import features_warning, required_features
from modelfleet.plan import EnvironmentPlan


def environment_notices(env: EnvironmentPlan, objects: list[dict]) -> list[str]:
    """Printed by `modelfleet render|validate` and logged as warnings by the Pulumi program."""
    notices = [f"{env.name}: {note}" for note in env.notes]
    needed = required_features(objects)
    if needed and not env.manage_knative_features:
        notices.append(features_warning(env.name, needed))
    for model in env.models:
        if model.ray is not None and model.ray.upgrade_strategy == "NewCluster":
            gpus = model.max_replicas * model.gpu.count
            notices.append(
                f"{env.name}: RayService {model.name} upgrades with NewCluster: a second cluster starts beside the "
                f"old one, so an upgrade needs up to {2 * gpus} GPUs instead of {gpus}; set ray.upgradeStrategy: None "
                "to upgrade in place (with downtime) where GPUs are short"
            )
    return notices
