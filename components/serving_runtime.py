"""ServingRuntime: a vLLM ServingRuntime or ClusterServingRuntime compiled from an engine image."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.serving_runtime import build_serving_runtime
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object, with_built_image
from modelfleet.plan import EnvironmentPlan, RuntimePlan


class ServingRuntimeArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    runtime: RuntimePlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class ServingRuntime(pulumi.ComponentResource):
    """Registers the runtime object; outputs its name, kind and engine image."""

    def __init__(self, name: str, args: ServingRuntimeArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:runtime:ServingRuntime", name, None, opts)
        self.runtime = register_object(build_serving_runtime(args.runtime, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image)
        self.runtime_name = pulumi.Output.from_input(args.runtime.name)
        self.kind = pulumi.Output.from_input(args.runtime.kind)
        image = args.runtime.spec.vllm.image
        if args.engine_image is not None:
            image, _ = with_built_image(image, args.engine_image)
        self.image = pulumi.Output.from_input(image)
        self.register_outputs({"runtime_name": self.runtime_name, "kind": self.kind, "image": self.image})
