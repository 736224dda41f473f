"""KnativeService: one model served by the engine directly as a Knative Service (KPA autoscaling)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.knative_service import build_knative_service
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, ModelPlan


class KnativeServiceArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    model: ModelPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class KnativeService(pulumi.ComponentResource):
    """Registers the Knative Service; outputs its name and in-cluster URL."""

    def __init__(self, name: str, args: KnativeServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:serving:KnativeService", name, None, opts)
        self.service = register_object(build_knative_service(args.model, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image)
        self.service_name = pulumi.Output.from_input(args.model.name)
        self.url = pulumi.Output.from_input(args.model.url)
        self.register_outputs({"service_name": self.service_name, "url": self.url})
