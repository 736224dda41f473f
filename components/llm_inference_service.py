"""LLMInferenceService: one model served by KServe's llm-d stack (scheduler, prefill/decode pools, multi-node workers)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.llm_inference_service import build_llm_inference_service
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, ModelPlan


class LLMInferenceServiceArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    model: ModelPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class LLMInferenceService(pulumi.ComponentResource):
    """Registers the LLMInferenceService; outputs its name, the served model name and the workload Service URL."""

    def __init__(self, name: str, args: LLMInferenceServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:serving:LLMInferenceService", name, None, opts)
        model = args.model
        self.llm_inference_service = register_object(
            build_llm_inference_service(model, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image
        )
        self.service_name = pulumi.Output.from_input(model.name)
        self.served_model_name = pulumi.Output.from_input(model.llm.served_name)
        self.url = pulumi.Output.from_input(model.url)
        self.register_outputs({"service_name": self.service_name, "served_model_name": self.served_model_name, "url": self.url})
