"""EngineDeployment: one model served by vLLM or TGI as a Deployment + Service (+ HPA when it scales)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.engine_deployment import build_engine_deployment
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, ModelPlan


class EngineDeploymentArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    model: ModelPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class EngineDeployment(pulumi.ComponentResource):
    """Registers the Deployment, its Service and HPA; outputs the Service name and URL."""

    def __init__(self, name: str, args: EngineDeploymentArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:serving:EngineDeployment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.objects = [register_object(obj, child, args.engine_image) for obj in build_engine_deployment(args.model, args.environment)]
        self.service_name = pulumi.Output.from_input(args.model.name)
        self.url = pulumi.Output.from_input(args.model.url)
        self.register_outputs({"service_name": self.service_name, "url": self.url})
