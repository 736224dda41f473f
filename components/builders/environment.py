"""Every object of one environment, in a stable order: namespace, storage, runtimes, models."""

from __future__ import annotations

from ..plan import EnvironmentPlan
from .inference_service import build_inference_service
from .namespace import build_namespace
from .serving_runtime import build_serving_runtime
from .storage import build_storage


def build_environment(env: EnvironmentPlan) -> list[dict]:
    objects: list[dict] = [build_namespace(env)] if env.create_namespace else []
    for storage in env.storages:
        objects.extend(build_storage(storage, env))
    objects.extend(build_serving_runtime(runtime, env) for runtime in env.runtimes)
    objects.extend(build_inference_service(model, env) for model in env.models)
    return objects
