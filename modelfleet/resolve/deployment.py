"""The Service and container options of models on the deployment backend."""

from __future__ import annotations

from modelfleet.plan import MODEL_DIR, SERVING_PORT
from modelfleet.resolve.problems import Problems
from modelfleet.spec.model import Model


def deployment_options(model: Model, at: tuple, problems: Problems) -> tuple[str, int, int, str]:
    """(Service name, Service port, container port, model mount path) of a model; the defaults off the deployment backend,
    where deployment options are an error."""
    options = model.deployment
    if options is None:
        return model.name, 80, SERVING_PORT, MODEL_DIR
    if model.backend != "deployment":
        problems.add(at + ("deployment",), f"deployment options are for backend deployment, and this model uses backend {model.backend}; remove deployment")
    return options.service_name or model.name, options.service_port, options.container_port, options.model_mount_path


def service_name_problems(models: list[tuple[int, Model]], problems: Problems) -> None:
    """A Service name of the deployment backend is not another model's name (its Service, InferenceService or
    Knative Service would collide) nor another deployment's Service."""
    owners: dict[str, str] = {model.name: f"model {model.name}" for _, model in models}
    for index, model in models:
        if model.backend != "deployment" or model.deployment is None or model.deployment.service_name in (None, model.name):
            continue
        name = model.deployment.service_name
        if name in owners:
            problems.add(("models", index, "deployment", "serviceName"), f"Service name {name} is taken by {owners[name]}; choose another serviceName")
        owners[name] = f"the Service of model {model.name}"
