"""Ray plans: the cluster of a model on the ray backend (with its Ray Serve LLM app), and standalone clusters."""

from __future__ import annotations

from modelfleet.plan.autoscaling import AutoscalingPlan
from modelfleet.resolve.gpu_placement import gpu_placement, over_node_size
from modelfleet.plan import GpuPlacement, RayClusterPlan, RayServePlan, RayWorkerGroupPlan
from modelfleet.resolve.problems import Problems, unknown
from modelfleet.spec.env import EnvVar
from modelfleet.spec.model import Model
from modelfleet.spec.ray_cluster import RayCluster
from modelfleet.spec.runtime import Runtime

MODEL_WORKER_GROUP = "gpu-workers"


def model_ray_plan(model: Model, runtime: Runtime, gpu: GpuPlacement, source, env: list[EnvVar], served: str,
                   engine_kwargs: dict, autoscaling: AutoscalingPlan) -> RayServePlan:
    """Each Serve replica needs gpu.count GPUs: gpu.count / gpu.perPod worker pods, scaled with the replicas."""
    pods = gpu.pods_per_replica
    workers = RayWorkerGroupPlan(
        name=MODEL_WORKER_GROUP,
        gpu=gpu_placement_per_pod(gpu),
        replicas=autoscaling.min_replicas * pods,
        min_replicas=autoscaling.min_replicas * pods,
        max_replicas=autoscaling.max_replicas * pods,
        resources=model.resources,
        shared_memory=model.shared_memory,
    )
    cluster = RayClusterPlan(
        name=model.name,
        image=runtime.vllm.image,
        ray_version=runtime.vllm.ray_version,
        head_resources=model.ray.head_resources,
        worker_groups=(workers,),
        autoscaling=autoscaling.max_replicas > autoscaling.min_replicas,
        worker_env=(*runtime.vllm.env, *env),
        model_claim=source.claim_name,
    )
    return RayServePlan(
        model_id=served,
        model_source=source.location,
        engine_kwargs=tuple(engine_kwargs.items()),
        upgrade_strategy=model.ray.upgrade_strategy,
        cluster=cluster,
    )


def gpu_placement_per_pod(gpu: GpuPlacement) -> GpuPlacement:
    """The placement of one worker pod of a multi-pod replica."""
    return GpuPlacement(gpu.resource_name, gpu.per_pod, gpu.per_pod, gpu.tolerations, gpu.node_selector)


def ray_cluster_plan(index: int, cluster: RayCluster, pools: dict, kuberay: str | None, problems: Problems) -> RayClusterPlan | None:
    at = ("rayClusters", index)
    before = len(problems.items)
    if kuberay is None:
        problems.add(at + ("name",), "a RayCluster needs KubeRay on the cluster; set environment.platform.kuberay to its version")
    groups = []
    for group_index, group in enumerate(cluster.worker_groups):
        here = at + ("workerGroups", group_index)
        pool = pools.get(group.pool, (None, None))[1]
        if pool is None:
            problems.add(here + ("pool",), unknown("GPU pool", group.pool, pools))
            continue
        if over_node_size(pool, group.gpus_per_worker):
            problems.add(here + ("gpusPerWorker",), f"{group.gpus_per_worker} GPUs per worker, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower gpusPerWorker")
        if group.gpus_per_worker > 1 and group.shared_memory is None:
            problems.add(here + ("sharedMemory",), f"{group.gpus_per_worker} GPU workers share a pod and exchange tensors through /dev/shm, which is 64Mi by default; set sharedMemory, e.g. 16Gi")
        groups.append(RayWorkerGroupPlan(
            name=group.name,
            gpu=gpu_placement(pool, group.gpus_per_worker),
            replicas=group.replicas,
            min_replicas=group.replicas if group.min_replicas is None else group.min_replicas,
            max_replicas=group.replicas if group.max_replicas is None else group.max_replicas,
            resources=group.resources,
            shared_memory=group.shared_memory,
        ))
    if len(problems.items) != before:
        return None
    return RayClusterPlan(
        name=cluster.name,
        image=cluster.image,
        ray_version=cluster.ray_version,
        head_resources=cluster.head_resources,
        worker_groups=tuple(groups),
        autoscaling=cluster.autoscaling,
    )
