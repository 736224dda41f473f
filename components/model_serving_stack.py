"""ModelServingStack: every serving object of one environment, composed from the other components."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from .builders.namespace import build_namespace
from .inference_service import InferenceService, InferenceServiceArgs
from .k8s_objects import register_object
from .model_storage import ModelStorage, ModelStorageArgs
from .plan import EnvironmentPlan
from .serving_runtime import ServingRuntime, ServingRuntimeArgs


class ModelServingStackArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan


class ModelServingStack(pulumi.ComponentResource):
    """Namespace (if owned), storage, runtimes, then models depending on them. Outputs each model's URL."""

    def __init__(self, name: str, args: ModelServingStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:stack:ModelServingStack", name, None, opts)
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        foundations: list[pulumi.Resource] = []
        if env.create_namespace:
            foundations.append(register_object(build_namespace(env), child))
        scoped = pulumi.ResourceOptions(parent=self, depends_on=list(foundations))
        storages = [ModelStorage(s.name, ModelStorageArgs(environment=env, storage=s), scoped) for s in env.storages]
        runtimes = [ServingRuntime(r.name, ServingRuntimeArgs(environment=env, runtime=r), scoped) for r in env.runtimes]
        after = pulumi.ResourceOptions(parent=self, depends_on=[*foundations, *storages, *runtimes])
        self.services = [InferenceService(m.name, InferenceServiceArgs(environment=env, model=m), after) for m in env.models]
        self.namespace = pulumi.Output.from_input(env.namespace)
        self.models = pulumi.Output.from_input(
            {service_plan.name: {"isvc": service_plan.name, "url": service_plan.url} for service_plan in env.models}
        )
        self.register_outputs({"namespace": self.namespace, "models": self.models})
