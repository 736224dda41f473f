"""ModelServingStack: every serving object of one environment, composed from the other components."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.environment import build_model, knative_features_object
from modelfleet.build.namespace import build_namespace
from components.engine_deployment import EngineDeployment, EngineDeploymentArgs
from components.engine_image_build import EngineImage, EngineImageArgs
from components.inference_service import InferenceService, InferenceServiceArgs
from components.k8s_objects import register_object
from components.knative_service import KnativeService, KnativeServiceArgs
from components.llm_inference_service import LLMInferenceService, LLMInferenceServiceArgs
from modelfleet.build.llm_inference_service import build_llm_preset
from components.model_storage import ModelStorage, ModelStorageArgs
from modelfleet.build.notices import environment_notices
from modelfleet.plan import EnvironmentPlan, ModelPlan
from components.ray_cluster import RayCluster, RayClusterArgs
from components.ray_service import RayService, RayServiceArgs
from components.serving_runtime import ServingRuntime, ServingRuntimeArgs

_BACKENDS = {
    "kserve": (InferenceService, InferenceServiceArgs),
    "knative": (KnativeService, KnativeServiceArgs),
    "deployment": (EngineDeployment, EngineDeploymentArgs),
    "ray": (RayService, RayServiceArgs),
    "llm": (LLMInferenceService, LLMInferenceServiceArgs),
}


ENGINE_IMAGE_NAME = "engine-image"


def _serving_component(model: ModelPlan, env: EnvironmentPlan, image: EngineImage | None,
                       opts: pulumi.ResourceOptions) -> pulumi.ComponentResource:
    component, args = _BACKENDS[model.backend]
    return component(model.name, args(environment=env, model=model, engine_image=image), opts)


class ModelServingStackArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan


class ModelServingStack(pulumi.ComponentResource):
    """Namespace (if owned), storage, the engine image (if built in the stack), runtimes and llm presets, then models and Ray
    clusters depending on them, and the Knative feature flags they need (if owned). Outputs each model's URL."""

    def __init__(self, name: str, args: ModelServingStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:stack:ModelServingStack", name, None, opts)
        env = args.environment
        child = pulumi.ResourceOptions(parent=self)
        foundations: list[pulumi.Resource] = []
        if env.create_namespace:
            foundations.append(register_object(build_namespace(env), child))
        scoped = pulumi.ResourceOptions(parent=self, depends_on=list(foundations))
        # objects naming the image's tag get its ref (<tag>@<digest>) and depend on it (k8s_objects.register_object)
        self.engine_image = None
        if env.image_build is not None:
            self.engine_image = EngineImage(ENGINE_IMAGE_NAME, EngineImageArgs(build=env.image_build), child)
        image = self.engine_image
        storages = [ModelStorage(s.name, ModelStorageArgs(environment=env, storage=s), scoped) for s in env.storages]
        runtimes = [ServingRuntime(r.name, ServingRuntimeArgs(environment=env, runtime=r, engine_image=image), scoped)
                    for r in env.runtimes]
        presets = [register_object(build_llm_preset(preset, env), scoped) for preset in env.llm_presets]
        after = pulumi.ResourceOptions(parent=self, depends_on=[*foundations, *storages, *runtimes, *presets])
        self.services = [_serving_component(model, env, image, after) for model in env.models]
        self.ray_clusters = [RayCluster(c.name, RayClusterArgs(environment=env, cluster=c, engine_image=image), scoped)
                             for c in env.ray_clusters]
        model_objects = [obj for model in env.models for obj in build_model(model, env)]
        for notice in environment_notices(env, model_objects):
            pulumi.log.warn(notice, resource=self)
        features = knative_features_object(env, model_objects)
        if features is not None:
            register_object(features, child)
        self.namespace = pulumi.Output.from_input(env.namespace)
        self.models = pulumi.Output.from_input(
            {model.name: {"backend": model.backend, "url": model.url} for model in env.models}
        )
        self.register_outputs({"namespace": self.namespace, "models": self.models})
