"""The engine container (vLLM or TGI) and pod spec shared by the knative and deployment backends."""

from __future__ import annotations

from modelfleet.plan import ModelPlan
from modelfleet.build.metadata import env_vars
from modelfleet.build.pod import (container_probes, container_resources, container_security, home_env, pod_fields, pod_volumes)


def engine_pod_spec(model: ModelPlan, *, named_port: bool) -> tuple[dict, dict]:
    """(container, pod spec without containers). Knative forbids port names other than http1/h2c: named_port=False."""
    engine = model.container
    settings = model.pod
    container: dict = {"name": engine.engine, "image": engine.image}
    if engine.command:
        container["command"] = list(engine.command)
    container["args"] = list(engine.args)
    env = env_vars(engine.env)
    env += home_env(settings, env)
    if env:
        container["env"] = env
    port: dict = {"containerPort": engine.port, "protocol": "TCP"}
    if named_port:
        port = {"name": "http", **port}
    container["ports"] = [port]
    container.update(container_probes(settings, "http" if named_port else engine.port))
    resources = container_resources(model.spec.resources, model.gpu)
    if resources:
        container["resources"] = resources
    volumes, mounts = pod_volumes(model.shared_memory, engine.model_claim, settings, engine.model_dir)
    if mounts:
        container["volumeMounts"] = mounts
    security = container_security(settings)
    if security:
        container["securityContext"] = security
    pod: dict = {}
    if model.service_account_name is not None:
        pod["serviceAccountName"] = model.service_account_name
    pod.update(pod_fields(model.gpu, settings))
    if volumes:
        pod["volumes"] = volumes
    return container, pod
