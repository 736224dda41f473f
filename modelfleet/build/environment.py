"""Every object of one environment, in a stable order: namespace, storage, runtimes, llm presets, models, Ray clusters,
then the Knative feature flags they need (when the environment owns them)."""

from __future__ import annotations

from modelfleet.build.knative_features import build_config_features, required_features
from modelfleet.plan import EnvironmentPlan, ModelPlan
from modelfleet.build.engine_deployment import build_engine_deployment
from modelfleet.build.inference_service import build_inference_service
from modelfleet.build.knative_service import build_knative_service
from modelfleet.build.llm_inference_service import build_llm_inference_service, build_llm_preset
from modelfleet.build.namespace import build_namespace
from modelfleet.build.ray import build_ray_cluster, build_ray_service
from modelfleet.build.serving_runtime import build_serving_runtime
from modelfleet.build.storage import build_storage


def build_model(model: ModelPlan, env: EnvironmentPlan) -> list[dict]:
    """The serving objects of one model, by backend."""
    if model.backend == "knative":
        return [build_knative_service(model, env)]
    if model.backend == "deployment":
        return build_engine_deployment(model, env)
    if model.backend == "ray":
        return [build_ray_service(model, env)]
    if model.backend == "llm":
        return [build_llm_inference_service(model, env)]
    return [build_inference_service(model, env)]


Origin = tuple[str, str] | None
"""The stack entry an object is built from, as (spec section, entry name): ("models", "llama"); None for the
environment itself (namespace, llm presets, Knative feature flags)."""


def built_objects(env: EnvironmentPlan) -> list[tuple[dict, Origin]]:
    """Every object with the entry it is built from, recorded as it is built: a finding or a schema problem is
    then located without building anything again."""
    built: list[tuple[dict, Origin]] = [(build_namespace(env), None)] if env.create_namespace else []
    for storage in env.storages:
        built.extend((obj, ("storage", storage.name)) for obj in build_storage(storage, env))
    built.extend((build_serving_runtime(runtime, env), ("runtimes", runtime.name)) for runtime in env.runtimes)
    built.extend((build_llm_preset(preset, env), None) for preset in env.llm_presets)
    for model in env.models:
        built.extend((obj, ("models", model.name)) for obj in build_model(model, env))
    built.extend((build_ray_cluster(cluster, env), ("rayClusters", cluster.name)) for cluster in env.ray_clusters)
    features = knative_features_object(env, [obj for obj, _ in built])
    return built + ([(features, None)] if features else [])


def knative_features_object(env: EnvironmentPlan, objects: list[dict]) -> dict | None:
    """The config-features patch the environment's Knative workloads need, when the environment owns it."""
    needed = required_features(objects)
    return build_config_features(needed, dict(env.labels)) if env.manage_knative_features and needed else None
