"""Ray plans: the cluster of a model on the ray backend (with its Ray Serve LLM app), and standalone clusters."""

from __future__ import annotations

from modelfleet.plan.autoscaling import AutoscalingPlan
from modelfleet.resolve.gpu_placement import gpu_placement, over_node_size
from modelfleet.plan import GpuPlacement, RayClusterPlan, RayServePlan, RayWorkerGroupPlan
from modelfleet.plan.pod import PodPlan
from modelfleet.resolve.pod import KUBERAY, PodTarget, pod_settings_problems, resolve_pod
from modelfleet.spec.pod import PodSettings
from modelfleet.resolve.problems import Problems, unknown
from modelfleet.spec.env import EnvVar
from modelfleet.spec.model import Model
from modelfleet.spec.ray_cluster import RayCluster
from modelfleet.spec.runtime import Runtime

MODEL_WORKER_GROUP = "gpu-workers"


def serve_application_problems(model: Model, gpu: GpuPlacement, at: tuple, problems: Problems) -> None:
    """Custom Ray Serve applications: no engine options (they are the built-in app's), unique routes, and replicas
    whose GPUs a worker pod holds and the cluster has at its largest."""
    applications = model.ray.applications
    if not applications:
        return
    if model.engine is not None:
        problems.add(at + ("engine",), "engine options configure the built-in Ray Serve LLM application, and this model runs its own ray.applications; pass engine settings in their userConfig or args and remove engine")
    routes: dict[str, str] = {}
    for index, application in enumerate(applications):
        here = at + ("ray", "applications", index)
        if application.route_prefix in routes:
            problems.add(here + ("routePrefix",), f"route {application.route_prefix} is already application {routes[application.route_prefix]}'s; give each application its own routePrefix")
        routes.setdefault(application.route_prefix, application.name)
        for number, deployment in enumerate(application.deployments):
            options = deployment.ray_actor_options
            if options is not None and options.num_gpus is not None and options.num_gpus > gpu.per_pod:
                problems.add(here + ("deployments", number, "rayActorOptions", "numGpus"), f"a replica is one Ray actor on one node, and a worker pod has {gpu.per_pod} GPUs; request at most {gpu.per_pod} (spread larger engines with placement groups inside the application, e.g. vLLM's Ray executor)")
    wanted = sum((deployment.num_replicas or 1) * deployment.ray_actor_options.num_gpus
                 for application in applications for deployment in application.deployments
                 if deployment.ray_actor_options is not None and deployment.ray_actor_options.num_gpus is not None)
    largest = (model.scaling.max_replicas or max(model.scaling.min_replicas, 1)) * gpu.count
    if wanted > largest:
        problems.add(at + ("ray", "applications"), f"the applications' replicas ask for {wanted:g} GPUs, but the cluster has {largest} at most (scaling.maxReplicas x gpu.count); lower numReplicas or numGpus, or raise scaling.maxReplicas")


def model_ray_plan(model: Model, runtime: Runtime, gpu: GpuPlacement, source, env: list[EnvVar], served: str,
                   engine_kwargs: dict, autoscaling: AutoscalingPlan, pod: PodPlan) -> RayServePlan:
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
        pod=pod,
    )
    return RayServePlan(
        model_id=served,
        model_source=source.location,
        engine_kwargs=tuple(engine_kwargs.items()),
        upgrade_strategy=model.ray.upgrade_strategy,
        cluster=cluster,
        applications=tuple(model.ray.applications),
    )


def gpu_placement_per_pod(gpu: GpuPlacement) -> GpuPlacement:
    """The placement of one worker pod of a multi-pod replica."""
    return GpuPlacement(gpu.resource_name, gpu.per_pod, gpu.per_pod, gpu.tolerations, gpu.node_selector)


def ray_cluster_plan(index: int, cluster: RayCluster, pools: dict, kuberay: str | None, defaults: PodSettings,
                     problems: Problems) -> RayClusterPlan | None:
    at = ("rayClusters", index)
    before = len(problems.items)
    if kuberay is None:
        problems.add(at + ("name",), "a RayCluster needs KubeRay on the cluster; set environment.platform.kuberay to its version")
    head_gpu = None
    if cluster.head_gpu is not None:
        pool = pools.get(cluster.head_gpu.pool, (None, None))[1]
        if pool is None:
            problems.add(at + ("headGpu", "pool"), unknown("GPU pool", cluster.head_gpu.pool, pools))
        elif over_node_size(pool, cluster.head_gpu.count):
            problems.add(at + ("headGpu", "count"), f"{cluster.head_gpu.count} GPUs for the head, but pool '{pool.name}' nodes have {pool.gpus_per_node}; lower headGpu.count")
        else:
            head_gpu = gpu_placement(pool, cluster.head_gpu.count)
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
    pod_settings_problems(cluster.pod, at + ("pod",), problems)
    gpus = tuple(group.gpu for group in groups) + ((head_gpu,) if head_gpu is not None else ())
    target = PodTarget("a RayCluster", None, gpus=gpus, mount_paths=("/dev/shm",), **KUBERAY)
    pod = resolve_pod(defaults, cluster.pod, ("environment", "pod"), at + ("pod",), target, problems)
    if len(problems.items) != before:
        return None
    return RayClusterPlan(
        name=cluster.name,
        image=cluster.image,
        ray_version=cluster.ray_version,
        head_resources=cluster.head_resources,
        worker_groups=tuple(groups),
        autoscaling=cluster.autoscaling,
        head_gpu=head_gpu,
        pod=pod,
    )
