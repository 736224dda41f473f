"""RayService: one model served by Ray Serve LLM on its own KubeRay cluster (multi-node tensor/pipeline parallel)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.ray import build_ray_service
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, ModelPlan


class RayServiceArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    model: ModelPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class RayService(pulumi.ComponentResource):
    """Registers the RayService; outputs its name and the URL of its Serve endpoint."""

    def __init__(self, name: str, args: RayServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:ray:RayService", name, None, opts)
        model = args.model
        self.ray_service = register_object(build_ray_service(model, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image)
        self.service_name = pulumi.Output.from_input(model.name)
        self.url = pulumi.Output.from_input(model.url)
        self.register_outputs({"service_name": self.service_name, "url": self.url})
