"""Standalone Ray clusters: a head and GPU worker groups, for batch jobs, notebooks or your own Ray Serve apps."""

from __future__ import annotations

from pydantic import Field, model_validator

from modelfleet.spec.base import Dns1035Label, Quantity, SpecModel, Version
from modelfleet.spec.model import Resources, default_ray_head_resources
from modelfleet.spec.pod import PodSettings


class HeadGpu(SpecModel):
    """GPUs of the head pod, for a head that runs GPU work too (seed 003's 8-GPU head)."""

    pool: Dns1035Label = Field(description="Name of an entry in gpuPools.")
    count: int = Field(ge=1, description="GPUs of the head pod; at most the pool's gpusPerNode.")


class WorkerGroup(SpecModel):
    """A group of identical GPU worker pods on one GPU pool."""

    name: Dns1035Label = Field(description="groupName of the worker group.")
    pool: Dns1035Label = Field(description="Name of an entry in gpuPools.")
    gpus_per_worker: int = Field(ge=1, description="GPUs of each worker pod; at most the pool's gpusPerNode.")
    replicas: int = Field(1, ge=0, description="Workers started with the cluster.")
    min_replicas: int | None = Field(None, ge=0, description="Fewest workers the autoscaler keeps; default replicas.")
    max_replicas: int | None = Field(None, ge=0, description="Most workers the autoscaler starts; default replicas.")
    resources: Resources = Field(default_factory=Resources, description="CPU and memory of each worker pod.")
    shared_memory: Quantity | None = Field(None, description="In-memory /dev/shm of each worker, e.g. 16Gi.")

    @model_validator(mode="after")
    def _bounds(self) -> "WorkerGroup":
        if self.min_replicas is not None and self.replicas < self.min_replicas:
            raise ValueError(f"replicas {self.replicas} is below minReplicas {self.min_replicas}; raise replicas or lower minReplicas")
        if self.max_replicas is not None and self.replicas > self.max_replicas:
            raise ValueError(f"replicas {self.replicas} is above maxReplicas {self.max_replicas}; lower replicas or raise maxReplicas")
        return self


class RayCluster(SpecModel):
    """A KubeRay RayCluster."""

    name: Dns1035Label = Field(description="RayCluster name.")
    enabled: bool = Field(True, description="false leaves the cluster out of this environment.")
    image: str = Field(description="Ray image for head and workers, pinned (e.g. rayproject/ray-ml:2.9.0-gpu).", pattern=r"^[^\s]+$")
    ray_version: Version = Field(description="Ray version inside the image.")
    head_resources: Resources = Field(
        default_factory=default_ray_head_resources,
        description="CPU and memory of the head pod.",
    )
    head_gpu: HeadGpu | None = Field(
        None, description="GPUs of the head pod; without it the head has none and schedules no Ray work (num-cpus and num-gpus 0)."
    )
    worker_groups: list[WorkerGroup] = Field(min_length=1, description="GPU worker groups.")
    autoscaling: bool = Field(
        False, description="Enable KubeRay's in-tree autoscaler, scaling each group within min/maxReplicas."
    )
    pod: PodSettings = Field(
        default_factory=PodSettings,
        description="Scheduling, pull secrets, volumes and security of the head and worker pods, over environment.pod.",
    )
