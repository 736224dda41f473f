"""InferenceService: one model served by KServe."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.inference_service import build_inference_service
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, ModelPlan


class InferenceServiceArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    model: ModelPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class InferenceService(pulumi.ComponentResource):
    """Registers the InferenceService; outputs its name and expected in-cluster URL."""

    def __init__(self, name: str, args: InferenceServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:serving:InferenceService", name, None, opts)
        self.isvc = register_object(build_inference_service(args.model, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image)
        self.isvc_name = pulumi.Output.from_input(args.model.name)
        self.url = pulumi.Output.from_input(args.model.url)
        self.register_outputs({"isvc_name": self.isvc_name, "url": self.url})
