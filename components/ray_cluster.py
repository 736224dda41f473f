"""RayCluster: a standalone KubeRay cluster (head + GPU worker groups)."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict

from modelfleet.build.ray import build_ray_cluster
from components.engine_image_build import EngineImage
from components.k8s_objects import register_object
from modelfleet.plan import EnvironmentPlan, RayClusterPlan


class RayClusterArgs(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    environment: EnvironmentPlan
    cluster: RayClusterPlan
    engine_image: EngineImage | None = None
    """The engine image built in the stack, if any: objects run its ref where they name its tag."""


class RayCluster(pulumi.ComponentResource):
    """Registers the RayCluster; outputs its name."""

    def __init__(self, name: str, args: RayClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("modelfleet:ray:RayCluster", name, None, opts)
        self.ray_cluster = register_object(build_ray_cluster(args.cluster, args.environment), pulumi.ResourceOptions(parent=self), args.engine_image)
        self.cluster_name = pulumi.Output.from_input(args.cluster.name)
        self.register_outputs({"cluster_name": self.cluster_name})
