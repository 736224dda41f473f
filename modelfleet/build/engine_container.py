"""The engine container (vLLM or TGI) and pod spec shared by the knative and deployment backends."""

from __future__ import annotations

from modelfleet.plan import SERVING_PORT, ModelPlan
from modelfleet.build.metadata import env_vars
from modelfleet.build.pod import container_resources, gpu_scheduling, http_probe, pod_volumes


def engine_pod_spec(model: ModelPlan, *, named_port: bool) -> tuple[dict, dict]:
    """(container, pod spec without containers). Knative forbids port names other than http1/h2c: named_port=False."""
    engine = model.container
    container: dict = {"name": engine.engine, "image": engine.image}
    if engine.command:
        container["command"] = list(engine.command)
    container["args"] = list(engine.args)
    if engine.env:
        container["env"] = env_vars(engine.env)
    port: dict = {"containerPort": SERVING_PORT, "protocol": "TCP"}
    if named_port:
        port = {"name": "http", **port}
    container["ports"] = [port]
    container["readinessProbe"] = http_probe("http" if named_port else SERVING_PORT, period=10, failures=3, initial_delay=5)
    resources = container_resources(model.spec.resources, model.gpu)
    if resources:
        container["resources"] = resources
    volumes, mounts = pod_volumes(model.shared_memory, engine.model_claim)
    if mounts:
        container["volumeMounts"] = mounts
    pod: dict = {}
    if model.service_account_name is not None:
        pod["serviceAccountName"] = model.service_account_name
    pod.update(gpu_scheduling(model.gpu))
    if volumes:
        pod["volumes"] = volumes
    return container, pod
